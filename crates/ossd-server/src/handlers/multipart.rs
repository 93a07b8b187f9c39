//! Multipart upload: initiate, upload part (and part copy), complete, abort, list parts, list uploads.

use super::bucket::{parse_max, url_encoding};
use super::encryption;
use super::object::{MAX_OBJECT_SIZE, md5_etag, write_body};
use super::object_template::{Settings, from_request, object_acl, overwrite_mode};
use super::{check_content_md5, read_small_body};
use crate::body::Body;
use crate::clock::now_ms;
use crate::headers;
use crate::pipeline::Ctx;
use crate::render::{self, iso8601};
use crate::request_body::RequestBody;
use crate::state::{AppState, blocking, store_error};
use http::{Response, StatusCode, header};
use md5::{Digest, Md5};
use ossd_proto::docs::complete_multipart::{
    CompleteMultipartUpload, CompleteMultipartUploadResult,
};
use ossd_proto::docs::copy_result::CopyResult;
use ossd_proto::docs::initiate_multipart::InitiateMultipartUploadResult;
use ossd_proto::docs::list_parts::{ListPartsResult, PartEntry};
use ossd_proto::docs::list_uploads::{ListMultipartUploadsResult, UploadEntry};
use ossd_proto::range::parse_copy_range;
use ossd_proto::request::check_new_key;
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{ListUploadsQuery, PartRecord, Segment, UploadRecord};

/// Parts are numbered 1..=10000.
const MAX_PART_NUMBER: u32 = 10_000;
/// Every part but the last must be at least 100 KB.
const MIN_PART_SIZE: u64 = 100 * 1024;

fn new_upload_id() -> String {
    format!("{:032X}", rand::random::<u128>())
}

/// Finds the upload and checks it belongs to this key.
fn upload_for(state: &AppState, ctx: &Ctx, key: &str) -> Result<UploadRecord, ApiError> {
    let b = ctx.bucket()?;
    let id = ctx.query.get("uploadId").unwrap_or("");
    let up = blocking(|| state.store.get_upload(&b.record.name, id)).map_err(store_error)?;
    match up {
        Some(u) if u.key == key => Ok(u),
        _ => Err(ApiError::new(ErrorCode::NoSuchUpload).field("UploadId", id)),
    }
}

fn part_number(ctx: &Ctx) -> Result<u32, ApiError> {
    let raw = ctx.query.get("partNumber").unwrap_or("");
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_PART_NUMBER).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive.",
            "partNumber",
            raw,
        )),
    }
}

pub fn initiate(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    check_new_key(key)?;
    let url = url_encoding(ctx)?;
    let overwrite = overwrite_mode(Settings::Headers(&ctx.headers))?;
    let mut template = from_request(ctx, key)?;
    template.object_type = ossd_store::ObjectType::Multipart;
    template.server_side_encryption = encryption::from_request(b, ctx)?;
    let sse = template.server_side_encryption;
    let rec = UploadRecord {
        upload_id: new_upload_id(),
        key: key.to_owned(),
        initiated_ms: now_ms(),
        template,
    };
    let id = rec.upload_id.clone();
    blocking(|| state.store.create_upload(&b.record.name, rec, overwrite)).map_err(store_error)?;
    let doc = InitiateMultipartUploadResult { bucket: &b.record.name, key, upload_id: &id, url };
    let mut r = render::ok_xml(doc.to_xml());
    encryption::echo(&mut r, sse);
    Ok(r)
}

pub async fn upload_part(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    let number = part_number(ctx)?;
    encryption::refuse_on_part(ctx)?;
    let up = upload_for(state, ctx, key)?;
    let sse = up.template.server_side_encryption;
    let blob = write_body(state, ctx, body, MAX_OBJECT_SIZE, sse.is_some()).await?;
    let part = PartRecord {
        number,
        etag: md5_etag(&blob.md5),
        last_modified_ms: now_ms(),
        blob: blob.clone(),
    };
    let etag = part.etag.clone();
    state.store.put_part_async(&b.record.name, &up.upload_id, part).await.map_err(store_error)?;
    let mut r = render::empty(StatusCode::OK);
    super::upload::upload_answer(&mut r, &etag, &blob);
    encryption::echo(&mut r, sse);
    Ok(r)
}

pub async fn upload_part_copy(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    let number = part_number(ctx)?;
    let up = upload_for(state, ctx, key)?;
    let (_source_bucket, src, pin) = super::object::copy_source(state, ctx)?;
    // OSS refuses a symlink as the source of a part (EC 0042-00000308).
    if src.object_type == ossd_store::ObjectType::Symlink {
        return Err(ApiError::msg(
            ErrorCode::InvalidArgument,
            "The source object of UploadPartCopy cannot be a symbolic link.",
        )
        .with_ec(Some("0042-00000308")));
    }
    let (start, end) = match ctx.header(headers::X_OSS_COPY_SOURCE_RANGE) {
        None => (0, src.size),
        Some(r) => parse_copy_range(r, src.size)?,
    };
    let sse = up.template.server_side_encryption;
    let blob = super::object::copy_bytes(state, &src, pin, (start, end), sse.is_some())?;
    let part = PartRecord { number, etag: md5_etag(&blob.md5), last_modified_ms: now_ms(), blob };
    let (etag, lm) = (part.etag.clone(), part.last_modified_ms);
    state.store.put_part_async(&b.record.name, &up.upload_id, part).await.map_err(store_error)?;
    let doc = CopyResult { etag: &etag, last_modified: &iso8601(lm) };
    let mut r = render::ok_xml(doc.part_xml());
    render::set(&mut r, header::ETAG, &etag);
    encryption::echo(&mut r, sse);
    Ok(r)
}

/// The ETag OSS gives a multipart object: MD5 of the parts' binary MD5s, then `-<count>`.
fn multipart_etag(parts: &[PartRecord]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.blob.md5);
    }
    format!("\"{}-{}\"", hex::encode_upper(h.finalize()), parts.len())
}

fn strip_quotes(s: &str) -> &str {
    s.trim().trim_matches('"')
}

pub async fn complete(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    let url = url_encoding(ctx)?;
    // The header on Complete decides (OSS EC 0042-00000214), checked inside the commit.
    let overwrite = overwrite_mode(Settings::Headers(&ctx.headers))?;
    encryption::refuse_on_part(ctx)?;
    let up = upload_for(state, ctx, key)?;
    // Completing replaces the object at the key: its own ACL decides for those without a grant.
    if ctx.authz.needs_object() {
        let existing =
            blocking(|| state.store.get_object(&b.record.name, key)).map_err(store_error)?;
        ctx.authz.object(&b, existing.as_ref().map(|r| r.acl))?;
    }
    // An ACL given here replaces the one given at initiation (its right was checked by `authorize`).
    let acl_override = ctx.header(headers::X_OSS_OBJECT_ACL).map(object_acl).transpose()?;
    let raw =
        read_small_body(body, 4 * 1024 * 1024, ApiError::new(ErrorCode::MaxMessageLengthExceeded))
            .await?;
    check_content_md5(ctx, &raw)?;
    let stored =
        blocking(|| state.store.all_parts(&b.record.name, &up.upload_id)).map_err(store_error)?;
    let complete_all =
        ctx.header(headers::X_OSS_COMPLETE_ALL).is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    let chosen: Vec<PartRecord> = if complete_all {
        if !raw.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::msg(
                ErrorCode::InvalidRequest,
                "Should not specify a part list when x-oss-complete-all is yes.",
            ));
        }
        stored
    } else {
        let mut chosen = Vec::new();
        for p in CompleteMultipartUpload::parse(&raw)?.parts {
            let found = stored.iter().find(|s| {
                s.number == p.number
                    && strip_quotes(&s.etag).eq_ignore_ascii_case(strip_quotes(&p.etag))
            });
            let Some(found) = found else {
                return Err(ApiError::new(ErrorCode::InvalidPart)
                    .field("PartNumber", p.number.to_string())
                    .field("ETag", p.etag));
            };
            chosen.push(found.clone());
        }
        chosen
    };
    if chosen.is_empty() {
        return Err(ApiError::new(ErrorCode::MalformedXML));
    }
    if let Some(small) = chosen[..chosen.len() - 1].iter().find(|p| p.blob.size < MIN_PART_SIZE) {
        return Err(ApiError::new(ErrorCode::EntityTooSmall)
            .field("PartNumber", small.number.to_string())
            .field("MinSizeAllowed", MIN_PART_SIZE.to_string()));
    }
    let mut rec = up.template.clone();
    rec.key = key.to_owned();
    if let Some(acl) = acl_override {
        rec.acl = acl;
    }
    rec.size = chosen.iter().map(|p| p.blob.size).sum();
    rec.etag = multipart_etag(&chosen);
    rec.crc64 = chosen
        .iter()
        .fold(0u64, |acc, p| ossd_store::crc64::combine(acc, p.blob.crc64, p.blob.size));
    rec.segments =
        chosen.iter().map(|p| Segment { blob: p.blob.id.clone(), len: p.blob.size }).collect();
    rec.last_modified_ms = now_ms();
    rec.object_type = ossd_store::ObjectType::Multipart;
    let (etag, crc, sse) = (rec.etag.clone(), rec.crc64, rec.server_side_encryption);
    let written = blocking(|| {
        state.store.complete_upload_versioned(&b.record.name, &up.upload_id, rec, overwrite)
    })
    .map_err(store_error)?;
    let doc = CompleteMultipartUploadResult {
        url,
        location: &super::object_url(state, ctx, &b.record.name, key),
        bucket: &b.record.name,
        key,
        etag: &etag,
    };
    let mut r = render::ok_xml(doc.to_xml());
    render::set(&mut r, header::ETAG, &etag);
    render::set(&mut r, headers::X_OSS_HASH_CRC64ECMA, &crc.to_string());
    encryption::echo(&mut r, sse);
    if let Some(id) = &written.version_id {
        super::version_arg::set_id(&mut r, id);
    }
    Ok(r)
}

pub fn abort(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let up = upload_for(state, ctx, key)?;
    blocking(|| state.store.abort_upload(&b.record.name, &up.upload_id)).map_err(store_error)?;
    Ok(render::empty(StatusCode::NO_CONTENT))
}

pub fn list_parts(state: &AppState, ctx: &Ctx, key: &str) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let url = url_encoding(ctx)?;
    let up = upload_for(state, ctx, key)?;
    let max = parse_max(ctx, "max-parts", 1000, 1000)?;
    let marker_raw = ctx.query.get("part-number-marker").unwrap_or("0");
    let marker: u32 = if marker_raw.is_empty() {
        0
    } else {
        marker_raw.parse().map_err(|_| {
            ApiError::invalid_argument(
                "part-number-marker must be an integer.",
                "part-number-marker",
                marker_raw,
            )
        })?
    };
    let page = blocking(|| state.store.list_parts(&b.record.name, &up.upload_id, marker, max))
        .map_err(store_error)?;
    let doc = ListPartsResult {
        url,
        bucket: &b.record.name,
        key,
        upload_id: &up.upload_id,
        part_number_marker: marker,
        // The last part listed (OSS sends it when not truncated too); empty when there is none.
        next_part_number_marker: page.next_marker.or_else(|| page.parts.last().map(|p| p.number)),
        max_parts: max,
        is_truncated: page.is_truncated,
        storage_class: up.template.storage_class.as_str(),
        parts: page
            .parts
            .iter()
            .map(|p| PartEntry {
                number: p.number,
                last_modified: iso8601(p.last_modified_ms),
                etag: &p.etag,
                crc64: p.blob.crc64,
                size: p.blob.size,
            })
            .collect(),
    };
    Ok(render::ok_xml(doc.to_xml()))
}

pub fn list_uploads(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let url = url_encoding(ctx)?;
    let q = ListUploadsQuery {
        prefix: ctx.query.get("prefix").unwrap_or("").to_owned(),
        delimiter: ctx.query.get("delimiter").unwrap_or("").to_owned(),
        key_marker: ctx.query.get("key-marker").unwrap_or("").to_owned(),
        upload_id_marker: ctx.query.get("upload-id-marker").unwrap_or("").to_owned(),
        max_uploads: parse_max(ctx, "max-uploads", 1000, 1000)?,
    };
    let page = blocking(|| state.store.list_uploads(&b.record.name, &q)).map_err(store_error)?;
    // Not truncated, OSS names the last upload listed all the same.
    let last = page.uploads.last();
    let next_key = page.next_key_marker.as_deref().or(last.map(|u| u.key.as_str()));
    let next_id = page.next_upload_id_marker.as_deref().or(last.map(|u| u.upload_id.as_str()));
    let doc = ListMultipartUploadsResult {
        url,
        bucket: &b.record.name,
        key_marker: &q.key_marker,
        upload_id_marker: &q.upload_id_marker,
        next_key_marker: next_key.unwrap_or(""),
        next_upload_id_marker: next_id.unwrap_or(""),
        delimiter: &q.delimiter,
        prefix: &q.prefix,
        max_uploads: q.max_uploads,
        is_truncated: page.is_truncated,
        uploads: page
            .uploads
            .iter()
            .map(|u| UploadEntry {
                key: &u.key,
                upload_id: &u.upload_id,
                storage_class: u.template.storage_class.as_str(),
                initiated: iso8601(u.initiated_ms),
            })
            .collect(),
        common_prefixes: &page.common_prefixes,
    };
    Ok(render::ok_xml(doc.to_xml()))
}
