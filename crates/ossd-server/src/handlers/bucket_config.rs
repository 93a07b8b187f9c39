//! What the bucket configuration sub-resources (CORS, referer, website, public access block)
//! share: a small XML body read whole, checked against `Content-MD5`, and kept in the bucket
//! record's `configs` under the sub-resource's name (parsed once into `state::BucketState`).

use super::{check_content_md5, read_small_body};
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, BucketState};
use bytes::Bytes;
use http::{Response, StatusCode};
use ossd_proto::{ApiError, ErrorCode};

/// The body of a Put of a configuration: at most `limit` bytes (else `MaxMessageLengthExceeded`
/// naming `what`), matching its `Content-MD5` when one is sent.
pub async fn read(
    ctx: &Ctx,
    body: RequestBody,
    limit: usize,
    what: &str,
) -> Result<Bytes, ApiError> {
    let too_large = ApiError::msg(
        ErrorCode::MaxMessageLengthExceeded,
        format!("The {what} must not be larger than {} KB.", limit / 1024),
    );
    let raw = read_small_body(body, limit, too_large).await?;
    check_content_md5(ctx, &raw)?;
    Ok(raw)
}

/// Stores `value` (the canonical document) under `key` of `bucket`'s configurations, or removes
/// it when `None` (removing what is not there writes nothing).
pub fn set(
    state: &AppState,
    bucket: &BucketState,
    key: &str,
    value: Option<String>,
) -> Result<(), ApiError> {
    if value.is_none() && !bucket.record.configs.contains_key(key) {
        return Ok(());
    }
    state.update_bucket(&bucket.record.name, |rec| match &value {
        Some(v) => {
            rec.configs.insert(key.to_owned(), v.clone());
        }
        None => {
            rec.configs.remove(key);
        }
    })?;
    Ok(())
}

/// [`set`] for the request's bucket, answered 200 (a Put).
pub fn store(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    value: Option<String>,
) -> Result<Response<Body>, ApiError> {
    set(state, ctx.bucket()?, key, value)?;
    Ok(render::empty(StatusCode::OK))
}

/// Deletes the configuration under `key`: 204, also when there was none.
pub fn delete(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    set(state, ctx.bucket()?, key, None)?;
    Ok(render::empty(StatusCode::NO_CONTENT))
}
