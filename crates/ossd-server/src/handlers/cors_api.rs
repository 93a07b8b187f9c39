//! PutBucketCors, GetBucketCors and DeleteBucketCors: the rules are stored with the bucket as canonical XML.

use super::bucket_config;
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, CORS_CONFIG};
use http::Response;
use ossd_proto::cors_xml::{CorsXmlError, parse_and_validate, render_cors_configuration};
use ossd_proto::{ApiError, ErrorCode};

/// The largest PutBucketCors body OSS accepts.
pub const MAX_CORS_BODY: usize = 16 * 1024;

/// PutBucketCors's answer to a document it refuses (the console's editor shows the same one).
/// The ECs are the ones the OSS error pages document (`CorsXmlError::ec`).
pub fn refusal(e: &CorsXmlError) -> ApiError {
    match e {
        CorsXmlError::Malformed(m) => {
            tracing::debug!(reason = %m, "PutBucketCors: malformed XML");
            ApiError::new(ErrorCode::MalformedXML)
        }
        CorsXmlError::Schema(_) => ApiError::new(ErrorCode::MalformedXML).with_ec(e.ec()),
        CorsXmlError::Invalid(v) => {
            ApiError::invalid_argument(v.to_string(), v.argument_name(), &v.argument_value())
                .with_ec(e.ec())
        }
    }
}

pub async fn put_bucket_cors(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let raw = bucket_config::read(ctx, body, MAX_CORS_BODY, "CORS configuration").await?;
    let cfg = parse_and_validate(&raw).map_err(|e| refusal(&e))?;
    bucket_config::store(state, ctx, CORS_CONFIG, Some(render_cors_configuration(&cfg)))
}

pub fn get_bucket_cors(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    match &b.cors {
        Some(cors) => Ok(render::ok_xml(render_cors_configuration(cors.config()))),
        None => Err(ApiError::new(ErrorCode::NoSuchCORSConfiguration)
            .field("BucketName", b.record.name.clone())),
    }
}

pub fn delete_bucket_cors(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    bucket_config::delete(state, ctx, CORS_CONFIG)
}
