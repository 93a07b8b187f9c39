//! Signature V4 (`OSS4-HMAC-SHA256`): canonical request, string to sign, signing key, and the
//! header/presigned helpers.
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
//!                    AdditionalHeaders \n HashedPayload
//! StringToSign     = "OSS4-HMAC-SHA256" \n x-oss-date \n <yyyymmdd>/<region>/oss/aliyun_v4_request \n
//!                    hex(sha256(CanonicalRequest))
//! SigningKey       = HMAC(HMAC(HMAC(HMAC("aliyun_v4" + secret, yyyymmdd), region), "oss"), "aliyun_v4_request")
//! Signature        = hex(HMAC(SigningKey, StringToSign))
//! ```

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Digest as _;

use crate::{SigError, SignedRequest};

/// The algorithm name in the header, the query and the string to sign.
pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";

/// The only hashed-payload value OSS accepts for header signing, and the presigned default.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The product in the credential scope.
pub const PRODUCT: &str = "oss";

/// The terminator of the credential scope.
pub const TERMINATOR: &str = "aliyun_v4_request";

/// Everything but `A-Z a-z 0-9 - . _ ~` is percent-encoded (upper-case hex), as the SDKs do.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// [`STRICT`] but keeping `/`, for the canonical URI.
const STRICT_KEEP_SLASH: &AsciiSet = &STRICT.remove(b'/');

/// The parts of a V4 credential `<ak>/<yyyymmdd>/<region>/oss/aliyun_v4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The AccessKeyId.
    pub access_key_id: String,
    /// The signing date, `yyyymmdd`.
    pub date: String,
    /// The signing region, e.g. `cn-hangzhou`.
    pub region: String,
}

/// Parses a V4 credential (from `Authorization`, `x-oss-credential` or a PostObject form).
/// Wrong shape or terminator → [`SigError::InvalidCredential`]; bad date →
/// [`SigError::InvalidSigningDate`]; empty region → [`SigError::InvalidSigningRegion`];
/// product other than `oss` → [`SigError::InvalidSigningProduct`].
pub fn parse_credential(credential: &str) -> Result<Credential, SigError> {
    let parts: Vec<&str> = credential.trim().split('/').collect();
    let [ak, date, region, product, terminator] = parts.as_slice() else {
        return Err(SigError::InvalidCredential);
    };
    if ak.is_empty() || *terminator != TERMINATOR {
        return Err(SigError::InvalidCredential);
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigError::InvalidSigningDate);
    }
    if region.is_empty() {
        return Err(SigError::InvalidSigningRegion);
    }
    if *product != PRODUCT {
        return Err(SigError::InvalidSigningProduct);
    }
    Ok(Credential {
        access_key_id: (*ak).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
    })
}

/// Percent-encodes `s` (UTF-8 bytes) leaving only unreserved characters, and `/` when
/// `keep_slash` is set.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let set = if keep_slash { STRICT_KEEP_SLASH } else { STRICT };
    utf8_percent_encode(s, set).to_string()
}

/// The canonical URI: `/bucket/key` URI-encoded with `/` kept; `/bucket/` for bucket
/// operations and `/` without a bucket. Built from the decoded bucket and key, not the path.
pub fn canonical_uri(bucket: Option<&str>, key: Option<&str>) -> String {
    let mut raw = String::from("/");
    if let Some(b) = bucket {
        raw.push_str(b);
        raw.push('/');
    }
    if let Some(k) = key {
        raw.push_str(k);
    }
    uri_encode(&raw, true)
}

/// The canonical query: every parameter except `x-oss-signature`, name and value URI-encoded
/// (`/` encoded too), sorted by encoded name then value, as `k` (empty value) or `k=v`, joined
/// by `&`.
pub fn canonical_query(query: &[(String, Option<String>)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|(name, _)| name != "x-oss-signature")
        .map(|(name, value)| {
            (uri_encode(name, false), uri_encode(value.as_deref().unwrap_or(""), false))
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        if !value.is_empty() {
            out.push('=');
            out.push_str(value);
        }
    }
    out
}

/// Lower-cases, trims, sorts and de-duplicates an AdditionalHeaders list; this is the list that
/// is signed (oss2 sends it sorted only by first letter but signs it fully sorted).
pub fn normalize_additional_headers(additional_headers: &[String]) -> Vec<String> {
    let mut list: Vec<String> = additional_headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    list.sort();
    list.dedup();
    list
}

/// Whether a header is signed by default: `x-oss-*`, `content-type`, `content-md5`.
pub fn is_default_signed_header(lower_name: &str) -> bool {
    lower_name.starts_with("x-oss-") || lower_name == "content-type" || lower_name == "content-md5"
}

/// The canonical headers: the default-signed headers plus `additional` (lower-case names, see
/// [`normalize_additional_headers`]), names
/// lower-cased, values trimmed and repeated values joined with `,`, sorted, each `name:value\n`.
pub fn canonical_headers(headers: &[(String, String)], additional: &[String]) -> String {
    crate::canonical_header_lines(headers, |n| {
        is_default_signed_header(n) || additional.iter().any(|a| a == n)
    })
}

/// The hashed payload: the `x-oss-content-sha256` header if present and non-empty, else
/// `UNSIGNED-PAYLOAD` (SDK rule).
pub fn hashed_payload<'a>(req: &SignedRequest<'a>) -> &'a str {
    match req.header("x-oss-content-sha256").map(str::trim) {
        Some(v) if !v.is_empty() => v,
        _ => UNSIGNED_PAYLOAD,
    }
}

/// The V4 canonical request for `req`, signing `additional_headers` (normalised here).
pub fn canonical_request(req: &SignedRequest<'_>, additional_headers: &[String]) -> String {
    let additional = normalize_additional_headers(additional_headers);
    let mut out = String::with_capacity(256);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.bucket, req.key));
    out.push('\n');
    out.push_str(&canonical_query(req.query));
    out.push('\n');
    out.push_str(&canonical_headers(req.headers, &additional));
    out.push('\n');
    out.push_str(&additional.join(";"));
    out.push('\n');
    out.push_str(hashed_payload(req));
    out
}

/// The credential scope `<yyyymmdd>/<region>/oss/aliyun_v4_request`.
pub fn scope(date: &str, region: &str) -> String {
    format!("{date}/{region}/{PRODUCT}/{TERMINATOR}")
}

/// The V4 string to sign.
pub fn string_to_sign(x_oss_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = hex::encode(sha2::Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{x_oss_date}\n{scope}\n{hash}")
}

/// The derived signing key for `date` (`yyyymmdd`) and `region`.
pub fn signing_key(secret: &str, date: &str, region: &str) -> [u8; 32] {
    let k_secret = format!("aliyun_v4{secret}");
    let k_date = crate::hmac_sha256(k_secret.as_bytes(), date.as_bytes());
    let k_region = crate::hmac_sha256(&k_date, region.as_bytes());
    let k_product = crate::hmac_sha256(&k_region, PRODUCT.as_bytes());
    crate::hmac_sha256(&k_product, TERMINATOR.as_bytes())
}

/// `hex(hmac-sha256(signing_key, string_to_sign))`, lower-case.
pub fn sign_with_key(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(crate::hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Signs `string_to_sign` with the key derived from `secret`, `date` and `region`.
pub fn sign(secret: &str, date: &str, region: &str, string_to_sign: &str) -> String {
    sign_with_key(&signing_key(secret, date, region), string_to_sign)
}

/// The `Authorization` header value for `req`, which must already carry `x-oss-date` (and
/// normally `x-oss-content-sha256: UNSIGNED-PAYLOAD`). Uses the alibabacloud-oss-v2 layout:
/// `OSS4-HMAC-SHA256 Credential=ak/scope,AdditionalHeaders=a;b,Signature=hex`.
pub fn authorization(
    access_key_id: &str,
    secret: &str,
    region: &str,
    req: &SignedRequest<'_>,
    additional_headers: &[String],
) -> String {
    let x_oss_date = req.header("x-oss-date").map(str::trim).unwrap_or("");
    let date = x_oss_date.get(..8).unwrap_or("");
    let scope = scope(date, region);
    let additional = normalize_additional_headers(additional_headers);
    let cr = canonical_request(req, &additional);
    let signature = sign(secret, date, region, &string_to_sign(x_oss_date, &scope, &cr));
    let mut out = format!("{ALGORITHM} Credential={access_key_id}/{scope}");
    if !additional.is_empty() {
        out.push_str(",AdditionalHeaders=");
        out.push_str(&additional.join(";"));
    }
    out.push_str(",Signature=");
    out.push_str(&signature);
    out
}

/// Presigns `req` (V4): returns the query parameters to append, decoded (the caller
/// percent-encodes them), ending with `x-oss-signature`. `x_oss_date` is `yyyymmddTHHMMSSZ`.
pub fn presign_query(
    access_key_id: &str,
    secret: &str,
    region: &str,
    req: &SignedRequest<'_>,
    x_oss_date: &str,
    expires_secs: i64,
    additional_headers: &[String],
) -> Vec<(String, String)> {
    let date = x_oss_date.get(..8).unwrap_or("");
    let scope = scope(date, region);
    let additional = normalize_additional_headers(additional_headers);
    let mut added: Vec<(String, String)> = vec![
        ("x-oss-signature-version".to_owned(), ALGORITHM.to_owned()),
        ("x-oss-credential".to_owned(), format!("{access_key_id}/{scope}")),
        ("x-oss-date".to_owned(), x_oss_date.to_owned()),
        ("x-oss-expires".to_owned(), expires_secs.to_string()),
    ];
    if !additional.is_empty() {
        added.push(("x-oss-additional-headers".to_owned(), additional.join(";")));
    }
    let mut query: Vec<(String, Option<String>)> = req.query.to_vec();
    query.extend(added.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
    let full = SignedRequest { query: &query, ..*req };
    let cr = canonical_request(&full, &additional);
    let signature = sign(secret, date, region, &string_to_sign(x_oss_date, &scope, &cr));
    added.push(("x-oss-signature".to_owned(), signature));
    added
}
