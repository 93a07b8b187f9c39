//! The bucket default encryption document of Put/GetBucketEncryption
//! (`<ServerSideEncryptionRule>`), as the OSS API reference defines it
//! (<https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketencryption>).
//! ossd encrypts with `AES256` only: it has no KMS, so `KMS` is refused with OSS's answer for an
//! account without KMS (403 `KmsServiceNotEnabled`), and `SM4` and anything else with 400
//! `InvalidEncryptionAlgorithmError`.

use crate::error::{ApiError, ErrorCode};
use crate::xml::{self, XmlWriter};

/// The largest PutBucketEncryption body accepted.
pub const MAX_ENCRYPTION_BODY: usize = 16 * 1024;

/// The algorithm this server implements, as OSS spells it.
pub const AES256: &str = "AES256";

/// The refusal of an algorithm other than `AES256` (`x-oss-server-side-encryption`, or
/// `<SSEAlgorithm>`): `KMS` → 403 `KmsServiceNotEnabled`, any other → 400
/// `InvalidEncryptionAlgorithmError`; `None` for `AES256`.
pub fn refuse_algorithm(value: &str, argument: &str) -> Option<ApiError> {
    match value {
        AES256 => None,
        "KMS" => Some(
            ApiError::new(ErrorCode::KmsServiceNotEnabled)
                .field("ArgumentName", argument)
                .field("ArgumentValue", value),
        ),
        _ => Some(
            ApiError::msg(
                ErrorCode::InvalidEncryptionAlgorithmError,
                "The Encryption request you specified is not valid. Supported value: AES256",
            )
            .with_ec(Some("0005-00000003"))
            .field("ArgumentName", argument)
            .field("ArgumentValue", value),
        ),
    }
}

/// Parses a PutBucketEncryption body; the algorithm it sets (only `AES256` is accepted).
/// `KMSMasterKeyID` with a non-KMS algorithm is 400 `InvalidArgument` (EC 0005-00000204), as in
/// OSS; `KMSDataEncryption` with `AES256` is accepted and dropped, as in OSS.
pub fn parse(raw: &[u8]) -> Result<&'static str, ApiError> {
    let doc = xml::parse(raw).map_err(|_| ApiError::new(ErrorCode::MalformedXML))?;
    let rule = (doc.name == "ServerSideEncryptionRule")
        .then(|| doc.child("ApplyServerSideEncryptionByDefault"))
        .flatten()
        .ok_or_else(|| ApiError::new(ErrorCode::MalformedXML))?;
    let algorithm =
        rule.child_text("SSEAlgorithm").ok_or_else(|| ApiError::new(ErrorCode::MalformedXML))?;
    if let Some(e) = refuse_algorithm(algorithm, "SSEAlgorithm") {
        return Err(e);
    }
    if rule.child_text("KMSMasterKeyID").is_some_and(|k| !k.is_empty()) {
        return Err(ApiError::msg(
            ErrorCode::InvalidArgument,
            "KMSMasterKeyID is not applicable if the default sse algorithm is not KMS",
        )
        .with_ec(Some("0005-00000204")));
    }
    Ok(AES256)
}

/// The GetBucketEncryption document of a bucket whose default is `algorithm`.
pub fn render(algorithm: &str) -> String {
    let mut w = XmlWriter::new();
    w.open("ServerSideEncryptionRule");
    w.open("ApplyServerSideEncryptionByDefault");
    w.elem("SSEAlgorithm", algorithm);
    w.close("ApplyServerSideEncryptionByDefault");
    w.close("ServerSideEncryptionRule");
    w.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;

    fn doc(inner: &str) -> String {
        format!(
            "<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>{inner}\
             </ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>"
        )
    }

    #[test]
    fn parse_render_and_refusals() {
        assert_eq!(parse(render("AES256").as_bytes()).unwrap(), "AES256");
        assert_eq!(
            render("AES256"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ServerSideEncryptionRule>\
             <ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>\
             </ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>"
        );
        let with_sm4 =
            doc("<SSEAlgorithm>AES256</SSEAlgorithm><KMSDataEncryption>SM4</KMSDataEncryption>");
        assert_eq!(parse(with_sm4.as_bytes()).unwrap(), "AES256");
        let code = |inner: &str| parse(doc(inner).as_bytes()).unwrap_err().code;
        assert_eq!(code("<SSEAlgorithm>KMS</SSEAlgorithm>"), ErrorCode::KmsServiceNotEnabled);
        assert_eq!(
            code("<SSEAlgorithm>SM4</SSEAlgorithm>"),
            ErrorCode::InvalidEncryptionAlgorithmError
        );
        assert_eq!(
            code("<SSEAlgorithm>DES</SSEAlgorithm>"),
            ErrorCode::InvalidEncryptionAlgorithmError
        );
        assert_eq!(
            code("<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>"),
            ErrorCode::InvalidArgument
        );
        assert_eq!(code(""), ErrorCode::MalformedXML);
        assert_eq!(parse(b"<Other/>").unwrap_err().code, ErrorCode::MalformedXML);
        assert_eq!(
            parse(b"<ServerSideEncryptionRule/>").unwrap_err().code,
            ErrorCode::MalformedXML
        );
    }
}
