//! DescribeRegions (`GET /?regions`, or `?regions=oss-<region>` for one): the one region this
//! server serves, with its own endpoints.

use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::state::AppState;
use http::Response;
use ossd_proto::docs::regions::{RegionInfo, RegionInfoList};
use ossd_proto::{ApiError, ErrorCode};

pub fn describe_regions(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let region = format!("oss-{}", state.config.region);
    let asked = ctx.query.get("regions").filter(|r| !r.is_empty());
    if let Some(asked) = asked
        && asked != region
        && asked != state.config.region
    {
        return Err(ApiError::msg(ErrorCode::NoSuchRegion, format!("{asked} does not exist.")));
    }
    let (public, internal) = super::endpoints(state, ctx);
    let doc = RegionInfoList {
        regions: vec![RegionInfo {
            region: &region,
            internet_endpoint: &public,
            internal_endpoint: &internal,
            accelerate_endpoint: &public,
        }],
    };
    Ok(render::ok_xml(doc.to_xml()))
}
