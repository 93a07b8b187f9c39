//! PutBucketReferer and GetBucketReferer: the hotlink-protection configuration, stored with the
//! bucket in its canonical XML (`ossd_proto::docs::referer`), enforced by `crate::referer`.

use super::{check_content_md5, read_small_body};
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, REFERER_CONFIG};
use http::{Response, StatusCode};
use ossd_proto::docs::referer::{self, MAX_REFERER_BODY, RefererConfiguration};
use ossd_proto::{ApiError, ErrorCode};

/// PutBucketReferer: replaces the whole configuration. There is no DeleteBucketReferer in OSS;
/// a configuration that refuses nothing (empty lists, `AllowEmptyReferer` true) is stored as none.
pub async fn put_bucket_referer(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let too_large = ApiError::msg(
        ErrorCode::MaxMessageLengthExceeded,
        "The referer configuration must not be larger than 64 KB.",
    );
    let raw = read_small_body(body, MAX_REFERER_BODY, too_large).await?;
    check_content_md5(ctx, &raw)?;
    let cfg = referer::parse(&raw)?;
    state.update_bucket(&b.record.name, |rec| {
        if cfg == RefererConfiguration::default() {
            rec.configs.remove(REFERER_CONFIG);
        } else {
            rec.configs.insert(REFERER_CONFIG.to_owned(), referer::render(&cfg));
        }
    })?;
    Ok(render::empty(StatusCode::OK))
}

/// GetBucketReferer: the configuration, or OSS's default for a bucket never configured.
pub fn get_bucket_referer(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let cfg = b.referer.clone().unwrap_or_default();
    Ok(render::ok_xml(referer::render(&cfg)))
}
