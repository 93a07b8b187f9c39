//! Put/Get/DeleteBucketPublicAccessBlock: Block Public Access of one bucket, stored with the
//! bucket (`configs["publicAccessBlock"]`); its effect is decided in `auth` (public ACLs ignored,
//! new public ACLs refused).

use super::bucket_config;
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, PUBLIC_ACCESS_BLOCK_CONFIG};
use http::Response;
use ossd_proto::ApiError;
use ossd_proto::docs::public_access_block::{self, MAX_PUBLIC_ACCESS_BLOCK_BODY};

/// PutBucketPublicAccessBlock.
pub async fn put(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let what = "public access block configuration";
    let raw = bucket_config::read(ctx, body, MAX_PUBLIC_ACCESS_BLOCK_BODY, what).await?;
    let block = public_access_block::parse(&raw)?;
    bucket_config::store(state, ctx, PUBLIC_ACCESS_BLOCK_CONFIG, Some(block.to_string()))
}

/// GetBucketPublicAccessBlock: the setting, `false` for a bucket that never set it.
pub fn get(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    Ok(render::ok_xml(public_access_block::render(b.block_public_access)))
}

/// DeleteBucketPublicAccessBlock: back to the default (off); idempotent.
pub fn delete(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    bucket_config::delete(state, ctx, PUBLIC_ACCESS_BLOCK_CONFIG)
}
