//! PostObject: a browser form upload (`multipart/form-data`) authorised by a signed policy, or anonymous
//! on a public-read-write bucket. The file part is streamed to disk; the fields before it are bounded.

use super::object::{MAX_OBJECT_SIZE, md5_etag};
use super::object_template::{Settings, from_form, object_acl, overwrite_mode};
use crate::auth::{self, Principal};
use crate::body::Body;
use crate::clock::now_secs;
use crate::form::{FormReader, boundary};
use crate::headers;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, blocking, store_error};
use http::{HeaderName, Response, StatusCode, header};
use ossd_proto::docs::post_response::PostResponse;
use ossd_proto::request::check_new_key;
use ossd_proto::{Access, ApiError, ErrorCode};
use ossd_sig::post_policy;
use ossd_store::{Overwrite, Segment};
use std::io::Write;

/// Longest single form field value (OSS: 2 MB).
const MAX_FIELD: usize = 2 * 1024 * 1024;
/// All form fields together.
const MAX_FIELDS_TOTAL: usize = 4 * 1024 * 1024;
/// Bytes buffered before one write to the blob file (the same chunk as other uploads).
use super::upload::WRITE_BUF;

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Checks the form's signature and policy; returns who uploads and the policy (if any).
fn authorize_form(
    state: &AppState,
    bucket: &str,
    fields: &[(String, String)],
) -> Result<(Principal, Option<post_policy::Policy>), ApiError> {
    let policy_b64 = field(fields, "policy");
    let v4 = field(fields, "x-oss-signature-version");
    let ak = field(fields, "OSSAccessKeyId");
    let sig = field(fields, "Signature");
    if policy_b64.is_none() {
        if ak.is_some() || sig.is_some() || v4.is_some() {
            return Err(ApiError::msg(
                ErrorCode::InvalidArgument,
                "Policy, OSSAccessKeyId and Signature must be given together.",
            ));
        }
        return Ok((Principal::Anonymous, None));
    }
    let policy_b64 = policy_b64.unwrap_or_default();
    let policy = post_policy::decode(policy_b64).map_err(policy_error)?;
    let now = now_secs();
    let principal = if let Some(version) = v4 {
        if version != "OSS4-HMAC-SHA256" {
            return Err(ApiError::invalid_argument(
                "Unsupported signature version.",
                "x-oss-signature-version",
                version,
            ));
        }
        let cred = field(fields, "x-oss-credential").unwrap_or("");
        let date = field(fields, headers::X_OSS_DATE.as_str()).unwrap_or("");
        let signature = field(fields, "x-oss-signature").unwrap_or("");
        let c = post_policy::check_v4_form(cred, date, &state.config.region, now)
            .map_err(|e| auth::sig_error(e, None, None))?;
        let (principal, secret) = auth::secret_for(state, &c.access_key_id)?;
        if !post_policy::verify_v4(policy_b64, &secret, &c.date, &c.region, signature) {
            return Err(ApiError::msg(
                ErrorCode::SignatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided.",
            )
            .field("OSSAccessKeyId", c.access_key_id.clone()));
        }
        auth::enabled(principal)?
    } else {
        let (Some(ak), Some(sig)) = (ak, sig) else {
            return Err(ApiError::msg(
                ErrorCode::InvalidArgument,
                "Policy, OSSAccessKeyId and Signature must be given together.",
            ));
        };
        let (principal, secret) = auth::secret_for(state, ak)?;
        if !post_policy::verify_v1(policy_b64, &secret, sig) {
            return Err(ApiError::msg(
                ErrorCode::SignatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided.",
            )
            .field("StringToSign", policy_b64)
            .field("SignatureProvided", sig)
            .field("OSSAccessKeyId", ak));
        }
        auth::enabled(principal)?
    };
    policy.check_fields(bucket, fields, now).map_err(policy_error)?;
    Ok((principal, Some(policy)))
}

/// Form fields whose values become response headers of the object (or of this answer, the
/// redirect's `Location`).
fn is_header_field(name: &str) -> bool {
    static HEADERS: [HeaderName; 7] = [
        header::CACHE_CONTROL,
        header::CONTENT_DISPOSITION,
        header::CONTENT_ENCODING,
        header::CONTENT_LANGUAGE,
        header::CONTENT_TYPE,
        header::EXPIRES,
        headers::X_OSS_CONTENT_TYPE,
    ];
    HEADERS.iter().any(|h| h.as_str().eq_ignore_ascii_case(name))
        || name.eq_ignore_ascii_case("success_action_redirect")
        || name.get(..11).is_some_and(|p| p.eq_ignore_ascii_case(headers::USER_META_PREFIX))
}

/// Refuses a field stored or sent as a header whose value cannot be one (CR, LF, other controls):
/// it would be cut or rejected later, and must never reach a response.
fn check_header_fields(fields: &[(String, String)]) -> Result<(), ApiError> {
    for (name, value) in fields {
        if is_header_field(name) && http::HeaderValue::from_bytes(value.as_bytes()).is_err() {
            return Err(ApiError::invalid_argument(
                "A form field stored as a header holds a character a header cannot carry (CR, LF or another control character).",
                name,
                "",
            ));
        }
    }
    Ok(())
}

fn policy_error(e: post_policy::PolicyError) -> ApiError {
    let code = match e.oss_code() {
        "InvalidPolicyDocument" => ErrorCode::InvalidPolicyDocument,
        "EntityTooLarge" => ErrorCode::EntityTooLarge,
        "EntityTooSmall" => ErrorCode::EntityTooSmall,
        "InvalidArgument" => ErrorCode::InvalidArgument,
        _ => ErrorCode::AccessDenied,
    };
    ApiError::msg(code, e.to_string())
}

pub async fn post_object(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?.clone();
    let ct = ctx.header(header::CONTENT_TYPE).unwrap_or("");
    let boundary = boundary(ct)?;
    let mut form = FormReader::new(body, &boundary);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut total = 0usize;
    let file_head = loop {
        let Some(head) = form.next_part().await? else {
            return Err(ApiError::new(ErrorCode::IncorrectNumberOfFilesInPOSTRequest));
        };
        if head.name.eq_ignore_ascii_case("file") {
            break head;
        }
        let v = form.read_value(MAX_FIELD).await?;
        total += v.len() + head.name.len();
        if total > MAX_FIELDS_TOTAL {
            return Err(ApiError::new(ErrorCode::FieldItemTooLong));
        }
        let v = String::from_utf8(v).map_err(|_| {
            ApiError::invalid_argument("Form field values must be UTF-8.", &head.name, "")
        })?;
        fields.push((head.name, v));
    };
    let (principal, policy) = authorize_form(state, &b.record.name, &fields)?;
    check_header_fields(&fields)?;
    super::unsupported::refuse_unimplemented(
        fields.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
    )?;
    // The same decision as for every other write, now that the form named its principal.
    let sets_acl = field(&fields, headers::X_OSS_OBJECT_ACL.as_str()).is_some();
    let authz = auth::authorize(&principal, Some(&b), Access::Write, true, sets_acl)?;
    auth::refuse_public_acl(&b, field(&fields, headers::X_OSS_OBJECT_ACL.as_str()))?;
    let raw_key = field(&fields, "key").ok_or_else(|| {
        ApiError::msg(ErrorCode::InvalidArgument, "The form has no key field.")
            .field("ArgumentName", "key")
    })?;
    let key = raw_key.replace("${filename}", file_head.filename.as_deref().unwrap_or(""));
    check_new_key(&key)?;
    let overwrite = overwrite_mode(Settings::Form(&fields))?;
    let existing =
        blocking(|| state.store.get_object(&b.record.name, &key)).map_err(store_error)?;
    authz.object(&b, existing.as_ref().map(|r| r.acl))?;
    if overwrite == Overwrite::Forbid && existing.is_some() && !super::version_arg::versioned(&b) {
        return Err(ApiError::new(ErrorCode::FileAlreadyExists));
    }
    // Refused before the file is read, as every error about the form's own fields.
    object_acl(field(&fields, headers::X_OSS_OBJECT_ACL.as_str()).unwrap_or("default"))?;
    let range = policy.as_ref().and_then(|p| p.content_length_range());
    let limit = range.map_or(MAX_OBJECT_SIZE, |(_, max)| max.min(MAX_OBJECT_SIZE));
    let sse = super::encryption::for_new_object(
        &b,
        field(&fields, headers::X_OSS_SERVER_SIDE_ENCRYPTION.as_str()),
    )?;
    // Stream the file part into a blob.
    let mut writer =
        blocking(|| state.store.blob_writer_with(None, sse.is_some())).map_err(store_error)?;
    let mut buf: Vec<u8> = Vec::with_capacity(WRITE_BUF);
    let mut io_err: Option<std::io::Error> = None;
    let size = form
        .stream_value(|chunk| {
            if (writer.size() + buf.len() as u64 + chunk.len() as u64) > limit {
                return Err(ApiError::new(ErrorCode::EntityTooLarge));
            }
            buf.extend_from_slice(chunk);
            if buf.len() >= WRITE_BUF {
                if let Err(e) = blocking(|| writer.write_all(&buf)) {
                    io_err = Some(e);
                    return Err(ApiError::internal());
                }
                buf.clear();
            }
            Ok(())
        })
        .await?;
    // Exactly one file: a second `file` part is refused; other fields after the file are ignored.
    while let Some(head) = form.next_part().await? {
        if head.name.eq_ignore_ascii_case("file") {
            return Err(ApiError::new(ErrorCode::IncorrectNumberOfFilesInPOSTRequest));
        }
    }
    if let Some(e) = io_err {
        return Err(super::object::io_error(e));
    }
    if !buf.is_empty() {
        blocking(|| writer.write_all(&buf)).map_err(super::object::io_error)?;
    }
    if let Some(p) = &policy {
        p.check_content_length(size).map_err(policy_error)?;
    }
    if let Some(md5) = field(&fields, "Content-MD5") {
        let given = super::parse_content_md5(md5)?;
        if given != writer.md5() {
            return Err(ApiError::new(ErrorCode::InvalidDigest));
        }
    }
    let blob = blocking(|| writer.finish()).map_err(store_error)?;
    let mut rec = from_form(&fields, &b.record, &key, file_head.content_type.as_deref())?;
    rec.size = blob.size;
    rec.etag = md5_etag(&blob.md5);
    rec.crc64 = blob.crc64;
    rec.segments = vec![Segment { blob: blob.id.clone(), len: blob.size }];
    rec.server_side_encryption = sse;
    let etag = rec.etag.clone();
    // Checked again inside the commit: of concurrent creates, one wins.
    let written =
        blocking(|| state.store.put_versioned(&b.record.name, rec, vec![blob.clone()], overwrite))
            .map_err(store_error)?;
    let mut r = if let Some(redirect) =
        field(&fields, "success_action_redirect").filter(|r| !r.is_empty())
    {
        let sep = if redirect.contains('?') { '&' } else { '?' };
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let loc = format!(
            "{redirect}{sep}bucket={}&key={}&etag={}",
            enc(&b.record.name),
            enc(&key),
            enc(&etag)
        );
        let mut r = render::empty(StatusCode::SEE_OTHER);
        render::set(&mut r, header::LOCATION, &loc);
        r
    } else {
        match field(&fields, "success_action_status") {
            Some("200") => render::empty(StatusCode::OK),
            Some("201") => {
                let doc = PostResponse {
                    bucket: &b.record.name,
                    location: &super::object_url(state, ctx, &b.record.name, &key),
                    key: &key,
                    etag: &etag,
                };
                render::xml(StatusCode::CREATED, doc.to_xml())
            }
            _ => render::empty(StatusCode::NO_CONTENT),
        }
    };
    super::upload::upload_answer(&mut r, &etag, &blob);
    super::encryption::echo(&mut r, sse);
    if let Some(id) = &written.version_id {
        super::version_arg::set_id(&mut r, id);
    }
    Ok(r)
}
