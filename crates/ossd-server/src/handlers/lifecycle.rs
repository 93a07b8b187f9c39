//! Put/Get/DeleteBucketLifecycle: the rules, stored with the bucket in their canonical XML
//! (`configs["lifecycle"]`, `ossd_proto::docs::lifecycle`), parsed once into
//! `BucketState::lifecycle`.

use super::bucket_config;
use crate::body::Body;
use crate::headers;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, LIFECYCLE_CONFIG};
use http::{Response, StatusCode};
use ossd_proto::docs::lifecycle::{self, MAX_LIFECYCLE_BODY};
use ossd_proto::{ApiError, ErrorCode};

/// PutBucketLifecycle: replaces the whole configuration.
pub async fn put(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let raw = bucket_config::read(ctx, body, MAX_LIFECYCLE_BODY, "lifecycle configuration").await?;
    let allow_overlap = ctx
        .header(headers::X_OSS_ALLOW_SAME_ACTION_OVERLAP)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let cfg = lifecycle::parse(&raw, allow_overlap)?;
    bucket_config::set(state, b, LIFECYCLE_CONFIG, Some(lifecycle::render(&cfg)))?;
    Ok(render::empty(StatusCode::OK))
}

/// GetBucketLifecycle: the rules, or `NoSuchLifecycle` for a bucket without any.
pub fn get(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    match &b.lifecycle {
        Some(cfg) => Ok(render::ok_xml(lifecycle::render(cfg))),
        None => Err(ApiError::new(ErrorCode::NoSuchLifecycle).field("BucketName", &b.record.name)),
    }
}

/// DeleteBucketLifecycle: removes every rule; `204` also when there were none.
pub fn delete(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    bucket_config::set(state, ctx.bucket()?, LIFECYCLE_CONFIG, None)?;
    Ok(render::empty(StatusCode::NO_CONTENT))
}
