//! The Block Public Access document of Put/Get/DeleteBucketPublicAccessBlock
//! (`<PublicAccessBlockConfiguration>`), as the OSS API reference defines it:
//! <https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketpublicaccessblock>.

use crate::error::{ApiError, ErrorCode};
use crate::xml::{self, XmlWriter};

/// The largest PutBucketPublicAccessBlock body accepted (the document holds one boolean).
pub const MAX_PUBLIC_ACCESS_BLOCK_BODY: usize = 4 * 1024;

/// Parses a PutBucketPublicAccessBlock body: `BlockPublicAccess` (`true`/`false`, either case),
/// `false` when absent, as the reference documents its default.
pub fn parse(raw: &[u8]) -> Result<bool, ApiError> {
    let doc = xml::parse(raw).map_err(|_| ApiError::new(ErrorCode::MalformedXML))?;
    if doc.name != "PublicAccessBlockConfiguration" {
        return Err(ApiError::new(ErrorCode::MalformedXML));
    }
    match doc.child_text("BlockPublicAccess") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ApiError::invalid_argument(
            "BlockPublicAccess must be true or false.",
            "BlockPublicAccess",
            v,
        )),
    }
}

/// The GetBucketPublicAccessBlock document.
pub fn render(block: bool) -> String {
    let mut w = XmlWriter::new();
    w.open("PublicAccessBlockConfiguration");
    w.elem("BlockPublicAccess", if block { "true" } else { "false" });
    w.close("PublicAccessBlockConfiguration");
    w.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        for b in [true, false] {
            assert_eq!(parse(render(b).as_bytes()).unwrap(), b);
        }
        assert_eq!(
            render(true),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration>\
             <BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>"
        );
        assert!(!parse(b"<PublicAccessBlockConfiguration/>").unwrap());
        assert!(parse(b"<PublicAccessBlockConfiguration><BlockPublicAccess> TRUE </BlockPublicAccess></PublicAccessBlockConfiguration>").unwrap());
        assert_eq!(parse(b"<Other/>").unwrap_err().code, ErrorCode::MalformedXML);
        assert_eq!(
            parse(b"<PublicAccessBlockConfiguration>").unwrap_err().code,
            ErrorCode::MalformedXML
        );
        assert_eq!(
            parse(b"<PublicAccessBlockConfiguration><BlockPublicAccess>1</BlockPublicAccess></PublicAccessBlockConfiguration>")
                .unwrap_err()
                .code,
            ErrorCode::InvalidArgument
        );
    }
}
