//! Signature V2 (`OSS2 AccessKeyId:…,AdditionalHeaders:…,Signature:…` and the
//! `x-oss-signature-version=OSS2` presigned URL): canonical resource, canonical headers, string to
//! sign and HMAC-SHA256. The legacy scheme of oss2 `AuthV2`, the Go v1 SDK (`AuthV2`) and the Java
//! SDK (`SignV2Utils`).
//!
//! ```text
//! StringToSign = VERB \n Content-MD5 \n Content-Type \n Date-or-Expires \n
//!                CanonicalizedOSSHeaders AdditionalHeaders \n CanonicalizedResource
//! Signature    = base64(hmac-sha256(secret, StringToSign))
//! ```
//!
//! * `CanonicalizedOSSHeaders`: every `x-oss-*` header and every header named in
//!   AdditionalHeaders, name lower-cased, value trimmed, sorted by name, each `name:value\n`.
//! * `AdditionalHeaders`: the list, lower-cased and sorted, joined with `;` (an empty line when
//!   there is none).
//! * `CanonicalizedResource`: `/bucket/key` URI-encoded as a whole, `/` included (`%2Fb%2Fk`);
//!   `/bucket/` for bucket operations, `/` without a bucket; then `?` and **every** query
//!   parameter but `x-oss-signature`, name and value URI-encoded, sorted by encoded name, as `k`
//!   (empty value) or `k=v`, joined by `&`.
//!
//! Unlike V1, the key and every query name and value are percent-encoded before they are joined
//! with `?`, `&` and `=`, so the canonical resource reads back as exactly one request: V2 needs
//! no ambiguity check like [`crate::v1::is_unambiguous`].

use base64::Engine as _;

use crate::{SignedRequest, v4};

/// The scheme in the `Authorization` header and the `x-oss-signature-version` value.
pub const SCHEME: &str = "OSS2";

/// Percent-encodes `s` (UTF-8 bytes), leaving only `A-Z a-z 0-9 - . _ ~`, `/` included
/// (oss2 `v2_uri_encode`, Go v1 `url.QueryEscape` with `+` as `%20`, Java `uriEncoding`).
pub fn uri_encode(s: &str) -> String {
    v4::uri_encode(s, false)
}

/// The V2 CanonicalizedResource (see the module docs). Built from the decoded bucket, key and
/// query, never from the request target. Repeated parameters are all signed, in arrival order
/// among themselves (a stable sort by encoded name), so reordering them breaks the signature.
pub fn canonical_resource(
    bucket: Option<&str>,
    key: Option<&str>,
    query: &[(String, Option<String>)],
) -> String {
    let mut raw = String::from("/");
    if let Some(b) = bucket {
        raw.push_str(b);
        raw.push('/');
        raw.push_str(key.unwrap_or(""));
    }
    let mut out = uri_encode(&raw);
    let mut params: Vec<(String, String)> = query
        .iter()
        .filter(|(name, _)| name != "x-oss-signature")
        .map(|(name, value)| (uri_encode(name), uri_encode(value.as_deref().unwrap_or(""))))
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (name, value)) in params.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        if !value.is_empty() {
            out.push('=');
            out.push_str(value);
        }
    }
    out
}

/// The additional headers as signed: lower-cased, trimmed, sorted, de-duplicated (oss2 sends its
/// set unordered in the header but signs it sorted).
pub fn normalize_additional_headers(additional_headers: &[String]) -> Vec<String> {
    v4::normalize_additional_headers(additional_headers)
}

/// The V2 CanonicalizedOSSHeaders: `x-oss-*` headers plus those in `additional` (normalised,
/// lower-case), values trimmed and repeated values joined with `,`, sorted, each `name:value\n`.
pub fn canonical_headers(headers: &[(String, String)], additional: &[String]) -> String {
    crate::canonical_header_lines(headers, |n| {
        n.starts_with("x-oss-") || additional.iter().any(|a| a == n)
    })
}

/// The V2 string to sign. `date_or_expires` is the `Date` header for header signing (what every
/// V2 signer puts there, even when `x-oss-date` is sent; `x-oss-date` is signed as an `x-oss-*`
/// header then) or the `x-oss-expires` value for a presigned URL.
pub fn string_to_sign(
    req: &SignedRequest<'_>,
    date_or_expires: &str,
    additional_headers: &[String],
) -> String {
    let additional = normalize_additional_headers(additional_headers);
    let mut out = crate::string_to_sign_head(req, date_or_expires);
    out.push_str(&canonical_headers(req.headers, &additional));
    out.push_str(&additional.join(";"));
    out.push('\n');
    out.push_str(&canonical_resource(req.bucket, req.key, req.query));
    out
}

/// `base64(hmac-sha256(secret, string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(crate::hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// The `Authorization` header value for header signing, signing the request's own `Date` header:
/// `OSS2 AccessKeyId:<ak>,AdditionalHeaders:<a;b>,Signature:<base64>` (oss2 / Go v1 layout;
/// `AdditionalHeaders` left out when empty).
pub fn authorization(
    access_key_id: &str,
    secret: &str,
    req: &SignedRequest<'_>,
    additional_headers: &[String],
) -> String {
    let additional = normalize_additional_headers(additional_headers);
    let date = req.header("date").map(str::trim).unwrap_or("");
    let signature = sign(secret, &string_to_sign(req, date, &additional));
    let mut out = format!("{SCHEME} AccessKeyId:{access_key_id},");
    if !additional.is_empty() {
        out.push_str("AdditionalHeaders:");
        out.push_str(&additional.join(";"));
        out.push(',');
    }
    out.push_str("Signature:");
    out.push_str(&signature);
    out
}

/// Presigns `req` (V2): returns the query parameters to append, decoded (the caller
/// percent-encodes them), ending with `x-oss-signature`. `expires` is Unix seconds.
/// `req.query` must already hold every other parameter.
pub fn presign_query(
    access_key_id: &str,
    secret: &str,
    req: &SignedRequest<'_>,
    expires: i64,
    additional_headers: &[String],
) -> Vec<(String, String)> {
    let additional = normalize_additional_headers(additional_headers);
    let expires = expires.to_string();
    let mut added: Vec<(String, String)> = vec![
        ("x-oss-signature-version".to_owned(), SCHEME.to_owned()),
        ("x-oss-expires".to_owned(), expires.clone()),
        ("x-oss-access-key-id".to_owned(), access_key_id.to_owned()),
    ];
    if !additional.is_empty() {
        added.push(("x-oss-additional-headers".to_owned(), additional.join(";")));
    }
    let mut query: Vec<(String, Option<String>)> = req.query.to_vec();
    query.extend(added.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
    let full = SignedRequest { query: &query, ..*req };
    let signature = sign(secret, &string_to_sign(&full, &expires, &additional));
    added.push(("x-oss-signature".to_owned(), signature));
    added
}
