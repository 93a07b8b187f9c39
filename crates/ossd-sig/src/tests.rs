//! Unit tests: documented V1 vectors, claim parsing, verification errors, policies.

#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use super::*;

/// Query pairs from literals (shared with the V2 tests).
pub(crate) fn q(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned))).collect()
}

/// Header pairs from literals (shared with the V2 tests).
pub(crate) fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// 2026-11-28 04:08:26 UTC, the time of the oss2 captures.
pub(crate) const CAPTURE_NOW: i64 = 1_795_838_906;
pub(crate) const CAPTURE_DATE: &str = "Sat, 28 Nov 2026 04:08:26 GMT";

#[test]
fn capture_time_constant_matches_date() {
    assert_eq!(timefmt::parse_rfc1123(CAPTURE_DATE), Some(CAPTURE_NOW));
    assert_eq!(timefmt::format_rfc1123(CAPTURE_NOW).as_deref(), Some(CAPTURE_DATE));
    assert_eq!(timefmt::parse_iso8601_basic("20261128T040826Z"), Some(CAPTURE_NOW));
    assert_eq!(timefmt::format_iso8601_basic(CAPTURE_NOW).as_deref(), Some("20261128T040826Z"));
}

#[test]
fn v1_doc_worked_example() {
    // OSS docs "Add a signature to the header" (OSS docs).
    let sts = "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson";
    assert_eq!(
        v1::sign("OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", sts),
        "26NBxoKdsyly4EDv6inkoDft/yA="
    );
    // The same string built from a request (headers in arbitrary order and case).
    let headers = h(&[
        ("x-oss-meta-author", "foo@bar.com"),
        ("content-type", "text/html"),
        ("x-oss-magic", "abracadabra"),
        ("content-md5", "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM="),
        ("date", "Thu, 17 Nov 2005 18:49:58 GMT"),
        ("host", "oss-example.oss-cn-hangzhou.aliyuncs.com"),
    ]);
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("oss-example"),
        key: Some("nelson"),
        query: &[],
        headers: &headers,
    };
    assert_eq!(v1::string_to_sign(&req, "Thu, 17 Nov 2005 18:49:58 GMT"), sts);
    let with_auth = [
        headers.clone(),
        h(&[("authorization", "OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA=")]),
    ]
    .concat();
    let req = SignedRequest { headers: &with_auth, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert_eq!(claim.access_key_id(), "44CF9590006BF252F707");
    let now = timefmt::parse_rfc1123("Thu, 17 Nov 2005 18:49:58 GMT").unwrap();
    verify(&req, &claim, "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", now + 60, "cn-hangzhou")
        .unwrap();
    assert_eq!(
        verify(
            &req,
            &claim,
            "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV",
            now + 16 * 60,
            "cn-hangzhou"
        ),
        Err(SigError::RequestTimeTooSkewed)
    );
}

/// The three oss2 captures captured from oss2 2.19.1, rebuilt from request parts.
#[test]
fn v1_oss2_captured_vectors() {
    let cases = [
        (
            "PUT",
            None,
            vec![("cors", Some(""))],
            vec![],
            "/my-bucket/?cors",
            "0Bx6NtziiDvBwtOJ6wPmemaSo4Y=",
        ),
        (
            "GET",
            None,
            vec![("cors", Some(""))],
            vec![],
            "/my-bucket/?cors",
            "7zTkM3YHZD+BDTmwGKtcHrrmFLg=",
        ),
        (
            "PUT",
            Some("dir/hello.txt"),
            vec![],
            vec![("content-type", "text/plain")],
            "/my-bucket/dir/hello.txt",
            "y5H06gfqGpC149lwbzvHrTXXrHE=",
        ),
    ];
    for (method, key, query, extra, resource, sig) in cases {
        let query = q(&query);
        let mut headers = h(&[("date", CAPTURE_DATE), ("content-length", "308")]);
        headers.extend(h(&extra));
        let auth = format!("OSS test-ak:{sig}");
        headers.push(("authorization".into(), auth));
        let req = SignedRequest {
            method,
            bucket: Some("my-bucket"),
            key,
            query: &query,
            headers: &headers,
        };
        assert_eq!(v1::canonical_resource(req.bucket, req.key, req.query), resource);
        let claim = parse_claim(&req).unwrap().unwrap();
        verify(&req, &claim, "test-sk", CAPTURE_NOW, "cn-hangzhou").unwrap();
        let err = verify(&req, &claim, "other-sk", CAPTURE_NOW, "cn-hangzhou").unwrap_err();
        let SigError::Mismatch { string_to_sign, canonical_request: None } = err else {
            panic!("{err:?}")
        };
        assert!(string_to_sign.ends_with(resource), "{string_to_sign}");
    }
}

#[test]
fn v1_canonical_resource_rules() {
    // Service level, bucket level, object level.
    assert_eq!(v1::canonical_resource(None, None, &[]), "/");
    assert_eq!(v1::canonical_resource(Some("b"), None, &[]), "/b/");
    assert_eq!(v1::canonical_resource(Some("b"), Some(""), &[]), "/b/");
    assert_eq!(v1::canonical_resource(Some("b"), Some("a b+c%/ü"), &[]), "/b/a b+c%/ü");
    // Only sub-resources, sorted, `k` when empty or valueless, decoded values, first of repeats.
    let query = q(&[
        ("uploadId", Some("0004B9894A22E5B1888A1E29F823****")),
        ("prefix", Some("x")),
        ("partNumber", Some("1")),
        ("acl", None),
        ("x-oss-process", Some("image/resize,w_100")),
        ("response-content-type", Some("text/plain; charset=utf-8")),
        ("acl", Some("again")),
        ("max-keys", Some("10")),
    ]);
    assert_eq!(
        v1::canonical_resource(Some("b"), Some("k"), &query),
        "/b/k?acl&partNumber=1&response-content-type=text/plain; charset=utf-8&uploadId=0004B9894A22E5B1888A1E29F823****&x-oss-process=image/resize,w_100"
    );
}

#[test]
fn sub_resource_list_is_sorted_and_complete() {
    assert!(
        v1::SUB_RESOURCES.windows(2).all(|w| w[0] < w[1]),
        "SUB_RESOURCES must be sorted and unique"
    );
    for name in [
        "acl",
        "uploads",
        "location",
        "cors",
        "logging",
        "website",
        "referer",
        "lifecycle",
        "delete",
        "append",
        "tagging",
        "objectMeta",
        "uploadId",
        "partNumber",
        "security-token",
        "position",
        "img",
        "style",
        "styleName",
        "replication",
        "replicationProgress",
        "replicationLocation",
        "cname",
        "bucketInfo",
        "comp",
        "qos",
        "live",
        "status",
        "vod",
        "startTime",
        "endTime",
        "symlink",
        "x-oss-process",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "versionId",
        "continuation-token",
    ] {
        assert!(v1::is_sub_resource(name), "{name}");
    }
    for name in [
        "prefix",
        "marker",
        "max-keys",
        "delimiter",
        "encoding-type",
        "OSSAccessKeyId",
        "Signature",
        "Expires",
    ] {
        assert!(!v1::is_sub_resource(name), "{name}");
    }
}

#[test]
fn v1_canonical_headers_trim_sort_join() {
    let headers = h(&[
        ("x-oss-meta-b", "  two "),
        ("X-OSS-Meta-A", "one"),
        ("x-oss-meta-b", "three"),
        ("content-type", "ignored-here"),
    ]);
    assert_eq!(v1::canonical_oss_headers(&headers), "x-oss-meta-a:one\nx-oss-meta-b:two,three\n");
}

#[test]
fn v1_date_line_prefers_x_oss_date() {
    // ali-oss V1 sends only x-oss-date (RFC 1123).
    let headers = h(&[("x-oss-date", CAPTURE_DATE), ("date", "Thu, 17 Nov 2005 18:49:58 GMT")]);
    let req = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("k"),
        query: &[],
        headers: &headers,
    };
    let auth = v1::authorization("ak", "sk", &req);
    let all = [headers.clone(), h(&[("authorization", &auth)])].concat();
    let req = SignedRequest { headers: &all, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    verify(&req, &claim, "sk", CAPTURE_NOW, "cn-hangzhou").unwrap();
    let SigError::Mismatch { string_to_sign, .. } =
        verify(&req, &claim, "bad", CAPTURE_NOW, "r").unwrap_err()
    else {
        panic!()
    };
    assert_eq!(string_to_sign, format!("GET\n\n\n{CAPTURE_DATE}\nx-oss-date:{CAPTURE_DATE}\n/b/k"));
}

#[test]
fn v1_date_problems() {
    let no_date = h(&[("authorization", "OSS ak:sig")]);
    let req =
        SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &no_date };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert_eq!(verify(&req, &claim, "sk", CAPTURE_NOW, "r"), Err(SigError::InvalidDate));
    let bad_date = h(&[("authorization", "OSS ak:sig"), ("date", "yesterday")]);
    let req = SignedRequest { headers: &bad_date, ..req };
    assert_eq!(verify(&req, &claim, "sk", CAPTURE_NOW, "r"), Err(SigError::InvalidDate));
}

#[test]
fn v1_presigned_roundtrip_and_expiry() {
    let base = q(&[("response-content-type", Some("text/plain")), ("security-token", Some("tok"))]);
    let headers = h(&[("host", "b.example")]);
    let req = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("a/b c"),
        query: &base,
        headers: &headers,
    };
    let extra = v1::presign_query("ak", "sk", &req, CAPTURE_NOW + 60);
    let mut query = base.clone();
    query.extend(extra.into_iter().map(|(k, v)| (k, Some(v))));
    let req = SignedRequest { query: &query, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert!(matches!(claim, AuthClaim::V1Query { expires, .. } if expires == CAPTURE_NOW + 60));
    verify(&req, &claim, "sk", CAPTURE_NOW, "r").unwrap();
    verify(&req, &claim, "sk", CAPTURE_NOW + 60, "r").unwrap();
    assert_eq!(verify(&req, &claim, "sk", CAPTURE_NOW + 61, "r"), Err(SigError::Expired));
    // The sub-resource security-token is signed: changing it breaks the signature.
    let mut tampered = query.clone();
    tampered[1].1 = Some("other".into());
    let req2 = SignedRequest { query: &tampered, ..req };
    assert!(matches!(
        verify(&req2, &claim, "sk", CAPTURE_NOW, "r"),
        Err(SigError::Mismatch { .. })
    ));
}

/// Issue 13: a V1 URL presigned for UploadPart, rewritten so that its canonical resource stays the
/// same but the request reads as another operation, is refused before the signature is compared.
#[test]
fn v1_rewrites_that_keep_the_string_to_sign_are_refused() {
    let signed_query = q(&[("partNumber", Some("1")), ("uploadId", Some("U"))]);
    let headers = h(&[]);
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("b"),
        key: Some("k"),
        query: &signed_query,
        headers: &headers,
    };
    let extra = v1::presign_query("ak", "sk", &req, CAPTURE_NOW + 60);
    let with_sig = |base: Vec<(String, Option<String>)>| {
        let mut all = base;
        all.extend(extra.iter().cloned().map(|(k, v)| (k, Some(v))));
        all
    };
    let good = with_sig(signed_query.clone());
    let claim = parse_claim(&SignedRequest { query: &good, ..req }).unwrap().unwrap();
    verify(&SignedRequest { query: &good, ..req }, &claim, "sk", CAPTURE_NOW, "r").unwrap();
    // `?partNumber=1%26uploadId=U`: one parameter whose value holds the other.
    let folded = with_sig(q(&[("partNumber", Some("1&uploadId=U"))]));
    // The key `k?partNumber=1&uploadId=U` (path `/b/k%3FpartNumber=1%26uploadId=U`), no query.
    let in_key = with_sig(q(&[]));
    // A sub-resource name holding the rest (`?x-oss-a%3D1%26uploadId=U&partNumber=1`).
    let in_name = with_sig(q(&[("x-oss-a=1&uploadId", Some("U")), ("partNumber", Some("1"))]));
    for (key, query) in [("k", &folded), ("k?partNumber=1&uploadId=U", &in_key), ("k", &in_name)] {
        let r = SignedRequest { key: Some(key), query, ..req };
        // The string to sign is the same as the genuine request's …
        assert!(
            v1::canonical_resource(r.bucket, r.key, r.query)
                == v1::canonical_resource(req.bucket, req.key, &good)
                || key == "k" && query == &in_name,
            "{key} {query:?}"
        );
        // … and the request is refused all the same.
        let claim = parse_claim(&r).unwrap().unwrap();
        assert_eq!(
            verify(&r, &claim, "sk", CAPTURE_NOW, "r"),
            Err(SigError::AmbiguousV1Resource),
            "{key} {query:?}"
        );
    }
    // Characters that cannot be read as another sub-resource stay accepted.
    for (key, value) in [("what?.txt", "attachment"), ("k", "attachment; filename=\"a&b.txt\"")] {
        let query = q(&[("response-content-disposition", Some(value))]);
        assert!(v1::is_unambiguous(Some("b"), Some(key), &query), "{key} {value}");
    }
    assert!(!v1::is_unambiguous(Some("b"), Some("k?uploads"), &q(&[])));
    assert!(!v1::is_unambiguous(Some("b"), Some("k"), &q(&[("acl", Some("x&cors"))])));
}

#[test]
fn parse_claim_anonymous_and_conflicts() {
    let none =
        SignedRequest { method: "GET", bucket: Some("b"), key: None, query: &[], headers: &[] };
    assert_eq!(parse_claim(&none), Ok(None));
    let query = q(&[("prefix", Some("a")), ("cors", None)]);
    assert_eq!(parse_claim(&SignedRequest { query: &query, ..none }), Ok(None));

    let hdr = h(&[("authorization", "OSS ak:sig")]);
    let v1q =
        q(&[("OSSAccessKeyId", Some("ak")), ("Expires", Some("1")), ("Signature", Some("s"))]);
    let both = SignedRequest { headers: &hdr, query: &v1q, ..none };
    assert_eq!(parse_claim(&both), Err(SigError::BothHeaderAndQuery));
    let v4q = q(&[("x-oss-signature-version", Some("OSS4-HMAC-SHA256"))]);
    let both = SignedRequest { headers: &hdr, query: &v4q, ..none };
    assert_eq!(parse_claim(&both), Err(SigError::BothHeaderAndQuery));
    assert_eq!(SigError::BothHeaderAndQuery.http_status(), 400);
    assert_eq!(SigError::BothHeaderAndQuery.oss_code(), "InvalidArgument");
}

#[test]
fn parse_claim_malformed_headers() {
    let cases = [
        ("Bearer xyz", SigError::UnsupportedAuthorization),
        ("OSS3 AccessKeyId:ak,Signature:x", SigError::UnsupportedAuthorization),
        ("OSSak:sig", SigError::UnsupportedAuthorization),
        ("OSS ak", SigError::MalformedV1Authorization),
        ("OSS ak:", SigError::MalformedV1Authorization),
        ("OSS :sig", SigError::MalformedV1Authorization),
        ("OSS4-HMAC-SHA256 Signature=abc", SigError::MalformedV4Authorization),
        (
            "OSS4-HMAC-SHA256 Credential=ak/20261128/cn-hangzhou/oss/aliyun_v4_request",
            SigError::MalformedV4Authorization,
        ),
        (
            "OSS4-HMAC-SHA256 Credential=ak/20261128/cn-hangzhou/oss/aliyun_v4_request,Signature=a,Signature=b",
            SigError::MalformedV4Authorization,
        ),
        (
            "OSS4-HMAC-SHA256 Credential=ak/20261128/cn-hangzhou/oss/aliyun_v4_request,SignedHeaders=host,Signature=a",
            SigError::MalformedV4Authorization,
        ),
        (
            "OSS4-HMAC-SHA256 Credential=AK/20221220/us-east-1/oss/abc,Signature=18",
            SigError::InvalidCredential,
        ),
        (
            "OSS4-HMAC-SHA256 Credential=ak/2022-12-20/cn-hangzhou/oss/aliyun_v4_request,Signature=1",
            SigError::InvalidSigningDate,
        ),
        (
            "OSS4-HMAC-SHA256 Credential=ak/20221220/cn-hangzhou/s3/aliyun_v4_request,Signature=1",
            SigError::InvalidSigningProduct,
        ),
        (
            "OSS4-HMAC-SHA256 Credential=ak/20221220/cn-hangzhou/oss,Signature=1",
            SigError::InvalidCredential,
        ),
    ];
    for (value, want) in cases {
        let headers = h(&[("authorization", value)]);
        let req =
            SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &headers };
        assert_eq!(parse_claim(&req), Err(want.clone()), "{value}");
        assert_eq!(want.http_status(), 400, "{value}");
    }
}

#[test]
fn parse_v4_header_both_separators_and_field_order() {
    for value in [
        "OSS4-HMAC-SHA256 Credential=ak/20261128/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=Host;range,Signature=abc",
        "OSS4-HMAC-SHA256 Credential=ak/20261128/cn-hangzhou/oss/aliyun_v4_request, Signature=abc, AdditionalHeaders=host;range",
    ] {
        let headers = h(&[("authorization", value)]);
        let req =
            SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &headers };
        assert_eq!(
            parse_claim(&req),
            Ok(Some(AuthClaim::V4Header {
                access_key_id: "ak".into(),
                date: "20261128".into(),
                region: "cn-hangzhou".into(),
                additional_headers: vec!["host".into(), "range".into()],
                signature: "abc".into(),
            })),
            "{value}"
        );
    }
}

#[test]
fn parse_v1_query_errors() {
    let base = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("k"),
        query: &[],
        headers: &[],
    };
    let only_sig = q(&[("Signature", Some("x"))]);
    assert_eq!(
        parse_claim(&SignedRequest { query: &only_sig, ..base }),
        Err(SigError::MissingV1QueryParams)
    );
    let empty_expires =
        q(&[("OSSAccessKeyId", Some("ak")), ("Expires", Some("")), ("Signature", Some("s"))]);
    assert_eq!(
        parse_claim(&SignedRequest { query: &empty_expires, ..base }),
        Err(SigError::MissingV1QueryParams)
    );
    let bad_expires =
        q(&[("OSSAccessKeyId", Some("ak")), ("Expires", Some("soon")), ("Signature", Some("s"))]);
    assert_eq!(
        parse_claim(&SignedRequest { query: &bad_expires, ..base }),
        Err(SigError::InvalidExpires)
    );
    assert_eq!(SigError::MissingV1QueryParams.http_status(), 403);
    assert_eq!(SigError::MissingV1QueryParams.oss_code(), "AccessDenied");
}

#[test]
fn parse_v4_query_errors() {
    let base = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("k"),
        query: &[],
        headers: &[],
    };
    let good = [
        ("x-oss-signature-version", "OSS4-HMAC-SHA256"),
        ("x-oss-credential", "ak/20261128/cn-hangzhou/oss/aliyun_v4_request"),
        ("x-oss-date", "20261128T040826Z"),
        ("x-oss-expires", "3600"),
        ("x-oss-signature", "abc"),
    ];
    let with = |replace: &str, value: Option<&str>| -> Vec<(String, Option<String>)> {
        good.iter()
            .filter_map(|(k, v)| {
                if *k == replace {
                    value.map(|v| ((*k).to_owned(), Some(v.to_owned())))
                } else {
                    Some(((*k).to_owned(), Some((*v).to_owned())))
                }
            })
            .collect()
    };
    let check = |query: Vec<(String, Option<String>)>, want: SigError| {
        assert_eq!(parse_claim(&SignedRequest { query: &query, ..base }), Err(want));
    };
    check(
        with("x-oss-signature-version", Some("OSS3")),
        SigError::UnsupportedSignatureVersion("OSS3".into()),
    );
    check(
        with("x-oss-signature-version", None),
        SigError::MissingV4QueryParam("x-oss-signature-version"),
    );
    check(with("x-oss-credential", None), SigError::MissingV4QueryParam("x-oss-credential"));
    check(with("x-oss-expires", None), SigError::MissingV4QueryParam("x-oss-expires"));
    check(with("x-oss-date", None), SigError::MissingV4QueryParam("x-oss-date"));
    check(with("x-oss-signature", None), SigError::MissingV4QueryParam("x-oss-signature"));
    check(with("x-oss-expires", Some("691200")), SigError::InvalidV4Expires);
    check(with("x-oss-expires", Some("0")), SigError::InvalidV4Expires);
    check(with("x-oss-date", Some("2026-11-28T04:08:26Z")), SigError::InvalidDate);
    check(
        with("x-oss-credential", Some("ak/2024-11-13/oss-cn-hangzhou/oss/abc")),
        SigError::InvalidCredential,
    );
    let ok = with("", None);
    assert!(matches!(
        parse_claim(&SignedRequest { query: &ok, ..base }),
        Ok(Some(AuthClaim::V4Query { expires_secs: 3600, .. }))
    ));
}

fn v4_request_headers(x_oss_date: &str) -> Vec<(String, String)> {
    h(&[
        ("host", "127.0.0.1:9000"),
        ("x-oss-date", x_oss_date),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ("content-type", "application/xml"),
        ("content-md5", "lJZi+4ZrkyLR5Aotfkwcig=="),
        ("range", "bytes=0-1"),
    ])
}

#[test]
fn v4_header_roundtrip_and_scope_errors() {
    let headers = v4_request_headers("20261128T040826Z");
    let query = q(&[("cors", Some(""))]);
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("my-bucket"),
        key: None,
        query: &query,
        headers: &headers,
    };
    let additional = vec!["range".to_owned()];
    let auth = v4::authorization("ak", "sk", "cn-hangzhou", &req, &additional);
    let all = [headers.clone(), h(&[("authorization", &auth)])].concat();
    let req = SignedRequest { headers: &all, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    verify(&req, &claim, "sk", CAPTURE_NOW, "cn-hangzhou").unwrap();
    assert_eq!(
        verify(&req, &claim, "sk", CAPTURE_NOW, "cn-beijing"),
        Err(SigError::InvalidSigningRegion)
    );
    assert_eq!(
        verify(&req, &claim, "sk", CAPTURE_NOW + 901, "cn-hangzhou"),
        Err(SigError::RequestTimeTooSkewed)
    );
    assert_eq!(
        verify(&req, &claim, "sk", CAPTURE_NOW - 901, "cn-hangzhou"),
        Err(SigError::RequestTimeTooSkewed)
    );
    let err = verify(&req, &claim, "wrong", CAPTURE_NOW, "cn-hangzhou").unwrap_err();
    let SigError::Mismatch { string_to_sign, canonical_request: Some(cr) } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        cr,
        "PUT\n/my-bucket/\ncors\ncontent-md5:lJZi+4ZrkyLR5Aotfkwcig==\ncontent-type:application/xml\nrange:bytes=0-1\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20261128T040826Z\n\nrange\nUNSIGNED-PAYLOAD"
    );
    assert!(string_to_sign.starts_with(
        "OSS4-HMAC-SHA256\n20261128T040826Z\n20261128/cn-hangzhou/oss/aliyun_v4_request\n"
    ));
    assert_eq!(err.ec(), Some("0002-00000201"));
    assert_eq!(err.http_status(), 403);

    // A credential date that is not the x-oss-date day.
    let auth_other_day = auth.replace("20261128/", "20261127/");
    let all = [headers.clone(), h(&[("authorization", &auth_other_day)])].concat();
    let req2 = SignedRequest { headers: &all, ..req };
    let claim2 = parse_claim(&req2).unwrap().unwrap();
    assert_eq!(
        verify(&req2, &claim2, "sk", CAPTURE_NOW, "cn-hangzhou"),
        Err(SigError::InvalidSigningDate)
    );
}

#[test]
fn v4_header_requires_x_oss_date_and_unsigned_payload() {
    let auth =
        "OSS4-HMAC-SHA256 Credential=ak/20261128/cn-hangzhou/oss/aliyun_v4_request,Signature=00";
    let mut headers = h(&[
        ("authorization", auth),
        ("date", CAPTURE_DATE),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
    ]);
    let check = |headers: &[(String, String)], want: SigError| {
        let req =
            SignedRequest { method: "GET", bucket: Some("b"), key: Some("k"), query: &[], headers };
        let claim = parse_claim(&req).unwrap().unwrap();
        assert_eq!(verify(&req, &claim, "sk", CAPTURE_NOW, "cn-hangzhou"), Err(want));
    };
    // Neither `x-oss-date` nor `Date`: no request time.
    let no_date: Vec<(String, String)> =
        headers.iter().filter(|(n, _)| n != "date").cloned().collect();
    check(&no_date, SigError::InvalidDate);
    headers.push(("x-oss-date".into(), "20261128T040826Z".into()));
    headers[2].1 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into();
    check(&headers, SigError::InvalidContentSha256);
    headers.remove(2);
    check(&headers, SigError::InvalidContentSha256);
    headers.push(("x-oss-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
    assert!(matches!(
        verify(
            &SignedRequest {
                method: "GET",
                bucket: Some("b"),
                key: Some("k"),
                query: &[],
                headers: &headers
            },
            &parse_claim(&SignedRequest {
                method: "GET",
                bucket: None,
                key: None,
                query: &[],
                headers: &headers
            })
            .unwrap()
            .unwrap(),
            "sk",
            CAPTURE_NOW,
            "cn-hangzhou"
        ),
        Err(SigError::Mismatch { .. })
    ));
}

/// The Go v1 SDK signs V4 header requests with `Date` only: the string to sign carries the `Date`
/// value as sent, the credential its day. ossd verifies them (real OSS does, the SDK's tests show).
#[test]
fn v4_header_signed_with_date_only() {
    let headers_for = |auth: &str| {
        h(&[
            ("authorization", auth),
            ("date", CAPTURE_DATE),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ])
    };
    let unsigned = headers_for("");
    let req = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("k"),
        query: &[],
        headers: &unsigned,
    };
    let day = &timefmt::format_iso8601_basic(CAPTURE_NOW).unwrap()[..8];
    let canonical = v4::canonical_request(&req, &[]);
    let sts = v4::string_to_sign(CAPTURE_DATE, &v4::scope(day, "cn-hangzhou"), &canonical);
    let sig = v4::sign("sk", day, "cn-hangzhou", &sts);
    let auth = format!(
        "OSS4-HMAC-SHA256 Credential=ak/{day}/cn-hangzhou/oss/aliyun_v4_request,Signature={sig}"
    );
    let headers = headers_for(&auth);
    let req = SignedRequest { headers: &headers, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    verify(&req, &claim, "sk", CAPTURE_NOW, "cn-hangzhou").unwrap();
    assert!(matches!(
        verify(&req, &claim, "other", CAPTURE_NOW, "cn-hangzhou"),
        Err(SigError::Mismatch { .. })
    ));
}

/// RFC 1123 dates with a one-digit day (the Java V2 SDK's V1 signer on days 1-9) are read.
#[test]
fn rfc1123_one_digit_day() {
    assert_eq!(
        timefmt::parse_rfc1123("Wed, 2 Dec 2026 14:00:00 GMT"),
        timefmt::parse_rfc1123("Wed, 02 Dec 2026 14:00:00 GMT")
    );
    assert!(timefmt::parse_rfc1123("Wed, 02 Dec 2026 14:00:00 GMT").is_some());
    assert_eq!(timefmt::parse_rfc1123("Wed, x Dec 2026 14:00:00 GMT"), None);
}

#[test]
fn v4_presigned_roundtrip_and_expiry() {
    let base = q(&[("response-content-type", Some("text/plain"))]);
    let headers = h(&[("host", "b.example"), ("x-oss-meta-a", "1")]);
    let req = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("dir/ü +%.txt"),
        query: &base,
        headers: &headers,
    };
    let extra = v4::presign_query(
        "ak",
        "sk",
        "cn-hangzhou",
        &req,
        "20261128T040826Z",
        60,
        &["host".to_owned()],
    );
    let mut query = base.clone();
    query.extend(extra.into_iter().map(|(k, v)| (k, Some(v))));
    let req = SignedRequest { query: &query, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    verify(&req, &claim, "sk", CAPTURE_NOW, "cn-hangzhou").unwrap();
    verify(&req, &claim, "sk", CAPTURE_NOW + 60, "cn-hangzhou").unwrap();
    assert_eq!(verify(&req, &claim, "sk", CAPTURE_NOW + 61, "cn-hangzhou"), Err(SigError::Expired));
    assert_eq!(
        verify(&req, &claim, "sk", CAPTURE_NOW - 901, "cn-hangzhou"),
        Err(SigError::RequestTimeTooSkewed)
    );
    // The signed host header cannot change.
    let other_host = h(&[("host", "evil.example"), ("x-oss-meta-a", "1")]);
    let req2 = SignedRequest { headers: &other_host, ..req };
    assert!(matches!(
        verify(&req2, &claim, "sk", CAPTURE_NOW, "cn-hangzhou"),
        Err(SigError::Mismatch { .. })
    ));
}

#[test]
fn v4_canonical_uri_and_query_encoding() {
    assert_eq!(v4::canonical_uri(None, None), "/");
    assert_eq!(v4::canonical_uri(Some("b"), None), "/b/");
    assert_eq!(
        v4::canonical_uri(Some("b"), Some("a b+c%d/é~_.-!*'()")),
        "/b/a%20b%2Bc%25d/%C3%A9~_.-%21%2A%27%28%29"
    );
    let query = q(&[
        ("x-oss-signature", Some("dropped")),
        ("prefix", Some("a/b c")),
        ("cors", None),
        ("acl", Some("")),
        ("Z", Some("1")),
        ("k", Some("2")),
        ("k", Some("1")),
    ]);
    assert_eq!(v4::canonical_query(&query), "Z=1&acl&cors&k=1&k=2&prefix=a%2Fb%20c");
}

#[test]
fn v4_signing_key_is_the_documented_chain() {
    // Independent chain with the hmac crate directly.
    use hmac::Mac as _;
    let step = |k: &[u8], d: &str| {
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(k).unwrap();
        m.update(d.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    let k = step(b"aliyun_v4sk", "20261128");
    let k = step(&k, "cn-hangzhou");
    let k = step(&k, "oss");
    let k = step(&k, "aliyun_v4_request");
    assert_eq!(v4::signing_key("sk", "20261128", "cn-hangzhou").to_vec(), k);
}

#[test]
fn content_md5_matches_known_values() {
    // MD5 of the empty body, and of the body "hi".
    assert_eq!(content_md5(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
    assert_eq!(content_md5(b"hi"), "SfaKXIST7CwL9ImCHCH8Ow==");
}

#[test]
fn string_to_sign_bytes_format() {
    // OSS docs' SignatureDoesNotMatch example: "PUT\n\n\n…" → "50 55 54 0A 0A 0A …".
    assert_eq!(string_to_sign_bytes("PUT\n\n\n/b"), "50 55 54 0A 0A 0A 2F 62 ");
    assert_eq!(string_to_sign_bytes(""), "");
}

#[test]
fn ct_eq_behaves() {
    assert!(ct_eq("abc", "abc"));
    assert!(!ct_eq("abc", "abd"));
    assert!(!ct_eq("abc", "abcd"));
}

#[test]
fn error_mapping_table() {
    let mismatch_v1 = SigError::Mismatch { string_to_sign: String::new(), canonical_request: None };
    assert_eq!(mismatch_v1.oss_code(), "SignatureDoesNotMatch");
    assert_eq!(mismatch_v1.ec(), Some("0002-00000040"));
    assert_eq!(
        mismatch_v1.to_string(),
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    assert_eq!(SigError::RequestTimeTooSkewed.oss_code(), "RequestTimeTooSkewed");
    assert_eq!(SigError::RequestTimeTooSkewed.http_status(), 403);
    assert_eq!(SigError::Expired.oss_code(), "AccessDenied");
    assert_eq!(SigError::Expired.to_string(), "Request has expired.");
    assert_eq!(SigError::InvalidDate.to_string(), "OSS authentication requires a valid Date.");
    assert_eq!(
        SigError::InvalidSigningRegion.to_string(),
        "Invalid signing region in Authorization header."
    );
    assert_eq!(SigError::InvalidAccessKeyId.oss_code(), "InvalidAccessKeyId");
}

mod policy {
    use super::super::post_policy::{self, Condition, PolicyError};
    use base64::Engine as _;

    fn b64(json: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        super::h(pairs)
    }

    const EXP_2030: i64 = 1_893_456_000; // 2030-01-01T00:00:00Z

    #[test]
    fn decode_all_condition_forms() {
        let p =
            post_policy::decode(&b64(r#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[
            {"bucket":"johnsmith","Success_Action_Status":201},
            ["starts-with","$key","user/eric/"],
            ["eq","$Content-Type","image/png"],
            ["content-length-range",1,10],
            ["in","$cache-control",["no-cache","max-age=1"]],
            ["not-in","$x-oss-object-acl",["public-read-write"]]
        ]}"#))
            .unwrap();
        assert_eq!(p.expiration(), EXP_2030);
        assert_eq!(p.content_length_range(), Some((1, 10)));
        // Entries of one JSON object may come in any order.
        let mut first_two = p.conditions()[..2].to_vec();
        first_two.sort_by_key(|c| c.to_string());
        assert_eq!(
            first_two,
            [
                Condition::Eq { field: "bucket".into(), value: "johnsmith".into() },
                Condition::Eq { field: "success_action_status".into(), value: "201".into() },
            ]
        );
        assert_eq!(
            p.conditions()[2],
            Condition::StartsWith { field: "key".into(), prefix: "user/eric/".into() }
        );
        assert_eq!(
            p.conditions()[3],
            Condition::Eq { field: "content-type".into(), value: "image/png".into() }
        );
        assert_eq!(p.conditions().len(), 7);
    }

    #[test]
    fn decode_rejects_bad_documents() {
        for doc in [
            "not base64!!".to_owned(),
            b64("not json"),
            b64(r#"["a"]"#),
            b64(r#"{"conditions":[]}"#),
            b64(r#"{"expiration":"tomorrow","conditions":[]}"#),
            b64(r#"{"expiration":"2030-01-01T00:00:00Z"}"#),
            b64(
                r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",20,10]]}"#,
            ),
            b64(
                r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",10,"test"]]}"#,
            ),
            b64(
                r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["not-in","cache-control","no-cache"]]}"#,
            ),
            b64(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["matches","$key","x"]]}"#),
            b64(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":["key"]}"#),
        ] {
            let err = post_policy::decode(&doc).unwrap_err();
            assert!(matches!(err, PolicyError::InvalidPolicyDocument(_)), "{doc}: {err:?}");
            assert_eq!(err.oss_code(), "InvalidPolicyDocument");
            assert_eq!(err.http_status(), 400);
        }
    }

    #[test]
    fn check_fields_matches_and_fails() {
        let p = post_policy::decode(&b64(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[
            {"bucket":"b"},["starts-with","$key","user/"],["eq","$success_action_status","201"],
            ["in","$content-type",["image/png","image/jpeg"]],["content-length-range",0,5]]}"#))
        .unwrap();
        let ok = f(&[
            ("Key", "user/${filename}"),
            ("SUCCESS_ACTION_STATUS", "201"),
            ("Content-Type", "image/png"),
        ]);
        p.check_fields("b", &ok, EXP_2030 - 1).unwrap();
        assert_eq!(p.check_fields("b", &ok, EXP_2030), Err(PolicyError::Expired));
        assert_eq!(
            PolicyError::Expired.to_string(),
            "Invalid according to Policy: Policy expired."
        );
        let err = p.check_fields("other", &ok, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "b"]"#
        );
        assert_eq!((err.oss_code(), err.http_status()), ("AccessDenied", 403));
        let bad_key = f(&[
            ("key", "admin/x"),
            ("success_action_status", "201"),
            ("content-type", "image/png"),
        ]);
        assert_eq!(
            p.check_fields("b", &bad_key, 0).unwrap_err().to_string(),
            r#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/"]"#
        );
        let missing_status = f(&[("key", "user/x"), ("content-type", "image/png")]);
        assert!(matches!(
            p.check_fields("b", &missing_status, 0),
            Err(PolicyError::ConditionFailed(_))
        ));
        let bad_type = f(&[
            ("key", "user/x"),
            ("success_action_status", "201"),
            ("content-type", "text/html"),
        ]);
        assert!(matches!(p.check_fields("b", &bad_type, 0), Err(PolicyError::ConditionFailed(_))));
        p.check_content_length(5).unwrap();
        p.check_content_length(0).unwrap();
        assert_eq!(p.check_content_length(6), Err(PolicyError::EntityTooLarge));
    }

    #[test]
    fn content_length_ranges_intersect() {
        let p = post_policy::decode(&b64(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[
            ["content-length-range",1,100],["content-length-range",10,50]]}"#))
        .unwrap();
        assert_eq!(p.content_length_range(), Some((10, 50)));
        assert_eq!(p.check_content_length(9), Err(PolicyError::EntityTooSmall));
        let none =
            post_policy::decode(&b64(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#))
                .unwrap();
        assert_eq!(none.content_length_range(), None);
        none.check_content_length(u64::MAX).unwrap();
    }

    #[test]
    fn form_signatures() {
        let policy = b64(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#);
        // V1: the same HMAC-SHA1 as header signing, over the base64 policy.
        let sig = post_policy::sign_v1(&policy, "sk");
        assert_eq!(sig, super::v1::sign("sk", &policy));
        assert!(post_policy::verify_v1(&policy, "sk", &sig));
        assert!(!post_policy::verify_v1(&policy, "sk2", &sig));
        // V4: hex HMAC-SHA256 with the derived signing key.
        let sig4 = post_policy::sign_v4(&policy, "sk", "20261128", "cn-hangzhou");
        assert_eq!(sig4.len(), 64);
        assert!(post_policy::verify_v4(&policy, "sk", "20261128", "cn-hangzhou", &sig4));
        assert!(!post_policy::verify_v4(&policy, "sk", "20261128", "cn-beijing", &sig4));
        assert!(!post_policy::verify_v4(&policy, "sk", "20261127", "cn-hangzhou", &sig4));
    }

    #[test]
    fn v4_form_fields() {
        use crate::{SigError, v4::Credential};
        let cred = "ak/20261128/cn-hangzhou/oss/aliyun_v4_request";
        let now = super::CAPTURE_NOW;
        assert_eq!(
            post_policy::check_v4_form(cred, "20261128T040826Z", "cn-hangzhou", now),
            Ok(Credential {
                access_key_id: "ak".into(),
                date: "20261128".into(),
                region: "cn-hangzhou".into()
            })
        );
        let check =
            |c: &str, d: &str, now: i64| post_policy::check_v4_form(c, d, "cn-hangzhou", now);
        assert_eq!(check(cred, "20261127T235959Z", now), Err(SigError::InvalidSigningDate));
        assert_eq!(check(cred, "2026-11-28", now), Err(SigError::InvalidDate));
        assert_eq!(
            check("ak/20261128/cn-beijing/oss/aliyun_v4_request", "20261128T040826Z", now),
            Err(SigError::InvalidSigningRegion)
        );
        assert_eq!(check(cred, "20261128T040826Z", now - 901), Err(SigError::RequestTimeTooSkewed));
        assert_eq!(check(cred, "20261128T040826Z", now + 7 * 86400 + 1), Err(SigError::Expired));
        assert_eq!(
            check("ak/20261128/cn-hangzhou/oss", "20261128T040826Z", now),
            Err(SigError::InvalidCredential)
        );
    }
}
