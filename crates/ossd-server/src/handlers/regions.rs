//! DescribeRegions (`GET /?regions`, or `?regions=oss-<region>` for one): the one region this
//! server serves, with its own endpoints.

use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::state::AppState;
use http::Response;
use ossd_proto::xml::XmlWriter;
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
    let mut w = XmlWriter::new();
    w.open("RegionInfoList");
    w.open("RegionInfo");
    w.elem("Region", &region);
    w.elem("InternetEndpoint", &public);
    w.elem("InternalEndpoint", &internal);
    w.elem("AccelerateEndpoint", &public);
    w.close("RegionInfo");
    w.close("RegionInfoList");
    Ok(render::ok_xml(w.finish()))
}
