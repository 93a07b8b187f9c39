//! Turning results and errors into HTTP responses: status, common headers, XML bodies, `x-oss-err` for HEAD.

use crate::body::Body;
use base64::Engine;
use http::{HeaderValue, Response, StatusCode, header};
use ossd_proto::ApiError;

/// A response with an XML document.
pub fn xml(status: StatusCode, doc: String) -> Response<Body> {
    let mut r = Response::new(Body::full(doc));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    r
}

/// A 200 response with an XML document.
pub fn ok_xml(doc: String) -> Response<Body> {
    xml(StatusCode::OK, doc)
}

/// A response with no body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::Empty);
    *r.status_mut() = status;
    if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED {
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
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
            r.headers_mut().insert("x-oss-err", v);
        }
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        r
    } else {
        xml(status, doc)
    };
    if let Some(ec) = err.effective_ec() {
        r.headers_mut().insert("x-oss-ec", HeaderValue::from_static(ec));
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
        r.headers_mut().insert(name, v);
    }
}
