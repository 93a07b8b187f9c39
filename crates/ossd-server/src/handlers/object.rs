//! Object operations: Put/Get/Head/Delete, GetObjectMeta, DeleteMultipleObjects, CopyObject, AppendObject, object ACLs.

use super::conditions::{self, check_conditions};
use super::encryption;
use super::object_headers::object_headers;
use super::object_template::{
    Settings, from_request, from_request_untagged, object_acl, overwrite_mode, request_tags,
};
use super::read_small_body;
pub use super::upload::write_body;
use super::version_arg;
use crate::auth::{self, Authz};
use crate::body::Body;
use crate::clock::now_ms;
use crate::headers;
use crate::pipeline::Ctx;
use crate::render::{self, http_date, iso8601};
use crate::request_body::RequestBody;
use crate::state::{AppState, BucketState, blocking, store_error};
use http::{Response, StatusCode, header};
use ossd_proto::docs::acl::AccessControlPolicy;
use ossd_proto::docs::copy_result::CopyResult;
use ossd_proto::docs::delete::{DeleteRequest, DeleteResult, Deleted};
use ossd_proto::range::{RangeSpec, parse_range};
use ossd_proto::request::{check_key, check_new_key};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{
    Blob, ObjectRead, ObjectRecord, ObjectType, Overwrite, ReadPin, Segment, VersionSel,
};
use percent_encoding::percent_decode_str;

/// The largest single PutObject / AppendObject / UploadPart body OSS accepts: 5 GiB.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Bodies up to this size are read in one go and sent whole; larger ones stream from a reader thread.
const INLINE_BODY: u64 = 256 * 1024;

/// The quoted upper-case hex MD5 OSS uses as the ETag of a simple upload.
pub fn md5_etag(md5: &[u8; 16]) -> String {
    format!("\"{}\"", hex::encode_upper(md5))
}

#[track_caller]
pub fn io_error(e: std::io::Error) -> ApiError {
    if matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) {
        return store_error(ossd_store::StoreError::OutOfSpace);
    }
    let loc = std::panic::Location::caller();
    tracing::error!(error = %e, at = %loc, "I/O error writing object bytes");
    ApiError::internal()
}

/// Reads an object's record. A redb read is a few microseconds from its page cache, so it runs on the
/// async worker directly (a `block_in_place` here cost more than the read, BENCHMARKS.md).
fn get_record(
    state: &AppState,
    b: &BucketState,
    key: &str,
) -> Result<Option<ObjectRecord>, ApiError> {
    state.store.get_object(&b.record.name, key).map_err(store_error)
}

/// Loads the object (or the version the request names with `versionId`) for reading, checking
/// the ACL first so that a private bucket does not reveal which keys exist. `method` names the
/// request in the error about a delete marker.
pub(super) fn readable_version(
    state: &AppState,
    ctx: &Ctx,
    b: &BucketState,
    key: &str,
    method: &str,
) -> Result<ObjectRecord, ApiError> {
    let sel = version_arg::requested(ctx, b)?;
    let found = state.store.get_version(&b.record.name, key, sel.as_ref()).map_err(store_error)?;
    let acl = found.as_ref().filter(|r| !r.delete_marker).map(|r| r.acl);
    ctx.authz.object(b, acl)?;
    version_arg::readable(key, sel.as_ref(), found, method)
}

/// A write that creates or replaces `key` (PutObject, PutSymlink): its overwrite mode, checked
/// again inside the commit, and whether the key exists. The existing object matters only for its
/// ACL (which cannot take away a grant, checked here) and for `x-oss-forbid-overwrite`, so it is
/// read only when one of them needs it.
pub(super) fn replacing(
    state: &AppState,
    ctx: &Ctx,
    b: &BucketState,
    key: &str,
) -> Result<(Overwrite, bool), ApiError> {
    // x-oss-forbid-overwrite has no effect once versioning was enabled.
    let overwrite = match overwrite_mode(Settings::Headers(&ctx.headers))? {
        _ if version_arg::versioned(b) => Overwrite::Allow,
        o => o,
    };
    let existing = if ctx.authz.needs_object() || overwrite == Overwrite::Forbid {
        get_record(state, b, key)?
    } else {
        None
    };
    ctx.authz.object(b, existing.as_ref().map(|r| r.acl))?;
    Ok((overwrite, existing.is_some()))
}

pub async fn put_object(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    check_new_key(key)?;
    let (overwrite, exists) = replacing(state, ctx, &b, key)?;
    let mut rec = from_request(ctx, key)?;
    rec.server_side_encryption = encryption::from_request(&b, ctx)?;
    if overwrite == Overwrite::Forbid && exists {
        return Err(ApiError::new(ErrorCode::FileAlreadyExists));
    }
    let encrypted = rec.server_side_encryption.is_some();
    let blob = write_body(state, ctx, body, MAX_OBJECT_SIZE, encrypted).await?;
    rec.size = blob.size;
    rec.etag = md5_etag(&blob.md5);
    rec.crc64 = blob.crc64;
    rec.segments = vec![Segment { blob: blob.id.clone(), len: blob.size }];
    rec.last_modified_ms = now_ms();
    let (etag, sse) = (rec.etag.clone(), rec.server_side_encryption);
    // Awaiting the group commit holds no thread: the store's committer thread leads it.
    // x-oss-forbid-overwrite is decided again inside the commit: of concurrent creates, one wins.
    let commit =
        state.store.put_versioned_async(&b.record.name, rec, vec![blob.clone()], overwrite);
    let written = commit.await.map_err(store_error)?;
    let mut r = render::empty(StatusCode::OK);
    super::upload::upload_answer(&mut r, &etag, &blob);
    encryption::echo(&mut r, sse);
    if let Some(id) = &written.version_id {
        version_arg::set_id(&mut r, id);
    }
    Ok(r)
}

const RESPONSE_OVERRIDES: &[(&str, http::HeaderName)] = &[
    ("response-content-type", header::CONTENT_TYPE),
    ("response-content-language", header::CONTENT_LANGUAGE),
    ("response-expires", header::EXPIRES),
    ("response-cache-control", header::CACHE_CONTROL),
    ("response-content-disposition", header::CONTENT_DISPOSITION),
    ("response-content-encoding", header::CONTENT_ENCODING),
];

pub fn get_object(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    head: bool,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    // Overriding response headers turns what the owner stored into something else (a text/plain
    // object served as text/html): as S3 and OSS do, only a signed request may ask for it.
    if ctx.principal == auth::Principal::Anonymous
        && !ctx.query.pairs.is_empty()
        && let Some((p, _)) = RESPONSE_OVERRIDES.iter().find(|(p, _)| ctx.query.has(p))
    {
        return Err(ApiError::msg(
            ErrorCode::InvalidRequest,
            "Request specific response headers cannot be used for anonymous GET requests.",
        )
        .field("ArgumentName", *p));
    }
    match &b.website {
        Some(site) => super::website::get_object(state, ctx, ctx.authz, (b, site), key, head),
        None => serve_object(state, ctx, ctx.authz, b, key, head, None)?
            .ok_or_else(|| ApiError::no_such_key(key)),
    }
}

/// Serves object `key` of `b` (GET, or HEAD when `head`) if `authz` allows reading it, `None`
/// when it does not exist (and the request may know that). `as_error` serves it as a website
/// error document: with that status, whole, without conditions or ranges.
pub(super) fn serve_object(
    state: &AppState,
    ctx: &Ctx,
    authz: Authz,
    b: &BucketState,
    key: &str,
    head: bool,
    as_error: Option<StatusCode>,
) -> Result<Option<Response<Body>>, ApiError> {
    // The record and, for a small inline object, its bytes come from one snapshot; a read from
    // the database's page cache runs on the worker itself (BENCHMARKS.md).
    let want_bytes = if head { 0 } else { state.store.inline_max() };
    // `versionId` names the version read (an error document is always the current one).
    let sel = if as_error.is_none() { version_arg::requested(ctx, b)? } else { None };
    // A record naming blob files comes with a read lease: a concurrent overwrite or delete
    // cannot unlink them before this read ends.
    let found = state
        .store
        .get_version_with_bytes(&b.record.name, key, sel.as_ref(), want_bytes)
        .map_err(store_error)?;
    authz.object(b, found.as_ref().filter(|o| !o.rec.delete_marker).map(|o| o.rec.acl))?;
    let found = match found {
        Some(read) if read.rec.delete_marker => {
            if as_error.is_some() {
                return Ok(None);
            }
            let method = if head { "HEAD" } else { "GET" };
            return Err(version_arg::readable(key, sel.as_ref(), Some(read.rec), method)
                .err()
                .unwrap_or_else(ApiError::internal));
        }
        None if sel.is_some() => {
            return Err(version_arg::readable(key, sel.as_ref(), None, "GET")
                .err()
                .unwrap_or_else(ApiError::internal));
        }
        other => other,
    };
    let Some(ObjectRead { rec, bytes, pin }) = found else {
        return Ok(None);
    };
    // The version headers name the version read (a symlink's own, not its target's).
    let version_id = rec.version_id.clone();
    // A symlink serves its target (conditions and ranges apply to what is served).
    let ObjectRead { rec, bytes, pin } = if rec.object_type == ObjectType::Symlink {
        super::symlink::follow(state, authz, b, rec, want_bytes)?
    } else {
        ObjectRead { rec, bytes, pin }
    };
    if as_error.is_none()
        && let Some(status) = check_conditions(ctx, &rec, &conditions::OBJECT)?
    {
        let mut r = render::empty(status);
        render::set(&mut r, header::ETAG, &rec.etag);
        render::set(&mut r, header::LAST_MODIFIED, &http_date(rec.last_modified_ms));
        return Ok(Some(r));
    }
    // Typed lookups; the range behaviour matters only with a range.
    let range = ctx.headers.get(http::header::RANGE).and_then(|v| v.to_str().ok());
    let range = if as_error.is_some() { None } else { range };
    let standard = range.is_some()
        && ctx
            .header(headers::X_OSS_RANGE_BEHAVIOR)
            .is_some_and(|v| v.eq_ignore_ascii_case("standard"));
    let (status, start, end) = match parse_range(range, rec.size, standard) {
        RangeSpec::Full => (StatusCode::OK, 0, rec.size),
        RangeSpec::Part(s, e) => (StatusCode::PARTIAL_CONTENT, s, e),
        RangeSpec::Unsatisfiable => {
            return Err(ApiError::new(ErrorCode::InvalidRange)
                .field("RangeRequested", ctx.header(header::RANGE).unwrap_or("").to_owned())
                .field("ActualObjectSize", rec.size.to_string())
                .header(header::CONTENT_RANGE.as_str(), format!("bytes */{}", rec.size)));
        }
    };
    let len = end - start;
    let body = if head || len == 0 {
        Body::Empty
    } else if let Some(bytes) = bytes {
        let (s, e) = (usize::try_from(start), usize::try_from(end));
        match (s, e) {
            (Ok(s), Ok(e)) if e <= bytes.len() => Body::full(bytes::Bytes::from(bytes).slice(s..e)),
            _ => return Err(ApiError::internal()),
        }
    } else if len <= INLINE_BODY && !state.store.blobs_are_remote() {
        // Read on the worker itself: a small read is usually served from the page cache, and
        // handing the worker off (`block_in_place`) cost more than the read (BENCHMARKS.md).
        // Blobs behind the network (`--blobs`) never are: they stream from the blocking pool.
        let mut reader = pin.open(&rec, start, end).map_err(store_error)?;
        let mut bytes = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut reader, &mut bytes).map_err(io_error)?;
        if bytes.len() as u64 != len {
            tracing::error!(key = %rec.key, expected = len, got = bytes.len(), "object shorter than its metadata");
            return Err(ApiError::internal());
        }
        Body::full(bytes)
    } else {
        let reader = blocking(|| pin.open(&rec, start, end)).map_err(store_error)?;
        Body::from_reader(reader, len)
    };
    let mut r = Response::new(body);
    *r.status_mut() = as_error.unwrap_or(status);
    let size = rec.size;
    object_headers(&mut r, rec, len);
    if version_arg::versioned(b) || version_id.is_some() {
        version_arg::set_id(
            &mut r,
            version_id.as_deref().unwrap_or(ossd_store::version::NULL_VERSION),
        );
    }
    if status == StatusCode::PARTIAL_CONTENT {
        render::set(
            &mut r,
            header::CONTENT_RANGE,
            &format!("bytes {}-{}/{}", start, end.saturating_sub(1), size),
        );
    }
    for (param, header) in RESPONSE_OVERRIDES {
        if let Some(v) = ctx.query.get(param) {
            render::set(&mut r, header.clone(), v);
        }
    }
    Ok(Some(r))
}

pub fn get_object_meta(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let rec = readable_version(state, ctx, b, key, "HEAD")?;
    let mut r = render::empty(StatusCode::OK);
    version_arg::set_headers(&mut r, b, &rec);
    render::set(&mut r, header::ETAG, &rec.etag);
    render::set(&mut r, header::CONTENT_LENGTH, &rec.size.to_string());
    render::set(&mut r, header::LAST_MODIFIED, &http_date(rec.last_modified_ms));
    render::set(&mut r, headers::X_OSS_LAST_ACCESS_TIME, &http_date(rec.last_modified_ms));
    render::set(&mut r, headers::X_OSS_HASH_CRC64ECMA, &rec.crc64.to_string());
    Ok(r)
}

pub async fn delete_object(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    check_key(key)?;
    let sel = version_arg::requested(ctx, b)?;
    // An explicit object ACL wins over the bucket's, for deletion as for overwriting.
    if ctx.authz.needs_object() {
        let existing = get_record(state, b, key)?;
        ctx.authz.object(b, existing.as_ref().map(|r| r.acl))?;
    }
    let written =
        state.store.delete_version_async(&b.record.name, key, sel).await.map_err(store_error)?;
    let mut r = render::empty(StatusCode::NO_CONTENT);
    if let Some(id) = &written.version_id {
        version_arg::set_id(&mut r, id);
    }
    if written.delete_marker {
        render::set(&mut r, headers::X_OSS_DELETE_MARKER, "true");
    }
    Ok(r)
}

/// Largest DeleteMultipleObjects body accepted (1000 keys of 1023 bytes fit).
const MAX_DELETE_BODY: usize = 2 * 1024 * 1024;

pub async fn delete_multiple(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    // `encoding-type=url` asks for encoded keys in the answer; the keys of the request are raw.
    let url = super::bucket::url_encoding(ctx)?;
    let raw =
        read_small_body(body, MAX_DELETE_BODY, ApiError::new(ErrorCode::MaxMessageLengthExceeded))
            .await?;
    super::check_batch_delete_md5(ctx, &raw)?;
    let DeleteRequest { quiet, keys, version_ids } = DeleteRequest::parse(&raw)?;
    // A malformed version id fails the whole request.
    let mut entries = Vec::with_capacity(keys.len());
    for (k, v) in keys.iter().zip(&version_ids) {
        let sel = match v {
            Some(v) => {
                let sel = version_arg::parse(v, "VersionId")?;
                version_arg::check_bucket(b, &sel, v)?;
                Some(sel)
            }
            None => None,
        };
        entries.push((k.clone(), sel));
    }
    // Each object's own ACL decides, as for DeleteObject; one refused key refuses the request, so a
    // multi-delete never removes more than single deletes would.
    if ctx.authz.needs_object() {
        for k in &keys {
            let existing = get_record(state, b, k)?;
            ctx.authz
                .object(b, existing.as_ref().map(|r| r.acl))
                .map_err(|e| e.field("Key", k.clone()))?;
        }
    }
    let written =
        blocking(|| state.store.delete_versions(&b.record.name, &entries)).map_err(store_error)?;
    let deleted: Vec<Deleted> = if quiet {
        Vec::new()
    } else {
        entries
            .into_iter()
            .zip(version_ids)
            .zip(written)
            .map(|(((key, _), asked), w)| {
                let marker_id = if w.delete_marker { asked.clone().or(w.version_id) } else { None };
                Deleted {
                    key,
                    version_id: asked,
                    delete_marker: w.delete_marker,
                    delete_marker_version_id: marker_id,
                }
            })
            .collect()
    };
    let doc = DeleteResult { url, deleted: &deleted };
    Ok(render::ok_xml(doc.to_xml()))
}

/// Parses `x-oss-copy-source: /bucket/key[?versionId=id]` (the key URL-encoded, the id raw).
fn parse_copy_source(v: &str) -> Result<(String, String, Option<VersionSel>), ApiError> {
    let (path, version) = match v.split_once("?versionId=") {
        Some((path, id)) => {
            (path, Some(version_arg::parse(id, headers::X_OSS_COPY_SOURCE.as_str())?))
        }
        None => (v, None),
    };
    let (bucket, key) = parse_copy_path(path)?;
    Ok((bucket, key, version))
}

/// Parses the `/bucket/key` part of a copy source.
fn parse_copy_path(v: &str) -> Result<(String, String), ApiError> {
    let bad = || {
        ApiError::invalid_argument(
            "Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.",
            headers::X_OSS_COPY_SOURCE.as_str(),
            v,
        )
    };
    let decoded = percent_decode_str(v).decode_utf8().map_err(|_| bad())?;
    let s = decoded.strip_prefix('/').unwrap_or(&decoded);
    let (bucket, key) = s.split_once('/').ok_or_else(bad)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(bad());
    }
    Ok((bucket.to_owned(), key.to_owned()))
}

/// Copies an object's bytes into a new blob (blocking), encrypted when `encrypted`; `pin` came
/// with `src`.
pub fn copy_bytes(
    state: &AppState,
    src: &ObjectRecord,
    pin: ReadPin,
    (start, end): (u64, u64),
    encrypted: bool,
) -> Result<Blob, ApiError> {
    blocking(|| -> Result<Blob, ApiError> {
        let mut reader = pin.open(src, start, end).map_err(store_error)?;
        let mut writer =
            state.store.blob_writer_with(Some(end - start), encrypted).map_err(store_error)?;
        std::io::copy(&mut reader, &mut writer).map_err(io_error)?;
        writer.finish().map_err(store_error)
    })
}

/// Resolves `x-oss-copy-source` to the source bucket and a readable source object, whose blobs
/// the returned pin keeps until it is dropped (a concurrent overwrite or delete of the source
/// cannot pull them away from the copy).
///
/// The source version is the one `?versionId=` names after the source (or, as oss2 sends it
/// for UploadPartCopy, the request's `versionId` argument); a delete marker is no source (404).
pub fn copy_source(
    state: &AppState,
    ctx: &Ctx,
) -> Result<(std::sync::Arc<BucketState>, ObjectRecord, ReadPin), ApiError> {
    let (src_bucket, src_key, mut sel) =
        parse_copy_source(ctx.header(headers::X_OSS_COPY_SOURCE).unwrap_or(""))?;
    if sel.is_none()
        && let Some(v) = ctx.query.get(version_arg::VERSION_ID)
    {
        sel = Some(version_arg::parse(v, version_arg::VERSION_ID)?);
    }
    let sb = state.require_bucket(&src_bucket)?;
    if let Some(sel) = &sel {
        version_arg::check_bucket(&sb, sel, version_arg::VERSION_ID)?;
    }
    // Reading the source is a decision of its own, on the source's bucket.
    let authz = auth::authorize(&ctx.principal, Some(&sb), ossd_proto::Access::Read, true, false)?;
    let found = state
        .store
        .get_version_with_bytes(&sb.record.name, &src_key, sel.as_ref(), 0)
        .map_err(store_error)?;
    authz.object(&sb, found.as_ref().filter(|o| !o.rec.delete_marker).map(|o| o.rec.acl))?;
    match found {
        Some(src) if !src.rec.delete_marker => Ok((sb, src.rec, src.pin)),
        Some(_) => Err(ApiError::no_such_key(&src_key)),
        None => match &sel {
            Some(VersionSel::Id(id, _)) => {
                Err(version_arg::no_such_version(&src_key, id).with_ec(Some("0012-00000203")))
            }
            _ => Err(ApiError::no_such_key(&src_key)),
        },
    }
}

pub async fn copy_object(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    check_new_key(key)?;
    // `pin` keeps the source's blobs until the copy, which shares them, has committed.
    let (sb, src, pin) = copy_source(state, ctx)?;
    let mut pin = Some(pin);
    let existing = get_record(state, &b, key)?;
    ctx.authz.object(&b, existing.as_ref().map(|r| r.acl))?;
    let overwrite = overwrite_mode(Settings::Headers(&ctx.headers))?;
    if overwrite == Overwrite::Forbid && existing.is_some() && !version_arg::versioned(&b) {
        return Err(ApiError::new(ErrorCode::FileAlreadyExists));
    }
    // A condition on the source that does not hold: 412 for if-match / if-unmodified-since, and
    // 304 (no body) for if-none-match / if-modified-since, as OSS answers.
    if let Some(status) = check_conditions(ctx, &src, &conditions::COPY_SOURCE)? {
        return Ok(render::empty(status));
    }
    let replace =
        directive(ctx, &headers::X_OSS_METADATA_DIRECTIVE, "Invalid metadata directive.")?;
    let replace_tags =
        directive(ctx, &headers::X_OSS_TAGGING_DIRECTIVE, "Invalid tagging directive.")?;
    // Copying an object onto itself is how metadata is changed: OSS takes the request's
    // metadata then, whatever the directive says.
    let onto_itself = sb.record.name == b.record.name && src.key == key;
    let mut rec = if replace || onto_itself {
        from_request(ctx, key)?
    } else {
        let mut r = src.clone();
        r.key = key.to_owned();
        let t = from_request(ctx, key)?;
        r.acl = t.acl;
        if ctx.header(headers::X_OSS_STORAGE_CLASS).is_some() {
            r.storage_class = t.storage_class;
        }
        r
    };
    // The source's encryption is not carried over: the request's, else the bucket default.
    rec.server_side_encryption = encryption::from_request(&b, ctx)?;
    // The store reference-counts blobs: the copy shares the source's bytes instead of rewriting
    // them, unless the copy changes the encryption (no plaintext blob is shared with an
    // encrypted object, and no encrypted one with a plain object).
    let encrypted = rec.server_side_encryption.is_some();
    let mut new = Vec::new();
    if encrypted != src.server_side_encryption.is_some()
        && let Some(pin) = pin.take()
    {
        new.push(copy_bytes(state, &src, pin, (0, src.size), encrypted)?);
    }
    rec.size = src.size;
    rec.etag = src.etag.clone();
    rec.crc64 = src.crc64;
    rec.object_type = match src.object_type {
        ObjectType::Appendable => ObjectType::Normal,
        other => other,
    };
    rec.segments = match new.first() {
        Some(blob) => vec![Segment { blob: blob.id.clone(), len: blob.size }],
        None => src.segments.clone(),
    };
    // A copy of a symlink is the link itself (OSS copies the link, not its target's bytes).
    rec.symlink_target = src.symlink_target.clone();
    // Tags follow their own directive, whatever the metadata one says.
    rec.tags = if replace_tags {
        request_tags(Settings::Headers(&ctx.headers))?
    } else {
        src.tags.clone()
    };
    rec.last_modified_ms = now_ms();
    let crc = rec.crc64;
    let (etag, lm, sse) = (rec.etag.clone(), rec.last_modified_ms, rec.server_side_encryption);
    let written = blocking(|| state.store.put_versioned(&b.record.name, rec, new, overwrite))
        .map_err(store_error)?;
    drop(pin);
    let doc = CopyResult { etag: &etag, last_modified: &iso8601(lm) };
    let mut r = render::ok_xml(doc.object_xml());
    render::set(&mut r, header::ETAG, &etag);
    render::set(&mut r, headers::X_OSS_HASH_CRC64ECMA, &crc.to_string());
    encryption::echo(&mut r, sse);
    if version_arg::versioned(&sb) || src.version_id.is_some() {
        render::set(&mut r, headers::X_OSS_COPY_SOURCE_VERSION_ID, src.version_label());
    }
    if let Some(id) = &written.version_id {
        version_arg::set_id(&mut r, id);
    }
    Ok(r)
}

/// A CopyObject directive header: `true` for `REPLACE`, `false` for `COPY` or absent (either
/// case, as the SDKs send upper case); any other value is refused.
fn directive(ctx: &Ctx, name: &http::HeaderName, message: &str) -> Result<bool, ApiError> {
    let v = ctx.header(name).unwrap_or("COPY");
    if v.eq_ignore_ascii_case("REPLACE") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("COPY") {
        Ok(false)
    } else {
        Err(ApiError::invalid_argument(message, name.as_str(), v))
    }
}

pub async fn append_object(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    check_new_key(key)?;
    let pos_raw = ctx.query.get("position").ok_or_else(|| {
        ApiError::msg(ErrorCode::MissingArgument, "Missing Some Required Arguments.")
            .field("ArgumentName", "position")
    })?;
    let position: u64 = pos_raw.parse().map_err(|_| {
        ApiError::invalid_argument("Position must be a non-negative integer.", "position", pos_raw)
    })?;
    let existing = get_record(state, &b, key)?;
    ctx.authz.object(&b, existing.as_ref().map(|r| r.acl))?;
    // x-oss-tagging counts only on the append that creates the object.
    let mut template = match existing {
        None => from_request(ctx, key)?,
        Some(_) => from_request_untagged(ctx, key)?,
    };
    template.object_type = ossd_store::ObjectType::Appendable;
    // Encryption is chosen by the creating append; later appends keep the object's (their
    // header is ignored, as in OSS), and the store refuses an append whose blob's encryption
    // differs from the object's at commit time.
    template.server_side_encryption = match &existing {
        Some(e) => e.server_side_encryption,
        None => encryption::from_request(&b, ctx)?,
    };
    let encrypted = template.server_side_encryption.is_some();
    let limit = MAX_OBJECT_SIZE.saturating_sub(position);
    let blob = write_body(state, ctx, body, limit, encrypted).await?;
    let rec = blocking(|| state.store.append_object(&b.record.name, key, position, blob, template))
        .map_err(store_error)?;
    let mut r = render::empty(StatusCode::OK);
    render::set(&mut r, header::ETAG, &rec.etag);
    render::set(&mut r, headers::X_OSS_NEXT_APPEND_POSITION, &rec.size.to_string());
    render::set(&mut r, headers::X_OSS_HASH_CRC64ECMA, &rec.crc64.to_string());
    encryption::echo(&mut r, rec.server_side_encryption);
    if let Some(id) = &rec.version_id {
        version_arg::set_id(&mut r, id);
    }
    Ok(r)
}

pub fn get_object_acl(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let sel = version_arg::requested(ctx, b)?;
    let found = state.store.get_version(&b.record.name, key, sel.as_ref()).map_err(store_error)?;
    let rec = version_arg::readable(key, sel.as_ref(), found, "GET")?;
    let doc = AccessControlPolicy { owner: &b.record.owner, grant: rec.acl.as_str() };
    let mut r = render::ok_xml(doc.to_xml());
    if sel.is_some() || version_arg::versioned(b) {
        version_arg::set_id(&mut r, rec.version_label());
    }
    Ok(r)
}

pub fn put_object_acl(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let acl = object_acl(ctx.header(headers::X_OSS_OBJECT_ACL).unwrap_or(""))?;
    let sel = version_arg::requested(ctx, b)?;
    let rec = blocking(|| {
        state.store.update_version(&b.record.name, key, sel.as_ref(), &mut |r| r.acl = acl)
    })
    .map_err(|e| version_arg::update_error(e, key, sel.as_ref(), "PUT"))?;
    let mut r = render::empty(StatusCode::OK);
    if sel.is_some() || version_arg::versioned(b) {
        version_arg::set_id(&mut r, rec.version_label());
    }
    Ok(r)
}
