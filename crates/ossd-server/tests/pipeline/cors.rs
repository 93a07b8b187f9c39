//! CORS through the whole pipeline: a preflight allowed and denied before authentication, and
//! the rule's headers on actual answers, errors included.

use crate::{Auth, Harness, code, header, text};
use http::StatusCode;

const RULES: &str = "<CORSConfiguration><CORSRule>\
    <AllowedOrigin>https://app.example</AllowedOrigin>\
    <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>\
    <AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>\
    <MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>";

async fn bucket_with_rules(h: &Harness) {
    h.bucket("web").await;
    let r = h.call(Auth::V4, "PUT", Some("web"), None).query("cors", None).body(RULES).send().await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_allowed_and_denied() {
    let h = Harness::new();
    bucket_with_rules(&h).await;
    // Unsigned, as a browser sends it; answered before authentication.
    let r = h
        .call(Auth::Anonymous, "OPTIONS", Some("web"), Some("photo.jpg"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "Content-Type, X-OSS-Meta-A")
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let cors: Vec<(&str, &str)> = r
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("access-control-") || *k == "vary")
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
        .collect();
    assert_eq!(
        cors,
        [
            ("access-control-allow-origin", "https://app.example"),
            ("access-control-allow-methods", "GET, PUT"),
            ("access-control-expose-headers", "ETag"),
            ("access-control-max-age", "600"),
            ("access-control-allow-headers", "content-type, x-oss-meta-a"),
            ("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ]
    );
    // The prepared answer leaves `Content-Length: 0` to hyper, which writes it.
    assert_eq!(header(&r, "content-length"), Some("0"));
    assert!(header(&r, "x-oss-request-id").is_some() && header(&r, "date").is_some());
    assert_eq!(header(&r, "server"), Some("AliyunOSS"));
    let denied = h
        .call(Auth::Anonymous, "OPTIONS", Some("web"), Some("photo.jpg"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "DELETE")
        .send()
        .await;
    assert_eq!((denied.status(), code(&denied)), (StatusCode::FORBIDDEN, "AccessForbidden".into()));
    assert!(header(&denied, "access-control-allow-origin").is_none());
    assert!(header(&denied, "x-oss-request-id").is_some());
    let other = h
        .call(Auth::Anonymous, "OPTIONS", Some("web"), None)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let no_origin = h
        .call(Auth::Anonymous, "OPTIONS", Some("web"), None)
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert_eq!(
        (no_origin.status(), code(&no_origin)),
        (StatusCode::BAD_REQUEST, "InvalidRequest".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn actual_answers_are_decorated_errors_included() {
    let h = Harness::new();
    bucket_with_rules(&h).await;
    h.put("web", "k", b"data").await;
    let get = |auth, key: &'static str, origin: &'static str| {
        h.call(auth, "GET", Some("web"), Some(key)).header("origin", origin).send()
    };
    let ok = get(Auth::V1, "k", "https://app.example").await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(header(&ok, "access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(header(&ok, "access-control-expose-headers"), Some("ETag"));
    assert_eq!(header(&ok, "vary"), Some("Origin"));
    // A 404 and an anonymous 403 carry the same headers: CORS never decides the answer.
    let missing = get(Auth::V4, "nope", "https://app.example").await;
    assert_eq!((missing.status(), code(&missing)), (StatusCode::NOT_FOUND, "NoSuchKey".into()));
    assert_eq!(header(&missing, "access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(header(&missing, "access-control-allow-methods"), Some("GET, PUT"));
    let denied = get(Auth::Anonymous, "k", "https://app.example").await;
    assert_eq!((denied.status(), code(&denied)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    assert_eq!(header(&denied, "access-control-allow-origin"), Some("https://app.example"));
    // An origin no rule allows gets no CORS headers.
    let other = get(Auth::V1, "k", "https://evil.example").await;
    assert_eq!(other.status(), StatusCode::OK);
    assert!(header(&other, "access-control-allow-origin").is_none());
}
