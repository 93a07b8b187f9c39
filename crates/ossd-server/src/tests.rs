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
fn set_sends_names_in_order_and_skips_invalid_values() {
    use crate::headers;
    use http::header;
    let names =
        [header::ETAG, headers::X_OSS_HASH_CRC64ECMA, headers::CONTENT_MD5, header::LOCATION];
    let mut r = Response::new(Body::Empty);
    for (i, n) in names.iter().enumerate() {
        render::set(&mut r, n.clone(), &i.to_string());
    }
    render::set(&mut r, header::ETAG, "bad\r\nvalue");
    let got: Vec<(&str, &str)> =
        r.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())).collect();
    assert_eq!(
        got,
        [("etag", "0"), ("x-oss-hash-crc64ecma", "1"), ("content-md5", "2"), ("location", "3")]
    );
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

/// A matched preflight's answer built the way it was before the prepared blocks: header by header,
/// then the request id, `Date` and `Server` every answer gets (`tail`), as `pipeline::handle` does.
fn preflight_by_insertion(
    b: &BucketState,
    origin: &str,
    method: &str,
    acrh: Option<&str>,
    tail: Option<[HeaderValue; 3]>,
) -> Option<Vec<(String, String)>> {
    use http::header;
    let cfg = b.cors.as_ref().unwrap();
    let a = *cfg.preflight(origin, method, acrh).allowed()?;
    let mut r = render::empty(StatusCode::OK);
    let h = r.headers_mut();
    let echo = a.allow_origin == ossd_cors::AllowOrigin::Echo;
    let acao =
        if echo { HeaderValue::from_str(origin).unwrap() } else { HeaderValue::from_static("*") };
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, acao);
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_str(a.allow_methods).unwrap());
    if let Some(e) = a.expose_headers {
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_str(e).unwrap());
    }
    if let Some(m) = a.max_age {
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(m));
    }
    if let Some(v) = ossd_cors::allow_headers_value(acrh) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_str(&v).unwrap());
    }
    let vary = if echo {
        Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    } else if cfg.response_vary() {
        Some("Origin")
    } else {
        None
    };
    if let Some(v) = vary {
        h.insert(header::VARY, HeaderValue::from_static(v));
    }
    if let Some([rid, date, server]) = tail {
        h.insert(crate::headers::X_OSS_REQUEST_ID, rid);
        h.insert(header::DATE, date);
        h.insert(header::SERVER, server);
    }
    Some(lines(&r))
}

#[test]
fn prepared_preflight_blocks_equal_header_by_header_insertion() {
    let rules = vec![
        // Exact and glob origins (echoed), fixed header list, expose headers and max age.
        rule(
            &["https://a.example", "https://*.b.example"],
            &["GET", "PUT"],
            &["content-type", "x-oss-meta-*"],
            &["ETag", "x-oss-request-id"],
            Some(600),
        ),
        // `*` origin (not echoed), any header, nothing else.
        rule(&["*"], &["GET", "HEAD"], &["*"], &[], None),
        // Exact origin then `*`: echoed or `*` depending on the origin; max age only.
        rule(&["https://c.example", "*"], &["DELETE"], &["*"], &[], Some(0)),
    ];
    let tail = || {
        [
            HeaderValue::from_static("6B0B4D1B195B0A335BEB13E5"),
            HeaderValue::from_static("Sat, 28 Nov 2026 21:52:27 GMT"),
            HeaderValue::from_static("AliyunOSS"),
        ]
    };
    let requests: &[(&str, &str, Option<&str>)] = &[
        ("https://a.example", "PUT", Some("content-type, x-oss-meta-bench")),
        ("https://a.example", "PUT", Some(" Content-Type,X-OSS-Meta-Bench ,,")),
        ("https://a.example", "GET", None),
        ("https://x.b.example", "GET", Some("x-oss-meta-a")),
        ("https://z.example", "GET", Some("X-Anything")),
        ("https://z.example", "HEAD", None),
        ("https://z.example", "GET", Some(" , ")),
        ("https://c.example", "DELETE", Some("a,b")),
        ("https://d.example", "DELETE", None),
        ("https://a.example", "POST", None),
    ];
    let mut matched = 0;
    for response_vary in [false, true] {
        let cfg = CorsConfig::new(rules.clone(), response_vary).unwrap();
        let b = BucketState::with_cors(
            BucketRecord { name: "b".into(), ..BucketRecord::default() },
            Some(cfg),
        );
        for &(origin, method, acrh) in requests {
            let mut req: Vec<(&str, &[u8])> = vec![
                ("origin", origin.as_bytes()),
                ("access-control-request-method", method.as_bytes()),
            ];
            if let Some(h) = acrh {
                req.push(("access-control-request-headers", h.as_bytes()));
            }
            let headers = request(&req);
            let want = preflight_by_insertion(&b, origin, method, acrh, None);
            let want_tail = preflight_by_insertion(&b, origin, method, acrh, Some(tail()));
            let plain = cors::preflight(Some(&b), Some("b"), &headers, "RID", "host");
            let common = cors::CommonHeaders {
                request_id: tail()[0].clone(),
                date: tail()[1].clone(),
                server: tail()[2].clone(),
            };
            let (full, filled) = cors::preflight_with(
                Some(&b),
                Some("b"),
                &headers,
                || "RID",
                "host",
                || Some(common),
            );
            let case = format!("{origin} {method} {acrh:?} vary={response_vary}");
            match want {
                Some(want) => {
                    matched += 1;
                    assert_eq!(plain.status(), StatusCode::OK, "{case}");
                    assert_eq!(lines(&plain), want, "{case}");
                    assert!(filled, "{case}");
                    // Without `Content-Length: 0`, which hyper writes itself, last, for the empty body.
                    let mut want_tail = want_tail.unwrap();
                    assert_eq!(
                        want_tail.remove(0),
                        ("content-length".into(), "0".into()),
                        "{case}"
                    );
                    assert_eq!(lines(&full), want_tail, "{case}");
                    assert!(
                        full.headers().values().all(|v| !v.is_empty()),
                        "{case}: a slot left empty"
                    );
                }
                None => {
                    // A refusal is the same error answer either way; the common headers are left to the caller.
                    assert_eq!(plain.status(), StatusCode::FORBIDDEN, "{case}");
                    assert!(!filled, "{case}");
                    assert_eq!(lines(&full), lines(&plain), "{case}");
                }
            }
        }
    }
    assert_eq!(matched, 18, "every request but POST matches in both configurations");
}

#[test]
fn resolve_ref_equals_resolve_and_borrows_plain_paths() {
    use ossd_proto::request::{resolve, resolve_ref};
    use std::borrow::Cow;
    let domains = vec!["oss.local.test".to_owned()];
    let cases: &[(&str, &str)] = &[
        ("127.0.0.1:9000", "/"),
        ("127.0.0.1:9000", "/b"),
        ("127.0.0.1:9000", "/b/"),
        ("127.0.0.1:9000", "/b/dir/key.txt"),
        ("127.0.0.1", "/b/a%20b+c%25d"),
        ("127.0.0.1", "/b%2Fc/k"),
        ("bucket.oss.local.test:9000", "/"),
        ("Bucket.OSS.local.test", "/dir/k%41"),
        ("b.oss-cn-hangzhou.aliyuncs.com", "/k"),
        ("127.0.0.1", "/b/%FF"),
        ("127.0.0.1", "no-slash"),
    ];
    for &(host, path) in cases {
        let owned = resolve(Some(host), path, &domains);
        let borrowed = resolve_ref(Some(host), path, &domains);
        match (owned, borrowed) {
            (Ok(o), Ok(b)) => {
                // Slices of the path unless it was decoded; a bucket from the Host is lower-cased.
                let plain = !path.contains('%');
                for (part, borrows) in [(&b.bucket, plain && !b.virtual_hosted), (&b.key, plain)] {
                    if let Some(part) = part {
                        assert_eq!(
                            matches!(part, Cow::Borrowed(_)),
                            borrows,
                            "{host} {path}: {part:?}"
                        );
                    }
                }
                assert_eq!(b.into_owned(), o, "{host} {path}");
            }
            (Err(o), Err(b)) => assert_eq!(format!("{o:?}"), format!("{b:?}"), "{host} {path}"),
            (o, b) => panic!("{host} {path}: {o:?} vs {b:?}"),
        }
    }
}

/// Every sub-resource the OSS SDKs sign (ossd-sig's list, gathered from their signers) has a row
/// in the operation table: implemented, an argument of an implemented operation, partly
/// implemented, or answered 501. None can fall through to a base operation unnoticed.
#[test]
fn every_signed_sub_resource_is_in_the_operation_table() {
    use ossd_proto::operation::{ARGUMENTS, NOT_IMPLEMENTED, PARTLY_IMPLEMENTED, SELECTORS};
    for name in ossd_sig::v1::SUB_RESOURCES {
        let known = [SELECTORS, ARGUMENTS, NOT_IMPLEMENTED, PARTLY_IMPLEMENTED]
            .iter()
            .any(|t| t.contains(name));
        assert!(known, "{name} is signed by the SDKs but has no row in the operation table");
    }
}
