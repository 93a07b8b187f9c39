//! Service and bucket operations: ListBuckets, Put/DeleteBucket, bucket info, location, stat, ACL, listings.

use super::{owner_id, read_small_body};
use crate::body::Body;
use crate::clock::now_ms;
use crate::pipeline::Ctx;
use crate::render::{self, iso8601};
use crate::request_body::RequestBody;
use crate::state::{AppState, blocking, store_error};
use http::{Response, StatusCode};
use ossd_proto::request::valid_bucket_name;
use ossd_proto::xml::XmlWriter;
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{BucketRecord, ListQuery};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Bucket ACL values OSS accepts.
pub const BUCKET_ACLS: &[&str] = &["private", "public-read", "public-read-write"];
/// Storage classes OSS accepts.
const STORAGE_CLASSES: &[&str] = &["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"];

fn location(state: &AppState) -> String {
    format!("oss-{}", state.config.region)
}

/// Parses a `max-keys`-style parameter: default when absent, `InvalidArgument` when not a number in range.
pub fn parse_max(ctx: &Ctx, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match ctx.query.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(ApiError::invalid_argument(
                format!("Argument {name} must be an integer between 0 and {max}."),
                name,
                v,
            )),
        },
    }
}

pub fn list_buckets(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let marker = ctx.query.get("marker").unwrap_or("");
    let max = parse_max(ctx, "max-keys", 100, 1000)?;
    let paged = ctx.query.has("prefix") || ctx.query.has("marker") || ctx.query.has("max-keys");
    let all = blocking(|| state.store.list_buckets()).map_err(store_error)?;
    let matching: Vec<&BucketRecord> = all
        .iter()
        .filter(|b| b.name.starts_with(prefix) && b.name.as_str() > marker)
        .filter(|b| ctx.principal.sees_bucket(&b.owner, &b.name))
        .collect();
    let truncated = matching.len() > max;
    let page = &matching[..matching.len().min(max)];
    let mut w = XmlWriter::new();
    w.open("ListAllMyBucketsResult");
    if paged {
        w.elem("Prefix", prefix);
        w.elem("Marker", marker);
        w.elem("MaxKeys", &max.to_string());
        w.elem("IsTruncated", if truncated { "true" } else { "false" });
        if truncated && let Some(last) = page.last() {
            w.elem("NextMarker", &last.name);
        }
    }
    w.open("Owner");
    w.elem("ID", owner_id(state));
    w.elem("DisplayName", owner_id(state));
    w.close("Owner");
    let (extranet, intranet) = super::endpoints(state, ctx);
    w.open("Buckets");
    for b in page {
        w.open("Bucket");
        w.elem("CreationDate", &iso8601(b.created_ms));
        w.elem("ExtranetEndpoint", &extranet);
        w.elem("IntranetEndpoint", &intranet);
        w.elem("Location", &format!("oss-{}", b.region));
        w.elem("Name", &b.name);
        w.elem("Region", &b.region);
        w.elem("StorageClass", &b.storage_class);
        w.close("Bucket");
    }
    w.close("Buckets");
    w.close("ListAllMyBucketsResult");
    Ok(render::ok_xml(w.finish()))
}

pub async fn put_bucket(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let name = ctx.bucket_name();
    if !valid_bucket_name(name) {
        return Err(ApiError::new(ErrorCode::InvalidBucketName).field("BucketName", name));
    }
    let acl = ctx.header("x-oss-acl").unwrap_or("private");
    if !BUCKET_ACLS.contains(&acl) {
        return Err(ApiError::invalid_argument(
            "no such bucket access control exists",
            "x-oss-acl",
            acl,
        ));
    }
    let raw = read_small_body(body, 64 * 1024, ApiError::new(ErrorCode::MaxMessageLengthExceeded))
        .await?;
    let mut storage_class = "Standard".to_owned();
    if let Some(sc) = ossd_proto::bodies::parse_create_bucket(&raw)? {
        let canonical = STORAGE_CLASSES.iter().find(|c| c.eq_ignore_ascii_case(&sc));
        let Some(canonical) = canonical else {
            return Err(ApiError::invalid_argument("Invalid storage class.", "StorageClass", &sc));
        };
        storage_class = (*canonical).to_owned();
    }
    let rec = BucketRecord {
        name: name.to_owned(),
        owner: ctx.principal.owner_id(state).unwrap_or_default().to_owned(),
        created_ms: now_ms(),
        acl: acl.to_owned(),
        storage_class: storage_class.clone(),
        region: state.config.region.clone(),
        configs: Default::default(),
    };
    // PutBucket on a bucket the caller already owns succeeds, as on OSS, applying the ACL and
    // storage class it names; another owner's bucket stays 409 BucketAlreadyExists.
    if let Some(existing) = state.bucket(name)? {
        let owns = crate::auth::authorize(
            &ctx.principal,
            Some(&existing),
            ossd_proto::Access::Owner,
            false,
            false,
        )
        .is_ok();
        if !owns {
            return Err(ApiError::new(ErrorCode::BucketAlreadyExists).field("BucketName", name));
        }
        let acl_given = ctx.header("x-oss-acl").is_some();
        let class_given = !raw.iter().all(u8::is_ascii_whitespace);
        if acl_given || class_given {
            state.update_bucket(name, |r| {
                if acl_given {
                    r.acl = acl.to_owned();
                }
                if class_given {
                    r.storage_class = storage_class.clone();
                }
            })?;
        }
        let mut r = render::empty(StatusCode::OK);
        render::set(&mut r, "location", &format!("/{name}"));
        return Ok(r);
    }
    blocking(|| state.store.create_bucket(&rec)).map_err(|e| match store_error(e) {
        e if e.code == ErrorCode::BucketAlreadyExists => e.field("BucketName", name),
        e => e,
    })?;
    state.cache_bucket(rec);
    let mut r = render::empty(StatusCode::OK);
    render::set(&mut r, "location", &format!("/{name}"));
    Ok(r)
}

pub fn delete_bucket(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let name = b.record.name.clone();
    blocking(|| state.store.delete_bucket(&name)).map_err(|e| match store_error(e) {
        e if e.code == ErrorCode::NoSuchBucket => ApiError::no_such_bucket(&name),
        e => e.field("BucketName", name.clone()),
    })?;
    state.forget_bucket(&name);
    if let Err(e) = state.keys.forget_bucket(&name) {
        tracing::warn!(bucket = %name, error = %e, "could not remove grants of a deleted bucket");
    }
    Ok(render::empty(StatusCode::NO_CONTENT))
}

pub fn get_bucket_info(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    if ctx.method == http::Method::HEAD {
        return Ok(render::empty(StatusCode::OK));
    }
    let r = &b.record;
    let mut w = XmlWriter::new();
    w.open("BucketInfo");
    w.open("Bucket");
    w.elem("AccessMonitor", "Disabled");
    w.elem("CreationDate", &iso8601(r.created_ms));
    let (extranet, intranet) = super::endpoints(state, ctx);
    w.elem("ExtranetEndpoint", &extranet);
    w.elem("IntranetEndpoint", &intranet);
    w.elem("Location", &format!("oss-{}", r.region));
    w.elem("StorageClass", &r.storage_class);
    w.elem("TransferAcceleration", "Disabled");
    w.elem("CrossRegionReplication", "Disabled");
    w.elem("Name", &r.name);
    w.open("Owner");
    w.elem("DisplayName", &r.owner);
    w.elem("ID", &r.owner);
    w.close("Owner");
    w.open("AccessControlList");
    w.elem("Grant", &r.acl);
    w.close("AccessControlList");
    w.elem("Comment", "");
    w.elem("DataRedundancyType", "LRS");
    w.elem("ResourceGroupId", "rg-default-id");
    w.open("ServerSideEncryptionRule");
    w.elem("SSEAlgorithm", "None");
    w.close("ServerSideEncryptionRule");
    w.open("BucketPolicy");
    w.elem("LogBucket", "");
    w.elem("LogPrefix", "");
    w.close("BucketPolicy");
    w.elem("BlockPublicAccess", if b.block_public_access { "true" } else { "false" });
    w.close("Bucket");
    w.close("BucketInfo");
    Ok(render::ok_xml(w.finish()))
}

pub fn get_bucket_location(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    ctx.bucket()?;
    let mut w = XmlWriter::new();
    w.elem("LocationConstraint", &location(state));
    Ok(render::ok_xml(w.finish()))
}

pub fn get_bucket_stat(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let name = b.record.name.clone();
    let s = blocking(|| state.store.bucket_stats(&name)).map_err(store_error)?;
    let mut w = XmlWriter::new();
    w.open("BucketStat");
    // Every field of the current OSS document, zero for what ossd does not have (live channels,
    // delete markers) and per storage class from the one total it keeps: objects are counted
    // under Standard, as are their bytes.
    let (bytes, objects) = (s.storage_bytes.to_string(), s.object_count.to_string());
    let empty = s.object_count == 0 && s.multipart_upload_count == 0;
    let last_modified = if empty { 0 } else { s.last_modified_ms / 1000 }.to_string();
    for (name, value) in [
        ("Storage", bytes.as_str()),
        ("ObjectCount", objects.as_str()),
        ("MultipartUploadCount", &s.multipart_upload_count.to_string()),
        ("LiveChannelCount", "0"),
        // An empty bucket reports 0, as OSS does (alibabacloud-oss-v2's test of an empty bucket).
        ("LastModifiedTime", &last_modified),
        ("StandardStorage", bytes.as_str()),
        ("StandardObjectCount", objects.as_str()),
        ("InfrequentAccessStorage", "0"),
        ("InfrequentAccessRealStorage", "0"),
        ("InfrequentAccessObjectCount", "0"),
        ("ArchiveStorage", "0"),
        ("ArchiveRealStorage", "0"),
        ("ArchiveObjectCount", "0"),
        ("ColdArchiveStorage", "0"),
        ("ColdArchiveRealStorage", "0"),
        ("ColdArchiveObjectCount", "0"),
        ("DeepColdArchiveStorage", "0"),
        ("DeepColdArchiveRealStorage", "0"),
        ("DeepColdArchiveObjectCount", "0"),
        ("DeleteMarkerCount", "0"),
    ] {
        w.elem(name, value);
    }
    w.close("BucketStat");
    Ok(render::ok_xml(w.finish()))
}

/// Writes an `AccessControlPolicy` document (bucket and object ACL share the shape).
pub fn acl_doc(owner: &str, grant: &str) -> String {
    let mut w = XmlWriter::new();
    w.open("AccessControlPolicy");
    w.open("Owner");
    w.elem("ID", owner);
    w.elem("DisplayName", owner);
    w.close("Owner");
    w.open("AccessControlList");
    w.elem("Grant", grant);
    w.close("AccessControlList");
    w.close("AccessControlPolicy");
    w.finish()
}

pub fn get_bucket_acl(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    Ok(render::ok_xml(acl_doc(&b.record.owner, &b.record.acl)))
}

pub fn put_bucket_acl(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let acl = ctx.header("x-oss-acl").unwrap_or("");
    if !BUCKET_ACLS.contains(&acl) {
        return Err(ApiError::invalid_argument(
            "no such bucket access control exists",
            "x-oss-acl",
            acl,
        ));
    }
    state.update_bucket(&b.record.name, |rec| rec.acl = acl.to_owned())?;
    Ok(render::empty(StatusCode::OK))
}

/// Characters escaped by `encoding-type=url`: all but unreserved ones (the SDKs decode with plain
/// percent-decoding, so a space must be `%20`, never `+`).
const URL_ENC: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Reads `encoding-type`: absent → plain keys, `url` → percent-encoded keys, anything else is refused.
pub fn url_encoding(ctx: &Ctx) -> Result<bool, ApiError> {
    match ctx.query.get("encoding-type") {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(ApiError::invalid_argument(
            "The encoding type is not supported.",
            "encoding-type",
            other,
        )),
    }
}

/// Writes the `<CommonPrefixes>` elements of a listing.
pub fn common_prefixes(w: &mut XmlWriter, prefixes: &[String], url: bool) {
    for p in prefixes {
        w.open("CommonPrefixes");
        w.elem("Prefix", &enc(p, url));
        w.close("CommonPrefixes");
    }
}

/// Encodes a key or prefix for `encoding-type=url` responses.
pub fn enc(s: &str, url: bool) -> String {
    if url { utf8_percent_encode(s, URL_ENC).to_string() } else { s.to_owned() }
}

pub fn list_objects(state: &AppState, ctx: &Ctx, v2: bool) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let url = url_encoding(ctx)?;
    let prefix = ctx.query.get("prefix").unwrap_or("").to_owned();
    let delimiter = ctx.query.get("delimiter").unwrap_or("").to_owned();
    let max_keys = parse_max(ctx, "max-keys", 100, 1000)?;
    let (marker, token) = if v2 {
        // oss2 sends an empty `continuation-token=` on the first page: that means "no token".
        let token =
            ctx.query.get("continuation-token").filter(|t| !t.is_empty()).map(str::to_owned);
        let m = match &token {
            Some(t) => decode_token(t)?,
            None => ctx.query.get("start-after").unwrap_or("").to_owned(),
        };
        (m, token)
    } else {
        (ctx.query.get("marker").unwrap_or("").to_owned(), None)
    };
    let q = ListQuery {
        prefix: prefix.clone(),
        delimiter: delimiter.clone(),
        marker: marker.clone(),
        max_keys,
    };
    let name = b.record.name.clone();
    let page = state.store.list_objects(&name, &q).map_err(store_error)?;
    let fetch_owner = !v2 || ctx.query.get("fetch-owner") == Some("true");
    let mut w = XmlWriter::new();
    w.open("ListBucketResult");
    w.elem("Name", &name);
    w.elem("Prefix", &enc(&prefix, url));
    if v2 {
        if let Some(sa) = ctx.query.get("start-after") {
            w.elem("StartAfter", &enc(sa, url));
        }
        if let Some(t) = &token {
            w.elem("ContinuationToken", t);
        }
    } else {
        w.elem("Marker", &enc(&marker, url));
    }
    w.elem("MaxKeys", &max_keys.to_string());
    w.elem("Delimiter", &enc(&delimiter, url));
    if url {
        w.elem("EncodingType", "url");
    }
    w.elem("IsTruncated", if page.is_truncated { "true" } else { "false" });
    if page.is_truncated
        && let Some(next) = &page.next_marker
    {
        if v2 {
            w.elem("NextContinuationToken", &encode_token(next));
        } else {
            w.elem("NextMarker", &enc(next, url));
        }
    }
    if v2 {
        w.elem("KeyCount", &(page.objects.len() + page.common_prefixes.len()).to_string());
    }
    for o in &page.objects {
        w.open("Contents");
        w.elem("Key", &enc(&o.key, url));
        w.elem("LastModified", &iso8601(o.last_modified_ms));
        w.elem("ETag", &o.etag);
        w.elem("Type", &o.object_type);
        w.elem("Size", &o.size.to_string());
        w.elem("StorageClass", &o.storage_class);
        if fetch_owner {
            w.open("Owner");
            w.elem("ID", &b.record.owner);
            w.elem("DisplayName", &b.record.owner);
            w.close("Owner");
        }
        w.close("Contents");
    }
    common_prefixes(&mut w, &page.common_prefixes, url);
    w.close("ListBucketResult");
    Ok(render::ok_xml(w.finish()))
}

fn encode_token(marker: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(marker.as_bytes())
}

fn decode_token(t: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ApiError::invalid_argument(
                "The continuation token is not valid.",
                "continuation-token",
                t,
            )
        })
}
