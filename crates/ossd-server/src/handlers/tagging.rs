//! Put/Get/DeleteObjectTagging (the tags of an object's record, changed through the store like
//! PutObjectAcl: one committed record update that keeps the bytes and Last-Modified) and
//! Put/Get/DeleteBucketTags (stored with the bucket, `configs["tagging"]`, parsed once into
//! `BucketState::tags`).

use super::{bucket_config, version_arg};
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, BucketState, TAGGING_CONFIG, blocking};
use http::{Response, StatusCode};
use ossd_proto::ApiError;
use ossd_proto::docs::tagging::{self, MAX_TAGGING_BODY};
use ossd_proto::tags::{Tag, check_bucket_tags, check_object_tags};
use ossd_store::ObjectRecord;

/// Reads and parses a tagging body (`Content-MD5` checked when given).
async fn read_tags(ctx: &Ctx, body: RequestBody) -> Result<Vec<Tag>, ApiError> {
    let raw = bucket_config::read(ctx, body, MAX_TAGGING_BODY, "tagging document").await?;
    tagging::parse(&raw)
}

/// The object `key` of `b` (or the version `versionId` names) if the request may act on it
/// (its own ACL decides, per the operation's row), else the error; a missing object is
/// `NoSuchKey`.
fn object(
    state: &AppState,
    ctx: &Ctx,
    b: &BucketState,
    key: &str,
) -> Result<ObjectRecord, ApiError> {
    super::object::readable_version(state, ctx, b, key, "GET")
}

/// Replaces the tags of object `key` (or of the version `versionId` names) in one committed
/// record update; answers the version changed.
fn set_object_tags(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    tags: Vec<Tag>,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    object(state, ctx, b, key)?;
    let sel = version_arg::requested(ctx, b)?;
    let mut tags = Some(tags);
    let rec = blocking(|| {
        state.store.update_version(&b.record.name, key, sel.as_ref(), &mut |r| {
            if let Some(t) = tags.take() {
                r.tags = t;
            }
        })
    })
    .map_err(|e| version_arg::update_error(e, key, sel.as_ref(), "PUT"))?;
    let mut r = render::empty(status);
    if sel.is_some() || version_arg::versioned(b) {
        version_arg::set_id(&mut r, rec.version_label());
    }
    Ok(r)
}

/// PutObjectTagging: replaces the object's whole tag set.
pub async fn put_object_tagging(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let tags = read_tags(ctx, body).await?;
    check_object_tags(&tags)?;
    set_object_tags(state, ctx, key, tags, StatusCode::OK)
}

/// GetObjectTagging: the object's tags, an empty set when it has none.
pub fn get_object_tagging(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let rec = object(state, ctx, b, key)?;
    let mut r = render::ok_xml(tagging::render(&rec.tags));
    if ctx.query.has(version_arg::VERSION_ID) || version_arg::versioned(b) {
        version_arg::set_id(&mut r, rec.version_label());
    }
    Ok(r)
}

/// DeleteObjectTagging: removes every tag; `204` also when there were none.
pub fn delete_object_tagging(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    set_object_tags(state, ctx, key, Vec::new(), StatusCode::NO_CONTENT)
}

/// PutBucketTags: replaces the bucket's whole tag set (the 2021 reference; S3 does the same).
pub async fn put_bucket_tags(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let tags = read_tags(ctx, body).await?;
    check_bucket_tags(&tags)?;
    store_bucket_tags(state, b, &tags)?;
    Ok(render::empty(StatusCode::OK))
}

/// GetBucketTags: the bucket's tags, an empty set when it has none.
pub fn get_bucket_tags(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    Ok(render::ok_xml(tagging::render(&ctx.bucket()?.tags)))
}

/// DeleteBucketTags: all tags, or with `?tagging=k1,k2` only the keys listed; `204` also when
/// nothing matched.
pub fn delete_bucket_tags(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let listed: Vec<&str> =
        ctx.query.get("tagging").unwrap_or("").split(',').filter(|k| !k.is_empty()).collect();
    let kept: Vec<Tag> = if listed.is_empty() {
        Vec::new()
    } else {
        b.tags.iter().filter(|(k, _)| !listed.contains(&k.as_str())).cloned().collect()
    };
    if kept.len() != b.tags.len() {
        store_bucket_tags(state, b, &kept)?;
    }
    Ok(render::empty(StatusCode::NO_CONTENT))
}

/// Stores `tags` as the bucket's (none removes the configuration).
fn store_bucket_tags(state: &AppState, b: &BucketState, tags: &[Tag]) -> Result<(), ApiError> {
    bucket_config::set(state, b, TAGGING_CONFIG, (!tags.is_empty()).then(|| tagging::render(tags)))
}
