//! `SigError`: every way authentication can fail, with the OSS code, status and message for each.

/// An authentication failure. Each variant documents the OSS error it maps to
/// (see [`SigError::oss_code`], [`SigError::http_status`], [`SigError::ec`]); `Display` gives the
/// OSS `<Message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// An `Authorization` header and URL signature parameters in one request.
    /// 400 `InvalidArgument`, EC 0002-00000039.
    #[error(
        "Authorization header and URL signature parameters cannot be used in the same request."
    )]
    BothHeaderAndQuery,

    /// `Authorization` uses a scheme other than `OSS`, `OSS2` or `OSS4-HMAC-SHA256`.
    /// 400 `InvalidArgument`, EC 0002-00000061.
    #[error("Authorization header is invalid.")]
    UnsupportedAuthorization,

    /// `OSS ak:signature` with a missing part. 400 `InvalidArgument`, EC 0002-00000063.
    #[error("Authorization header is invalid.")]
    MalformedV1Authorization,

    /// `OSS2 …` whose fields are missing, empty, repeated or unknown (the fields are
    /// `AccessKeyId:…`, `Signature:…` and the optional `AdditionalHeaders:…`).
    /// 400 `InvalidArgument`, EC 0002-00000102.
    #[error("Authorization header is invalid.")]
    MalformedV2Authorization,

    /// `OSS4-HMAC-SHA256 …` whose fields are missing, repeated or unknown.
    /// 400 `InvalidArgument`, EC 0002-00000202.
    #[error("Authorization header is invalid.")]
    MalformedV4Authorization,

    /// The V4 credential is not `<ak>/<yyyymmdd>/<region>/oss/aliyun_v4_request`.
    /// 400 `InvalidArgument`, EC 0002-00000213.
    #[error("Invalid credential in Authorization header.")]
    InvalidCredential,

    /// The credential date is not `yyyymmdd` or differs from the day of `x-oss-date`.
    /// 400 `InvalidArgument`, EC 0002-00000212.
    #[error("Invalid signing date in Authorization header.")]
    InvalidSigningDate,

    /// The credential region differs from the server's region. 400 `InvalidArgument`,
    /// EC 0002-00000226 (message as returned by OSS).
    #[error("Invalid signing region in Authorization header.")]
    InvalidSigningRegion,

    /// The credential product is not `oss`. 400 `InvalidArgument`, EC 0002-00000227
    /// (message as returned by OSS).
    #[error("Invalid signing product in Authorization header.")]
    InvalidSigningProduct,

    /// V4 header signing without `x-oss-content-sha256: UNSIGNED-PAYLOAD`.
    /// 400 `InvalidArgument`, EC 0002-00000214.
    #[error("x-oss-content-sha256 header is invalid, it must be UNSIGNED-PAYLOAD.")]
    InvalidContentSha256,

    /// A V1 presigned URL lacking one of `OSSAccessKeyId`, `Expires`, `Signature`.
    /// 403 `AccessDenied` (message from the OSS docs).
    #[error(
        "Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters"
    )]
    MissingV1QueryParams,

    /// `Expires` of a V1 presigned URL, or `x-oss-expires` of a V2 one, is not an integer.
    /// 403 `AccessDenied`, EC 0002-00000068.
    #[error("Expires is invalid, it must be a Unix timestamp in seconds.")]
    InvalidExpires,

    /// `x-oss-signature-version` names something other than `OSS2` or `OSS4-HMAC-SHA256`.
    /// 400 `InvalidArgument`, EC 0002-00000066.
    #[error("Unsupported x-oss-signature-version: {0}.")]
    UnsupportedSignatureVersion(String),

    /// A V4 presigned URL lacks the named query parameter. 400 `InvalidArgument`.
    #[error("{0} is required in the query string for V4 signature.")]
    MissingV4QueryParam(&'static str),

    /// A V2 presigned URL (`x-oss-signature-version=OSS2`, or `x-oss-access-key-id` without a
    /// version) lacks the named query parameter or has it empty. 403 `AccessDenied`, as for a V1
    /// URL missing its parameters; EC 0002-00000115 (`x-oss-access-key-id`), 0002-00000113
    /// (`x-oss-expires`), 0002-00000117 (`x-oss-signature`).
    #[error("{0} is required in the query string for V2 signature.")]
    MissingV2QueryParam(&'static str),

    /// `x-oss-expires` is not an integer in 1..=604800. 400 `InvalidArgument`, EC 0002-00000232.
    #[error("x-oss-expires is invalid, it must be between 1 and 604800 seconds.")]
    InvalidV4Expires,

    /// No usable date: V1 needs `x-oss-date` or `Date`, V4 needs `x-oss-date`
    /// (`yyyymmddTHHMMSSZ`); missing or unparseable. 403 `AccessDenied`, EC 0002-00000503.
    #[error("OSS authentication requires a valid Date.")]
    InvalidDate,

    /// The request time is more than 15 minutes away from the server time.
    /// 403 `RequestTimeTooSkewed`.
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed,

    /// A presigned URL past its expiry. 403 `AccessDenied`, EC 0002-00000069.
    #[error("Request has expired.")]
    Expired,

    /// The AccessKeyId is unknown to the server (raised by the server, not by [`crate::verify`]).
    /// 403 `InvalidAccessKeyId`.
    #[error("The OSS Access Key Id you provided does not exist in our records.")]
    InvalidAccessKeyId,

    /// A V1 signed request whose canonical resource reads as other sub-resources than the request
    /// has: a decoded key, sub-resource name or value holding `?`, `&` or `=` before a
    /// sub-resource name (`?partNumber=1%26uploadId=U` signs like `?partNumber=1&uploadId=U`).
    /// Refused so that no rewrite of a signed URL changes the operation. 400 `InvalidArgument`.
    #[error(
        "The query string or object name is ambiguous under signature V1: an encoded '?', '&' or '=' before a sub-resource name. Use signature V4 or do not encode these characters."
    )]
    AmbiguousV1Resource,

    /// The signature does not match. 403 `SignatureDoesNotMatch` (EC 0002-00000040 for V1 and
    /// V2, 0002-00000201 for V4). Carries what the server signed, for the `<StringToSign>` and
    /// `<CanonicalRequest>` elements of the error body.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    )]
    Mismatch {
        /// The string the server signed.
        string_to_sign: String,
        /// The V4 canonical request (`None` for V1).
        canonical_request: Option<String>,
    },
}

impl SigError {
    /// The OSS `<Code>` for this error.
    pub fn oss_code(&self) -> &'static str {
        match self {
            SigError::BothHeaderAndQuery
            | SigError::UnsupportedAuthorization
            | SigError::MalformedV1Authorization
            | SigError::MalformedV2Authorization
            | SigError::MalformedV4Authorization
            | SigError::InvalidCredential
            | SigError::InvalidSigningDate
            | SigError::InvalidSigningRegion
            | SigError::InvalidSigningProduct
            | SigError::InvalidContentSha256
            | SigError::UnsupportedSignatureVersion(_)
            | SigError::MissingV4QueryParam(_)
            | SigError::InvalidV4Expires
            | SigError::AmbiguousV1Resource => "InvalidArgument",
            SigError::MissingV1QueryParams
            | SigError::MissingV2QueryParam(_)
            | SigError::InvalidExpires
            | SigError::InvalidDate
            | SigError::Expired => "AccessDenied",
            SigError::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            SigError::InvalidAccessKeyId => "InvalidAccessKeyId",
            SigError::Mismatch { .. } => "SignatureDoesNotMatch",
        }
    }

    /// The HTTP status OSS answers with.
    pub fn http_status(&self) -> u16 {
        match self.oss_code() {
            "InvalidArgument" => 400,
            _ => 403,
        }
    }

    /// The fine-grained OSS `EC` code, where the OSS docs name one.
    pub fn ec(&self) -> Option<&'static str> {
        Some(match self {
            SigError::BothHeaderAndQuery => "0002-00000039",
            SigError::UnsupportedAuthorization => "0002-00000061",
            SigError::MalformedV1Authorization => "0002-00000063",
            SigError::MalformedV2Authorization => "0002-00000102",
            SigError::MalformedV4Authorization => "0002-00000202",
            SigError::InvalidCredential => "0002-00000213",
            SigError::InvalidSigningDate => "0002-00000212",
            SigError::InvalidSigningRegion => "0002-00000226",
            SigError::InvalidSigningProduct => "0002-00000227",
            SigError::InvalidContentSha256 => "0002-00000214",
            SigError::InvalidExpires => "0002-00000068",
            SigError::MissingV2QueryParam("x-oss-access-key-id") => "0002-00000115",
            SigError::MissingV2QueryParam("x-oss-expires") => "0002-00000113",
            SigError::MissingV2QueryParam("x-oss-signature") => "0002-00000117",
            SigError::UnsupportedSignatureVersion(_) => "0002-00000066",
            SigError::InvalidV4Expires => "0002-00000232",
            SigError::InvalidDate => "0002-00000503",
            SigError::Expired => "0002-00000069",
            SigError::Mismatch { canonical_request: Some(_), .. } => "0002-00000201",
            SigError::Mismatch { canonical_request: None, .. } => "0002-00000040",
            SigError::MissingV1QueryParams
            | SigError::AmbiguousV1Resource
            | SigError::MissingV2QueryParam(_)
            | SigError::MissingV4QueryParam(_)
            | SigError::RequestTimeTooSkewed
            | SigError::InvalidAccessKeyId => return None,
        })
    }
}
