//! The small XML request bodies besides CORS: DeleteMultipleObjects (`<Delete>`),
//! CompleteMultipartUpload (`<CompleteMultipartUpload>`) and PutBucket
//! (`<CreateBucketConfiguration>`). Each reads the document with [`crate::xml::parse`] and checks
//! only its shape; what needs the store (do the parts exist?) stays with the handler.

use crate::error::{ApiError, ErrorCode};
use crate::request::check_key;
use crate::xml::{self, Element};

/// The most keys one DeleteMultipleObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

/// What a `<Delete>` body asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteRequest {
    /// `<Quiet>true</Quiet>`: answer without the list of deleted keys.
    pub quiet: bool,
    /// The keys, as written, checked, in document order.
    pub keys: Vec<String>,
}

fn malformed() -> ApiError {
    ApiError::new(ErrorCode::MalformedXML)
}

fn root(raw: &[u8], name: &str) -> Result<Element, ApiError> {
    let doc = xml::parse(raw).map_err(|_| malformed())?;
    if doc.name != name {
        return Err(malformed());
    }
    Ok(doc)
}

/// Parses a DeleteMultipleObjects body. The keys are raw, whatever the request's `encoding-type`
/// (which applies to the answer only): `pct%41.txt` names `pct%41.txt`. A key is taken as written
/// (not trimmed); each must pass
/// [`check_key`]; there must be 1..=[`MAX_DELETE_KEYS`] of them.
pub fn parse_delete(raw: &[u8]) -> Result<DeleteRequest, ApiError> {
    let doc = root(raw, "Delete")?;
    let quiet = match doc.child_text("Quiet") {
        None => false,
        Some(q) if q.eq_ignore_ascii_case("true") => true,
        Some(q) if q.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(malformed()),
    };
    let mut keys = Vec::new();
    for o in doc.children_named("Object") {
        let k = o.child("Key").map(|k| k.text.clone()).ok_or_else(malformed)?;
        check_key(&k)?;
        keys.push(k);
    }
    if keys.is_empty() || keys.len() > MAX_DELETE_KEYS {
        return Err(ApiError::msg(
            ErrorCode::MalformedXML,
            "A Delete request must name between 1 and 1000 objects.",
        ));
    }
    Ok(DeleteRequest { quiet, keys })
}

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletePart {
    /// `<PartNumber>`.
    pub number: u32,
    /// `<ETag>`, trimmed, quotes kept as sent.
    pub etag: String,
}

/// Parses a CompleteMultipartUpload body into its parts, in document order. Every part needs a
/// `PartNumber` (an unsigned integer) and an `ETag`, else `MalformedXML`; numbers must increase,
/// else `InvalidPartOrder`. The list may be empty (the handler refuses that).
pub fn parse_complete(raw: &[u8]) -> Result<Vec<CompletePart>, ApiError> {
    let doc = root(raw, "CompleteMultipartUpload")?;
    let mut parts: Vec<CompletePart> = Vec::new();
    for p in doc.children_named("Part") {
        let number: u32 =
            p.child_text("PartNumber").and_then(|t| t.parse().ok()).ok_or_else(malformed)?;
        let etag = p.child_text("ETag").ok_or_else(malformed)?;
        if parts.last().is_some_and(|last| number <= last.number) || number == 0 {
            return Err(ApiError::new(ErrorCode::InvalidPartOrder));
        }
        parts.push(CompletePart { number, etag: etag.to_owned() });
    }
    Ok(parts)
}

/// Parses a PutBucket body: empty (only whitespace) or a `<CreateBucketConfiguration>`; returns
/// its `StorageClass` text, trimmed, if it has one. The handler checks the value.
pub fn parse_create_bucket(raw: &[u8]) -> Result<Option<String>, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let doc = root(raw, "CreateBucketConfiguration")?;
    Ok(doc.child_text("StorageClass").map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> ErrorCode {
        r.expect_err("an error").code
    }

    #[test]
    fn delete_bodies() {
        let d = parse_delete(
            b"<Delete><Quiet> TRUE </Quiet><Object><Key> a </Key></Object><Object><Key>b%2F%20c</Key></Object></Delete>",
        )
        .expect("parses");
        assert_eq!(d, DeleteRequest { quiet: true, keys: vec![" a ".into(), "b%2F%20c".into()] });
        let plain = parse_delete(b"<Delete><Object><Key>b%2F</Key></Object></Delete>");
        assert_eq!(plain.expect("parses").keys, vec!["b%2F".to_owned()]);
        assert_eq!(code(parse_delete(b"<Delete></Delete>")), ErrorCode::MalformedXML);
        assert_eq!(code(parse_delete(b"<Del/>")), ErrorCode::MalformedXML);
        let bad_quiet = b"<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>";
        assert_eq!(code(parse_delete(bad_quiet)), ErrorCode::MalformedXML);
        let no_key = b"<Delete><Object><Name>a</Name></Object></Delete>";
        assert_eq!(code(parse_delete(no_key)), ErrorCode::MalformedXML);
        let empty_key = b"<Delete><Object><Key></Key></Object></Delete>";
        assert_eq!(code(parse_delete(empty_key)), ErrorCode::InvalidObjectName);
        let many = format!("<Delete>{}</Delete>", "<Object><Key>k</Key></Object>".repeat(1001));
        assert_eq!(code(parse_delete(many.as_bytes())), ErrorCode::MalformedXML);
    }

    #[test]
    fn complete_bodies() {
        let body = b"<CompleteMultipartUpload><Part><PartNumber> 1 </PartNumber><ETag> \"A\" </ETag></Part>\
                     <Part><PartNumber>3</PartNumber><ETag>B</ETag></Part></CompleteMultipartUpload>";
        let parts = parse_complete(body).expect("parses");
        assert_eq!(
            parts,
            vec![
                CompletePart { number: 1, etag: "\"A\"".into() },
                CompletePart { number: 3, etag: "B".into() }
            ]
        );
        let order = b"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>A</ETag></Part>\
                      <Part><PartNumber>2</PartNumber><ETag>B</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(code(parse_complete(order)), ErrorCode::InvalidPartOrder);
        let zero = b"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>A</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(code(parse_complete(zero)), ErrorCode::InvalidPartOrder);
        let nan = b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>A</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(code(parse_complete(nan)), ErrorCode::MalformedXML);
        assert_eq!(parse_complete(b"<CompleteMultipartUpload/>").expect("parses"), vec![]);
        assert_eq!(code(parse_complete(b"<Complete/>")), ErrorCode::MalformedXML);
    }

    #[test]
    fn create_bucket_bodies() {
        assert_eq!(parse_create_bucket(b" \r\n\t").expect("blank"), None);
        let body = b"<CreateBucketConfiguration><StorageClass> IA </StorageClass></CreateBucketConfiguration>";
        assert_eq!(parse_create_bucket(body).expect("parses").as_deref(), Some("IA"));
        let none = b"<CreateBucketConfiguration></CreateBucketConfiguration>";
        assert_eq!(parse_create_bucket(none).expect("parses"), None);
        assert_eq!(code(parse_create_bucket(b"<Other/>")), ErrorCode::MalformedXML);
        assert_eq!(
            code(parse_create_bucket(b"<CreateBucketConfiguration>")),
            ErrorCode::MalformedXML
        );
    }
}
