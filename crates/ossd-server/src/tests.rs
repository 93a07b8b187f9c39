//! Unit tests of the request path's building blocks: request ids, header names, and the exact CORS
//! headers of preflight and actual responses (names, values and order, as they go on the wire).
#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use crate::body::Body;
use crate::cors;
use crate::pipeline::RequestId;
use crate::render;
use crate::state::BucketState;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use ossd_cors::{CorsConfig, CorsRule};
use ossd_store::BucketRecord;

/// The id written out the way it was first defined: the low 96 bits of `time << 64 | n` in hex.
fn reference_id(time: u32, n: u64) -> String {
    let v = (u128::from(time) << 64) | u128::from(n);
    format!("{:024X}", v & ((1u128 << 96) - 1))
}

#[test]
fn request_ids_are_24_upper_hex_of_time_then_sequence() {
    for (t, n) in [(0, 0), (0x5051_845B, 0xC468_9A03_3D00_22BC), (u32::MAX, u64::MAX), (1, 2)] {
        let id = RequestId::from_parts(t, n);
        assert_eq!(id.as_str(), reference_id(t, n));
    }
    assert_eq!(
        RequestId::from_parts(0x5051_845B, 0xC468_9A03_3D00_22BC).as_str(),
        "5051845BC4689A033D0022BC"
    );
    let (a, b) = (RequestId::new(7), RequestId::new(7));
    assert_ne!(a.as_str(), b.as_str(), "the sequence advances");
    assert!(a.as_str().starts_with("00000007"));
}

#[test]
fn set_sends_each_known_name_as_given() {
    let names = [
        "etag",
        "last-modified",
        "accept-ranges",
        "content-length",
        "content-md5",
        "location",
        "x-oss-hash-crc64ecma",
        "x-oss-object-type",
        "x-oss-storage-class",
        "x-oss-next-append-position",
        "x-oss-last-access-time",
        "x-oss-request-id",
        "x-oss-meta-other",
    ];
    let mut r = Response::new(Body::Empty);
    for (i, n) in names.iter().enumerate() {
        render::set(&mut r, n, &i.to_string());
    }
    render::set(&mut r, "etag", "bad\r\nvalue");
    let got: Vec<(&str, &str)> =
        r.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())).collect();
    let want: Vec<(&str, String)> =
        names.iter().enumerate().map(|(i, n)| (*n, i.to_string())).collect();
    assert_eq!(got.len(), want.len());
    for ((gk, gv), (wk, wv)) in got.iter().zip(&want) {
        assert_eq!((*gk, *gv), (*wk, wv.as_str()));
    }
}

fn rule(
    origins: &[&str],
    methods: &[&str],
    headers: &[&str],
    expose: &[&str],
    age: Option<i64>,
) -> CorsRule {
    let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect();
    CorsRule {
        allowed_origins: v(origins),
        allowed_methods: v(methods),
        allowed_headers: v(headers),
        expose_headers: v(expose),
        max_age_seconds: age,
    }
}

/// A bucket with two rules: an exact origin (echoed) with every header, and `*` for GET.
fn bucket(response_vary: bool) -> BucketState {
    let cfg = CorsConfig::new(
        vec![
            rule(
                &["https://a.example"],
                &["GET", "PUT"],
                &["*"],
                &["ETag", "x-oss-request-id"],
                Some(600),
            ),
            rule(&["*"], &["GET"], &["x-oss-*"], &[], None),
        ],
        response_vary,
    )
    .unwrap();
    BucketState::with_cors(BucketRecord { name: "b".into(), ..BucketRecord::default() }, Some(cfg))
}

fn request(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_bytes(v).unwrap(),
        );
    }
    h
}

/// The response headers as (name, value) lines in map order.
fn lines(r: &Response<Body>) -> Vec<(String, String)> {
    r.headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

fn preflight(b: &BucketState, req: &[(&str, &[u8])]) -> Response<Body> {
    cors::preflight(Some(b), Some("b"), &request(req), "RID", "host")
}

fn owned(x: &[(&str, &str)]) -> Vec<(String, String)> {
    x.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn preflight_echo_sends_the_rule_headers_in_order() {
    let b = bucket(false);
    for acrh in [&b"content-type, x-oss-meta-bench"[..], b" Content-Type,X-OSS-Meta-Bench ,,"] {
        let r = preflight(
            &b,
            &[
                ("origin", b"https://a.example"),
                ("access-control-request-method", b"PUT"),
                ("access-control-request-headers", acrh),
            ],
        );
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            lines(&r),
            owned(&[
                ("content-length", "0"),
                ("access-control-allow-origin", "https://a.example"),
                ("access-control-allow-methods", "GET, PUT"),
                ("access-control-expose-headers", "ETag, x-oss-request-id"),
                ("access-control-max-age", "600"),
                ("access-control-allow-headers", "content-type, x-oss-meta-bench"),
                ("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
            ]),
            "{:?}",
            String::from_utf8_lossy(acrh)
        );
    }
}

#[test]
fn preflight_joins_several_request_header_lines() {
    let r = preflight(
        &bucket(false),
        &[
            ("origin", b"https://a.example"),
            ("access-control-request-method", b"GET"),
            ("access-control-request-headers", b"x-a"),
            ("access-control-request-headers", b"X-B, x-c"),
        ],
    );
    assert_eq!(r.headers()["access-control-allow-headers"], "x-a, x-b, x-c");
}

#[test]
fn preflight_any_origin_and_response_vary() {
    for vary in [false, true] {
        let r = preflight(
            &bucket(vary),
            &[("origin", b"https://z.example"), ("access-control-request-method", b"GET")],
        );
        let mut want = vec![
            ("content-length", "0"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "GET"),
        ];
        if vary {
            want.push(("vary", "Origin"));
        }
        assert_eq!(lines(&r), owned(&want), "response_vary {vary}");
    }
}

#[test]
fn preflight_refusals() {
    let b = bucket(true);
    // No rule allows DELETE; a non-ASCII origin counts as missing.
    let denied = preflight(
        &b,
        &[("origin", b"https://a.example"), ("access-control-request-method", b"DELETE")],
    );
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert_eq!(denied.headers()["vary"], "Origin");
    assert!(denied.headers().get("access-control-allow-origin").is_none());
    let no_origin = preflight(
        &b,
        &[("origin", b"https://\xe4.example"), ("access-control-request-method", b"GET")],
    );
    assert_eq!(no_origin.status(), StatusCode::BAD_REQUEST);
    // The second rule allows only x-oss-* headers for other origins.
    let bad_header = preflight(
        &b,
        &[
            ("origin", b"https://z.example"),
            ("access-control-request-method", b"GET"),
            ("access-control-request-headers", b"x-oss-a, authorization"),
        ],
    );
    assert_eq!(bad_header.status(), StatusCode::FORBIDDEN);
}

#[test]
fn decorate_adds_cors_headers_and_merges_vary() {
    let b = bucket(false);
    let origin = HeaderValue::from_static("https://a.example");
    let mut r = render::empty(StatusCode::OK);
    cors::decorate(&mut r, Some(&b), Some(&origin), &Method::GET);
    assert_eq!(
        lines(&r),
        owned(&[
            ("content-length", "0"),
            ("access-control-allow-origin", "https://a.example"),
            ("access-control-allow-methods", "GET, PUT"),
            ("access-control-expose-headers", "ETag, x-oss-request-id"),
            ("access-control-max-age", "600"),
            ("vary", "Origin"),
        ])
    );
    let mut r = render::empty(StatusCode::OK);
    r.headers_mut().insert("vary", HeaderValue::from_static("Accept-Encoding"));
    cors::decorate(&mut r, Some(&b), Some(&origin), &Method::GET);
    assert_eq!(r.headers()["vary"], "Accept-Encoding, Origin");
    // `*` origin: no Vary unless the bucket asks for it.
    let any = HeaderValue::from_static("https://z.example");
    let mut r = render::empty(StatusCode::OK);
    cors::decorate(&mut r, Some(&b), Some(&any), &Method::GET);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers().get("vary").is_none());
    let mut r = render::empty(StatusCode::OK);
    cors::decorate(&mut r, Some(&bucket(true)), None, &Method::GET);
    assert_eq!(lines(&r), owned(&[("content-length", "0"), ("vary", "Origin")]));
}
