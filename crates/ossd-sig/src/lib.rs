//! ossd-sig: pure OSS request signatures (V1, V2, V4), presigned URLs and PostObject policies.
//!
//! The server hands this crate a [`SignedRequest`] (method, bucket, key, decoded query, headers).
//! [`parse_claim`] finds what the request claims (an `Authorization` header or presigned query
//! parameters) and [`verify`] checks the claim against the secret. Every failure is a typed
//! [`SigError`] that knows its OSS error code, HTTP status and message.
//!
//! Architecture invariant: this crate does no I/O, knows no HTTP library types and never reads
//! the clock; the caller passes `now` in. Canonicalisation follows the official SDKs
//! (oss2 `auth.py` for V1, V2 and V4, alibabacloud-oss-v2 `signer/v1.py`/`v4.py`, Go v2
//! `oss/signer`, ali-oss `signUtils.js`); see `tests/sdk_vectors.rs` for vectors produced by
//! those SDKs.

mod claim;
mod error;
pub mod post_policy;
pub mod timefmt;
pub mod v1;
pub mod v2;
pub mod v4;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v2;

use base64::Engine as _;
use md5::Digest as _;
use subtle::ConstantTimeEq as _;

pub use claim::{parse_claim, verify};
pub use error::SigError;

/// Largest allowed difference, in seconds, between the request time and `now` (15 minutes).
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// Largest `x-oss-expires` a V4 presigned URL may carry (7 days), per the OSS docs.
pub const MAX_V4_PRESIGN_EXPIRES_SECS: i64 = 604_800;

/// A request as the verifier sees it: all strings already percent-decoded.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method as sent, e.g. `"GET"`.
    pub method: &'a str,
    /// Bucket name; `None` for service-level requests (ListBuckets).
    pub bucket: Option<&'a str>,
    /// Decoded object key; `None` or `Some("")` for bucket-level requests.
    pub key: Option<&'a str>,
    /// Decoded query parameters in arrival order; `None` means the name came without `=`.
    pub query: &'a [(String, Option<String>)],
    /// Header names lower-cased, values as received (names may repeat).
    pub headers: &'a [(String, String)],
}

impl<'a> SignedRequest<'a> {
    /// First value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// All values of header `name`, each trimmed, joined with `","`: how repeated headers are
    /// canonicalised for signing (the Go SDK's rule).
    pub fn header_joined(&self, name: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for (_, v) in self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            match out.as_mut() {
                None => out = Some(v.trim().to_owned()),
                Some(s) => {
                    s.push(',');
                    s.push_str(v.trim());
                }
            }
        }
        out
    }

    /// First value of query parameter `name` (exact, case-sensitive match); a parameter given
    /// without `=` yields `Some("")`.
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// Whether query parameter `name` is present at all (with or without a value).
    pub fn has_query_param(&self, name: &str) -> bool {
        self.query.iter().any(|(n, _)| n == name)
    }
}

/// What an Authorization header or query string claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthClaim {
    /// `Authorization: OSS <ak>:<signature>`.
    V1Header {
        /// AccessKeyId named in the header.
        access_key_id: String,
        /// Base64 HMAC-SHA1 signature as sent.
        signature: String,
    },
    /// V1 presigned URL: `OSSAccessKeyId`, `Expires`, `Signature` query parameters.
    V1Query {
        /// AccessKeyId from `OSSAccessKeyId`.
        access_key_id: String,
        /// `Expires`, Unix seconds.
        expires: i64,
        /// `Signature` (already URL-decoded).
        signature: String,
    },
    /// `Authorization: OSS2 AccessKeyId:…,AdditionalHeaders:…,Signature:…`.
    V2Header {
        /// AccessKeyId named in the header.
        access_key_id: String,
        /// AdditionalHeaders, lower-cased, in the order given.
        additional_headers: Vec<String>,
        /// Base64 HMAC-SHA256 signature as sent.
        signature: String,
    },
    /// V2 presigned URL: `x-oss-signature-version=OSS2`, `x-oss-access-key-id`, `x-oss-expires`,
    /// `x-oss-signature` and optionally `x-oss-additional-headers`.
    V2Query {
        /// AccessKeyId from `x-oss-access-key-id`.
        access_key_id: String,
        /// `x-oss-expires`, Unix seconds.
        expires: i64,
        /// `x-oss-additional-headers`, lower-cased.
        additional_headers: Vec<String>,
        /// `x-oss-signature` (already URL-decoded).
        signature: String,
    },
    /// `Authorization: OSS4-HMAC-SHA256 Credential=…, AdditionalHeaders=…, Signature=…`.
    V4Header {
        /// AccessKeyId from the credential.
        access_key_id: String,
        /// Credential date, `yyyymmdd`.
        date: String,
        /// Credential region, e.g. `cn-hangzhou`.
        region: String,
        /// AdditionalHeaders, lower-cased, in the order given.
        additional_headers: Vec<String>,
        /// Lower-case hex HMAC-SHA256 signature as sent.
        signature: String,
    },
    /// V4 presigned URL (`x-oss-signature-version=OSS4-HMAC-SHA256` and friends).
    V4Query {
        /// AccessKeyId from `x-oss-credential`.
        access_key_id: String,
        /// Credential date, `yyyymmdd`.
        date: String,
        /// Credential region.
        region: String,
        /// `x-oss-date`, `yyyymmddTHHMMSSZ`.
        x_oss_date: String,
        /// `x-oss-expires`, seconds after `x_oss_date` (1..=604800).
        expires_secs: i64,
        /// `x-oss-additional-headers`, lower-cased.
        additional_headers: Vec<String>,
        /// `x-oss-signature`.
        signature: String,
    },
}

impl AuthClaim {
    /// The AccessKeyId the claim names; the server looks the secret up by it.
    pub fn access_key_id(&self) -> &str {
        match self {
            AuthClaim::V1Header { access_key_id, .. }
            | AuthClaim::V1Query { access_key_id, .. }
            | AuthClaim::V2Header { access_key_id, .. }
            | AuthClaim::V2Query { access_key_id, .. }
            | AuthClaim::V4Header { access_key_id, .. }
            | AuthClaim::V4Query { access_key_id, .. } => access_key_id,
        }
    }

    /// The signature as provided, for the `SignatureProvided` element of an error body.
    pub fn signature(&self) -> &str {
        match self {
            AuthClaim::V1Header { signature, .. }
            | AuthClaim::V1Query { signature, .. }
            | AuthClaim::V2Header { signature, .. }
            | AuthClaim::V2Query { signature, .. }
            | AuthClaim::V4Header { signature, .. }
            | AuthClaim::V4Query { signature, .. } => signature,
        }
    }

    /// Whether this is a V4 (OSS4-HMAC-SHA256) claim.
    pub fn is_v4(&self) -> bool {
        matches!(self, AuthClaim::V4Header { .. } | AuthClaim::V4Query { .. })
    }
}

/// The `name:value\n` lines of the headers whose lower-case name `signed` keeps: names
/// lower-cased, values trimmed, repeated values joined with `,`, sorted by name. V1, V2 and V4
/// differ only in which headers they keep.
pub(crate) fn canonical_header_lines(
    headers: &[(String, String)],
    signed: impl Fn(&str) -> bool,
) -> String {
    let mut names: Vec<String> =
        headers.iter().map(|(n, _)| n.to_ascii_lowercase()).filter(|n| signed(n)).collect();
    names.sort();
    names.dedup();
    let mut out = String::new();
    for name in &names {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// The first four lines V1 and V2 sign: method, `Content-MD5`, `Content-Type` and the date (or
/// expiry) line, each followed by `\n`.
pub(crate) fn string_to_sign_head(req: &SignedRequest<'_>, date_or_expires: &str) -> String {
    let content_md5 = req.header("content-md5").map(str::trim).unwrap_or("");
    let content_type = req.header("content-type").map(str::trim).unwrap_or("");
    let mut out = String::with_capacity(160);
    for line in [req.method, content_md5, content_type, date_or_expires] {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `base64(md5(body))`: the expected `Content-MD5` value for `body`.
pub fn content_md5(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

/// `s` as upper-case hex bytes each followed by a space (`"PUT" → "50 55 54 "`): the form of
/// the `<StringToSignBytes>` element in a SignatureDoesNotMatch error body.
pub fn string_to_sign_bytes(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        out.push_str(&format!("{b:02X} "));
    }
    out
}

/// HMAC-SHA1 of `data` under `key`.
pub(crate) fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    use hmac::Mac as _;
    // `new_from_slice` only fails for fixed-size-key MACs; HMAC takes keys of any length.
    match hmac::Hmac::<sha1::Sha1>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::Mac as _;
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// Constant-time string equality (length is not hidden), used for every signature comparison.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}
