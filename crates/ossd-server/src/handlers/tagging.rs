//! Put/Get/DeleteObjectTagging (the tags of an object's record, changed through the store like
//! PutObjectAcl: one committed record update that keeps the bytes and Last-Modified) and
//! Put/Get/DeleteBucketTags (stored with the bucket, `configs["tagging"]`, parsed once into
//! `BucketState::tags`).

use super::bucket_config;
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, BucketState, TAGGING_CONFIG, blocking, store_error};
use http::{Response, StatusCode};
use ossd_proto::docs::tagging::{self, MAX_TAGGING_BODY};
use ossd_proto::tags::{Tag, check_bucket_tags, check_object_tags};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::ObjectRecord;

/// Reads and parses a tagging body (`Content-MD5` checked when given).
async fn read_tags(ctx: &Ctx, body: RequestBody) -> Result<Vec<Tag>, ApiError> {
    let raw = bucket_config::read(ctx, body, MAX_TAGGING_BODY, "tagging document").await?;
    tagging::parse(&raw)
}

/// The object `key` of `b` if the request may act on it (its own ACL decides, per the
/// operation's row), else the error; a missing object is `NoSuchKey`.
fn object(
    state: &AppState,
    ctx: &Ctx,
    b: &BucketState,
    key: &str,
) -> Result<ObjectRecord, ApiError> {
    let rec = state.store.get_object(&b.record.name, key).map_err(store_error)?;
    ctx.authz.object(b, rec.as_ref().map(|r| r.acl))?;
    rec.ok_or_else(|| ApiError::no_such_key(key))
}

/// Replaces the tags of object `key` in one committed record update.
fn set_object_tags(state: &AppState, ctx: &Ctx, key: &str, tags: Vec<Tag>) -> Result<(), ApiError> {
    let b = ctx.bucket()?;
    object(state, ctx, b, key)?;
    let mut tags = Some(tags);
    blocking(|| {
        state.store.update_object(&b.record.name, key, &mut |r| {
            if let Some(t) = tags.take() {
                r.tags = t;
            }
        })
    })
    .map_err(|e| match store_error(e) {
        e if e.code == ErrorCode::NoSuchKey => ApiError::no_such_key(key),
        e => e,
    })?;
    Ok(())
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
    set_object_tags(state, ctx, key, tags)?;
    Ok(render::empty(StatusCode::OK))
}

/// GetObjectTagging: the object's tags, an empty set when it has none.
pub fn get_object_tagging(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    let rec = object(state, ctx, ctx.bucket()?, key)?;
    Ok(render::ok_xml(tagging::render(&rec.tags)))
}

/// DeleteObjectTagging: removes every tag; `204` also when there were none.
pub fn delete_object_tagging(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    set_object_tags(state, ctx, key, Vec::new())?;
    Ok(render::empty(StatusCode::NO_CONTENT))
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
