//! Turning results and errors into HTTP responses: status, common headers, XML bodies, `x-oss-err` for HEAD.

use crate::body::Body;
use crate::headers::{X_OSS_EC, X_OSS_ERR};
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

/// `0`, validated at compile time (`from_static` at run time checks every byte on each call).
const ZERO: HeaderValue = HeaderValue::from_static("0");
/// `application/xml`.
const APPLICATION_XML: HeaderValue = HeaderValue::from_static("application/xml");

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
    // For the access log (the pipeline reads it back).
    r.extensions_mut().insert(err.code);
    if let Some(ec) = err.effective_ec() {
        r.headers_mut().insert(X_OSS_EC, HeaderValue::from_static(ec));
    }
    for (k, v) in &err.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            r.headers_mut().insert(k, v);
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

/// The last second an HTTP date can name (9999-12-31T23:59:59Z); `httpdate` panics after it.
const LAST_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// Whole seconds of unix milliseconds as an HTTP date can carry them: 0 before the epoch, the last
/// second of year 9999 after it (a damaged record must not make formatting panic).
fn http_date_secs(ms: i64) -> u64 {
    u64::try_from(ms / 1000).unwrap_or(0).min(LAST_HTTP_DATE_SECS)
}

/// Formats unix milliseconds as an HTTP date (`Last-Modified`).
pub fn http_date(ms: i64) -> String {
    let secs = http_date_secs(ms);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// [`http_date`] as a header value, formatted on the stack instead of through `fmt` into a `String`
/// (the same bytes); `None` only if the value could not be made (never for a date `http_date` formats).
pub fn http_date_value(ms: i64) -> Option<HeaderValue> {
    // The last value made on this thread: repeated GETs of an object share it (a clone of a
    // header value is a reference count, making one is an allocation).
    thread_local! {
        static LAST: std::cell::RefCell<Option<(u64, HeaderValue)>> = const { std::cell::RefCell::new(None) };
    }
    let secs = http_date_secs(ms);
    let hit =
        LAST.with_borrow(|last| last.as_ref().filter(|(s, _)| *s == secs).map(|(_, v)| v.clone()));
    if hit.is_some() {
        return hit;
    }
    let v = format_http_date(secs);
    if let Some(v) = &v {
        LAST.with_borrow_mut(|last| *last = Some((secs, v.clone())));
    }
    v
}

/// [`http_date_value`] without the cache; `secs` is at most [`LAST_HTTP_DATE_SECS`].
fn format_http_date(secs: u64) -> Option<HeaderValue> {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let (days, secs_of_day) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm; days are never negative here).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    let two = |out: &mut [u8; 29], at: usize, v: u64| {
        out[at] = b'0' + (v / 10) as u8;
        out[at + 1] = b'0' + (v % 10) as u8;
    };
    two(&mut out, 5, day);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    two(&mut out, 12, year / 100);
    two(&mut out, 14, year % 100);
    two(&mut out, 17, secs_of_day / 3_600);
    two(&mut out, 20, secs_of_day / 60 % 60);
    two(&mut out, 23, secs_of_day % 60);
    HeaderValue::from_bytes(&out).ok()
}

/// Sets a header from a string, skipping values that are not valid header values.
pub fn set(r: &mut Response<Body>, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}
