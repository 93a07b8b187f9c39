//! Symbolic links: PutSymlink, GetSymlink, and how GET/HEAD of a link follow it to its target.
//!
//! A link is an object record of type `Symlink` with no bytes and its target's key in
//! `symlink_target`. Reading it reads the target, which must exist, must not be a link itself,
//! and whose own ACL must allow the read as well as the link's (a link never opens a private
//! object to anyone the object itself refuses).

use super::object::md5_etag;
use super::object_template::from_request;
use crate::auth::Authz;
use crate::body::Body;
use crate::clock::now_ms;
use crate::headers;
use crate::pipeline::Ctx;
use crate::render::{self, http_date};
use crate::state::{AppState, BucketState, store_error};
use http::{Response, StatusCode, header};
use md5::{Digest, Md5};
use ossd_proto::docs::encoding::url_encode;
use ossd_proto::request::{check_key, check_new_key};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{ObjectRead, ObjectRecord, ObjectType, Overwrite};
use percent_encoding::percent_decode_str;

/// PutSymlink: `PUT /key?symlink` with `x-oss-symlink-target` (URL-encoded); metadata, ACL,
/// storage class and `x-oss-forbid-overwrite` as PutObject. The target need not exist.
pub async fn put_symlink(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    check_new_key(key)?;
    let target_header = headers::X_OSS_SYMLINK_TARGET;
    let name = target_header.as_str();
    let raw = ctx
        .header(headers::X_OSS_SYMLINK_TARGET)
        .ok_or_else(|| ApiError::new(ErrorCode::MissingArgument).field("ArgumentName", name))?;
    let target = percent_decode_str(raw).decode_utf8().map_err(|_| {
        ApiError::invalid_argument("The symlink target is not URL-encoded UTF-8.", name, raw)
    })?;
    check_new_key(&target).map_err(|e| ApiError::invalid_argument(e.message, name, raw))?;
    let (overwrite, exists) = super::object::replacing(state, ctx, &b, key)?;
    if overwrite == Overwrite::Forbid && exists {
        return Err(ApiError::new(ErrorCode::FileAlreadyExists));
    }
    let mut rec = from_request(ctx, key)?;
    rec.object_type = ObjectType::Symlink;
    // The link's own ETag: the MD5 of its target's name (OSS does not say what it hashes).
    rec.etag = md5_etag(&Md5::digest(target.as_bytes()).into());
    rec.symlink_target = Some(target.into_owned());
    rec.last_modified_ms = now_ms();
    let etag = rec.etag.clone();
    let written = state
        .store
        .put_versioned_async(&b.record.name, rec, Vec::new(), overwrite)
        .await
        .map_err(store_error)?;
    let mut r = render::empty(StatusCode::OK);
    render::set(&mut r, header::ETAG, &etag);
    if let Some(id) = &written.version_id {
        super::version_arg::set_id(&mut r, id);
    }
    Ok(r)
}

/// GetSymlink: the link's target (URL-encoded), ETag, Last-Modified and user metadata; a key that is not a link
/// is `NotSymlink` (400, OSS's EC 0043-00000101).
pub fn get_symlink(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    check_key(key)?;
    let rec = super::object::readable_version(state, ctx, b, key, "GET")?;
    let Some(target) =
        rec.symlink_target.as_deref().filter(|_| rec.object_type == ObjectType::Symlink)
    else {
        return Err(ApiError::new(ErrorCode::NotSymlink).field("Key", key));
    };
    let mut r = render::empty(StatusCode::OK);
    render::set(&mut r, headers::X_OSS_SYMLINK_TARGET, &url_encode(target, true));
    render::set(&mut r, header::ETAG, &rec.etag);
    render::set(&mut r, header::LAST_MODIFIED, &http_date(rec.last_modified_ms));
    for (name, value) in &rec.user_meta {
        if let (Ok(n), Ok(v)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(value))
        {
            r.headers_mut().insert(n, v);
        }
    }
    Ok(r)
}

/// What GET/HEAD serve for a link `link` read with `authz`: the target's bytes, size, ETag,
/// CRC-64 and encryption, the link's metadata, and the later of the two Last-Modified times.
/// The target's own ACL must allow the read too; a missing target is `SymlinkTargetNotExist`
/// (404) and a target that is a link itself `InvalidTargetType` (400).
pub(super) fn follow(
    state: &AppState,
    authz: Authz,
    b: &BucketState,
    link: ObjectRecord,
    want_bytes: u64,
) -> Result<ObjectRead, ApiError> {
    let Some(target_key) = link.symlink_target.as_deref() else {
        tracing::error!(key = %link.key, "symlink record without a target");
        return Err(ApiError::internal());
    };
    let found = state
        .store
        .get_object_with_bytes(&b.record.name, target_key, want_bytes)
        .map_err(store_error)?;
    let Some(ObjectRead { rec: target, bytes, pin }) = found else {
        return Err(ApiError::new(ErrorCode::SymlinkTargetNotExist)
            .field("Key", link.key.clone())
            .field("TargetKey", target_key.to_owned()));
    };
    authz.object(b, Some(target.acl))?;
    if target.object_type == ObjectType::Symlink {
        return Err(ApiError::new(ErrorCode::InvalidTargetType));
    }
    let rec = ObjectRecord {
        size: target.size,
        etag: target.etag,
        last_modified_ms: link.last_modified_ms.max(target.last_modified_ms),
        crc64: target.crc64,
        segments: target.segments,
        server_side_encryption: target.server_side_encryption,
        ..link
    };
    Ok(ObjectRead { rec, bytes, pin })
}
