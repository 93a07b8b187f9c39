//! CompleteMultipartUpload: the `<CompleteMultipartUpload>` request body and the
//! `<CompleteMultipartUploadResult>` answer.

use super::encoding::url_encode;
use super::{malformed, root};
use crate::error::{ApiError, ErrorCode};
use crate::xml::XmlWriter;

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletePart {
    /// `<PartNumber>`.
    pub number: u32,
    /// `<ETag>`, trimmed, quotes kept as sent.
    pub etag: String,
}

/// A CompleteMultipartUpload body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompleteMultipartUpload {
    /// The parts, in document order.
    pub parts: Vec<CompletePart>,
}

impl CompleteMultipartUpload {
    /// Parses a CompleteMultipartUpload body. Every part needs a `PartNumber` (an unsigned
    /// integer) and an `ETag`, else `MalformedXML`; numbers must increase, else
    /// `InvalidPartOrder`. The list may be empty (the handler refuses that).
    pub fn parse(raw: &[u8]) -> Result<CompleteMultipartUpload, ApiError> {
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
        Ok(CompleteMultipartUpload { parts })
    }
}

/// The `<CompleteMultipartUploadResult>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompleteMultipartUploadResult<'a> {
    /// `encoding-type=url`: `<EncodingType>url</EncodingType>` first and the key encoded.
    pub url: bool,
    /// The object's URL, as the handler builds it (never encoded again).
    pub location: &'a str,
    /// The bucket.
    pub bucket: &'a str,
    /// The key, raw.
    pub key: &'a str,
    /// The new object's ETag, quoted.
    pub etag: &'a str,
}

impl CompleteMultipartUploadResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("CompleteMultipartUploadResult");
        if self.url {
            w.elem("EncodingType", "url");
        }
        w.elem("Location", self.location);
        w.elem("Bucket", self.bucket);
        w.elem("Key", &url_encode(self.key, self.url));
        w.elem("ETag", self.etag);
        w.close("CompleteMultipartUploadResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::error_code as code;

    fn parts(raw: &[u8]) -> Result<Vec<CompletePart>, ApiError> {
        CompleteMultipartUpload::parse(raw).map(|c| c.parts)
    }

    #[test]
    fn complete_bodies() {
        let body = b"<CompleteMultipartUpload><Part><PartNumber> 1 </PartNumber><ETag> \"A\" </ETag></Part>\
                     <Part><PartNumber>3</PartNumber><ETag>B&amp;</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(
            parts(body).expect("parses"),
            vec![
                CompletePart { number: 1, etag: "\"A\"".into() },
                CompletePart { number: 3, etag: "B&".into() }
            ]
        );
        let order = b"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>A</ETag></Part>\
                      <Part><PartNumber>2</PartNumber><ETag>B</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(code(parts(order)), ErrorCode::InvalidPartOrder);
        let zero = b"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>A</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(code(parts(zero)), ErrorCode::InvalidPartOrder);
        let nan = b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>A</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(code(parts(nan)), ErrorCode::MalformedXML);
        let no_etag = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>";
        assert_eq!(code(parts(no_etag)), ErrorCode::MalformedXML);
        assert_eq!(parts(b"<CompleteMultipartUpload/>").expect("parses"), vec![]);
        assert_eq!(code(parts(b"<Complete/>")), ErrorCode::MalformedXML);
    }

    #[test]
    fn complete_result_xml() {
        let mut doc = CompleteMultipartUploadResult {
            url: false,
            location: "http://h:1/b/mp/a%26b%20c.bin",
            bucket: "b",
            key: "mp/a&b c.bin",
            etag: "\"0123-2\"",
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult>\
             <Location>http://h:1/b/mp/a%26b%20c.bin</Location><Bucket>b</Bucket>\
             <Key>mp/a&amp;b c.bin</Key><ETag>\"0123-2\"</ETag></CompleteMultipartUploadResult>"
        );
        doc.url = true;
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult>\
             <EncodingType>url</EncodingType><Location>http://h:1/b/mp/a%26b%20c.bin</Location>\
             <Bucket>b</Bucket><Key>mp%2Fa%26b%20c.bin</Key><ETag>\"0123-2\"</ETag>\
             </CompleteMultipartUploadResult>"
        );
    }
}
