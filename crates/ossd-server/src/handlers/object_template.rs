//! One builder of a new object's record for every writer (PutObject, PostObject, AppendObject,
//! CopyObject, InitiateMultipartUpload): content headers, user metadata, object ACL, storage
//! class and object type from the request's headers or a PostObject form's fields, which carry
//! the same names; the tags of `x-oss-tagging`; and the `x-oss-forbid-overwrite` mode, which
//! writers read before the body.

use crate::clock::now_ms;
use crate::headers;
use crate::pipeline::Ctx;
use http::{HeaderMap, HeaderName, header};
use ossd_proto::tags::{Tag, parse_tagging_header};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{
    BucketAcl, BucketRecord, ObjectAcl, ObjectRecord, ObjectType, Overwrite, StorageClass,
};

/// The most user metadata (`x-oss-meta-*` names and values together) an object may carry: 8 KB.
pub const MAX_USER_META: usize = 8 * 1024;
/// The type of an object nothing names a type for.
const OCTET_STREAM: &str = "application/octet-stream";

/// Where a writer reads a new object's settings.
#[derive(Clone, Copy)]
pub enum Settings<'a> {
    /// The request's headers.
    Headers(&'a HeaderMap),
    /// A PostObject form's fields (names compare case-insensitively).
    Form(&'a [(String, String)]),
}

impl<'a> Settings<'a> {
    /// The value of `name`, if present and text.
    pub fn get(self, name: &HeaderName) -> Option<&'a str> {
        match self {
            Settings::Headers(h) => h.get(name).and_then(|v| v.to_str().ok()),
            Settings::Form(fields) => fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name.as_str()))
                .map(|(_, v)| v.as_str()),
        }
    }

    /// The `Content-Type` given (a form may name it `x-oss-content-type` too).
    fn content_type(self) -> Option<&'a str> {
        match self {
            Settings::Headers(_) => self.get(&header::CONTENT_TYPE),
            Settings::Form(_) => {
                self.get(&header::CONTENT_TYPE).or(self.get(&headers::X_OSS_CONTENT_TYPE))
            }
        }
    }

    /// The `x-oss-meta-*` names (lower-cased) and values, sorted by name, at most 8 KB together.
    fn user_meta(self) -> Result<Vec<(String, String)>, ApiError> {
        let prefix = headers::USER_META_PREFIX;
        let mut meta: Vec<(String, String)> = match self {
            Settings::Headers(h) => h
                .iter()
                .filter(|(k, _)| k.as_str().starts_with(prefix))
                // Values are kept as sent: UTF-8 (`x-oss-meta-unicode: 测试`) is stored and returned as is.
                .filter_map(|(k, v)| {
                    std::str::from_utf8(v.as_bytes())
                        .ok()
                        .map(|v| (k.as_str().to_owned(), v.to_owned()))
                })
                .collect(),
            Settings::Form(fields) => fields
                .iter()
                .filter(|(k, _)| k.to_ascii_lowercase().starts_with(prefix))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        };
        check_user_meta(&meta)?;
        meta.sort();
        Ok(meta)
    }
}

/// The record of a new object named `key` in `bucket` from `settings`: its content headers (a
/// type `default_type` gives when none is named), user metadata, ACL (`default` when not given),
/// storage class (the bucket's when not given) and type `Normal`. Size, ETag, CRC and segments
/// are the writer's to fill in.
pub fn object_template(
    settings: Settings<'_>,
    bucket: &BucketRecord,
    key: &str,
    default_type: impl FnOnce() -> String,
) -> Result<ObjectRecord, ApiError> {
    let h = |n: HeaderName| settings.get(&n).map(str::to_owned);
    let acl = object_acl(settings.get(&headers::X_OSS_OBJECT_ACL).unwrap_or("default"))?;
    // Without a class of its own an object takes its bucket's (an IA bucket's objects are IA).
    let class = match settings.get(&headers::X_OSS_STORAGE_CLASS) {
        None => bucket.storage_class,
        Some(c) => storage_class(c, headers::X_OSS_STORAGE_CLASS.as_str())?,
    };
    Ok(ObjectRecord {
        key: key.to_owned(),
        size: 0,
        etag: String::new(),
        last_modified_ms: now_ms(),
        content_type: Some(settings.content_type().map_or_else(default_type, str::to_owned)),
        content_encoding: h(header::CONTENT_ENCODING),
        content_disposition: h(header::CONTENT_DISPOSITION),
        cache_control: h(header::CACHE_CONTROL),
        expires: h(header::EXPIRES),
        content_language: h(header::CONTENT_LANGUAGE),
        user_meta: settings.user_meta()?,
        acl,
        storage_class: class,
        object_type: ObjectType::Normal,
        crc64: 0,
        segments: Vec::new(),
        tags: Vec::new(),
        symlink_target: None,
        server_side_encryption: None,
        version_id: None,
        delete_marker: false,
        seq: 0,
    })
}

/// [`object_template`] from the request's headers; without `Content-Type` the type is guessed
/// from the key, except for a presigned URL (V1 `Signature`, V4 `x-oss-signature`), whose uploads
/// alibabacloud-oss-v2 expects as `application/octet-stream` (a presigned PUT of `photo.jpg`).
pub fn from_request(ctx: &Ctx, key: &str) -> Result<ObjectRecord, ApiError> {
    let mut rec = from_request_untagged(ctx, key)?;
    rec.tags = request_tags(Settings::Headers(&ctx.headers))?;
    Ok(rec)
}

/// [`from_request`] without reading `x-oss-tagging`: an append to an existing object ignores
/// the header, even an invalid one, as OSS does.
pub fn from_request_untagged(ctx: &Ctx, key: &str) -> Result<ObjectRecord, ApiError> {
    let bucket = &ctx.bucket()?.record;
    object_template(Settings::Headers(&ctx.headers), bucket, key, || {
        let presigned = ctx.query.has("Signature") || ctx.query.has("x-oss-signature");
        if presigned { OCTET_STREAM } else { guess_content_type(key) }.to_owned()
    })
}

/// The tags `x-oss-tagging` (header or form field) gives a new object, checked against OSS's
/// object tag rules; none when absent.
pub fn request_tags(settings: Settings<'_>) -> Result<Vec<Tag>, ApiError> {
    settings.get(&headers::X_OSS_TAGGING).map_or(Ok(Vec::new()), parse_tagging_header)
}

/// [`object_template`] from a PostObject form; without a type field the file part's own
/// `Content-Type` is used, else `application/octet-stream`.
pub fn from_form(
    fields: &[(String, String)],
    bucket: &BucketRecord,
    key: &str,
    file_type: Option<&str>,
) -> Result<ObjectRecord, ApiError> {
    let mut rec = object_template(Settings::Form(fields), bucket, key, || {
        file_type.unwrap_or(OCTET_STREAM).to_owned()
    })?;
    rec.tags = request_tags(Settings::Form(fields))?;
    Ok(rec)
}

/// An object ACL value, refused unless OSS knows it.
pub fn object_acl(acl: &str) -> Result<ObjectAcl, ApiError> {
    acl.parse().map_err(|_| {
        ApiError::invalid_argument(
            "no such object access control exists",
            headers::X_OSS_OBJECT_ACL.as_str(),
            acl,
        )
    })
}

/// A bucket ACL value (`x-oss-acl`), refused unless OSS knows it.
pub fn bucket_acl(acl: &str) -> Result<BucketAcl, ApiError> {
    acl.parse().map_err(|_| {
        ApiError::invalid_argument(
            "no such bucket access control exists",
            headers::X_OSS_ACL.as_str(),
            acl,
        )
    })
}

/// A storage class named by `argument` (any case, as OSS accepts), refused unless OSS knows it.
pub fn storage_class(class: &str, argument: &str) -> Result<StorageClass, ApiError> {
    StorageClass::parse_ignore_case(class)
        .map_err(|_| ApiError::invalid_argument("Invalid storage class.", argument, class))
}

/// `x-oss-forbid-overwrite`: `true` forbids replacing an existing object, `false` or absent
/// allows it; OSS refuses any other value (EC 0017-00000279).
pub fn overwrite_mode(settings: Settings<'_>) -> Result<Overwrite, ApiError> {
    match settings.get(&headers::X_OSS_FORBID_OVERWRITE) {
        None => Ok(Overwrite::Allow),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Overwrite::Allow),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Overwrite::Forbid),
        Some(v) => Err(ApiError::invalid_argument(
            "The value of x-oss-forbid-overwrite must be true or false.",
            headers::X_OSS_FORBID_OVERWRITE.as_str(),
            v,
        )),
    }
}

/// OSS's limit on user metadata: names and values together under 8 KB (EC 0011-00000002).
fn check_user_meta(meta: &[(String, String)]) -> Result<(), ApiError> {
    let size: usize = meta.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_META {
        return Err(ApiError::msg(
            ErrorCode::InvalidArgument,
            format!(
                "The user metadata (x-oss-meta-* names and values) is {size} bytes; at most {MAX_USER_META} are allowed."
            ),
        )
        .with_ec(Some("0011-00000002")));
    }
    Ok(())
}

/// A guess of the content type from the key's extension, as OSS does when none is given
/// ("Configure the Content-Type header": from the extension, else `application/octet-stream`).
fn guess_content_type(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "application/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "wasm" => "application/wasm",
        _ => OCTET_STREAM,
    }
}
