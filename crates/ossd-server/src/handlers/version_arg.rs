//! The `versionId` argument of object operations, and the version headers of their answers
//! (`x-oss-version-id`, `x-oss-delete-marker`).
//!
//! `versionId=` (empty) is `InvalidArgument` with EC 0012-00000201 and a malformed id EC
//! 0012-00000202. A bucket whose versioning was never enabled knows only the null version:
//! `versionId=null` names its object, any other id is `InvalidArgument` with EC 0012-00000301.

use http::{Response, header};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{ObjectRecord, VersionSel, Versioning};

use crate::body::Body;
use crate::headers;
use crate::pipeline::Ctx;
use crate::render;
use crate::state::BucketState;

/// The name of the argument.
pub const VERSION_ID: &str = "versionId";

/// Parses a version id given as `name` (the argument, or a copy source's).
pub fn parse(value: &str, name: &str) -> Result<VersionSel, ApiError> {
    if value.is_empty() {
        return Err(ApiError::invalid_argument("The versionId must not be empty.", name, value)
            .with_ec(Some("0012-00000201")));
    }
    VersionSel::parse(value).ok_or_else(|| {
        ApiError::invalid_argument("The versionId is not a valid version id.", name, value)
            .with_ec(Some("0012-00000202"))
    })
}

/// Checks that bucket `b` can hold the version `sel` names.
pub fn check_bucket(b: &BucketState, sel: &VersionSel, value: &str) -> Result<(), ApiError> {
    if Versioning::of(&b.record) == Versioning::Off && *sel != VersionSel::Null {
        return Err(ApiError::invalid_argument(
            "Versioning was never enabled on this bucket.",
            VERSION_ID,
            value,
        )
        .with_ec(Some("0012-00000301")));
    }
    Ok(())
}

/// The version the request names with `versionId`, if any.
pub fn requested(ctx: &Ctx, b: &BucketState) -> Result<Option<VersionSel>, ApiError> {
    let Some(value) = ctx.query.get(VERSION_ID) else { return Ok(None) };
    let sel = parse(value, VERSION_ID)?;
    check_bucket(b, &sel, value)?;
    Ok(Some(sel))
}

/// Whether answers about `b`'s objects carry version ids (versioning was enabled once).
pub fn versioned(b: &BucketState) -> bool {
    Versioning::of(&b.record) != Versioning::Off
}

/// Sets `x-oss-version-id` to `id`.
pub fn set_id(r: &mut Response<Body>, id: &str) {
    render::set(r, headers::X_OSS_VERSION_ID, id);
}

/// Sets the version headers of an answer about `rec` in bucket `b`: its id when the bucket is
/// versioned (`null` for a record from before), and `x-oss-delete-marker` for a marker.
pub fn set_headers(r: &mut Response<Body>, b: &BucketState, rec: &ObjectRecord) {
    if versioned(b) || rec.version_id.is_some() {
        set_id(r, rec.version_label());
    }
    if rec.delete_marker {
        render::set(r, headers::X_OSS_DELETE_MARKER, "true");
    }
}

/// The answer to reading a version that is a delete marker: `405 MethodNotAllowed`, `Allow:
/// DELETE`, the marker's headers and the method and resource type in the body.
pub fn delete_marker_error(method: &str, version_id: &str) -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed)
        .field("Method", method)
        .field("ResourceType", "DeleteMarker")
        .header(header::ALLOW.as_str(), "DELETE")
        .header(headers::X_OSS_DELETE_MARKER.as_str(), "true")
        .header(headers::X_OSS_VERSION_ID.as_str(), version_id)
}

/// The answer when the current version of `key` is delete marker `rec`: `404 NoSuchKey` with the
/// marker's headers.
pub fn current_is_marker(key: &str, rec: &ObjectRecord) -> ApiError {
    ApiError::no_such_key(key)
        .header(headers::X_OSS_DELETE_MARKER.as_str(), "true")
        .header(headers::X_OSS_VERSION_ID.as_str(), rec.version_label())
}

/// `404 NoSuchVersion` naming the version.
pub fn no_such_version(key: &str, id: &str) -> ApiError {
    ApiError::new(ErrorCode::NoSuchVersion).field("Key", key).field("VersionId", id)
}

/// Resolves what a read of `key` found: the record if it is an object, else the OSS error
/// (missing key or version, a delete marker). `method` names the read for a marker's error.
pub fn readable(
    key: &str,
    sel: Option<&VersionSel>,
    found: Option<ObjectRecord>,
    method: &str,
) -> Result<ObjectRecord, ApiError> {
    match (found, sel) {
        (Some(rec), _) if !rec.delete_marker => Ok(rec),
        (Some(rec), None) => Err(current_is_marker(key, &rec)),
        (Some(rec), Some(_)) => Err(delete_marker_error(method, rec.version_label())),
        (None, None) => Err(ApiError::no_such_key(key)),
        (None, Some(VersionSel::Id(id, _))) => Err(no_such_version(key, id)),
        (None, Some(VersionSel::Null)) => Err(no_such_version(key, "null")),
    }
}

/// The OSS error of a failed metadata update of `key` (ACL, tags) of the version `sel` names.
pub fn update_error(
    e: ossd_store::StoreError,
    key: &str,
    sel: Option<&VersionSel>,
    method: &str,
) -> ApiError {
    use ossd_store::StoreError;
    match e {
        StoreError::NoSuchKey => ApiError::no_such_key(key),
        StoreError::NoSuchVersion => match sel {
            Some(VersionSel::Id(id, _)) => no_such_version(key, id),
            _ => no_such_version(key, ossd_store::version::NULL_VERSION),
        },
        StoreError::DeleteMarker { version_id } => delete_marker_error(method, &version_id),
        e => crate::state::store_error(e),
    }
}
