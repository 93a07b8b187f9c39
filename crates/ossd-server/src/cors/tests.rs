//! The exact CORS headers of preflight and actual responses (names, values and order, as they go
//! on the wire), and the prepared preflight blocks held to the header-by-header path and to the
//! engine's own answer.
#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use super::{BucketCors, CommonHeaders, decorate, preflight, reference};
use crate::body::Body;
use crate::render;
use crate::state::BucketState;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use ossd_cors::{CorsConfig, CorsRule};
use ossd_store::BucketRecord;

/// A rule from space-separated lists: origins, methods, allowed headers, expose headers.
fn rule(origins: &str, methods: &str, headers: &str, expose: &str, age: Option<i64>) -> CorsRule {
    let v = |list: &str| list.split_whitespace().map(str::to_owned).collect();
    CorsRule {
        allowed_origins: v(origins),
        allowed_methods: v(methods),
        allowed_headers: v(headers),
        expose_headers: v(expose),
        max_age_seconds: age,
    }
}

fn state(cfg: CorsConfig) -> BucketState {
    BucketState::with_cors(BucketRecord { name: "b".into(), ..BucketRecord::default() }, Some(cfg))
}

/// A bucket with two rules: an exact origin (echoed) with every header, and `*` for GET.
fn bucket(response_vary: bool) -> BucketState {
    let cfg = CorsConfig::new(
        vec![
            rule("https://a.example", "GET PUT", "*", "ETag x-oss-request-id", Some(600)),
            rule("*", "GET", "x-oss-*", "", None),
        ],
        response_vary,
    )
    .unwrap();
    state(cfg)
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

/// Header lines (name, value) in map order.
fn lines_of(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

fn lines(r: &Response<Body>) -> Vec<(String, String)> {
    lines_of(r.headers())
}

/// The request id, `Date` and `Server` the pipeline hands a preflight.
fn common() -> CommonHeaders {
    CommonHeaders {
        request_id: HeaderValue::from_static("6B0B4D1B195B0A335BEB13E5"),
        date: HeaderValue::from_static("Sat, 28 Nov 2026 21:52:27 GMT"),
        server: HeaderValue::from_static("AliyunOSS"),
    }
}

/// `want` followed by the lines of [`common`], as a matched preflight ends.
fn with_common(want: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = owned(want);
    all.extend(owned(&[
        ("x-oss-request-id", "6B0B4D1B195B0A335BEB13E5"),
        ("date", "Sat, 28 Nov 2026 21:52:27 GMT"),
        ("server", "AliyunOSS"),
    ]));
    all
}

/// The preflight's answer and whether the common headers are in it.
fn answer(b: &BucketState, req: &[(&str, &[u8])]) -> (Response<Body>, bool) {
    preflight(Some(b), Some("b"), &request(req), || "RID", "host", common)
}

fn owned(x: &[(&str, &str)]) -> Vec<(String, String)> {
    x.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn preflight_echo_sends_the_rule_headers_in_order() {
    let b = bucket(false);
    for acrh in [&b"content-type, x-oss-meta-bench"[..], b" Content-Type,X-OSS-Meta-Bench ,,"] {
        let (r, common_set) = answer(
            &b,
            &[
                ("origin", b"https://a.example"),
                ("access-control-request-method", b"PUT"),
                ("access-control-request-headers", acrh),
            ],
        );
        assert_eq!(r.status(), StatusCode::OK);
        assert!(common_set);
        assert_eq!(
            lines(&r),
            with_common(&[
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
    let (r, _) = answer(
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
        let (r, _) = answer(
            &bucket(vary),
            &[("origin", b"https://z.example"), ("access-control-request-method", b"GET")],
        );
        let mut want =
            vec![("access-control-allow-origin", "*"), ("access-control-allow-methods", "GET")];
        if vary {
            want.push(("vary", "Origin"));
        }
        assert_eq!(lines(&r), with_common(&want), "response_vary {vary}");
    }
}

#[test]
fn preflight_refusals() {
    let b = bucket(true);
    // No rule allows DELETE; a non-ASCII origin counts as missing.
    let (denied, common_set) = answer(
        &b,
        &[("origin", b"https://a.example"), ("access-control-request-method", b"DELETE")],
    );
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert!(!common_set, "a refusal leaves the common headers to the caller");
    assert!(denied.headers().get("x-oss-request-id").is_none());
    assert_eq!(denied.headers()["vary"], "Origin");
    assert!(denied.headers().get("access-control-allow-origin").is_none());
    let (no_origin, _) = answer(
        &b,
        &[("origin", b"https://\xe4.example"), ("access-control-request-method", b"GET")],
    );
    assert_eq!(no_origin.status(), StatusCode::BAD_REQUEST);
    // The second rule allows only x-oss-* headers for other origins.
    let (bad_header, _) = answer(
        &b,
        &[
            ("origin", b"https://z.example"),
            ("access-control-request-method", b"GET"),
            ("access-control-request-headers", b"x-oss-a, authorization"),
        ],
    );
    assert_eq!(bad_header.status(), StatusCode::FORBIDDEN);
    // A bucket without rules refuses without `Vary`; an unknown bucket is named.
    let plain =
        BucketState::with_cors(BucketRecord { name: "b".into(), ..Default::default() }, None);
    let (r, _) = answer(
        &plain,
        &[("origin", b"https://a.example"), ("access-control-request-method", b"GET")],
    );
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("vary").is_none());
    let (r, _) = preflight(None, Some("nb"), &HeaderMap::new(), || "RID", "host", common);
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[test]
fn decorate_adds_cors_headers_and_merges_vary() {
    let b = bucket(false);
    let origin = HeaderValue::from_static("https://a.example");
    let mut r = render::empty(StatusCode::OK);
    decorate(&mut r, Some(&b), Some(&origin), &Method::GET);
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
    decorate(&mut r, Some(&b), Some(&origin), &Method::GET);
    assert_eq!(r.headers()["vary"], "Accept-Encoding, Origin");
    // `*` origin: no Vary unless the bucket asks for it.
    let any = HeaderValue::from_static("https://z.example");
    let mut r = render::empty(StatusCode::OK);
    decorate(&mut r, Some(&b), Some(&any), &Method::GET);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers().get("vary").is_none());
    let mut r = render::empty(StatusCode::OK);
    decorate(&mut r, Some(&bucket(true)), None, &Method::GET);
    assert_eq!(lines(&r), owned(&[("content-length", "0"), ("vary", "Origin")]));
}

/// The engine's own answer (`ossd_cors::headers`), names lower-cased as they go on the wire.
fn engine_lines(
    cfg: &CorsConfig,
    origin: &str,
    method: &str,
    acrh: Option<&str>,
) -> Vec<(String, String)> {
    ossd_cors::headers::preflight_answer(cfg, origin, method, acrh)
        .headers
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect()
}

/// Every prepared variant (echoed or `*` origin, with or without Allow-Headers, with and without
/// `ResponseVary`) sends the same lines in the same order as the header-by-header path
/// (`reference::preflight_answer`), whose CORS lines are the engine's own answer, and fills every
/// slot.
#[test]
fn prepared_preflight_blocks_equal_header_by_header_insertion() {
    let rules = vec![
        // Exact and glob origins (echoed), fixed header list, expose headers and max age.
        rule(
            "https://a.example https://*.b.example",
            "GET PUT",
            "content-type x-oss-meta-*",
            "ETag x-oss-request-id",
            Some(600),
        ),
        // `*` origin (not echoed), any header, nothing else.
        rule("*", "GET HEAD", "*", "", None),
        // Exact origin then `*`: echoed or `*` depending on the origin; max age only.
        rule("https://c.example *", "DELETE", "*", "", Some(0)),
    ];
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
    let mut variants = std::collections::HashSet::new();
    for response_vary in [false, true] {
        let cfg = CorsConfig::new(rules.clone(), response_vary).unwrap();
        let b = state(cfg.clone());
        let cors = b.cors.as_ref().unwrap();
        for &(origin, method, acrh) in requests {
            let mut req: Vec<(&str, &[u8])> = vec![
                ("origin", origin.as_bytes()),
                ("access-control-request-method", method.as_bytes()),
            ];
            if let Some(h) = acrh {
                req.push(("access-control-request-headers", h.as_bytes()));
            }
            let (prepared, filled) = answer(&b, &req);
            let case = format!("{origin} {method} {acrh:?} vary={response_vary}");
            let Some(m) = cors.preflight(origin, method, acrh) else {
                // A refusal is an error answer; the common headers are left to the caller.
                assert_eq!(prepared.status(), StatusCode::FORBIDDEN, "{case}");
                assert!(!filled, "{case}");
                assert!(!ossd_cors::headers::preflight_answer(&cfg, origin, method, acrh).allowed);
                continue;
            };
            matched += 1;
            let allow_headers =
                ossd_cors::allow_headers_value(acrh).map(|v| HeaderValue::from_str(&v).unwrap());
            variants.insert((m.echo, allow_headers.is_some(), response_vary));
            let origin_value = HeaderValue::from_str(origin).unwrap();
            let by_insertion = reference::preflight_answer(
                &m,
                &origin_value,
                allow_headers,
                response_vary,
                common(),
            );
            assert_eq!(prepared.status(), StatusCode::OK, "{case}");
            assert!(filled, "{case}");
            assert_eq!(lines(&prepared), lines_of(&by_insertion), "{case}");
            let (cors_lines, common_lines) = {
                let mut all = lines_of(&by_insertion);
                let tail = all.split_off(all.len() - 3);
                (all, tail)
            };
            assert_eq!(cors_lines, engine_lines(&cfg, origin, method, acrh), "{case}");
            assert_eq!(common_lines, with_common(&[]), "{case}");
            assert!(
                prepared.headers().values().all(|v| !v.is_empty()),
                "{case}: a slot left empty"
            );
        }
    }
    assert_eq!(matched, 18, "every request but POST matches in both configurations");
    assert_eq!(variants.len(), 8, "every variant of both configurations is exercised");
}

/// Each rule's prepared values are what the engine hands out for it, and a configuration gets one
/// prepared entry per rule.
#[test]
fn prepared_rule_headers_equal_what_the_engine_hands_out() {
    let cfg = CorsConfig::new(
        vec![
            rule("http://a.com", "GET PUT", "", "ETag x-oss-request-id", Some(60)),
            rule("*", "HEAD", "", "", None),
        ],
        false,
    )
    .expect("valid");
    let cors = BucketCors::new(cfg.clone());
    assert_eq!(cors.config(), &cfg);
    for (i, (origin, method)) in
        [("http://a.com", "PUT"), ("http://b.com", "HEAD")].iter().enumerate()
    {
        let a = cfg.actual(origin, method);
        let a = a.allowed().expect("matches");
        assert_eq!(a.rule, i);
        let pre = cors.actual(origin, method).expect("matches").rule;
        let text = |v: &Option<HeaderValue>| v.as_ref().map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(text(&pre.allow_methods).as_deref(), Some(a.allow_methods));
        assert_eq!(text(&pre.expose_headers).as_deref(), a.expose_headers);
        assert_eq!(text(&pre.max_age), a.max_age.map(|m| m.to_string()));
    }
}
