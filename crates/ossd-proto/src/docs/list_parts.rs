//! ListParts: the `<ListPartsResult>` answer.

use super::encoding::url_encode;
use super::parts::bool_text;
use crate::xml::XmlWriter;

/// One `<Part>` of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartEntry<'a> {
    /// `<PartNumber>`.
    pub number: u32,
    /// ISO 8601.
    pub last_modified: String,
    /// The part's ETag, quoted.
    pub etag: &'a str,
    /// `<HashCrc64ecma>`, the part's CRC-64 in decimal.
    pub crc64: u64,
    /// The part's size in bytes.
    pub size: u64,
}

/// The `<ListPartsResult>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPartsResult<'a> {
    /// `encoding-type=url`: `<EncodingType>url</EncodingType>` first and the key encoded.
    pub url: bool,
    /// The bucket.
    pub bucket: &'a str,
    /// The upload's key, raw.
    pub key: &'a str,
    /// The upload's id.
    pub upload_id: &'a str,
    /// `part-number-marker` as understood (0 when absent).
    pub part_number_marker: u32,
    /// `<NextPartNumberMarker>`; `None` writes the empty element.
    pub next_part_number_marker: Option<u32>,
    /// `max-parts` as understood.
    pub max_parts: usize,
    /// Whether more parts follow.
    pub is_truncated: bool,
    /// The upload's storage class.
    pub storage_class: &'a str,
    /// The parts of this page.
    pub parts: Vec<PartEntry<'a>>,
}

impl ListPartsResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("ListPartsResult");
        if self.url {
            w.elem("EncodingType", "url");
        }
        w.elem("Bucket", self.bucket);
        w.elem("Key", &url_encode(self.key, self.url));
        w.elem("UploadId", self.upload_id);
        w.elem("PartNumberMarker", &self.part_number_marker.to_string());
        let next = self.next_part_number_marker.map(|n| n.to_string()).unwrap_or_default();
        w.elem("NextPartNumberMarker", &next);
        w.elem("MaxParts", &self.max_parts.to_string());
        w.elem("IsTruncated", bool_text(self.is_truncated));
        w.elem("StorageClass", self.storage_class);
        for p in &self.parts {
            w.open("Part");
            w.elem("PartNumber", &p.number.to_string());
            w.elem("LastModified", &p.last_modified);
            w.elem("ETag", p.etag);
            w.elem("HashCrc64ecma", &p.crc64.to_string());
            w.elem("Size", &p.size.to_string());
            w.close("Part");
        }
        w.close("ListPartsResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parts_xml() {
        let mut doc = ListPartsResult {
            url: false,
            bucket: "b",
            key: "mp/a&b c.bin",
            upload_id: "U1",
            part_number_marker: 0,
            next_part_number_marker: None,
            max_parts: 1000,
            is_truncated: false,
            storage_class: "IA",
            parts: vec![],
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult><Bucket>b</Bucket>\
             <Key>mp/a&amp;b c.bin</Key><UploadId>U1</UploadId><PartNumberMarker>0</PartNumberMarker>\
             <NextPartNumberMarker></NextPartNumberMarker><MaxParts>1000</MaxParts>\
             <IsTruncated>false</IsTruncated><StorageClass>IA</StorageClass></ListPartsResult>"
        );
        doc.url = true;
        doc.part_number_marker = 1;
        doc.next_part_number_marker = Some(2);
        doc.max_parts = 1;
        doc.is_truncated = true;
        doc.parts = vec![PartEntry {
            number: 2,
            last_modified: "2026-12-02T16:15:21.000Z".into(),
            etag: "\"5D41\"",
            crc64: 18_446_744_073_709_551_615,
            size: 102_400,
        }];
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult>\
             <EncodingType>url</EncodingType><Bucket>b</Bucket><Key>mp%2Fa%26b%20c.bin</Key>\
             <UploadId>U1</UploadId><PartNumberMarker>1</PartNumberMarker>\
             <NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1</MaxParts>\
             <IsTruncated>true</IsTruncated><StorageClass>IA</StorageClass><Part>\
             <PartNumber>2</PartNumber><LastModified>2026-12-02T16:15:21.000Z</LastModified>\
             <ETag>\"5D41\"</ETag><HashCrc64ecma>18446744073709551615</HashCrc64ecma>\
             <Size>102400</Size></Part></ListPartsResult>"
        );
    }
}
