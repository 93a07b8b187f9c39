//! Signature V1 (`OSS ak:signature` and `OSSAccessKeyId`/`Expires`/`Signature` URLs):
//! canonical resource, canonical `x-oss-*` headers, string to sign and HMAC-SHA1.
//!
//! ```text
//! StringToSign = VERB \n Content-MD5 \n Content-Type \n Date-or-Expires \n
//!                CanonicalizedOSSHeaders CanonicalizedResource
//! Signature    = base64(hmac-sha1(secret, StringToSign))
//! ```

use base64::Engine as _;

use crate::SignedRequest;

/// Query parameters that are sub-resources and so part of the V1 canonical resource, sorted by
/// byte order. The union of oss2 `ProviderAuth._subresource_key_set`, alibabacloud-oss-v2
/// `SignerV1._subresource_key_set` plus every per-operation `sub-resource` it declares, the Go v2
/// `requiredSignedParametersMap`, and the list in the OSS V1 docs. Any name starting with
/// `x-oss-` is a sub-resource too (Go v2 rule; covers `x-oss-process`, `x-oss-traffic-limit`…).
pub const SUB_RESOURCES: &[&str] = &[
    "MetaQuery",
    "accessPoint",
    "accessPointPolicy",
    "acl",
    "append",
    "asyncFetch",
    "bucketArchiveDirectRead",
    "bucketInfo",
    "callback",
    "callback-var",
    "cleanRestoredObject",
    "cloudboxes",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "dataPipeline",
    "delete",
    "encryption",
    "endTime",
    "group",
    "httpsConfig",
    "img",
    "inventory",
    "inventoryId",
    "legalHold",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "metadataConfiguration",
    "metadataInventoryTable",
    "metadataJournalTable",
    "objectInfo",
    "objectMeta",
    "objectWorm",
    "overwriteConfig",
    "partNumber",
    "policy",
    "policyStatus",
    "position",
    "publicAccessBlock",
    "qos",
    "qosInfo",
    "qosRequester",
    "quota",
    "redundancyTransition",
    "referer",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "requesterQosInfo",
    "resourceGroup",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "rtc",
    "seal",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "transferAcceleration",
    "uploadId",
    "uploads",
    "userDefinedLogFieldsConfig",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
    "wormExtend",
    "wormId",
];

/// Whether query parameter `name` is a V1 sub-resource (signed as part of the resource).
pub fn is_sub_resource(name: &str) -> bool {
    name.starts_with("x-oss-") || SUB_RESOURCES.binary_search(&name).is_ok()
}

/// The V1 CanonicalizedResource: `/bucket/key` from the decoded bucket and key (never the
/// request path), `/bucket/` for bucket operations, `/` without a bucket; then `?` and the
/// sub-resources present, sorted by name, as `k` (empty or no value) or `k=v` with the decoded
/// value, joined by `&`. A repeated sub-resource is signed once, with its first value.
pub fn canonical_resource(
    bucket: Option<&str>,
    key: Option<&str>,
    query: &[(String, Option<String>)],
) -> String {
    let mut out = String::from("/");
    if let Some(b) = bucket {
        out.push_str(b);
        out.push('/');
    }
    if let Some(k) = key {
        out.push_str(k);
    }
    let mut subs: Vec<(&str, &str)> = Vec::new();
    for (name, value) in query {
        if is_sub_resource(name) && !subs.iter().any(|(n, _)| n == name) {
            subs.push((name, value.as_deref().unwrap_or("")));
        }
    }
    subs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (name, value)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        if !value.is_empty() {
            out.push('=');
            out.push_str(value);
        }
    }
    out
}

/// Whether the V1 canonical resource of this request reads back as exactly the sub-resources it
/// has. The canonical resource joins the decoded key and the decoded sub-resources with `?`, `&`
/// and `=` unescaped, so a request whose key, sub-resource name or value holds those characters
/// before a sub-resource name signs like another request: `?partNumber=1%26uploadId=U` (one
/// parameter) like `?partNumber=1&uploadId=U` (two), and the key `k?uploads` like the key `k`
/// with `?uploads`. A signature must name one operation only, so such requests are refused.
/// Keys and values holding these characters before anything else (`a?.txt`,
/// `attachment; filename="a&b.txt"`) stay unambiguous.
pub fn is_unambiguous(
    bucket: Option<&str>,
    key: Option<&str>,
    query: &[(String, Option<String>)],
) -> bool {
    let resource = canonical_resource(bucket, key, query);
    let mut signed: Vec<&str> =
        query.iter().map(|(n, _)| n.as_str()).filter(|n| is_sub_resource(n)).collect();
    signed.sort_unstable();
    signed.dedup();
    let mut read_back: Vec<&str> = match resource.split_once('?') {
        None => Vec::new(),
        Some((_, tail)) => tail
            .split(['?', '&'])
            .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
            .filter(|n| is_sub_resource(n))
            .collect(),
    };
    read_back.sort_unstable();
    signed == read_back
}

/// The V1 CanonicalizedOSSHeaders: every `x-oss-*` header, name lower-cased, values trimmed
/// (repeated headers joined with `,`), sorted by name, each as `name:value\n`.
pub fn canonical_oss_headers(headers: &[(String, String)]) -> String {
    crate::canonical_header_lines(headers, |n| n.starts_with("x-oss-"))
}

/// The V1 string to sign. `date_or_expires` is the value of `x-oss-date` if present else `Date`
/// for header signing, or the `Expires` value for a presigned URL.
pub fn string_to_sign(req: &SignedRequest<'_>, date_or_expires: &str) -> String {
    let mut out = crate::string_to_sign_head(req, date_or_expires);
    out.push_str(&canonical_oss_headers(req.headers));
    out.push_str(&canonical_resource(req.bucket, req.key, req.query));
    out
}

/// `base64(hmac-sha1(secret, string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(crate::hmac_sha1(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// The `Authorization` header value for header signing: `OSS <ak>:<signature>`, signing the
/// request's own `x-oss-date` or `Date` header (empty if neither is present).
pub fn authorization(access_key_id: &str, secret: &str, req: &SignedRequest<'_>) -> String {
    let date = req.header("x-oss-date").or_else(|| req.header("date")).unwrap_or("");
    format!("OSS {access_key_id}:{}", sign(secret, &string_to_sign(req, date.trim())))
}

/// Presigns `req` (V1): returns the `OSSAccessKeyId`, `Expires` and `Signature` query
/// parameters, decoded, to append to the URL (the caller percent-encodes them).
/// `req.query` must already hold every other parameter (e.g. `security-token`).
pub fn presign_query(
    access_key_id: &str,
    secret: &str,
    req: &SignedRequest<'_>,
    expires: i64,
) -> Vec<(String, String)> {
    let expires = expires.to_string();
    let signature = sign(secret, &string_to_sign(req, &expires));
    vec![
        ("OSSAccessKeyId".to_owned(), access_key_id.to_owned()),
        ("Expires".to_owned(), expires),
        ("Signature".to_owned(), signature),
    ]
}
