//! ListMultipartUploads: the `<ListMultipartUploadsResult>` answer.

use super::encoding::url_encode;
use super::parts::{bool_text, common_prefixes};
use crate::xml::XmlWriter;

/// One `<Upload>` of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadEntry<'a> {
    /// The key, raw.
    pub key: &'a str,
    /// The upload's id.
    pub upload_id: &'a str,
    /// The storage class the object will have.
    pub storage_class: &'a str,
    /// ISO 8601.
    pub initiated: String,
}

/// The `<ListMultipartUploadsResult>` answer. Keys, prefixes, the delimiter and the key markers
/// are written encoded when `url` is set; upload ids never are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListMultipartUploadsResult<'a> {
    /// `encoding-type=url`: `<EncodingType>url</EncodingType>` first.
    pub url: bool,
    /// The bucket.
    pub bucket: &'a str,
    /// `key-marker` as given.
    pub key_marker: &'a str,
    /// `upload-id-marker` as given.
    pub upload_id_marker: &'a str,
    /// `<NextKeyMarker>` (always written, empty when there is none).
    pub next_key_marker: &'a str,
    /// `<NextUploadIdMarker>` (always written, empty when there is none).
    pub next_upload_id_marker: &'a str,
    /// `delimiter` as given.
    pub delimiter: &'a str,
    /// `prefix` as given.
    pub prefix: &'a str,
    /// `max-uploads` as understood.
    pub max_uploads: usize,
    /// Whether more uploads follow.
    pub is_truncated: bool,
    /// The uploads of this page.
    pub uploads: Vec<UploadEntry<'a>>,
    /// The rolled-up prefixes of this page, raw.
    pub common_prefixes: &'a [String],
}

impl ListMultipartUploadsResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let url = self.url;
        let mut w = XmlWriter::new();
        w.open("ListMultipartUploadsResult");
        if url {
            w.elem("EncodingType", "url");
        }
        w.elem("Bucket", self.bucket);
        w.elem("KeyMarker", &url_encode(self.key_marker, url));
        w.elem("UploadIdMarker", self.upload_id_marker);
        w.elem("NextKeyMarker", &url_encode(self.next_key_marker, url));
        w.elem("NextUploadIdMarker", self.next_upload_id_marker);
        w.elem("Delimiter", &url_encode(self.delimiter, url));
        w.elem("Prefix", &url_encode(self.prefix, url));
        w.elem("MaxUploads", &self.max_uploads.to_string());
        w.elem("IsTruncated", bool_text(self.is_truncated));
        for u in &self.uploads {
            w.open("Upload");
            w.elem("Key", &url_encode(u.key, url));
            w.elem("UploadId", u.upload_id);
            w.elem("StorageClass", u.storage_class);
            w.elem("Initiated", &u.initiated);
            w.close("Upload");
        }
        common_prefixes(&mut w, self.common_prefixes, url);
        w.close("ListMultipartUploadsResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_uploads_xml() {
        let none = ListMultipartUploadsResult {
            url: false,
            bucket: "b",
            key_marker: "",
            upload_id_marker: "",
            next_key_marker: "",
            next_upload_id_marker: "",
            delimiter: "",
            prefix: "zz",
            max_uploads: 1000,
            is_truncated: false,
            uploads: vec![],
            common_prefixes: &[],
        };
        assert_eq!(
            none.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListMultipartUploadsResult>\
             <Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>\
             <NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>\
             <Delimiter></Delimiter><Prefix>zz</Prefix><MaxUploads>1000</MaxUploads>\
             <IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"
        );
        let prefixes = vec!["mp/d&ir/".to_owned()];
        let mut doc = ListMultipartUploadsResult {
            key_marker: "a b",
            upload_id_marker: "U0",
            next_key_marker: "mp/a&b c.bin",
            next_upload_id_marker: "U1",
            delimiter: "/",
            prefix: "mp/",
            max_uploads: 1,
            is_truncated: true,
            uploads: vec![UploadEntry {
                key: "mp/a&b c.bin",
                upload_id: "U1",
                storage_class: "IA",
                initiated: "2026-12-02T16:15:21.000Z".into(),
            }],
            common_prefixes: &prefixes,
            ..none
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListMultipartUploadsResult>\
             <Bucket>b</Bucket><KeyMarker>a b</KeyMarker><UploadIdMarker>U0</UploadIdMarker>\
             <NextKeyMarker>mp/a&amp;b c.bin</NextKeyMarker><NextUploadIdMarker>U1</NextUploadIdMarker>\
             <Delimiter>/</Delimiter><Prefix>mp/</Prefix><MaxUploads>1</MaxUploads>\
             <IsTruncated>true</IsTruncated><Upload><Key>mp/a&amp;b c.bin</Key><UploadId>U1</UploadId>\
             <StorageClass>IA</StorageClass><Initiated>2026-12-02T16:15:21.000Z</Initiated></Upload>\
             <CommonPrefixes><Prefix>mp/d&amp;ir/</Prefix></CommonPrefixes></ListMultipartUploadsResult>"
        );
        doc.url = true;
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListMultipartUploadsResult>\
             <EncodingType>url</EncodingType><Bucket>b</Bucket><KeyMarker>a%20b</KeyMarker>\
             <UploadIdMarker>U0</UploadIdMarker><NextKeyMarker>mp%2Fa%26b%20c.bin</NextKeyMarker>\
             <NextUploadIdMarker>U1</NextUploadIdMarker><Delimiter>%2F</Delimiter>\
             <Prefix>mp%2F</Prefix><MaxUploads>1</MaxUploads><IsTruncated>true</IsTruncated>\
             <Upload><Key>mp%2Fa%26b%20c.bin</Key><UploadId>U1</UploadId><StorageClass>IA</StorageClass>\
             <Initiated>2026-12-02T16:15:21.000Z</Initiated></Upload>\
             <CommonPrefixes><Prefix>mp%2Fd%26ir%2F</Prefix></CommonPrefixes></ListMultipartUploadsResult>"
        );
    }
}
