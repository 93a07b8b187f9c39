//! Addressing and classification: from method, Host, path and query to one typed [`Operation`].

use crate::error::{ApiError, ErrorCode};
pub use crate::operation::{Operation, classify, is_preflight};
use percent_encoding::percent_decode_str;
use std::borrow::Cow;

/// Decoded query parameters in arrival order; `None` means the name came without `=`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// The pairs, decoded.
    pub pairs: Vec<(String, Option<String>)>,
}

impl Query {
    /// Parses a raw query string (`a=1&b&c=`); `+` is a space, as in HTML forms.
    pub fn parse(raw: &str) -> Result<Query, ApiError> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (part, None),
            };
            let k = decode_query_component(k)?;
            let v = v.map(decode_query_component).transpose()?;
            pairs.push((k, v));
        }
        Ok(Query { pairs })
    }
    /// True when the parameter is present (with or without a value).
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }
    /// The first value of a parameter (`Some("")` for `name` or `name=`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_deref().unwrap_or(""))
    }
}

fn decode_query_component(s: &str) -> Result<String, ApiError> {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8().map(|c| c.into_owned()).map_err(|_| {
        ApiError::msg(ErrorCode::InvalidArgument, "The query string is not valid UTF-8.")
    })
}

/// Where a request points: the bucket (if any) and the key (if any, never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The bucket name, `None` for service-level requests.
    pub bucket: Option<String>,
    /// The decoded object key, `None` for bucket- and service-level requests.
    pub key: Option<String>,
    /// True when the bucket came from the Host header (virtual-hosted style).
    pub virtual_hosted: bool,
}

/// Resolves bucket and key from Host and path.
///
/// Virtual-hosted: `bucket.<domain>` for a configured domain (always including `localhost`), and
/// `bucket.oss-<region>.aliyuncs.com` (the Host `ali-oss` sends on an IP endpoint). Everything else
/// (IP addresses, the bare domains, unknown hosts) is path-style: `/bucket/key`.
pub fn resolve(host: Option<&str>, raw_path: &str, domains: &[String]) -> Result<Target, ApiError> {
    resolve_ref(host, raw_path, domains).map(TargetRef::into_owned)
}

/// A [`Target`] that borrows bucket and key from the request path where it can (no `%` in the
/// path, bucket not from the Host), for paths that only look at them, like a preflight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRef<'a> {
    /// The bucket name, `None` for service-level requests.
    pub bucket: Option<Cow<'a, str>>,
    /// The decoded object key, `None` for bucket- and service-level requests.
    pub key: Option<Cow<'a, str>>,
    /// True when the bucket came from the Host header (virtual-hosted style).
    pub virtual_hosted: bool,
}

impl TargetRef<'_> {
    /// The owned [`Target`] with the same fields.
    pub fn into_owned(self) -> Target {
        Target {
            bucket: self.bucket.map(Cow::into_owned),
            key: self.key.map(Cow::into_owned),
            virtual_hosted: self.virtual_hosted,
        }
    }
}

/// [`resolve`] without copying bucket and key when they are plain slices of `raw_path`: the same
/// checks, errors and fields.
pub fn resolve_ref<'a>(
    host: Option<&str>,
    raw_path: &'a str,
    domains: &[String],
) -> Result<TargetRef<'a>, ApiError> {
    if !raw_path.starts_with('/') {
        return Err(ApiError::msg(
            ErrorCode::InvalidRequest,
            "The request path must start with '/'.",
        ));
    }
    let host_bucket = host.and_then(|h| host_bucket(h, domains));
    // Without a `%` the path decodes to itself (and a `&str` is already UTF-8).
    if !raw_path.contains('%') {
        return Ok(split_target(&raw_path[1..], host_bucket));
    }
    let path = percent_decode_str(raw_path).decode_utf8().map_err(|_| {
        ApiError::msg(ErrorCode::InvalidObjectName, "The object name is not valid UTF-8.")
    })?;
    let t = split_target(&path[1..], host_bucket);
    Ok(TargetRef {
        bucket: t.bucket.map(|b| Cow::Owned(b.into_owned())),
        key: t.key.map(|k| Cow::Owned(k.into_owned())),
        virtual_hosted: t.virtual_hosted,
    })
}

/// Bucket and key from the decoded path after its `/` and the bucket named by the Host, if any.
fn split_target(rest: &str, host_bucket: Option<String>) -> TargetRef<'_> {
    if let Some(bucket) = host_bucket {
        let key = if rest.is_empty() { None } else { Some(Cow::Borrowed(rest)) };
        return TargetRef { bucket: Some(Cow::Owned(bucket)), key, virtual_hosted: true };
    }
    if rest.is_empty() {
        return TargetRef { bucket: None, key: None, virtual_hosted: false };
    }
    let (bucket, key) = match rest.split_once('/') {
        Some((b, k)) => (b, if k.is_empty() { None } else { Some(Cow::Borrowed(k)) }),
        None => (rest, None),
    };
    TargetRef { bucket: Some(Cow::Borrowed(bucket)), key, virtual_hosted: false }
}

/// The bucket named by a virtual-hosted Host header, if the Host is of that form. Host and domains
/// compare ASCII case-insensitively; the bucket comes back lower-cased. An IP address is never a
/// bucket host (checked only once a form matched: most Hosts match none).
fn host_bucket(host: &str, domains: &[String]) -> Option<String> {
    let host = strip_port(host);
    let not_ip = || host.parse::<std::net::IpAddr>().is_err();
    let candidates = domains.iter().map(String::as_str).chain(std::iter::once("localhost"));
    for d in candidates {
        if let Some(prefix) = strip_suffix_ignore_case(host, d).and_then(|p| p.strip_suffix('.'))
            && !prefix.is_empty()
            && !prefix.contains('.')
            && not_ip()
        {
            return Some(prefix.to_ascii_lowercase());
        }
    }
    // ali-oss on an IP endpoint rewrites Host to `<bucket>.oss-<region>[-internal].aliyuncs.com`.
    let (bucket, rest) = host.split_once('.')?;
    if rest.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("oss-"))
        && strip_suffix_ignore_case(rest, ".aliyuncs.com").is_some()
        && !bucket.is_empty()
        && not_ip()
    {
        return Some(bucket.to_ascii_lowercase());
    }
    None
}

/// `s` without `suffix`, compared ASCII case-insensitively; `None` if `s` does not end with it.
fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    // `get` also refuses a cut inside a multi-byte character (which could not match anyway).
    let (head, tail) = (s.get(..cut)?, s.get(cut..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map(|(h, _)| &host[..h.len() + 1]).unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Checks an OSS bucket name: 3–63 characters of `a-z`, `0-9` and `-`, starting and ending with a letter or digit.
pub fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first().is_some_and(|c| *c != b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

/// The longest object key OSS accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 1023;

/// Checks an object key: 1..=1023 bytes (UTF-8 is guaranteed by decoding).
pub fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidObjectName));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(ApiError::new(ErrorCode::KeyTooLong).field("Key", key));
    }
    Ok(())
}

/// Checks the key of an object about to be created: [`check_key`], no leading `/` or `\\`, and no character that XML 1.0
/// cannot carry (C0 controls other than tab, line feed and carriage return; U+FFFE, U+FFFF), so
/// that every listing and error document naming it stays well-formed.
pub fn check_new_key(key: &str) -> Result<(), ApiError> {
    check_key(key)?;
    // OSS: "cannot start with a forward slash (/) or a backslash (\\)" (EC 0016-00000005).
    if key.starts_with('/') || key.starts_with('\\') {
        return Err(ApiError::msg(
            ErrorCode::InvalidObjectName,
            "The object name cannot start with a forward slash (/) or a backslash (\\).",
        )
        .with_ec(Some("0016-00000005")));
    }
    if !key.chars().all(crate::xml::is_xml_char) {
        return Err(ApiError::msg(
            ErrorCode::InvalidObjectName,
            "The object name holds a control character that XML cannot carry; such names are not accepted.",
        ));
    }
    Ok(())
}
