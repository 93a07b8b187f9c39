//! PutBucketReferer and GetBucketReferer: the hotlink-protection configuration, stored with the
//! bucket in its canonical XML (`ossd_proto::docs::referer`), enforced by `crate::referer`.

use super::bucket_config;
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, REFERER_CONFIG};
use http::Response;
use ossd_proto::ApiError;
use ossd_proto::docs::referer::{self, MAX_REFERER_BODY, RefererConfiguration};

/// PutBucketReferer: replaces the whole configuration. There is no DeleteBucketReferer in OSS;
/// a configuration that refuses nothing (empty lists, `AllowEmptyReferer` true) is stored as none.
pub async fn put_bucket_referer(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let raw = bucket_config::read(ctx, body, MAX_REFERER_BODY, "referer configuration").await?;
    let cfg = referer::parse(&raw)?;
    let stored = (cfg != RefererConfiguration::default()).then(|| referer::render(&cfg));
    bucket_config::store(state, ctx, REFERER_CONFIG, stored)
}

/// GetBucketReferer: the configuration, or OSS's default for a bucket never configured.
pub fn get_bucket_referer(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let cfg = b.referer.clone().unwrap_or_default();
    Ok(render::ok_xml(referer::render(&cfg)))
}
