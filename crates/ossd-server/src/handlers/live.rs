//! ListLiveChannel (`GET /bucket?live`): ossd has no live channels, so the list is always empty.
//! SDK fixtures list them in every teardown; every other LiveChannel operation is 501.

use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use http::Response;
use ossd_proto::ApiError;
use ossd_proto::docs::list_live_channels::ListLiveChannelResult;

pub fn list_live_channels(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    ctx.bucket()?;
    let max = super::bucket::parse_max(ctx, "max-keys", 100, 1000)?;
    let doc = ListLiveChannelResult {
        prefix: ctx.query.get("prefix").unwrap_or(""),
        marker: ctx.query.get("marker").unwrap_or(""),
        max_keys: max,
    };
    Ok(render::ok_xml(doc.to_xml()))
}
