//! CORS on the wire: the API, preflights before authentication, headers on results and errors, Vary.

use crate::harness::{Ossd, Req, make_bucket};

const RULES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>GET</AllowedHeader>
    <ExposeHeader>x-oss-test</ExposeHeader><ExposeHeader>x-oss-test1</ExposeHeader>
    <MaxAgeSeconds>33012</MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>http://www.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>33012</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>"#;

fn preflight(
    s: &Ossd,
    path: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> crate::harness::Resp {
    let mut r = Req::new("OPTIONS", path)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method);
    if let Some(h) = headers {
        r = r.header("Access-Control-Request-Headers", h);
    }
    s.send(&r)
}

#[test]
fn api_round_trip_and_errors() {
    let s = Ossd::start();
    make_bucket(&s, "cors-api");
    let r = s.signed(Req::new("GET", "/cors-api/?cors"));
    assert_eq!((r.status, r.code()), (404, "NoSuchCORSConfiguration".into()));
    assert!(r.text().contains("The CORS Configuration does not exist."));
    assert_eq!(s.signed(Req::new("PUT", "/cors-api/?cors=").body(RULES)).status, 200);
    let got = s.signed(Req::new("GET", "/cors-api/?cors")).text();
    assert!(got.contains("<AllowedHeader>get</AllowedHeader>"), "{got}");
    assert!(got.ends_with("<ResponseVary>false</ResponseVary></CORSConfiguration>"), "{got}");
    // GET output is valid PUT input and round-trips unchanged.
    assert_eq!(s.signed(Req::new("PUT", "/cors-api/?cors").body(got.clone())).status, 200);
    assert_eq!(s.signed(Req::new("GET", "/cors-api/?cors")).text(), got);
    let bad = RULES.replace(
        "<MaxAgeSeconds>33012</MaxAgeSeconds>\n  </CORSRule>\n</CORS",
        "<MaxAgeSeconds>-1</MaxAgeSeconds>\n  </CORSRule>\n</CORS",
    );
    let r = s.signed(Req::new("PUT", "/cors-api/?cors").body(bad));
    assert_eq!((r.status, r.code()), (400, "InvalidArgument".into()), "{}", r.text());
    assert!(r.text().contains("<ArgumentName>MaxAgeSeconds</ArgumentName>"));
    let r = s
        .signed(Req::new("PUT", "/cors-api/?cors").body("<CORSConfiguration></CORSConfiguration>"));
    assert_eq!(r.code(), "MalformedXML");
    let r = s.signed(Req::new("PUT", "/cors-api/?cors").body("<CORSConfiguration><CORSRule>"));
    assert_eq!(r.code(), "MalformedXML");
    let r = s.signed(
        Req::new("PUT", "/cors-api/?cors")
            .header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
            .body(RULES),
    );
    assert_eq!(r.code(), "InvalidDigest");
    let huge = format!("<CORSConfiguration>{}</CORSConfiguration>", "<!-- pad -->".repeat(2000));
    let r = s.signed(Req::new("PUT", "/cors-api/?cors").body(huge));
    assert_eq!(r.status, 400);
    let r = s.send(&Req::new("PUT", "/cors-api/?cors").body(RULES));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    assert_eq!(s.signed(Req::new("DELETE", "/cors-api/?cors")).status, 204);
    assert_eq!(s.signed(Req::new("DELETE", "/cors-api/?cors")).status, 204);
    assert_eq!(s.signed(Req::new("GET", "/cors-api/?cors")).code(), "NoSuchCORSConfiguration");
    let r = s.signed(Req::new("PUT", "/missing-bucket/?cors").body(RULES));
    assert_eq!((r.status, r.code()), (404, "NoSuchBucket".into()));
}

#[test]
fn preflight_matches_like_oss() {
    let s = Ossd::start();
    make_bucket(&s, "pflight");
    // No configuration yet: 403 AccessForbidden, no authentication asked for.
    let r = preflight(&s, "/pflight/obj", "http://www.example.com", "PUT", None);
    assert_eq!((r.status, r.code()), (403, "AccessForbidden".into()));
    assert!(r.text().contains("CORSResponse: This CORS request is not allowed."));
    assert_eq!(s.signed(Req::new("PUT", "/pflight/?cors").body(RULES)).status, 200);
    // The python-v2 example: R1 skipped for its methods, R2 matches.
    let r = preflight(
        &s,
        "/pflight/example-object-2.jpg",
        "http://www.example.com",
        "PUT",
        Some("x-oss-test2"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://www.example.com"));
    assert_eq!(r.header("access-control-allow-methods"), Some("PUT, POST"));
    assert_eq!(r.header("access-control-allow-headers"), Some("x-oss-test2"));
    assert_eq!(r.header("access-control-max-age"), Some("33012"));
    assert_eq!(
        r.header("vary"),
        Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    );
    assert!(r.body.is_empty());
    // Rule 1: bare * answers *, header match is case-insensitive.
    let r = preflight(&s, "/pflight/", "http://any.site", "GET", Some("Get"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-headers"), Some("get"));
    // Not allowed header, not allowed method.
    assert_eq!(preflight(&s, "/pflight/k", "http://any.site", "GET", Some("x-other")).status, 403);
    assert_eq!(preflight(&s, "/pflight/k", "http://any.site", "DELETE", None).status, 403);
    // Signature parameters are ignored on preflight.
    let r = s.send(
        &Req::new("OPTIONS", "/pflight/k?OSSAccessKeyId=nobody&Expires=1&Signature=bad")
            .header("Origin", "http://www.example.com")
            .header("Access-Control-Request-Method", "POST"),
    );
    assert_eq!(r.status, 200);
    // Missing headers, missing bucket.
    assert_eq!(
        s.send(&Req::new("OPTIONS", "/pflight/k").header("Access-Control-Request-Method", "GET"))
            .status,
        400
    );
    assert_eq!(s.send(&Req::new("OPTIONS", "/pflight/k").header("Origin", "http://a")).status, 400);
    let r = preflight(&s, "/nope-bucket/k", "http://a", "GET", None);
    assert_eq!((r.status, r.code()), (404, "NoSuchBucket".into()));
}

#[test]
fn actual_responses_carry_cors_headers_on_success_and_error() {
    let s = Ossd::start();
    make_bucket(&s, "act");
    let rules = "<CORSConfiguration><CORSRule><AllowedOrigin>http://www.a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-oss-request-id</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";
    assert_eq!(s.signed(Req::new("PUT", "/act/?cors").body(rules)).status, 200);
    assert_eq!(s.signed(Req::new("PUT", "/act/k").body("v")).status, 200);
    let get = |origin: &str, key: &str| {
        s.signed(Req::new("GET", &format!("/act/{key}")).header("Origin", origin))
    };
    let r = get("http://www.a.com", "k");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://www.a.com"));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, PUT"));
    assert_eq!(r.header("access-control-expose-headers"), Some("ETag, x-oss-request-id"));
    assert_eq!(r.header("access-control-max-age"), Some("60"));
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_eq!(r.count("vary"), 1);
    // A 404 is readable by the allowed page.
    let r = get("http://www.a.com", "missing");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://www.a.com"));
    // A 403 signature error too.
    let mut req = Req::new("GET", "/act/k").header("Origin", "http://www.a.com");
    req.sign("test-ak", "wrong");
    let r = s.send(&req);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://www.a.com"));
    // Another origin is served normally, without CORS headers.
    let r = get("http://evil.com", "k");
    assert_eq!((r.status, &r.body[..]), (200, &b"v"[..]));
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(r.header("vary").is_none());
    // A method not in the rule: no CORS headers.
    let r = s.signed(Req::new("DELETE", "/act/other").header("Origin", "http://www.a.com"));
    assert_eq!(r.status, 204);
    assert!(r.header("access-control-allow-origin").is_none());
    // Control bytes in Origin never reach a header (hyper refuses raw CR/LF; a tab-laden value simply does not match).
    let r = get("http://www.a.com\tx", "k");
    assert!(r.header("access-control-allow-origin").is_none());
}

#[test]
fn response_vary_true_marks_every_response() {
    let s = Ossd::start();
    make_bucket(&s, "vary");
    let rules = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>";
    assert_eq!(s.signed(Req::new("PUT", "/vary/?cors").body(rules)).status, 200);
    assert_eq!(s.signed(Req::new("PUT", "/vary/k").body("v")).status, 200);
    let r = s.signed(Req::new("GET", "/vary/k"));
    assert_eq!(r.header("vary"), Some("Origin"), "no Origin, still Vary");
    let r = s.signed(Req::new("GET", "/vary/k").header("Origin", "http://x.com"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("vary"), Some("Origin"));
    let r = s.signed(Req::new("GET", "/vary/missing"));
    assert_eq!(r.header("vary"), Some("Origin"));
    assert!(
        s.signed(Req::new("GET", "/vary/?cors"))
            .text()
            .contains("<ResponseVary>true</ResponseVary>")
    );
}

#[test]
fn multipart_responses_carry_cors_headers() {
    let s = Ossd::start();
    make_bucket(&s, "mp-cors");
    let rules = "<CORSConfiguration><CORSRule><AllowedOrigin>http://app.test</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>";
    assert_eq!(s.signed(Req::new("PUT", "/mp-cors/?cors").body(rules)).status, 200);
    let origin = "http://app.test";
    let r = s.signed(Req::new("POST", "/mp-cors/big?uploads").header("Origin", origin));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    let id = crate::harness::between(&r.text(), "<UploadId>", "</UploadId>").expect("upload id");
    let part = vec![1u8; 100 * 1024];
    let r = s.signed(
        Req::new("PUT", &format!("/mp-cors/big?partNumber=1&uploadId={id}"))
            .header("Origin", origin)
            .body(part),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    assert_eq!(r.header("access-control-expose-headers"), Some("ETag"));
    let etag = r.header("etag").expect("etag").to_owned();
    let r = s.signed(
        Req::new("PUT", "/mp-cors/big?partNumber=2&uploadId=nope")
            .header("Origin", origin)
            .body("x"),
    );
    assert_eq!((r.status, r.code()), (404, "NoSuchUpload".into()));
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some(origin),
        "errors of multipart calls are readable too"
    );
    let done = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = s.signed(
        Req::new("POST", &format!("/mp-cors/big?uploadId={id}"))
            .header("Origin", origin)
            .body(done),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    assert!(r.text().contains("-1\"</ETag>"), "{}", r.text());
}
