//! DeleteMultipleObjects: the `<Delete>` request body and the `<DeleteResult>` answer.

use super::encoding::url_encode;
use super::{malformed, root};
use crate::error::{ApiError, ErrorCode};
use crate::request::check_key;
use crate::xml::XmlWriter;

/// The most keys one DeleteMultipleObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

/// What a `<Delete>` body asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteRequest {
    /// `<Quiet>true</Quiet>`: answer without the list of deleted keys.
    pub quiet: bool,
    /// The keys, as written, checked, in document order.
    pub keys: Vec<String>,
    /// `<VersionId>` of each object, in the order of `keys` (`None` when absent or empty).
    pub version_ids: Vec<Option<String>>,
}

impl DeleteRequest {
    /// Parses a DeleteMultipleObjects body. The keys are raw, whatever the request's
    /// `encoding-type` (which applies to the answer only): `pct%41.txt` names `pct%41.txt`. A key
    /// is taken as written (not trimmed); each must pass [`check_key`]; there must be
    /// 1..=[`MAX_DELETE_KEYS`] of them. `Quiet` is `true` or `false` in any case.
    pub fn parse(raw: &[u8]) -> Result<DeleteRequest, ApiError> {
        let doc = root(raw, "Delete")?;
        let quiet = match doc.child_text("Quiet") {
            None => false,
            Some(q) if q.eq_ignore_ascii_case("true") => true,
            Some(q) if q.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(malformed()),
        };
        let mut keys = Vec::new();
        let mut version_ids = Vec::new();
        for o in doc.children_named("Object") {
            let k = o.child("Key").map(|k| k.text.clone()).ok_or_else(malformed)?;
            check_key(&k)?;
            keys.push(k);
            version_ids
                .push(o.child_text("VersionId").filter(|v| !v.is_empty()).map(str::to_owned));
        }
        if keys.is_empty() || keys.len() > MAX_DELETE_KEYS {
            return Err(ApiError::msg(
                ErrorCode::MalformedXML,
                "A Delete request must name between 1 and 1000 objects.",
            ));
        }
        Ok(DeleteRequest { quiet, keys, version_ids })
    }
}

/// The `<DeleteResult>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteResult<'a> {
    /// `encoding-type=url`: `<EncodingType>url</EncodingType>` first and the keys encoded.
    pub url: bool,
    /// The `<Deleted>` entries, keys raw; empty for a quiet request.
    pub deleted: &'a [Deleted],
}

/// One `<Deleted>` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    /// `<Key>`.
    pub key: String,
    /// `<VersionId>`: the version the request named.
    pub version_id: Option<String>,
    /// `<DeleteMarker>true</DeleteMarker>`: a marker was added or removed.
    pub delete_marker: bool,
    /// `<DeleteMarkerVersionId>`: the id of that marker.
    pub delete_marker_version_id: Option<String>,
}

impl From<String> for Deleted {
    fn from(key: String) -> Deleted {
        Deleted { key, ..Deleted::default() }
    }
}

impl DeleteResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("DeleteResult");
        if self.url {
            w.elem("EncodingType", "url");
        }
        for d in self.deleted {
            w.open("Deleted");
            w.elem("Key", &url_encode(&d.key, self.url));
            if let Some(v) = &d.version_id {
                w.elem("VersionId", v);
            }
            if d.delete_marker {
                w.elem("DeleteMarker", "true");
            }
            if let Some(v) = &d.delete_marker_version_id {
                w.elem("DeleteMarkerVersionId", v);
            }
            w.close("Deleted");
        }
        w.close("DeleteResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::error_code as code;

    #[test]
    fn delete_bodies() {
        let d = DeleteRequest::parse(
            b"<Delete><Quiet> TRUE </Quiet><Object><Key> a </Key></Object><Object><Key>b%2F%20c</Key></Object></Delete>",
        )
        .expect("parses");
        assert_eq!(
            d,
            DeleteRequest {
                quiet: true,
                keys: vec![" a ".into(), "b%2F%20c".into()],
                version_ids: vec![None, None]
            }
        );
        let versioned = DeleteRequest::parse(
            b"<Delete><Object><Key>a</Key><VersionId>null</VersionId></Object><Object><Key>b</Key><VersionId></VersionId></Object></Delete>",
        )
        .expect("parses");
        assert_eq!(versioned.version_ids, vec![Some("null".to_owned()), None]);
        let plain = DeleteRequest::parse(b"<Delete><Object><Key>b%2F</Key></Object></Delete>");
        assert_eq!(plain.expect("parses").keys, vec!["b%2F".to_owned()]);
        let escaped =
            b"<Delete><Quiet>false</Quiet><Object><Key>a&amp;b&lt;&#xD;</Key></Object></Delete>";
        let escaped = DeleteRequest::parse(escaped).expect("parses");
        assert_eq!(
            escaped,
            DeleteRequest { quiet: false, keys: vec!["a&b<\r".into()], version_ids: vec![None] }
        );
        assert_eq!(code(DeleteRequest::parse(b"<Delete></Delete>")), ErrorCode::MalformedXML);
        assert_eq!(code(DeleteRequest::parse(b"<Del/>")), ErrorCode::MalformedXML);
        let bad_quiet = b"<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>";
        assert_eq!(code(DeleteRequest::parse(bad_quiet)), ErrorCode::MalformedXML);
        let no_key = b"<Delete><Object><Name>a</Name></Object></Delete>";
        assert_eq!(code(DeleteRequest::parse(no_key)), ErrorCode::MalformedXML);
        let empty_key = b"<Delete><Object><Key></Key></Object></Delete>";
        assert_eq!(code(DeleteRequest::parse(empty_key)), ErrorCode::InvalidObjectName);
        let many = format!("<Delete>{}</Delete>", "<Object><Key>k</Key></Object>".repeat(1001));
        assert_eq!(code(DeleteRequest::parse(many.as_bytes())), ErrorCode::MalformedXML);
    }

    #[test]
    fn delete_result_xml() {
        let keys: Vec<Deleted> =
            vec!["a&b<c>.txt".to_owned().into(), "dir/x y\r".to_owned().into()];
        let plain = DeleteResult { url: false, deleted: &keys };
        assert_eq!(
            plain.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult>\
             <Deleted><Key>a&amp;b&lt;c&gt;.txt</Key></Deleted>\
             <Deleted><Key>dir/x y&#xD;</Key></Deleted></DeleteResult>"
        );
        let url = DeleteResult { url: true, deleted: &keys };
        assert_eq!(
            url.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult><EncodingType>url</EncodingType>\
             <Deleted><Key>a%26b%3Cc%3E.txt</Key></Deleted>\
             <Deleted><Key>dir%2Fx%20y%0D</Key></Deleted></DeleteResult>"
        );
        let quiet = DeleteResult { url: false, deleted: &[] };
        assert_eq!(
            quiet.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult></DeleteResult>"
        );
        let quiet_url = DeleteResult { url: true, deleted: &[] };
        assert_eq!(
            quiet_url.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult><EncodingType>url</EncodingType></DeleteResult>"
        );
        let versioned = [Deleted {
            key: "k".into(),
            version_id: None,
            delete_marker: true,
            delete_marker_version_id: Some("m".into()),
        }];
        assert_eq!(
            DeleteResult { url: false, deleted: &versioned }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult><Deleted><Key>k</Key>\
             <DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>m</DeleteMarkerVersionId>\
             </Deleted></DeleteResult>"
        );
    }
}
