//! Service and bucket operations: ListBuckets, Put/DeleteBucket, bucket info, location, stat, ACL, listings.

use super::object_template::{bucket_acl, storage_class};
use super::{owner_id, read_small_body};
use crate::body::Body;
use crate::clock::now_ms;
use crate::headers;
use crate::pipeline::Ctx;
use crate::render::{self, iso8601};
use crate::request_body::RequestBody;
use crate::state::{AppState, blocking, store_error};
use http::{Response, StatusCode, header};
use ossd_proto::docs::acl::AccessControlPolicy;
use ossd_proto::docs::bucket_info::BucketInfo;
use ossd_proto::docs::bucket_stat::BucketStat;
use ossd_proto::docs::create_bucket::CreateBucketConfiguration;
use ossd_proto::docs::list_buckets::{BucketEntry, BucketsPage, ListAllMyBucketsResult};
use ossd_proto::docs::list_objects::{ListBucketResult, ObjectEntry, Paging};
use ossd_proto::docs::location::LocationConstraint;
use ossd_proto::request::valid_bucket_name;
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{BucketRecord, ListQuery, ObjectRecord, StorageClass};

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
    let (extranet, intranet) = super::endpoints(state, ctx);
    let doc = ListAllMyBucketsResult {
        page: paged.then(|| BucketsPage {
            prefix,
            marker,
            max_keys: max,
            is_truncated: truncated,
            next_marker: page.last().map(|b| b.name.as_str()),
        }),
        owner: owner_id(state),
        buckets: page
            .iter()
            .map(|b| BucketEntry {
                creation_date: iso8601(b.created_ms),
                extranet_endpoint: &extranet,
                intranet_endpoint: &intranet,
                location: format!("oss-{}", b.region),
                name: &b.name,
                region: &b.region,
                storage_class: b.storage_class.as_str(),
            })
            .collect(),
    };
    Ok(render::ok_xml(doc.to_xml()))
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
    let acl = bucket_acl(ctx.header(headers::X_OSS_ACL).unwrap_or("private"))?;
    let raw = read_small_body(body, 64 * 1024, ApiError::new(ErrorCode::MaxMessageLengthExceeded))
        .await?;
    let storage_class = match CreateBucketConfiguration::parse(&raw)?.storage_class {
        Some(sc) => storage_class(&sc, "StorageClass")?,
        None => StorageClass::Standard,
    };
    // `x-oss-server-side-encryption` on PutBucket sets the bucket default (as PutBucketEncryption).
    let sse =
        super::encryption::parse_requested(ctx.header(headers::X_OSS_SERVER_SIDE_ENCRYPTION))?
            .map(|a| (super::encryption::ENCRYPTION_CONFIG.to_owned(), a.as_str().to_owned()));
    let rec = BucketRecord {
        name: name.to_owned(),
        owner: ctx.principal.owner_id(state).unwrap_or_default().to_owned(),
        created_ms: now_ms(),
        acl,
        storage_class,
        region: state.config.region.clone(),
        configs: sse.iter().cloned().collect(),
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
        let acl_given = ctx.header(headers::X_OSS_ACL).is_some();
        let class_given = !raw.iter().all(u8::is_ascii_whitespace);
        if acl_given || class_given || sse.is_some() {
            state.update_bucket(name, |r| {
                if acl_given {
                    r.acl = acl;
                }
                if class_given {
                    r.storage_class = storage_class;
                }
                r.configs.extend(sse.clone());
            })?;
        }
        let mut r = render::empty(StatusCode::OK);
        render::set(&mut r, header::LOCATION, &format!("/{name}"));
        return Ok(r);
    }
    blocking(|| state.store.create_bucket(&rec)).map_err(|e| match store_error(e) {
        e if e.code == ErrorCode::BucketAlreadyExists => e.field("BucketName", name),
        e => e,
    })?;
    state.cache_bucket(rec);
    let mut r = render::empty(StatusCode::OK);
    render::set(&mut r, header::LOCATION, &format!("/{name}"));
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
    let (extranet, intranet) = super::endpoints(state, ctx);
    let doc = BucketInfo {
        creation_date: iso8601(r.created_ms),
        extranet_endpoint: &extranet,
        intranet_endpoint: &intranet,
        location: format!("oss-{}", r.region),
        storage_class: r.storage_class.as_str(),
        name: &r.name,
        owner: &r.owner,
        acl: r.acl.as_str(),
        block_public_access: b.block_public_access,
        sse_algorithm: super::encryption::bucket_default(b).map_or("None", |a| a.as_str()),
        versioning: ossd_store::Versioning::of(r).as_str(),
    };
    Ok(render::ok_xml(doc.to_xml()))
}

pub fn get_bucket_location(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    ctx.bucket()?;
    Ok(render::ok_xml(LocationConstraint { location: &location(state) }.to_xml()))
}

pub fn get_bucket_stat(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let name = b.record.name.clone();
    let s = blocking(|| state.store.bucket_stats(&name)).map_err(store_error)?;
    // An empty bucket reports 0, as OSS does (alibabacloud-oss-v2's test of an empty bucket).
    let empty = s.object_count == 0 && s.multipart_upload_count == 0 && s.delete_marker_count == 0;
    let doc = BucketStat {
        storage: s.storage_bytes,
        object_count: s.object_count,
        multipart_upload_count: s.multipart_upload_count,
        last_modified_time: if empty { 0 } else { s.last_modified_ms / 1000 },
        delete_marker_count: s.delete_marker_count,
    };
    Ok(render::ok_xml(doc.to_xml()))
}

pub fn get_bucket_acl(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let doc = AccessControlPolicy { owner: &b.record.owner, grant: b.record.acl.as_str() };
    Ok(render::ok_xml(doc.to_xml()))
}

pub fn put_bucket_acl(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let acl = bucket_acl(ctx.header(headers::X_OSS_ACL).unwrap_or(""))?;
    state.update_bucket(&b.record.name, |rec| rec.acl = acl)?;
    Ok(render::empty(StatusCode::OK))
}

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
        include_markers: false,
    };
    let name = b.record.name.clone();
    let page = state.store.list_objects(&name, &q).map_err(store_error)?;
    let fetch_owner = !v2 || ctx.query.get("fetch-owner") == Some("true");
    let paging = if v2 {
        Paging::V2 {
            start_after: ctx.query.get("start-after"),
            continuation_token: token.as_deref(),
            next_continuation_token: page.next_marker.as_deref().map(encode_token),
        }
    } else {
        Paging::V1 { marker: &marker, next_marker: page.next_marker.as_deref() }
    };
    let doc = ListBucketResult {
        name: &name,
        prefix: &prefix,
        paging,
        max_keys,
        delimiter: &delimiter,
        url,
        is_truncated: page.is_truncated,
        contents: page
            .objects
            .iter()
            .map(|o| object_entry(o, fetch_owner.then_some(b.record.owner.as_str())))
            .collect(),
        common_prefixes: &page.common_prefixes,
    };
    Ok(render::ok_xml(doc.to_xml()))
}

/// An object as the listings show it (`<Contents>`, `<Version>`), with the owner if given.
pub fn object_entry<'a>(o: &'a ObjectRecord, owner: Option<&'a str>) -> ObjectEntry<'a> {
    ObjectEntry {
        key: &o.key,
        last_modified: iso8601(o.last_modified_ms),
        etag: &o.etag,
        object_type: o.object_type.as_str(),
        size: o.size,
        storage_class: o.storage_class.as_str(),
        owner,
    }
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
