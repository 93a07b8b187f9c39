//! Addressing and classification: from method, Host, path and query to one typed [`Operation`].

use crate::error::{ApiError, ErrorCode};
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

/// Sub-resources of OSS features ossd does not implement yet: requests naming them get `NotImplemented`.
const NOT_IMPLEMENTED: &[&str] = &[
    "lifecycle",
    "website",
    "logging",
    "referer",
    "tagging",
    "symlink",
    "replication",
    "replicationProgress",
    "replicationLocation",
    "encryption",
    "policy",
    "policyStatus",
    "versioning",
    "versions",
    "versionId",
    "worm",
    "wormId",
    "wormExtend",
    "inventory",
    "qos",
    "requestPayment",
    "transferAcceleration",
    "restore",
    "cname",
    "live",
    "img",
    "style",
    "x-oss-process",
    "callback",
    "selectObject",
    "resourceGroup",
    "httpsConfig",
    "accessPoint",
    "objectInfo",
    "regionList",
    "comp",
    "processConfiguration",
    "userDefinedLogFieldsConfig",
];

/// One OSS operation: what the request asks for, with the parts of the address it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // variants are named exactly like the OSS API operations
pub enum Operation {
    ListBuckets,
    HealthCheck,
    PutBucket,
    DeleteBucket,
    HeadBucket,
    GetBucketInfo,
    GetBucketLocation,
    GetBucketStat,
    GetBucketAcl,
    PutBucketAcl,
    ListObjects,
    ListObjectsV2,
    PutBucketCors,
    GetBucketCors,
    DeleteBucketCors,
    DeleteMultipleObjects,
    PostObject,
    ListMultipartUploads,
    Preflight {
        key: Option<String>,
    },
    PutObject {
        key: String,
    },
    CopyObject {
        key: String,
    },
    AppendObject {
        key: String,
    },
    GetObject {
        key: String,
    },
    HeadObject {
        key: String,
    },
    GetObjectMeta {
        key: String,
    },
    DeleteObject {
        key: String,
    },
    GetObjectAcl {
        key: String,
    },
    PutObjectAcl {
        key: String,
    },
    InitiateMultipartUpload {
        key: String,
    },
    UploadPart {
        key: String,
    },
    UploadPartCopy {
        key: String,
    },
    CompleteMultipartUpload {
        key: String,
    },
    AbortMultipartUpload {
        key: String,
    },
    ListParts {
        key: String,
    },
    /// A request ossd recognises but does not implement: answered `501 NotImplemented`.
    NotImplemented {
        what: String,
    },
    /// A method that makes no sense for the resource: `405 MethodNotAllowed`.
    MethodNotAllowed,
}

impl Operation {
    /// The OSS name of the operation, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::ListBuckets => "ListBuckets",
            Operation::HealthCheck => "HealthCheck",
            Operation::PutBucket => "PutBucket",
            Operation::DeleteBucket => "DeleteBucket",
            Operation::HeadBucket => "HeadBucket",
            Operation::GetBucketInfo => "GetBucketInfo",
            Operation::GetBucketLocation => "GetBucketLocation",
            Operation::GetBucketStat => "GetBucketStat",
            Operation::GetBucketAcl => "GetBucketAcl",
            Operation::PutBucketAcl => "PutBucketAcl",
            Operation::ListObjects => "ListObjects",
            Operation::ListObjectsV2 => "ListObjectsV2",
            Operation::PutBucketCors => "PutBucketCors",
            Operation::GetBucketCors => "GetBucketCors",
            Operation::DeleteBucketCors => "DeleteBucketCors",
            Operation::DeleteMultipleObjects => "DeleteMultipleObjects",
            Operation::PostObject => "PostObject",
            Operation::ListMultipartUploads => "ListMultipartUploads",
            Operation::Preflight { .. } => "OptionObject",
            Operation::PutObject { .. } => "PutObject",
            Operation::CopyObject { .. } => "CopyObject",
            Operation::AppendObject { .. } => "AppendObject",
            Operation::GetObject { .. } => "GetObject",
            Operation::HeadObject { .. } => "HeadObject",
            Operation::GetObjectMeta { .. } => "GetObjectMeta",
            Operation::DeleteObject { .. } => "DeleteObject",
            Operation::GetObjectAcl { .. } => "GetObjectAcl",
            Operation::PutObjectAcl { .. } => "PutObjectAcl",
            Operation::InitiateMultipartUpload { .. } => "InitiateMultipartUpload",
            Operation::UploadPart { .. } => "UploadPart",
            Operation::UploadPartCopy { .. } => "UploadPartCopy",
            Operation::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Operation::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Operation::ListParts { .. } => "ListParts",
            Operation::NotImplemented { .. } => "NotImplemented",
            Operation::MethodNotAllowed => "MethodNotAllowed",
        }
    }

    /// The object key the operation touches, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Operation::Preflight { key } => key.as_deref(),
            Operation::PutObject { key }
            | Operation::CopyObject { key }
            | Operation::AppendObject { key }
            | Operation::GetObject { key }
            | Operation::HeadObject { key }
            | Operation::GetObjectMeta { key }
            | Operation::DeleteObject { key }
            | Operation::GetObjectAcl { key }
            | Operation::PutObjectAcl { key }
            | Operation::InitiateMultipartUpload { key }
            | Operation::UploadPart { key }
            | Operation::UploadPartCopy { key }
            | Operation::CompleteMultipartUpload { key }
            | Operation::AbortMultipartUpload { key }
            | Operation::ListParts { key } => Some(key),
            _ => None,
        }
    }

    /// True for operations that only read.
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Operation::ListBuckets
                | Operation::HeadBucket
                | Operation::GetBucketInfo
                | Operation::GetBucketLocation
                | Operation::GetBucketStat
                | Operation::GetBucketAcl
                | Operation::ListObjects
                | Operation::ListObjectsV2
                | Operation::GetBucketCors
                | Operation::ListMultipartUploads
                | Operation::GetObject { .. }
                | Operation::HeadObject { .. }
                | Operation::GetObjectMeta { .. }
                | Operation::GetObjectAcl { .. }
                | Operation::ListParts { .. }
        )
    }
}

/// True when [`classify`] would return [`Operation::Preflight`]: an `OPTIONS` request naming a
/// bucket. Lets the preflight path skip building the operation (and copying the key).
pub fn is_preflight(method: &str, target: &Target) -> bool {
    method == "OPTIONS" && target.bucket.is_some()
}

/// Classifies a request. `copy_source` tells whether `x-oss-copy-source` was sent.
pub fn classify(method: &str, target: &Target, query: &Query, copy_source: bool) -> Operation {
    if is_preflight(method, target) {
        return Operation::Preflight { key: target.key.clone() };
    }
    if method != "OPTIONS"
        && let Some(what) = NOT_IMPLEMENTED.iter().find(|s| query.has(s))
    {
        return Operation::NotImplemented { what: (*what).to_owned() };
    }
    let Some(_bucket) = &target.bucket else {
        return match method {
            "GET" => Operation::ListBuckets,
            _ => Operation::MethodNotAllowed,
        };
    };
    let q = |s: &str| query.has(s);
    match &target.key {
        None => match method {
            "GET" if q("acl") => Operation::GetBucketAcl,
            "GET" if q("cors") => Operation::GetBucketCors,
            "GET" if q("location") => Operation::GetBucketLocation,
            "GET" if q("bucketInfo") => Operation::GetBucketInfo,
            "GET" if q("stat") => Operation::GetBucketStat,
            "GET" if q("uploads") => Operation::ListMultipartUploads,
            "GET" if query.get("list-type") == Some("2") => Operation::ListObjectsV2,
            "GET" => Operation::ListObjects,
            "HEAD" => Operation::HeadBucket,
            "PUT" if q("acl") => Operation::PutBucketAcl,
            "PUT" if q("cors") => Operation::PutBucketCors,
            "PUT" => Operation::PutBucket,
            "DELETE" if q("cors") => Operation::DeleteBucketCors,
            "DELETE" if q("uploads") => Operation::MethodNotAllowed,
            "DELETE" => Operation::DeleteBucket,
            "POST" if q("delete") => Operation::DeleteMultipleObjects,
            "POST" => Operation::PostObject,
            _ => Operation::MethodNotAllowed,
        },
        Some(key) => {
            let key = key.clone();
            match method {
                "GET" if q("acl") => Operation::GetObjectAcl { key },
                "GET" if q("objectMeta") => Operation::GetObjectMeta { key },
                "GET" if q("uploadId") => Operation::ListParts { key },
                "GET" => Operation::GetObject { key },
                "HEAD" if q("objectMeta") => Operation::GetObjectMeta { key },
                "HEAD" => Operation::HeadObject { key },
                "PUT" if q("acl") => Operation::PutObjectAcl { key },
                "PUT" if q("uploadId") && copy_source => Operation::UploadPartCopy { key },
                "PUT" if q("uploadId") => Operation::UploadPart { key },
                "PUT" if copy_source => Operation::CopyObject { key },
                "PUT" => Operation::PutObject { key },
                "DELETE" if q("uploadId") => Operation::AbortMultipartUpload { key },
                "DELETE" => Operation::DeleteObject { key },
                "POST" if q("append") => Operation::AppendObject { key },
                "POST" if q("uploads") => Operation::InitiateMultipartUpload { key },
                "POST" if q("uploadId") => Operation::CompleteMultipartUpload { key },
                _ => Operation::MethodNotAllowed,
            }
        }
    }
}
