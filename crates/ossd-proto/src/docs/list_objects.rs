//! ListObjects (V1) and ListObjectsV2: the `<ListBucketResult>` answer.

use super::encoding::url_encode;
use super::parts::{bool_text, common_prefixes, owner};
use crate::xml::XmlWriter;

/// One object of a listing (`<Contents>` here, `<Version>` in ListObjectVersions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectEntry<'a> {
    /// The key, raw.
    pub key: &'a str,
    /// ISO 8601.
    pub last_modified: String,
    /// The ETag, quoted.
    pub etag: &'a str,
    /// `Normal`, `Multipart` or `Appendable`.
    pub object_type: &'a str,
    /// The size in bytes.
    pub size: u64,
    /// The storage class.
    pub storage_class: &'a str,
    /// The owner's id, when the listing shows owners.
    pub owner: Option<&'a str>,
}

impl ObjectEntry<'_> {
    /// Writes the elements after the key and its version: `LastModified` to `Owner`.
    pub(crate) fn write_details(&self, w: &mut XmlWriter) {
        w.elem("LastModified", &self.last_modified);
        w.elem("ETag", self.etag);
        w.elem("Type", self.object_type);
        w.elem("Size", &self.size.to_string());
        w.elem("StorageClass", self.storage_class);
        if let Some(id) = self.owner {
            owner(w, id);
        }
    }
}

/// What differs between the two versions of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paging<'a> {
    /// ListObjects: `marker`, and `<NextMarker>` (encoded when the listing is).
    V1 {
        /// `marker` as given (written always).
        marker: &'a str,
        /// The last key or prefix of the page, written when the listing is truncated.
        next_marker: Option<&'a str>,
    },
    /// ListObjectsV2: `start-after`, the continuation tokens, and `<KeyCount>`.
    V2 {
        /// `start-after`, written when the request named it.
        start_after: Option<&'a str>,
        /// The request's continuation token, written when it had one.
        continuation_token: Option<&'a str>,
        /// The token of the next page (never encoded), written when the listing is truncated.
        next_continuation_token: Option<String>,
    },
}

/// The `<ListBucketResult>` answer. The prefix, the delimiter, the markers, `start-after` and
/// the keys are written encoded when `url` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListBucketResult<'a> {
    /// The bucket.
    pub name: &'a str,
    /// `prefix` as given.
    pub prefix: &'a str,
    /// V1 or V2 fields.
    pub paging: Paging<'a>,
    /// `max-keys` as understood.
    pub max_keys: usize,
    /// `delimiter` as given.
    pub delimiter: &'a str,
    /// `encoding-type=url`.
    pub url: bool,
    /// Whether more entries follow.
    pub is_truncated: bool,
    /// The objects of this page.
    pub contents: Vec<ObjectEntry<'a>>,
    /// The rolled-up prefixes of this page, raw.
    pub common_prefixes: &'a [String],
}

impl ListBucketResult<'_> {
    /// The document. V2's `<KeyCount>` counts the objects and the prefixes of the page.
    pub fn to_xml(&self) -> String {
        let url = self.url;
        let mut w = XmlWriter::new();
        w.open("ListBucketResult");
        w.elem("Name", self.name);
        w.elem("Prefix", &url_encode(self.prefix, url));
        match &self.paging {
            Paging::V1 { marker, .. } => w.elem("Marker", &url_encode(marker, url)),
            Paging::V2 { start_after, continuation_token, .. } => {
                if let Some(sa) = start_after {
                    w.elem("StartAfter", &url_encode(sa, url));
                }
                w.opt("ContinuationToken", *continuation_token);
            }
        }
        w.elem("MaxKeys", &self.max_keys.to_string());
        w.elem("Delimiter", &url_encode(self.delimiter, url));
        if url {
            w.elem("EncodingType", "url");
        }
        w.elem("IsTruncated", bool_text(self.is_truncated));
        match &self.paging {
            Paging::V1 { next_marker, .. } => {
                if self.is_truncated
                    && let Some(next) = next_marker
                {
                    w.elem("NextMarker", &url_encode(next, url));
                }
            }
            Paging::V2 { next_continuation_token, .. } => {
                if self.is_truncated {
                    w.opt("NextContinuationToken", next_continuation_token.as_deref());
                }
                let count = self.contents.len() + self.common_prefixes.len();
                w.elem("KeyCount", &count.to_string());
            }
        }
        for o in &self.contents {
            w.open("Contents");
            w.elem("Key", &url_encode(o.key, url));
            o.write_details(&mut w);
            w.close("Contents");
        }
        common_prefixes(&mut w, self.common_prefixes, url);
        w.close("ListBucketResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    fn entry<'a>(key: &'a str, owner: Option<&'a str>) -> ObjectEntry<'a> {
        ObjectEntry {
            key,
            last_modified: "2026-12-02T16:15:21.000Z".into(),
            etag: "\"5D41\"",
            object_type: "Normal",
            size: 16,
            storage_class: "IA",
            owner,
        }
    }

    fn empty(paging: Paging<'static>) -> ListBucketResult<'static> {
        ListBucketResult {
            name: "b",
            prefix: "",
            paging,
            max_keys: 100,
            delimiter: "",
            url: false,
            is_truncated: false,
            contents: vec![],
            common_prefixes: &[],
        }
    }

    #[test]
    fn list_v1_xml() {
        let v1 = Paging::V1 { marker: "", next_marker: None };
        assert_eq!(
            empty(v1).to_xml(),
            format!(
                "{DECL}<ListBucketResult><Name>b</Name><Prefix></Prefix><Marker></Marker>\
                 <MaxKeys>100</MaxKeys><Delimiter></Delimiter><IsTruncated>false</IsTruncated>\
                 </ListBucketResult>"
            )
        );
        let prefixes = vec!["dir/s b/".to_owned()];
        let mut doc = ListBucketResult {
            prefix: "d&",
            paging: Paging::V1 { marker: "a<", next_marker: Some("dir/s b/") },
            max_keys: 2,
            delimiter: "/",
            is_truncated: true,
            contents: vec![entry("a&b<c>\r.txt", Some("ak"))],
            common_prefixes: &prefixes,
            ..empty(Paging::V1 { marker: "", next_marker: None })
        };
        assert_eq!(
            doc.to_xml(),
            format!(
                "{DECL}<ListBucketResult><Name>b</Name><Prefix>d&amp;</Prefix><Marker>a&lt;</Marker>\
                 <MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
                 <NextMarker>dir/s b/</NextMarker><Contents><Key>a&amp;b&lt;c&gt;&#xD;.txt</Key>\
                 <LastModified>2026-12-02T16:15:21.000Z</LastModified><ETag>\"5D41\"</ETag>\
                 <Type>Normal</Type><Size>16</Size><StorageClass>IA</StorageClass>\
                 <Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner></Contents>\
                 <CommonPrefixes><Prefix>dir/s b/</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
        doc.url = true;
        assert_eq!(
            doc.to_xml(),
            format!(
                "{DECL}<ListBucketResult><Name>b</Name><Prefix>d%26</Prefix><Marker>a%3C</Marker>\
                 <MaxKeys>2</MaxKeys><Delimiter>%2F</Delimiter><EncodingType>url</EncodingType>\
                 <IsTruncated>true</IsTruncated><NextMarker>dir%2Fs%20b%2F</NextMarker><Contents>\
                 <Key>a%26b%3Cc%3E%0D.txt</Key><LastModified>2026-12-02T16:15:21.000Z</LastModified>\
                 <ETag>\"5D41\"</ETag><Type>Normal</Type><Size>16</Size><StorageClass>IA</StorageClass>\
                 <Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner></Contents>\
                 <CommonPrefixes><Prefix>dir%2Fs%20b%2F</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
        // Not truncated: no NextMarker, even when one is known.
        doc.url = false;
        doc.is_truncated = false;
        doc.contents.clear();
        doc.common_prefixes = &[];
        assert_eq!(
            doc.to_xml(),
            format!(
                "{DECL}<ListBucketResult><Name>b</Name><Prefix>d&amp;</Prefix><Marker>a&lt;</Marker>\
                 <MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>\
                 </ListBucketResult>"
            )
        );
    }

    #[test]
    fn list_v2_xml() {
        let v2 = Paging::V2 {
            start_after: None,
            continuation_token: None,
            next_continuation_token: None,
        };
        assert_eq!(
            empty(v2).to_xml(),
            format!(
                "{DECL}<ListBucketResult><Name>b</Name><Prefix></Prefix><MaxKeys>100</MaxKeys>\
                 <Delimiter></Delimiter><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>\
                 </ListBucketResult>"
            )
        );
        let prefixes = vec!["dir/".to_owned()];
        let mut doc = ListBucketResult {
            paging: Paging::V2 {
                start_after: Some("a b"),
                continuation_token: Some("ZGly"),
                next_continuation_token: Some("cSJ1b3RlJw".into()),
            },
            max_keys: 2,
            delimiter: "/",
            is_truncated: true,
            contents: vec![entry("q\"uote'", None)],
            common_prefixes: &prefixes,
            ..empty(Paging::V1 { marker: "", next_marker: None })
        };
        assert_eq!(
            doc.to_xml(),
            format!(
                "{DECL}<ListBucketResult><Name>b</Name><Prefix></Prefix><StartAfter>a b</StartAfter>\
                 <ContinuationToken>ZGly</ContinuationToken><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>\
                 <IsTruncated>true</IsTruncated><NextContinuationToken>cSJ1b3RlJw</NextContinuationToken>\
                 <KeyCount>2</KeyCount><Contents><Key>q\"uote'</Key>\
                 <LastModified>2026-12-02T16:15:21.000Z</LastModified><ETag>\"5D41\"</ETag>\
                 <Type>Normal</Type><Size>16</Size><StorageClass>IA</StorageClass></Contents>\
                 <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
        doc.url = true;
        doc.contents[0].owner = Some("o&");
        assert_eq!(
            doc.to_xml(),
            format!(
                "{DECL}<ListBucketResult><Name>b</Name><Prefix></Prefix><StartAfter>a%20b</StartAfter>\
                 <ContinuationToken>ZGly</ContinuationToken><MaxKeys>2</MaxKeys><Delimiter>%2F</Delimiter>\
                 <EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
                 <NextContinuationToken>cSJ1b3RlJw</NextContinuationToken><KeyCount>2</KeyCount>\
                 <Contents><Key>q%22uote%27</Key><LastModified>2026-12-02T16:15:21.000Z</LastModified>\
                 <ETag>\"5D41\"</ETag><Type>Normal</Type><Size>16</Size><StorageClass>IA</StorageClass>\
                 <Owner><ID>o&amp;</ID><DisplayName>o&amp;</DisplayName></Owner></Contents>\
                 <CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
    }
}
