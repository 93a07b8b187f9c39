//! The headers that describe an object in a GET or HEAD answer: one by one for any record (the
//! reference), and for a plain object from a prepared map filled by position (the fast path),
//! tested to give the same lines in the same order.

use crate::body::Body;
use crate::render::{self, http_date};
use http::Response;
use ossd_store::ObjectRecord;

/// Inserts a header whose value comes from a record; a value that is not a valid header value
/// (it cannot be: every stored value was one on the way in) is skipped.
fn put_header(h: &mut http::HeaderMap, name: http::HeaderName, value: &str) {
    if let Ok(v) = http::HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

/// An object type or storage class as a header value: the values a record can hold are made at
/// compile time (`from_static` checks its bytes each time it runs outside a constant), any other is
/// copied; `None` if it cannot be a header value, like [`put_header`] skipping it.
fn class_value(value: &str) -> Option<http::HeaderValue> {
    use http::HeaderValue;
    const NORMAL: HeaderValue = HeaderValue::from_static("Normal");
    const MULTIPART: HeaderValue = HeaderValue::from_static("Multipart");
    const APPENDABLE: HeaderValue = HeaderValue::from_static("Appendable");
    const STANDARD: HeaderValue = HeaderValue::from_static("Standard");
    const IA: HeaderValue = HeaderValue::from_static("IA");
    const ARCHIVE: HeaderValue = HeaderValue::from_static("Archive");
    const COLD_ARCHIVE: HeaderValue = HeaderValue::from_static("ColdArchive");
    const DEEP_COLD_ARCHIVE: HeaderValue = HeaderValue::from_static("DeepColdArchive");
    match value {
        "Normal" => Some(NORMAL),
        "Multipart" => Some(MULTIPART),
        "Appendable" => Some(APPENDABLE),
        "Standard" => Some(STANDARD),
        "IA" => Some(IA),
        "Archive" => Some(ARCHIVE),
        "ColdArchive" => Some(COLD_ARCHIVE),
        "DeepColdArchive" => Some(DEEP_COLD_ARCHIVE),
        _ => HeaderValue::from_str(value).ok(),
    }
}

/// `Content-Type` of an object stored without one.
const OCTET_STREAM: http::HeaderValue = http::HeaderValue::from_static("application/octet-stream");
/// `Accept-Ranges: bytes`.
const ACCEPT_BYTES: http::HeaderValue = http::HeaderValue::from_static("bytes");

/// Sets the headers that describe an object (GET, HEAD) and `Content-Length: len`, one by one:
/// what [`object_headers`] does for any record, and the reference its prepared path is tested against.
fn object_headers_one_by_one(r: &mut Response<Body>, rec: &ObjectRecord, len: u64) {
    use http::header::{self as hn, HeaderValue};
    let h = r.headers_mut();
    h.reserve(16 + rec.user_meta.len());
    match rec.content_type.as_deref() {
        Some(ct) => put_header(h, hn::CONTENT_TYPE, ct),
        None => {
            h.insert(hn::CONTENT_TYPE, OCTET_STREAM);
        }
    }
    put_header(h, hn::ETAG, &rec.etag);
    put_header(h, hn::LAST_MODIFIED, &http_date(rec.last_modified_ms));
    h.insert(hn::ACCEPT_RANGES, ACCEPT_BYTES);
    if let Some(v) = class_value(rec.object_type.as_str()) {
        h.insert(crate::headers::X_OSS_OBJECT_TYPE, v);
    }
    if let Some(v) = class_value(rec.storage_class.as_str()) {
        h.insert(crate::headers::X_OSS_STORAGE_CLASS, v);
    }
    h.insert(crate::headers::X_OSS_HASH_CRC64ECMA, HeaderValue::from(rec.crc64));
    if rec.object_type == ossd_store::ObjectType::Appendable {
        h.insert(crate::headers::X_OSS_NEXT_APPEND_POSITION, HeaderValue::from(rec.size));
    }
    if !rec.tags.is_empty() {
        h.insert(crate::headers::X_OSS_TAGGING_COUNT, HeaderValue::from(rec.tags.len()));
    }
    if let Some(a) = rec.server_side_encryption {
        h.insert(
            crate::headers::X_OSS_SERVER_SIDE_ENCRYPTION,
            HeaderValue::from_static(a.as_str()),
        );
    }
    for (name, v) in [
        (hn::CONTENT_ENCODING, &rec.content_encoding),
        (hn::CONTENT_DISPOSITION, &rec.content_disposition),
        (hn::CACHE_CONTROL, &rec.cache_control),
        (hn::EXPIRES, &rec.expires),
        (hn::CONTENT_LANGUAGE, &rec.content_language),
    ] {
        if let Some(v) = v {
            put_header(h, name, v);
        }
    }
    for (k, v) in &rec.user_meta {
        if let (Ok(n), Ok(v)) =
            (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_str(v))
        {
            r.headers_mut().insert(n, v);
        }
    }
    r.headers_mut().insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(len));
}

/// The header names of a plain object's answer (no append position, no optional headers, no user
/// metadata), in the order [`object_headers_one_by_one`] inserts them, `Content-Length` last.
const PLAIN_NAMES: [http::HeaderName; 8] = [
    http::header::CONTENT_TYPE,
    http::header::ETAG,
    http::header::LAST_MODIFIED,
    http::header::ACCEPT_RANGES,
    crate::headers::X_OSS_OBJECT_TYPE,
    crate::headers::X_OSS_STORAGE_CLASS,
    crate::headers::X_OSS_HASH_CRC64ECMA,
    http::header::CONTENT_LENGTH,
];

/// [`PLAIN_NAMES`] with placeholder values, built once; its clone is filled by position (no hashing),
/// with room for the headers the pipeline and CORS add afterwards.
fn plain_headers() -> &'static http::HeaderMap {
    static PLAIN: std::sync::OnceLock<http::HeaderMap> = std::sync::OnceLock::new();
    PLAIN.get_or_init(|| {
        let mut h = http::HeaderMap::with_capacity(24);
        for name in PLAIN_NAMES {
            h.insert(name, http::HeaderValue::from_static(""));
        }
        h
    })
}

/// A record's string as a header value, taking its bytes instead of copying them; `None` if it
/// cannot be a header value (the same check as `HeaderValue::from_str`).
fn owned_value(s: String) -> Option<http::HeaderValue> {
    http::HeaderValue::from_maybe_shared(bytes::Bytes::from(s)).ok()
}

/// Sets the headers that describe an object (GET, HEAD) and `Content-Length: len`: the same headers
/// in the same order as [`object_headers_one_by_one`]. A plain object's headers fill a prepared map.
pub(super) fn object_headers(r: &mut Response<Body>, rec: ObjectRecord, len: u64) {
    use http::HeaderValue;
    let plain = rec.object_type != ossd_store::ObjectType::Appendable
        && rec.server_side_encryption.is_none()
        && rec.content_encoding.is_none()
        && rec.content_disposition.is_none()
        && rec.cache_control.is_none()
        && rec.expires.is_none()
        && rec.content_language.is_none()
        && rec.user_meta.is_empty()
        && rec.tags.is_empty()
        && r.headers().is_empty();
    if !plain {
        return object_headers_one_by_one(r, &rec, len);
    }
    let values = [
        match rec.content_type {
            Some(ct) => owned_value(ct),
            None => Some(OCTET_STREAM),
        },
        owned_value(rec.etag),
        render::http_date_value(rec.last_modified_ms),
        Some(ACCEPT_BYTES),
        class_value(rec.object_type.as_str()),
        class_value(rec.storage_class.as_str()),
        Some(HeaderValue::from(rec.crc64)),
        Some(HeaderValue::from(len)),
    ];
    let h = r.headers_mut();
    if values.iter().all(Option::is_some) {
        *h = plain_headers().clone();
        for (slot, v) in h.values_mut().zip(values.into_iter().flatten()) {
            *slot = v;
        }
    } else {
        // A value that cannot be a header value is skipped, as one by one.
        for (name, v) in PLAIN_NAMES.into_iter().zip(values) {
            if let Some(v) = v {
                h.insert(name, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{object_headers, object_headers_one_by_one};
    use crate::body::Body;
    use http::{HeaderValue, Response, header};
    use ossd_store::ObjectRecord;

    /// The header lines of `r`, in order.
    fn lines(r: &Response<Body>) -> Vec<(String, Vec<u8>)> {
        r.headers().iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn prepared_object_headers_equal_one_by_one_insertion() {
        let plain = ObjectRecord {
            key: "k".into(),
            size: 4096,
            etag: "\"0123456789ABCDEF0123456789ABCDEF\"".into(),
            last_modified_ms: 1_764_355_947_123,
            content_type: Some("application/x-bench".into()),
            acl: ossd_store::ObjectAcl::Default,
            storage_class: ossd_store::StorageClass::Standard,
            object_type: ossd_store::ObjectType::Normal,
            crc64: u64::MAX,
            ..ObjectRecord::default()
        };
        let with = |f: &dyn Fn(&mut ObjectRecord)| {
            let mut r = plain.clone();
            f(&mut r);
            r
        };
        let records = [
            plain.clone(),
            with(&|r| r.content_type = None),
            with(&|r| r.content_type = Some("bad\nvalue".into())),
            with(&|r| r.etag = "\u{7f}".into()),
            with(&|r| r.storage_class = ossd_store::StorageClass::IA),
            with(&|r| r.storage_class = ossd_store::StorageClass::DeepColdArchive),
            with(&|r| r.object_type = ossd_store::ObjectType::Multipart),
            with(&|r| r.object_type = ossd_store::ObjectType::Appendable),
            with(&|r| r.last_modified_ms = 0),
            with(&|r| r.last_modified_ms = -1_500),
            with(&|r| r.cache_control = Some("no-cache".into())),
            with(&|r| r.expires = Some("Thu, 01 Jan 2099 00:00:00 GMT".into())),
            with(&|r| r.content_encoding = Some("gzip".into())),
            with(&|r| r.content_disposition = Some("attachment".into())),
            with(&|r| r.content_language = Some("en".into())),
            with(&|r| r.user_meta = vec![("x-oss-meta-a".into(), "1".into())]),
        ];
        for rec in records {
            for len in [0, 10, rec.size] {
                let mut prepared = Response::new(Body::Empty);
                object_headers(&mut prepared, rec.clone(), len);
                let mut one_by_one = Response::new(Body::Empty);
                object_headers_one_by_one(&mut one_by_one, &rec, len);
                assert_eq!(lines(&prepared), lines(&one_by_one), "{rec:?}");
                // What the pipeline and CORS add afterwards lands in the same places, and lookups
                // and replacements in the prepared map behave as in the other.
                for r in [&mut prepared, &mut one_by_one] {
                    let h = r.headers_mut();
                    h.insert(crate::headers::X_OSS_REQUEST_ID, HeaderValue::from_static("ID"));
                    h.insert(header::DATE, HeaderValue::from_static("Sat, 28 Nov 2026"));
                    h.insert(header::SERVER, HeaderValue::from_static("AliyunOSS"));
                    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
                    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET"));
                    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("E"));
                    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("60"));
                    h.insert(header::VARY, HeaderValue::from_static("Origin"));
                    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                    h.insert(header::CONTENT_RANGE, HeaderValue::from_static("bytes 0-9/10"));
                }
                assert_eq!(lines(&prepared), lines(&one_by_one), "{rec:?}");
                for (name, _) in lines(&one_by_one) {
                    assert_eq!(
                        prepared.headers().get_all(&name).iter().collect::<Vec<_>>(),
                        one_by_one.headers().get_all(&name).iter().collect::<Vec<_>>(),
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn http_date_value_equals_http_date() {
        use crate::render::{http_date, http_date_value};
        let days = 86_400_000_i64;
        let mut ms: Vec<i64> =
            vec![i64::MIN, -1, 0, 999, 1_000, 951_782_400_000, 253_402_300_799_999, i64::MAX];
        ms.extend((0..2_000).map(|i| i * 37 * days + i * 7_919_123));
        // Each twice in a row (the second from the per-thread cache), then others in between.
        for (i, &m) in ms.iter().enumerate() {
            for m in [m, m, ms[0], m.saturating_sub(999), ms[i.saturating_sub(1)]] {
                let v = http_date_value(m).expect("a header value");
                assert_eq!(v.to_str().ok(), Some(http_date(m).as_str()), "{m}");
            }
        }
        // Past year 9999 (only a damaged record): the last date there is, not a panic.
        for m in [253_402_300_800_000, i64::MAX] {
            assert_eq!(http_date(m), "Fri, 31 Dec 9999 23:59:59 GMT");
        }
    }
}
