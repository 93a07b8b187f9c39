//! Put/Get/DeleteBucketPublicAccessBlock: Block Public Access of one bucket, stored with the
//! bucket (`configs["publicAccessBlock"]`); its effect is decided in `auth` (public ACLs ignored,
//! new public ACLs refused).

use super::{check_content_md5, read_small_body};
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, PUBLIC_ACCESS_BLOCK_CONFIG};
use http::{Response, StatusCode};
use ossd_proto::docs::public_access_block::{self, MAX_PUBLIC_ACCESS_BLOCK_BODY};
use ossd_proto::{ApiError, ErrorCode};

/// PutBucketPublicAccessBlock.
pub async fn put(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let too_large = ApiError::msg(
        ErrorCode::MaxMessageLengthExceeded,
        "The public access block configuration must not be larger than 4 KB.",
    );
    let raw = read_small_body(body, MAX_PUBLIC_ACCESS_BLOCK_BODY, too_large).await?;
    check_content_md5(ctx, &raw)?;
    let block = public_access_block::parse(&raw)?;
    state.update_bucket(&b.record.name, |rec| {
        rec.configs.insert(PUBLIC_ACCESS_BLOCK_CONFIG.to_owned(), block.to_string());
    })?;
    Ok(render::empty(StatusCode::OK))
}

/// GetBucketPublicAccessBlock: the setting, `false` for a bucket that never set it.
pub fn get(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    Ok(render::ok_xml(public_access_block::render(b.block_public_access)))
}

/// DeleteBucketPublicAccessBlock: back to the default (off); idempotent.
pub fn delete(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    if b.record.configs.contains_key(PUBLIC_ACCESS_BLOCK_CONFIG) {
        state.update_bucket(&b.record.name, |rec| {
            rec.configs.remove(PUBLIC_ACCESS_BLOCK_CONFIG);
        })?;
    }
    Ok(render::empty(StatusCode::NO_CONTENT))
}
