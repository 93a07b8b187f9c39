//! Operation handlers, one file per API area; `dispatch` maps an operation to its handler.

mod bucket;
mod bucket_config;
mod conditions;
pub(crate) mod cors_api;
pub mod encryption;
mod lifecycle;
mod live;
mod multipart;
mod object;
mod object_headers;
mod object_template;
mod post_object;
mod public_access_block;
mod referer;
mod regions;
mod symlink;
mod tagging;
pub mod unsupported;
mod upload;
pub mod version_arg;
mod versions;
mod website;

use crate::body::Body;
use crate::headers;
use crate::pipeline::Ctx;
use crate::request_body::RequestBody;
use crate::state::AppState;
use base64::Engine;
use bytes::{Bytes, BytesMut};
use http::{Response, header};
use md5::{Digest, Md5};
use ossd_proto::docs::encoding::url_encode;
use ossd_proto::{ApiError, ErrorCode, Operation};

/// Runs the handler for the request's operation.
pub async fn dispatch(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    if ctx.op.info().mutates {
        unsupported::refuse_unimplemented(
            ctx.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        )?;
    }
    match &ctx.op {
        Operation::ListBuckets => bucket::list_buckets(state, ctx),
        Operation::PutBucket => bucket::put_bucket(state, ctx, body).await,
        Operation::DeleteBucket => bucket::delete_bucket(state, ctx),
        Operation::HeadBucket | Operation::GetBucketInfo => bucket::get_bucket_info(state, ctx),
        Operation::GetBucketLocation => bucket::get_bucket_location(state, ctx),
        Operation::GetBucketStat => bucket::get_bucket_stat(state, ctx),
        Operation::GetBucketAcl => bucket::get_bucket_acl(ctx),
        Operation::PutBucketAcl => bucket::put_bucket_acl(state, ctx),
        Operation::ListObjects => match website::root(state, ctx) {
            Some(index) => index,
            None => bucket::list_objects(state, ctx, false),
        },
        Operation::ListObjectsV2 => bucket::list_objects(state, ctx, true),
        Operation::PutBucketCors => cors_api::put_bucket_cors(state, ctx, body).await,
        Operation::GetBucketCors => cors_api::get_bucket_cors(ctx),
        Operation::DeleteBucketCors => cors_api::delete_bucket_cors(state, ctx),
        Operation::PutBucketReferer => referer::put_bucket_referer(state, ctx, body).await,
        Operation::GetBucketReferer => referer::get_bucket_referer(ctx),
        Operation::PutBucketWebsite => website::put(state, ctx, body).await,
        Operation::GetBucketWebsite => website::get(ctx),
        Operation::DeleteBucketWebsite => website::delete(state, ctx),
        Operation::PutBucketPublicAccessBlock => public_access_block::put(state, ctx, body).await,
        Operation::GetBucketPublicAccessBlock => public_access_block::get(ctx),
        Operation::DeleteBucketPublicAccessBlock => public_access_block::delete(state, ctx),
        Operation::PutBucketLifecycle => lifecycle::put(state, ctx, body).await,
        Operation::GetBucketLifecycle => lifecycle::get(ctx),
        Operation::DeleteBucketLifecycle => lifecycle::delete(state, ctx),
        Operation::PutBucketTags => tagging::put_bucket_tags(state, ctx, body).await,
        Operation::GetBucketTags => tagging::get_bucket_tags(ctx),
        Operation::DeleteBucketTags => tagging::delete_bucket_tags(state, ctx),
        Operation::PutBucketEncryption => encryption::put(state, ctx, body).await,
        Operation::GetBucketEncryption => encryption::get(ctx),
        Operation::DeleteBucketEncryption => encryption::delete(state, ctx),
        Operation::DeleteMultipleObjects => object::delete_multiple(state, ctx, body).await,
        Operation::PutObject { key } => object::put_object(state, ctx, key, body).await,
        Operation::CopyObject { key } => object::copy_object(state, ctx, key).await,
        Operation::AppendObject { key } => object::append_object(state, ctx, key, body).await,
        Operation::GetObject { key } => object::get_object(state, ctx, key, false),
        Operation::HeadObject { key } => object::get_object(state, ctx, key, true),
        Operation::GetObjectMeta { key } => object::get_object_meta(state, ctx, key),
        Operation::DeleteObject { key } => object::delete_object(state, ctx, key).await,
        Operation::PutSymlink { key } => symlink::put_symlink(state, ctx, key).await,
        Operation::GetSymlink { key } => symlink::get_symlink(state, ctx, key),
        Operation::GetObjectAcl { key } => object::get_object_acl(state, ctx, key),
        Operation::PutObjectAcl { key } => object::put_object_acl(state, ctx, key),
        Operation::PutObjectTagging { key } => {
            tagging::put_object_tagging(state, ctx, key, body).await
        }
        Operation::GetObjectTagging { key } => tagging::get_object_tagging(state, ctx, key),
        Operation::DeleteObjectTagging { key } => tagging::delete_object_tagging(state, ctx, key),
        Operation::PostObject => post_object::post_object(state, ctx, body).await,
        Operation::InitiateMultipartUpload { key } => multipart::initiate(state, ctx, key),
        Operation::UploadPart { key } => multipart::upload_part(state, ctx, key, body).await,
        Operation::UploadPartCopy { key } => multipart::upload_part_copy(state, ctx, key).await,
        Operation::CompleteMultipartUpload { key } => {
            multipart::complete(state, ctx, key, body).await
        }
        Operation::AbortMultipartUpload { key } => multipart::abort(state, ctx, key),
        Operation::ListParts { key } => multipart::list_parts(state, ctx, key),
        Operation::ListMultipartUploads => multipart::list_uploads(state, ctx),
        Operation::ListLiveChannels => live::list_live_channels(ctx),
        Operation::GetBucketVersioning => versions::get_bucket_versioning(ctx),
        Operation::PutBucketVersioning => versions::put_bucket_versioning(state, ctx, body).await,
        Operation::ListObjectVersions => versions::list_object_versions(state, ctx),
        Operation::DescribeRegions => regions::describe_regions(state, ctx),
        Operation::NotImplemented { what } => Err(ApiError::msg(
            ErrorCode::NotImplemented,
            format!("The '{what}' feature is not implemented by this server."),
        )
        .field("Header", what.clone())),
        Operation::MethodNotAllowed => Err(ApiError::new(ErrorCode::MethodNotAllowed)),
        Operation::Ambiguous => Err(ApiError::msg(
            ErrorCode::InvalidArgument,
            "The request names more than one sub-resource that selects an operation.",
        )),
        other => Err(ApiError::msg(
            ErrorCode::NotImplemented,
            format!("{} is not implemented by this server yet.", other.name()),
        )),
    }
}

/// Reads a whole request body of at most `limit` bytes (XML documents); larger bodies are refused.
pub async fn read_small_body(
    body: RequestBody,
    limit: usize,
    too_large: ApiError,
) -> Result<Bytes, ApiError> {
    let mut body = body;
    let mut buf = BytesMut::new();
    while let Some(data) = body.data().await? {
        if buf.len() + data.len() > limit {
            return Err(too_large);
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

/// Checks `Content-MD5` against a body already read; absent header passes.
pub fn check_content_md5(ctx: &Ctx, body: &[u8]) -> Result<(), ApiError> {
    let Some(given) = ctx.header(headers::CONTENT_MD5) else { return Ok(()) };
    let actual = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
    if given.trim() == actual { Ok(()) } else { Err(ApiError::new(ErrorCode::InvalidDigest)) }
}

/// [`check_content_md5`] for DeleteMultipleObjects, which also takes the digest the OSS C SDK
/// sends there: base64 of 20 bytes, the 16-byte MD5 followed by 4 bytes it reads past its buffer
/// (`aos_base64_encode(md5, 20, …)`), which OSS accepts. Only the first 16 bytes are compared, and
/// only for a value of exactly 20 bytes; every other form is checked as everywhere else.
pub fn check_batch_delete_md5(ctx: &Ctx, body: &[u8]) -> Result<(), ApiError> {
    let Some(given) = ctx.header(headers::CONTENT_MD5) else { return Ok(()) };
    let raw = base64::engine::general_purpose::STANDARD.decode(given.trim());
    if let Ok(raw) = raw
        && raw.len() == 20
    {
        let actual = Md5::digest(body);
        return if raw[..16] == actual[..] {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::InvalidDigest))
        };
    }
    check_content_md5(ctx, body)
}

/// Decodes a `Content-MD5` header into the 16 raw bytes, or `InvalidDigest`.
pub fn parse_content_md5(v: &str) -> Result<[u8; 16], ApiError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .map_err(|_| ApiError::new(ErrorCode::InvalidDigest))?;
    raw.try_into().map_err(|_| ApiError::new(ErrorCode::InvalidDigest))
}

/// The endpoints reported to clients as (`ExtranetEndpoint`, `IntranetEndpoint`): the configured
/// ones, else the request's Host without the bucket of a virtual-hosted request, so that SDK
/// fixtures building a client from them reach this server and never Alibaba Cloud.
pub fn endpoints(state: &AppState, ctx: &Ctx) -> (String, String) {
    let public = state.config.public_endpoint.clone().unwrap_or_else(|| {
        let host =
            ctx.header(header::HOST).map(str::to_owned).unwrap_or_else(|| "localhost".to_owned());
        match (ctx.target.virtual_hosted, host.split_once('.')) {
            (true, Some((_bucket, rest))) => rest.to_owned(),
            _ => host,
        }
    });
    let internal = state.config.internal_endpoint.clone().unwrap_or_else(|| public.clone());
    (public, internal)
}

/// The URL of an object as `Location` documents name it (path-style on the public endpoint).
pub fn object_url(state: &AppState, ctx: &Ctx, bucket: &str, key: &str) -> String {
    let (public, _) = endpoints(state, ctx);
    format!("http://{public}/{bucket}/{}", url_encode(key, true).replace("%2F", "/"))
}

/// The owner id shown in XML documents.
pub fn owner_id(state: &AppState) -> &str {
    &state.config.root.id
}
