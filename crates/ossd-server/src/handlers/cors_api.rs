//! PutBucketCors, GetBucketCors and DeleteBucketCors: the rules are stored with the bucket as canonical XML.

use super::{check_content_md5, read_small_body};
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::AppState;
use http::{Response, StatusCode};
use ossd_proto::cors_xml::{CorsXmlError, parse_and_validate, render_cors_configuration};
use ossd_proto::{ApiError, ErrorCode};

/// The largest PutBucketCors body OSS accepts.
pub const MAX_CORS_BODY: usize = 16 * 1024;

pub async fn put_bucket_cors(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let too_large = ApiError::msg(
        ErrorCode::MaxMessageLengthExceeded,
        "The CORS configuration must not be larger than 16 KB.",
    );
    let raw = read_small_body(body, MAX_CORS_BODY, too_large).await?;
    check_content_md5(ctx, &raw)?;
    // The ECs are the ones the OSS error pages document (`CorsXmlError::ec`).
    let cfg = parse_and_validate(&raw).map_err(|e| match &e {
        CorsXmlError::Malformed(m) => {
            tracing::debug!(reason = %m, "PutBucketCors: malformed XML");
            ApiError::new(ErrorCode::MalformedXML)
        }
        CorsXmlError::Schema(_) => ApiError::new(ErrorCode::MalformedXML).with_ec(e.ec()),
        CorsXmlError::Invalid(v) => {
            ApiError::invalid_argument(v.to_string(), v.argument_name(), &v.argument_value())
                .with_ec(e.ec())
        }
    })?;
    let xml = render_cors_configuration(&cfg);
    state.update_bucket(&b.record.name, |rec| {
        rec.configs.insert("cors".to_owned(), xml);
    })?;
    Ok(render::empty(StatusCode::OK))
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
    let b = ctx.bucket()?;
    if b.record.configs.contains_key("cors") {
        state.update_bucket(&b.record.name, |rec| {
            rec.configs.remove("cors");
        })?;
    }
    Ok(render::empty(StatusCode::NO_CONTENT))
}
