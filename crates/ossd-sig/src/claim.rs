//! Finding the authentication claim in a request (`parse_claim`) and checking it (`verify`).

use crate::timefmt::{
    format_iso8601_basic, parse_iso8601_basic, parse_request_date, parse_rfc1123,
};
use crate::{
    AuthClaim, MAX_SKEW_SECS, MAX_V4_PRESIGN_EXPIRES_SECS, SigError, SignedRequest, ct_eq, v1, v2,
    v4,
};

/// Query parameters that mark a V1 presigned URL.
const V1_QUERY_MARKERS: [&str; 3] = ["OSSAccessKeyId", "Expires", "Signature"];

/// Query parameters that mark a V4 (or other `x-oss-signature-version`) presigned URL.
const V4_QUERY_MARKERS: [&str; 3] =
    ["x-oss-signature-version", "x-oss-credential", "x-oss-signature"];

/// The query parameter naming a V2 presigned URL's key (V4 names it in `x-oss-credential`).
const V2_ACCESS_KEY_PARAM: &str = "x-oss-access-key-id";

/// Finds the claim in a request: the `Authorization` header (`OSS …`, `OSS2 …` or
/// `OSS4-HMAC-SHA256 …`), a V1 query (`OSSAccessKeyId`/`Expires`/`Signature`), a V2 query
/// (`x-oss-signature-version=OSS2`, `x-oss-access-key-id` …) or a V4 query
/// (`x-oss-signature-version=OSS4-HMAC-SHA256` …). `Ok(None)` means anonymous.
/// Both a header and query parameters → [`SigError::BothHeaderAndQuery`]; malformed input → the
/// matching [`SigError`].
pub fn parse_claim(req: &SignedRequest<'_>) -> Result<Option<AuthClaim>, SigError> {
    let header = req.header("authorization");
    let v2_query = req.has_query_param(V2_ACCESS_KEY_PARAM);
    let v4_query = V4_QUERY_MARKERS.iter().any(|m| req.has_query_param(m));
    let v1_query = V1_QUERY_MARKERS.iter().any(|m| req.has_query_param(m));
    match header {
        Some(_) if v4_query || v2_query || v1_query => Err(SigError::BothHeaderAndQuery),
        Some(h) => parse_authorization(h).map(Some),
        None => match req.query_param("x-oss-signature-version") {
            Some(v2::SCHEME) => parse_v2_query(req).map(Some),
            Some(_) => parse_v4_query(req).map(Some),
            None if v1_query => parse_v1_query(req).map(Some),
            None if v2_query && !req.has_query_param("x-oss-credential") => {
                parse_v2_query(req).map(Some)
            }
            None if v4_query || v2_query => parse_v4_query(req).map(Some),
            None => Ok(None),
        },
    }
}

/// Parses an `Authorization` header value.
fn parse_authorization(value: &str) -> Result<AuthClaim, SigError> {
    let value = value.trim();
    if let Some(rest) = strip_scheme(value, v4::ALGORITHM) {
        return parse_v4_header(rest);
    }
    if let Some(rest) = strip_scheme(value, v2::SCHEME) {
        return parse_v2_header(rest);
    }
    if let Some(rest) = strip_scheme(value, "OSS") {
        let (ak, sig) = rest.split_once(':').ok_or(SigError::MalformedV1Authorization)?;
        let (ak, sig) = (ak.trim(), sig.trim());
        if ak.is_empty() || sig.is_empty() {
            return Err(SigError::MalformedV1Authorization);
        }
        return Ok(AuthClaim::V1Header { access_key_id: ak.to_owned(), signature: sig.to_owned() });
    }
    Err(SigError::UnsupportedAuthorization)
}

/// `value` without the leading `scheme` and the whitespace after it, if it starts so.
fn strip_scheme<'v>(value: &'v str, scheme: &str) -> Option<&'v str> {
    let rest = value.strip_prefix(scheme)?;
    let trimmed = rest.trim_start();
    (trimmed.len() < rest.len()).then_some(trimmed)
}

/// Parses the fields after `OSS4-HMAC-SHA256 `: `Credential=…`, optional
/// `AdditionalHeaders=…`, `Signature=…`, in any order, separated by `,` or `, `.
fn parse_v4_header(fields: &str) -> Result<AuthClaim, SigError> {
    let mut credential = None;
    let mut additional = None;
    let mut signature = None;
    for field in fields.split(',') {
        let (name, value) = field.split_once('=').ok_or(SigError::MalformedV4Authorization)?;
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "AdditionalHeaders" => &mut additional,
            "Signature" => &mut signature,
            _ => return Err(SigError::MalformedV4Authorization),
        };
        if slot.replace(value.trim()).is_some() {
            return Err(SigError::MalformedV4Authorization);
        }
    }
    let (Some(credential), Some(signature)) = (credential, signature) else {
        return Err(SigError::MalformedV4Authorization);
    };
    if signature.is_empty() {
        return Err(SigError::MalformedV4Authorization);
    }
    let v4::Credential { access_key_id, date, region } = v4::parse_credential(credential)?;
    Ok(AuthClaim::V4Header {
        access_key_id,
        date,
        region,
        additional_headers: split_additional(additional.unwrap_or("")),
        signature: signature.to_owned(),
    })
}

/// Parses the fields after `OSS2 `: `AccessKeyId:…`, optional `AdditionalHeaders:…`,
/// `Signature:…`, in any order, separated by `,` (oss2, Go v1) or `, ` (Java).
fn parse_v2_header(fields: &str) -> Result<AuthClaim, SigError> {
    let mut access_key_id = None;
    let mut additional = None;
    let mut signature = None;
    for field in fields.split(',') {
        let (name, value) = field.split_once(':').ok_or(SigError::MalformedV2Authorization)?;
        let slot = match name.trim() {
            "AccessKeyId" => &mut access_key_id,
            "AdditionalHeaders" => &mut additional,
            "Signature" => &mut signature,
            _ => return Err(SigError::MalformedV2Authorization),
        };
        if slot.replace(value.trim()).is_some() {
            return Err(SigError::MalformedV2Authorization);
        }
    }
    match (access_key_id, signature) {
        (Some(ak), Some(sig)) if !ak.is_empty() && !sig.is_empty() => Ok(AuthClaim::V2Header {
            access_key_id: ak.to_owned(),
            additional_headers: split_additional(additional.unwrap_or("")),
            signature: sig.to_owned(),
        }),
        _ => Err(SigError::MalformedV2Authorization),
    }
}

/// `a;b` → `["a", "b"]`, lower-cased, empty entries dropped.
fn split_additional(list: &str) -> Vec<String> {
    list.split(';').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect()
}

/// Parses a V1 presigned URL's parameters.
fn parse_v1_query(req: &SignedRequest<'_>) -> Result<AuthClaim, SigError> {
    let get = |name| req.query_param(name).filter(|v| !v.is_empty());
    let (Some(ak), Some(expires), Some(signature)) =
        (get("OSSAccessKeyId"), get("Expires"), get("Signature"))
    else {
        return Err(SigError::MissingV1QueryParams);
    };
    let expires = expires.trim().parse::<i64>().map_err(|_| SigError::InvalidExpires)?;
    Ok(AuthClaim::V1Query {
        access_key_id: ak.to_owned(),
        expires,
        signature: signature.to_owned(),
    })
}

/// Parses a V2 presigned URL's parameters (`x-oss-signature-version=OSS2`, `x-oss-expires`,
/// `x-oss-access-key-id`, `x-oss-signature`, optional `x-oss-additional-headers`).
fn parse_v2_query(req: &SignedRequest<'_>) -> Result<AuthClaim, SigError> {
    let require = |name: &'static str| {
        req.query_param(name).filter(|v| !v.is_empty()).ok_or(SigError::MissingV2QueryParam(name))
    };
    let version = require("x-oss-signature-version")?;
    if version != v2::SCHEME {
        return Err(SigError::UnsupportedSignatureVersion(version.to_owned()));
    }
    let access_key_id = require(V2_ACCESS_KEY_PARAM)?;
    let expires = require("x-oss-expires")?;
    let signature = require("x-oss-signature")?;
    // Digits only, as the SDKs write it: no sign, no spaces.
    if !expires.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigError::InvalidExpires);
    }
    let expires = expires.parse::<i64>().map_err(|_| SigError::InvalidExpires)?;
    Ok(AuthClaim::V2Query {
        access_key_id: access_key_id.to_owned(),
        expires,
        additional_headers: split_additional(
            req.query_param("x-oss-additional-headers").unwrap_or(""),
        ),
        signature: signature.to_owned(),
    })
}

/// Parses a V4 presigned URL's parameters.
fn parse_v4_query(req: &SignedRequest<'_>) -> Result<AuthClaim, SigError> {
    let require = |name: &'static str| {
        req.query_param(name).filter(|v| !v.is_empty()).ok_or(SigError::MissingV4QueryParam(name))
    };
    let version = require("x-oss-signature-version")?;
    if version != v4::ALGORITHM {
        return Err(SigError::UnsupportedSignatureVersion(version.to_owned()));
    }
    let credential = require("x-oss-credential")?;
    let x_oss_date = require("x-oss-date")?;
    let expires = require("x-oss-expires")?;
    let signature = require("x-oss-signature")?;
    let v4::Credential { access_key_id, date, region } = v4::parse_credential(credential)?;
    let expires_secs = expires.trim().parse::<i64>().map_err(|_| SigError::InvalidV4Expires)?;
    if !(1..=MAX_V4_PRESIGN_EXPIRES_SECS).contains(&expires_secs) {
        return Err(SigError::InvalidV4Expires);
    }
    if parse_iso8601_basic(x_oss_date).is_none() {
        return Err(SigError::InvalidDate);
    }
    Ok(AuthClaim::V4Query {
        access_key_id,
        date,
        region,
        x_oss_date: x_oss_date.to_owned(),
        expires_secs,
        additional_headers: split_additional(
            req.query_param("x-oss-additional-headers").unwrap_or(""),
        ),
        signature: signature.to_owned(),
    })
}

/// Verifies `claim` for `req` with `secret`. `now` is Unix seconds; header signatures must be
/// within 15 minutes of it (V1 and V2: the `x-oss-date` header if sent, else `Date`), presigned
/// URLs must not be expired. `server_region` (e.g.
/// `cn-hangzhou`) must equal a V4 credential's region. A wrong signature gives
/// [`SigError::Mismatch`] with what the server signed. Signatures are compared in constant time.
pub fn verify(
    req: &SignedRequest<'_>,
    claim: &AuthClaim,
    secret: &str,
    now: i64,
    server_region: &str,
) -> Result<(), SigError> {
    match claim {
        AuthClaim::V1Header { signature, .. } => {
            let date = req
                .header("x-oss-date")
                .or_else(|| req.header("date"))
                .map(str::trim)
                .ok_or(SigError::InvalidDate)?;
            let at = parse_request_date(date).ok_or(SigError::InvalidDate)?;
            check_skew(at, now)?;
            check_v1(req, date, secret, signature)
        }
        AuthClaim::V1Query { expires, signature, .. } => {
            if now > *expires {
                return Err(SigError::Expired);
            }
            check_v1(req, &expires.to_string(), secret, signature)
        }
        AuthClaim::V2Header { additional_headers, signature, .. } => {
            let time = req
                .header("x-oss-date")
                .or_else(|| req.header("date"))
                .map(str::trim)
                .ok_or(SigError::InvalidDate)?;
            let at = parse_request_date(time).ok_or(SigError::InvalidDate)?;
            check_skew(at, now)?;
            // The date line is `Date`, as every V2 signer builds it; an `x-oss-date` is signed
            // among the x-oss-* headers.
            let date_line = req.header("date").map(str::trim).unwrap_or("");
            check_v2(req, date_line, additional_headers, secret, signature)
        }
        AuthClaim::V2Query { expires, additional_headers, signature, .. } => {
            if now > *expires {
                return Err(SigError::Expired);
            }
            // The date line is the value as sent (what the signer wrote), not re-formatted.
            let date_line = req.query_param("x-oss-expires").unwrap_or_default();
            check_v2(req, date_line, additional_headers, secret, signature)
        }
        AuthClaim::V4Header { date, region, additional_headers, signature, .. } => {
            // The request time: `x-oss-date`, or, without it, `Date` (the Go v1 SDK signs V4
            // requests so; its string to sign then carries the `Date` value as it was sent).
            let (signed_time, at) = match req.header("x-oss-date").map(str::trim) {
                Some(d) => (d, parse_iso8601_basic(d).ok_or(SigError::InvalidDate)?),
                None => {
                    let d = req.header("date").map(str::trim).ok_or(SigError::InvalidDate)?;
                    (d, parse_rfc1123(d).ok_or(SigError::InvalidDate)?)
                }
            };
            let basic = format_iso8601_basic(at).ok_or(SigError::InvalidDate)?;
            check_scope(date, region, &basic, server_region)?;
            check_skew(at, now)?;
            if req.header("x-oss-content-sha256").map(str::trim) != Some(v4::UNSIGNED_PAYLOAD) {
                return Err(SigError::InvalidContentSha256);
            }
            check_v4(req, signed_time, date, region, additional_headers, secret, signature)
        }
        AuthClaim::V4Query {
            date,
            region,
            x_oss_date,
            expires_secs,
            additional_headers,
            signature,
            ..
        } => {
            let at = parse_iso8601_basic(x_oss_date).ok_or(SigError::InvalidDate)?;
            check_scope(date, region, x_oss_date, server_region)?;
            if at - now > MAX_SKEW_SECS {
                return Err(SigError::RequestTimeTooSkewed);
            }
            if now > at.saturating_add(*expires_secs) {
                return Err(SigError::Expired);
            }
            check_v4(req, x_oss_date, date, region, additional_headers, secret, signature)
        }
    }
}

/// Request time within ±15 minutes of `now`.
fn check_skew(at: i64, now: i64) -> Result<(), SigError> {
    if at.abs_diff(now) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(SigError::RequestTimeTooSkewed);
    }
    Ok(())
}

/// Credential date is the day of `x-oss-date`; credential region is the server's.
fn check_scope(
    date: &str,
    region: &str,
    x_oss_date: &str,
    server_region: &str,
) -> Result<(), SigError> {
    if x_oss_date.get(..8) != Some(date) {
        return Err(SigError::InvalidSigningDate);
    }
    if region != server_region {
        return Err(SigError::InvalidSigningRegion);
    }
    Ok(())
}

/// Computes the V1 signature over `date_line` and compares it with `provided`.
fn check_v1(
    req: &SignedRequest<'_>,
    date_line: &str,
    secret: &str,
    provided: &str,
) -> Result<(), SigError> {
    if !v1::is_unambiguous(req.bucket, req.key, req.query) {
        return Err(SigError::AmbiguousV1Resource);
    }
    let string_to_sign = v1::string_to_sign(req, date_line);
    if ct_eq(&v1::sign(secret, &string_to_sign), provided) {
        return Ok(());
    }
    // A bucket-level request names the resource `/bucket/`; the OSS C SDK signs `/bucket` on an
    // IP endpoint. On a path-style request both name the same resource: accept either.
    if let (Some(bucket), None) = (req.bucket, req.key) {
        let resource = v1::canonical_resource(req.bucket, req.key, req.query);
        let head = &string_to_sign[..string_to_sign.len() - resource.len()];
        let tail = &resource[bucket.len() + 2..];
        let without_slash = format!("{head}/{bucket}{tail}");
        if ct_eq(&v1::sign(secret, &without_slash), provided) {
            return Ok(());
        }
    }
    Err(SigError::Mismatch { string_to_sign, canonical_request: None })
}

/// Computes the V2 signature over `date_line` and compares it with `provided`. No ambiguity check
/// as for V1: V2 percent-encodes the key and every query name and value in the canonical resource
/// (see [`v2`]), so no other request has the same string to sign.
fn check_v2(
    req: &SignedRequest<'_>,
    date_line: &str,
    additional_headers: &[String],
    secret: &str,
    provided: &str,
) -> Result<(), SigError> {
    let string_to_sign = v2::string_to_sign(req, date_line, additional_headers);
    if ct_eq(&v2::sign(secret, &string_to_sign), provided) {
        Ok(())
    } else {
        Err(SigError::Mismatch { string_to_sign, canonical_request: None })
    }
}

/// Computes the V4 signature and compares it with `provided`.
fn check_v4(
    req: &SignedRequest<'_>,
    x_oss_date: &str,
    date: &str,
    region: &str,
    additional_headers: &[String],
    secret: &str,
    provided: &str,
) -> Result<(), SigError> {
    let canonical_request = v4::canonical_request(req, additional_headers);
    let string_to_sign =
        v4::string_to_sign(x_oss_date, &v4::scope(date, region), &canonical_request);
    if ct_eq(&v4::sign(secret, date, region, &string_to_sign), provided) {
        Ok(())
    } else {
        Err(SigError::Mismatch { string_to_sign, canonical_request: Some(canonical_request) })
    }
}
