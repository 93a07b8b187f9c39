//! ListObjectVersions: the `<ListVersionsResult>` answer.

use super::encoding::url_encode;
use super::list_objects::ObjectEntry;
use super::parts::{bool_text, common_prefixes};
use crate::xml::XmlWriter;

/// One `<Version>` of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionEntry<'a> {
    /// The object's fields (`Owner` written when present).
    pub object: ObjectEntry<'a>,
    /// `<VersionId>`.
    pub version_id: &'a str,
    /// `<IsLatest>`.
    pub is_latest: bool,
    /// A `<DeleteMarker>` entry: key, version, latest flag, time and owner only (no `Type`, by
    /// which v2-go tells a marker from a version).
    pub delete_marker: bool,
}

/// The `<ListVersionsResult>` answer. The prefix, the delimiter, the key markers and the keys
/// are written encoded when `url` is set; version ids never are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListVersionsResult<'a> {
    /// The bucket.
    pub name: &'a str,
    /// `prefix` as given.
    pub prefix: &'a str,
    /// `key-marker` as given.
    pub key_marker: &'a str,
    /// `version-id-marker` as given.
    pub version_id_marker: &'a str,
    /// `max-keys` as understood.
    pub max_keys: usize,
    /// `delimiter` as given.
    pub delimiter: &'a str,
    /// `encoding-type=url`.
    pub url: bool,
    /// Whether more versions follow; the next markers are written only then.
    pub is_truncated: bool,
    /// `<NextKeyMarker>`.
    pub next_key_marker: &'a str,
    /// `<NextVersionIdMarker>`.
    pub next_version_id_marker: &'a str,
    /// The versions of this page.
    pub versions: Vec<VersionEntry<'a>>,
    /// The rolled-up prefixes of this page, raw.
    pub common_prefixes: &'a [String],
}

impl ListVersionsResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let url = self.url;
        let mut w = XmlWriter::new();
        w.open("ListVersionsResult");
        w.elem("Name", self.name);
        w.elem("Prefix", &url_encode(self.prefix, url));
        w.elem("KeyMarker", &url_encode(self.key_marker, url));
        w.elem("VersionIdMarker", self.version_id_marker);
        w.elem("MaxKeys", &self.max_keys.to_string());
        w.elem("Delimiter", &url_encode(self.delimiter, url));
        if url {
            w.elem("EncodingType", "url");
        }
        w.elem("IsTruncated", bool_text(self.is_truncated));
        if self.is_truncated {
            w.elem("NextKeyMarker", &url_encode(self.next_key_marker, url));
            w.elem("NextVersionIdMarker", self.next_version_id_marker);
        }
        for v in &self.versions {
            let tag = if v.delete_marker { "DeleteMarker" } else { "Version" };
            w.open(tag);
            w.elem("Key", &url_encode(v.object.key, url));
            w.elem("VersionId", v.version_id);
            w.elem("IsLatest", bool_text(v.is_latest));
            if v.delete_marker {
                w.elem("LastModified", &v.object.last_modified);
                if let Some(id) = v.object.owner {
                    super::parts::owner(&mut w, id);
                }
            } else {
                v.object.write_details(&mut w);
            }
            w.close(tag);
        }
        common_prefixes(&mut w, self.common_prefixes, url);
        w.close("ListVersionsResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_versions_xml() {
        let empty = ListVersionsResult {
            name: "b",
            prefix: "none",
            key_marker: "",
            version_id_marker: "",
            max_keys: 100,
            delimiter: "",
            url: false,
            is_truncated: false,
            next_key_marker: "",
            next_version_id_marker: "",
            versions: vec![],
            common_prefixes: &[],
        };
        assert_eq!(
            empty.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult><Name>b</Name>\
             <Prefix>none</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>\
             <MaxKeys>100</MaxKeys><Delimiter></Delimiter><IsTruncated>false</IsTruncated>\
             </ListVersionsResult>"
        );
        let prefixes = vec!["d r/".to_owned()];
        let mut doc = ListVersionsResult {
            prefix: "",
            key_marker: "a&",
            version_id_marker: "null",
            max_keys: 2,
            delimiter: "/",
            is_truncated: true,
            next_key_marker: "a&b<c>.txt",
            next_version_id_marker: "null",
            versions: vec![VersionEntry {
                object: ObjectEntry {
                    key: "a&b<c>.txt",
                    last_modified: "2026-12-02T16:15:21.000Z".into(),
                    etag: "\"5D41\"",
                    object_type: "Appendable",
                    size: 3,
                    storage_class: "Standard",
                    owner: Some("ak"),
                },
                version_id: "null",
                is_latest: true,
                delete_marker: false,
            }],
            common_prefixes: &prefixes,
            ..empty
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult><Name>b</Name>\
             <Prefix></Prefix><KeyMarker>a&amp;</KeyMarker><VersionIdMarker>null</VersionIdMarker>\
             <MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
             <NextKeyMarker>a&amp;b&lt;c&gt;.txt</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>\
             <Version><Key>a&amp;b&lt;c&gt;.txt</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>\
             <LastModified>2026-12-02T16:15:21.000Z</LastModified><ETag>\"5D41\"</ETag>\
             <Type>Appendable</Type><Size>3</Size><StorageClass>Standard</StorageClass>\
             <Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner></Version>\
             <CommonPrefixes><Prefix>d r/</Prefix></CommonPrefixes></ListVersionsResult>"
        );
        doc.url = true;
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult><Name>b</Name>\
             <Prefix></Prefix><KeyMarker>a%26</KeyMarker><VersionIdMarker>null</VersionIdMarker>\
             <MaxKeys>2</MaxKeys><Delimiter>%2F</Delimiter><EncodingType>url</EncodingType>\
             <IsTruncated>true</IsTruncated><NextKeyMarker>a%26b%3Cc%3E.txt</NextKeyMarker>\
             <NextVersionIdMarker>null</NextVersionIdMarker><Version><Key>a%26b%3Cc%3E.txt</Key>\
             <VersionId>null</VersionId><IsLatest>true</IsLatest>\
             <LastModified>2026-12-02T16:15:21.000Z</LastModified><ETag>\"5D41\"</ETag>\
             <Type>Appendable</Type><Size>3</Size><StorageClass>Standard</StorageClass>\
             <Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner></Version>\
             <CommonPrefixes><Prefix>d%20r%2F</Prefix></CommonPrefixes></ListVersionsResult>"
        );
        // A delete marker: no ETag, Type, Size or StorageClass.
        doc.url = false;
        doc.versions[0].delete_marker = true;
        doc.common_prefixes = &[];
        assert!(doc.to_xml().contains(
            "<DeleteMarker><Key>a&amp;b&lt;c&gt;.txt</Key><VersionId>null</VersionId>\
             <IsLatest>true</IsLatest><LastModified>2026-12-02T16:15:21.000Z</LastModified>\
             <Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner></DeleteMarker>"
        ));
    }
}
