//! Turning results and errors into HTTP responses: status, common headers, XML bodies, `x-oss-err` for HEAD.

use crate::body::Body;
use base64::Engine;
use http::{HeaderName, HeaderValue, Response, StatusCode, header};
use ossd_proto::ApiError;

/// A response with an XML document.
pub fn xml(status: StatusCode, doc: String) -> Response<Body> {
    let mut r = Response::new(Body::full(doc));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, APPLICATION_XML);
    r
}

/// A 200 response with an XML document.
pub fn ok_xml(doc: String) -> Response<Body> {
    xml(StatusCode::OK, doc)
}

/// `x-oss-request-id`, built at compile time: inserting by `&str` parses and checks the name each time.
pub const X_OSS_REQUEST_ID: HeaderName = HeaderName::from_static("x-oss-request-id");
/// `x-oss-hash-crc64ecma`.
pub const X_OSS_HASH_CRC64ECMA: HeaderName = HeaderName::from_static("x-oss-hash-crc64ecma");
/// `x-oss-object-type`.
pub const X_OSS_OBJECT_TYPE: HeaderName = HeaderName::from_static("x-oss-object-type");
/// `x-oss-storage-class`.
pub const X_OSS_STORAGE_CLASS: HeaderName = HeaderName::from_static("x-oss-storage-class");
/// `x-oss-next-append-position`.
pub const X_OSS_NEXT_APPEND_POSITION: HeaderName =
    HeaderName::from_static("x-oss-next-append-position");
/// `x-oss-last-access-time`.
pub const X_OSS_LAST_ACCESS_TIME: HeaderName = HeaderName::from_static("x-oss-last-access-time");
/// `content-md5`.
const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");
/// `x-oss-ec`.
const X_OSS_EC: HeaderName = HeaderName::from_static("x-oss-ec");
/// `x-oss-err`.
const X_OSS_ERR: HeaderName = HeaderName::from_static("x-oss-err");
/// `0`, validated at compile time (`from_static` at run time checks every byte on each call).
const ZERO: HeaderValue = HeaderValue::from_static("0");
/// `application/xml`.
const APPLICATION_XML: HeaderValue = HeaderValue::from_static("application/xml");

/// The prepared name for the header names handlers set most, `None` for others. Must return the
/// name spelled exactly like `name` (a test checks every arm).
fn known_name(name: &str) -> Option<HeaderName> {
    Some(match name {
        "etag" => header::ETAG,
        "last-modified" => header::LAST_MODIFIED,
        "accept-ranges" => header::ACCEPT_RANGES,
        "content-length" => header::CONTENT_LENGTH,
        "content-md5" => CONTENT_MD5,
        "location" => header::LOCATION,
        "x-oss-hash-crc64ecma" => X_OSS_HASH_CRC64ECMA,
        "x-oss-object-type" => X_OSS_OBJECT_TYPE,
        "x-oss-storage-class" => X_OSS_STORAGE_CLASS,
        "x-oss-next-append-position" => X_OSS_NEXT_APPEND_POSITION,
        "x-oss-last-access-time" => X_OSS_LAST_ACCESS_TIME,
        "x-oss-request-id" => X_OSS_REQUEST_ID,
        _ => return None,
    })
}

/// A response with no body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::Empty);
    *r.status_mut() = status;
    if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED {
        r.headers_mut().insert(header::CONTENT_LENGTH, ZERO);
    }
    r
}

/// The OSS error response: XML body, or for HEAD an empty body with the XML base64-encoded in `x-oss-err`.
pub fn error(err: &ApiError, request_id: &str, host_id: &str, head: bool) -> Response<Body> {
    let doc = err.to_xml(request_id, host_id);
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = if head {
        let mut r = Response::new(Body::Empty);
        *r.status_mut() = status;
        let b64 = base64::engine::general_purpose::STANDARD.encode(doc.as_bytes());
        if let Ok(v) = HeaderValue::from_str(&b64) {
            r.headers_mut().insert(X_OSS_ERR, v);
        }
        r.headers_mut().insert(header::CONTENT_TYPE, APPLICATION_XML);
        r
    } else {
        xml(status, doc)
    };
    if let Some(ec) = err.effective_ec() {
        r.headers_mut().insert(X_OSS_EC, HeaderValue::from_static(ec));
    }
    for (k, v) in &err.headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(*k, v);
        }
    }
    r
}

/// Formats unix milliseconds as the ISO 8601 form OSS uses in XML (`2012-02-24T08:42:32.000Z`): OSS
/// always writes `.000` and oss2 refuses anything else.
pub fn iso8601(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Formats unix milliseconds as an HTTP date (`Last-Modified`).
pub fn http_date(ms: i64) -> String {
    let secs = u64::try_from(ms / 1000).unwrap_or(0);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// Sets a header from a string, skipping values that are not valid header values.
pub fn set(r: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        match known_name(name) {
            Some(n) => r.headers_mut().insert(n, v),
            None => r.headers_mut().insert(name, v),
        };
    }
}
