//! Server-side encryption: Put/Get/DeleteBucketEncryption (the bucket default, stored as its
//! algorithm in `configs["encryption"]`), and the rules every object write follows: the
//! request's `x-oss-server-side-encryption` (only `AES256`), else the bucket default, echoed on
//! the answer. The bytes are encrypted by the store (`ossd_store::crypt`).

use super::bucket_config;
use crate::body::Body;
use crate::headers::{self, X_OSS_SERVER_SIDE_ENCRYPTION};
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, BucketState};
use http::Response;
use ossd_proto::docs::encryption::{self, MAX_ENCRYPTION_BODY};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::ServerSideEncryption;

/// The key of the bucket default in [`ossd_store::BucketRecord::configs`].
pub const ENCRYPTION_CONFIG: &str = "encryption";

/// The bucket's default algorithm, if it has one.
pub fn bucket_default(b: &BucketState) -> Option<ServerSideEncryption> {
    b.record.configs.get(ENCRYPTION_CONFIG).and_then(|v| v.parse().ok())
}

/// The algorithm named by a header or form field value: `AES256`, or OSS's refusal.
pub fn parse_requested(value: Option<&str>) -> Result<Option<ServerSideEncryption>, ApiError> {
    let Some(v) = value.map(str::trim) else { return Ok(None) };
    if let Some(e) = encryption::refuse_algorithm(v, X_OSS_SERVER_SIDE_ENCRYPTION.as_str()) {
        return Err(e);
    }
    Ok(Some(ServerSideEncryption::Aes256))
}

/// What a new object written by this request gets: the algorithm it names (`value`), else the
/// bucket default.
pub fn for_new_object(
    b: &BucketState,
    value: Option<&str>,
) -> Result<Option<ServerSideEncryption>, ApiError> {
    Ok(parse_requested(value)?.or_else(|| bucket_default(b)))
}

/// [`for_new_object`] from the request's header.
pub fn from_request(b: &BucketState, ctx: &Ctx) -> Result<Option<ServerSideEncryption>, ApiError> {
    for_new_object(b, ctx.header(X_OSS_SERVER_SIDE_ENCRYPTION))
}

/// Sets `x-oss-server-side-encryption` on an answer about an encrypted object.
pub fn echo(r: &mut Response<Body>, sse: Option<ServerSideEncryption>) {
    if let Some(a) = sse {
        render::set(r, X_OSS_SERVER_SIDE_ENCRYPTION, a.as_str());
    }
}

/// UploadPart and CompleteMultipartUpload take their encryption from the upload: naming one
/// is 400 `InvalidArgument`, as in OSS.
pub fn refuse_on_part(ctx: &Ctx) -> Result<(), ApiError> {
    for h in [
        X_OSS_SERVER_SIDE_ENCRYPTION,
        headers::X_OSS_SERVER_SIDE_ENCRYPTION_KEY_ID,
        headers::X_OSS_SERVER_SIDE_DATA_ENCRYPTION,
    ] {
        if let Some(v) = ctx.header(h.clone()) {
            return Err(ApiError::invalid_argument(
                "Server-side encryption is set when the multipart upload is initiated.",
                h.as_str(),
                v,
            ));
        }
    }
    Ok(())
}

/// PutBucketEncryption.
pub async fn put(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let what = "server side encryption configuration";
    let raw = bucket_config::read(ctx, body, MAX_ENCRYPTION_BODY, what).await?;
    let algorithm = encryption::parse(&raw)?;
    bucket_config::store(state, ctx, ENCRYPTION_CONFIG, Some(algorithm.to_owned()))
}

/// GetBucketEncryption: the default, or 404 `NoSuchServerSideEncryptionRule`.
pub fn get(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let a = bucket_default(b).ok_or_else(|| {
        ApiError::new(ErrorCode::NoSuchServerSideEncryptionRule)
            .field("BucketName", b.record.name.clone())
    })?;
    Ok(render::ok_xml(encryption::render(a.as_str())))
}

/// DeleteBucketEncryption: no default any more (objects keep theirs); idempotent.
pub fn delete(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    bucket_config::delete(state, ctx, ENCRYPTION_CONFIG)
}
