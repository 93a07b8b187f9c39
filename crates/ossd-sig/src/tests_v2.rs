//! Unit tests for signature V2: strings to sign computed by oss2 2.19.1 `AuthV2`, claim parsing,
//! verification errors, and the canonical resource's encoding.

#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use super::*;
use crate::tests::{CAPTURE_DATE as DATE, CAPTURE_NOW as NOW, h, q};
const KEY: &str = "dir/ü 中?&=+.txt";

fn base_headers() -> Vec<(String, String)> {
    h(&[
        ("host", "127.0.0.1:9000"),
        ("content-type", "text/plain"),
        ("content-md5", "lJZi+4ZrkyLR5Aotfkwcig=="),
        ("x-oss-meta-a", "v"),
        ("range", "bytes=0-1"),
        ("date", DATE),
    ])
}

fn base_query() -> Vec<(String, Option<String>)> {
    q(&[
        ("uploadId", Some("u+/=")),
        ("partNumber", Some("1")),
        ("prefix", Some("a b")),
        ("acl", Some("")),
    ])
}

#[test]
fn oss2_string_to_sign_and_signature() {
    // Computed with oss2 2.19.1: `AuthV2("ak", "sk")`, bucket `my-bucket`, key KEY, the headers
    // and params above, additional headers {"range"}.
    let want_sts = "PUT\nlJZi+4ZrkyLR5Aotfkwcig==\ntext/plain\nSat, 28 Nov 2026 04:08:26 GMT\nrange:bytes=0-1\nx-oss-meta-a:v\nrange\n%2Fmy-bucket%2Fdir%2F%C3%BC%20%E4%B8%AD%3F%26%3D%2B.txt?acl&partNumber=1&prefix=a%20b&uploadId=u%2B%2F%3D";
    let headers = base_headers();
    let query = base_query();
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("my-bucket"),
        key: Some(KEY),
        query: &query,
        headers: &headers,
    };
    let additional = vec!["Range".to_owned()];
    assert_eq!(v2::string_to_sign(&req, DATE, &additional), want_sts);
    assert_eq!(v2::sign("sk", want_sts), "/C55XCGaNL2UPKmSRARabxynHNS1LBiqjftDPpQwYj8=");
    assert_eq!(
        v2::authorization("ak", "sk", &req, &additional),
        "OSS2 AccessKeyId:ak,AdditionalHeaders:range,Signature:/C55XCGaNL2UPKmSRARabxynHNS1LBiqjftDPpQwYj8="
    );

    // Service level (ListBuckets): the resource is an encoded `/`.
    let date_only = h(&[("date", DATE)]);
    let svc =
        SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &date_only };
    let sts = v2::string_to_sign(&svc, DATE, &[]);
    assert_eq!(sts, "GET\n\n\nSat, 28 Nov 2026 04:08:26 GMT\n\n%2F");
    assert_eq!(v2::sign("sk", &sts), "T3JrjkxSk8/O3NaVEceIn+akpsZhJFxZZHoOki6Wj74=");
}

#[test]
fn canonical_resource_encodes_everything() {
    assert_eq!(v2::canonical_resource(Some("b"), None, &[]), "%2Fb%2F");
    assert_eq!(v2::canonical_resource(Some("b"), Some(""), &[]), "%2Fb%2F");
    assert_eq!(v2::canonical_resource(None, None, &[]), "%2F");
    // Every parameter is signed (not only sub-resources), sorted by encoded name, `k` when the
    // value is empty or absent, x-oss-signature left out.
    let query = q(&[
        ("max-keys", Some("10")),
        ("cors", None),
        ("x-oss-signature", Some("sig")),
        ("a b", Some("x&y=z")),
        ("Z", Some("")),
    ]);
    assert_eq!(
        v2::canonical_resource(Some("b"), Some("k~-_.*"), &query),
        "%2Fb%2Fk~-_.%2A?Z&a%20b=x%26y%3Dz&cors&max-keys=10"
    );
    // A repeated parameter is signed every time, in arrival order.
    let twice = q(&[("b", Some("2")), ("a", Some("1")), ("b", Some("1"))]);
    assert_eq!(v2::canonical_resource(Some("b"), Some("k"), &twice), "%2Fb%2Fk?a=1&b=2&b=1");
}

#[test]
fn rewrites_that_fool_v1_change_the_v2_string_to_sign() {
    // V1 signs `/b/k?partNumber=1&uploadId=U` for both; V2 encodes and tells them apart.
    let one = q(&[("partNumber", Some("1&uploadId=U"))]);
    let two = q(&[("partNumber", Some("1")), ("uploadId", Some("U"))]);
    assert_ne!(
        v2::canonical_resource(Some("b"), Some("k"), &one),
        v2::canonical_resource(Some("b"), Some("k"), &two)
    );
    // The key `k?uploads` against the key `k` with `?uploads`.
    let uploads = q(&[("uploads", None)]);
    assert_ne!(
        v2::canonical_resource(Some("b"), Some("k?uploads"), &[]),
        v2::canonical_resource(Some("b"), Some("k"), &uploads)
    );
    // The bucket/key boundary: `/b/c/k` is bucket `b`, key `c/k` only.
    assert_ne!(
        v2::canonical_resource(Some("b"), Some("c/k"), &[]),
        v2::canonical_resource(Some("b"), Some("c%2Fk"), &[])
    );
    // Such a request is verified, not refused as ambiguous (V1 refuses it).
    let headers = [h(&[("date", DATE)]), base_headers()].concat();
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("b"),
        key: Some("k?uploads"),
        query: &one,
        headers: &headers,
    };
    let auth = v2::authorization("ak", "sk", &req, &[]);
    let all = [headers.clone(), h(&[("authorization", &auth)])].concat();
    let req = SignedRequest { headers: &all, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert_eq!(verify(&req, &claim, "sk", NOW, "cn-hangzhou"), Ok(()));
}

#[test]
fn parse_header_separators_order_and_errors() {
    for value in [
        "OSS2 AccessKeyId:ak,AdditionalHeaders:Range;host,Signature:abc=",
        "OSS2 AccessKeyId:ak, AdditionalHeaders:range;host, Signature:abc=",
        "OSS2  Signature:abc=,AdditionalHeaders:host;range,AccessKeyId:ak",
    ] {
        let headers = h(&[("authorization", value)]);
        let req =
            SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &headers };
        let claim = parse_claim(&req).unwrap().unwrap();
        let AuthClaim::V2Header { access_key_id, mut additional_headers, signature } = claim else {
            panic!("{value}: {claim:?}")
        };
        additional_headers.sort();
        assert_eq!((access_key_id.as_str(), signature.as_str()), ("ak", "abc="), "{value}");
        assert_eq!(additional_headers, ["host", "range"], "{value}");
    }
    let headers = h(&[("authorization", "OSS2 AccessKeyId:ak,Signature:s")]);
    let req =
        SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &headers };
    assert_eq!(
        parse_claim(&req),
        Ok(Some(AuthClaim::V2Header {
            access_key_id: "ak".into(),
            additional_headers: vec![],
            signature: "s".into()
        }))
    );
    for bad in [
        "OSS2 AccessKeyId:ak",
        "OSS2 Signature:s",
        "OSS2 AccessKeyId:,Signature:s",
        "OSS2 AccessKeyId:ak,Signature:",
        "OSS2 AccessKeyId:ak,Signature:s,UnknownKey:x",
        "OSS2 AccessKeyId:ak,Signature:s,Signature:t",
        "OSS2 AccessKeyId=ak,Signature=s",
        "OSS2 AccessKeyId:ak,Signature:s,",
        "OSS2 ak:s",
    ] {
        let headers = h(&[("authorization", bad)]);
        let req =
            SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &headers };
        assert_eq!(parse_claim(&req), Err(SigError::MalformedV2Authorization), "{bad}");
    }
    let e = SigError::MalformedV2Authorization;
    assert_eq!(
        (e.http_status(), e.oss_code(), e.ec()),
        (400, "InvalidArgument", Some("0002-00000102"))
    );
    // `OSS2` without a space is no scheme at all.
    let headers = h(&[("authorization", "OSS2AccessKeyId:ak,Signature:s")]);
    let req =
        SignedRequest { method: "GET", bucket: None, key: None, query: &[], headers: &headers };
    assert_eq!(parse_claim(&req), Err(SigError::UnsupportedAuthorization));
}

#[test]
fn parse_query_errors() {
    let base = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("k"),
        query: &[],
        headers: &[],
    };
    let good = [
        ("x-oss-signature-version", "OSS2"),
        ("x-oss-expires", "1795842506"),
        ("x-oss-access-key-id", "ak"),
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
    let parse =
        |query: &Vec<(String, Option<String>)>| parse_claim(&SignedRequest { query, ..base });
    assert_eq!(
        parse(&with("", None)),
        Ok(Some(AuthClaim::V2Query {
            access_key_id: "ak".into(),
            expires: 1_795_842_506,
            additional_headers: vec![],
            signature: "abc".into(),
        }))
    );
    for name in ["x-oss-access-key-id", "x-oss-expires", "x-oss-signature"] {
        assert_eq!(parse(&with(name, None)), Err(SigError::MissingV2QueryParam(name)), "{name}");
        assert_eq!(parse(&with(name, Some(""))), Err(SigError::MissingV2QueryParam(name)));
    }
    // x-oss-access-key-id without a version is a V2 URL missing its version.
    assert_eq!(
        parse(&with("x-oss-signature-version", None)),
        Err(SigError::MissingV2QueryParam("x-oss-signature-version"))
    );
    assert_eq!(
        parse(&with("x-oss-signature-version", Some("OSS3"))),
        Err(SigError::UnsupportedSignatureVersion("OSS3".into()))
    );
    for bad in ["soon", "-1", "+1795842506", " 1795842506", "99999999999999999999"] {
        assert_eq!(
            parse(&with("x-oss-expires", Some(bad))),
            Err(SigError::InvalidExpires),
            "{bad}"
        );
    }
    let e = SigError::MissingV2QueryParam("x-oss-signature");
    assert_eq!(
        (e.http_status(), e.oss_code(), e.ec()),
        (403, "AccessDenied", Some("0002-00000117"))
    );
    assert_eq!(e.to_string(), "x-oss-signature is required in the query string for V2 signature.");
    // An Authorization header with V2 URL parameters.
    let auth = h(&[("authorization", "OSS2 AccessKeyId:ak,Signature:s")]);
    for name in ["x-oss-access-key-id", "x-oss-signature-version", "x-oss-signature"] {
        let query = q(&[(name, Some("x"))]);
        let req = SignedRequest { query: &query, headers: &auth, ..base };
        assert_eq!(parse_claim(&req), Err(SigError::BothHeaderAndQuery), "{name}");
    }
}

/// `req` with `Authorization` set by [`v2::authorization`].
fn signed_headers(
    req: &SignedRequest<'_>,
    secret: &str,
    additional: &[&str],
) -> Vec<(String, String)> {
    let additional: Vec<String> = additional.iter().map(|s| (*s).to_owned()).collect();
    let auth = v2::authorization("ak", secret, req, &additional);
    [req.headers.to_vec(), h(&[("authorization", &auth)])].concat()
}

#[test]
fn header_roundtrip_time_and_mismatch() {
    let headers = base_headers();
    let query = base_query();
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("my-bucket"),
        key: Some(KEY),
        query: &query,
        headers: &headers,
    };
    let all = signed_headers(&req, "sk", &["range"]);
    let req = SignedRequest { headers: &all, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert_eq!(claim.access_key_id(), "ak");
    assert_eq!(verify(&req, &claim, "sk", NOW, "cn-hangzhou"), Ok(()));
    assert_eq!(verify(&req, &claim, "sk", NOW + 900, "cn-hangzhou"), Ok(()));
    assert_eq!(
        verify(&req, &claim, "sk", NOW + 901, "cn-hangzhou"),
        Err(SigError::RequestTimeTooSkewed)
    );
    assert_eq!(
        verify(&req, &claim, "sk", NOW - 901, "cn-hangzhou"),
        Err(SigError::RequestTimeTooSkewed)
    );
    let err = verify(&req, &claim, "other", NOW, "cn-hangzhou").unwrap_err();
    let SigError::Mismatch { string_to_sign, canonical_request: None } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(string_to_sign, &v2::string_to_sign(&req, DATE, &["range".to_owned()]));
    assert_eq!((err.http_status(), err.ec()), (403, Some("0002-00000040")));

    // The range header is signed because AdditionalHeaders names it: changing it breaks.
    let changed: Vec<(String, String)> = all
        .iter()
        .map(|(n, v)| (n.clone(), if n == "range" { "bytes=0-2".to_owned() } else { v.clone() }))
        .collect();
    let req2 = SignedRequest { headers: &changed, ..req };
    assert!(matches!(
        verify(&req2, &claim, "sk", NOW, "cn-hangzhou"),
        Err(SigError::Mismatch { .. })
    ));

    // No Date and no x-oss-date; an unparseable Date.
    for headers in [
        h(&[("authorization", "OSS2 AccessKeyId:ak,Signature:s")]),
        h(&[("authorization", "OSS2 AccessKeyId:ak,Signature:s"), ("date", "yesterday")]),
    ] {
        let req = SignedRequest { headers: &headers, ..req };
        let claim = parse_claim(&req).unwrap().unwrap();
        assert_eq!(verify(&req, &claim, "sk", NOW, "cn-hangzhou"), Err(SigError::InvalidDate));
    }
}

#[test]
fn x_oss_date_sets_the_time_and_is_signed() {
    // A client that also sends x-oss-date: the time checked is x-oss-date, the date line stays
    // Date, and x-oss-date is signed as an x-oss-* header.
    let old_date = "Fri, 27 Nov 2026 04:08:26 GMT";
    let headers = h(&[("date", old_date), ("x-oss-date", DATE)]);
    let req = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("k"),
        query: &[],
        headers: &headers,
    };
    assert!(
        v2::string_to_sign(&req, old_date, &[])
            .contains(&format!("\n{old_date}\nx-oss-date:{DATE}\n"))
    );
    let all = signed_headers(&req, "sk", &[]);
    let req = SignedRequest { headers: &all, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert_eq!(verify(&req, &claim, "sk", NOW, "cn-hangzhou"), Ok(()));
    assert_eq!(
        verify(&req, &claim, "sk", NOW - 86_400, "cn-hangzhou"),
        Err(SigError::RequestTimeTooSkewed)
    );
}

#[test]
fn presigned_roundtrip_expiry_and_tampering() {
    let headers = h(&[
        ("host", "127.0.0.1:9000"),
        ("content-type", "text/plain"),
        ("x-oss-meta-a", "1"),
        ("range", "bytes=0-1"),
    ]);
    let query = q(&[("response-content-type", Some("text/plain")), ("max-keys", Some("5"))]);
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("b"),
        key: Some(KEY),
        query: &query,
        headers: &headers,
    };
    let expires = NOW + 3600;
    let added = v2::presign_query("ak", "sk", &req, expires, &["range".to_owned()]);
    let names: Vec<&str> = added.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "x-oss-signature-version",
            "x-oss-expires",
            "x-oss-access-key-id",
            "x-oss-additional-headers",
            "x-oss-signature"
        ]
    );
    let mut full = query.clone();
    full.extend(added.into_iter().map(|(k, v)| (k, Some(v))));
    let req = SignedRequest { query: &full, ..req };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert!(
        matches!(&claim, AuthClaim::V2Query { additional_headers, .. } if additional_headers == &["range"])
    );
    assert_eq!(verify(&req, &claim, "sk", NOW, "cn-hangzhou"), Ok(()));
    assert_eq!(verify(&req, &claim, "sk", expires, "cn-hangzhou"), Ok(()));
    assert_eq!(verify(&req, &claim, "sk", expires + 1, "cn-hangzhou"), Err(SigError::Expired));
    assert!(matches!(
        verify(&req, &claim, "sk2", NOW, "cn-hangzhou"),
        Err(SigError::Mismatch { .. })
    ));

    let mismatch = |req: SignedRequest<'_>, what: &str| {
        let claim = parse_claim(&req).unwrap().unwrap();
        assert!(
            matches!(
                verify(&req, &claim, "sk", NOW, "cn-hangzhou"),
                Err(SigError::Mismatch { .. })
            ),
            "{what}"
        );
    };
    mismatch(SignedRequest { method: "GET", ..req }, "method");
    mismatch(SignedRequest { key: Some("other"), ..req }, "key");
    mismatch(SignedRequest { bucket: Some("c"), ..req }, "bucket");
    // A non-sub-resource parameter is signed too.
    let mut q2 = full.clone();
    q2[1].1 = Some("6".into());
    mismatch(SignedRequest { query: &q2, ..req }, "max-keys");
    let mut q3 = full.clone();
    q3.push(("prefix".into(), Some("p".into())));
    mismatch(SignedRequest { query: &q3, ..req }, "added parameter");
    // A later expiry with the old signature.
    let q4: Vec<(String, Option<String>)> = full
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if k == "x-oss-expires" { Some((expires + 60).to_string()) } else { v.clone() },
            )
        })
        .collect();
    mismatch(SignedRequest { query: &q4, ..req }, "expires");
    // Dropping the additional-headers parameter drops range from what is signed.
    let q5: Vec<(String, Option<String>)> =
        full.iter().filter(|(k, _)| k != "x-oss-additional-headers").cloned().collect();
    mismatch(SignedRequest { query: &q5, ..req }, "additional headers");
    let h2 = h(&[
        ("host", "127.0.0.1:9000"),
        ("content-type", "text/html"),
        ("x-oss-meta-a", "1"),
        ("range", "bytes=0-1"),
    ]);
    mismatch(SignedRequest { headers: &h2, ..req }, "content-type");
    let h3 = h(&[
        ("host", "127.0.0.1:9000"),
        ("content-type", "text/plain"),
        ("x-oss-meta-a", "1"),
        ("range", "bytes=5-9"),
    ]);
    mismatch(SignedRequest { headers: &h3, ..req }, "range");
}

#[test]
fn presigned_expires_is_signed_as_sent() {
    // The date line is x-oss-expires exactly as the signer wrote it (here with a leading zero).
    let raw_expires = format!("0{}", NOW + 60);
    let mut query = q(&[
        ("x-oss-signature-version", Some("OSS2")),
        ("x-oss-expires", Some(&raw_expires)),
        ("x-oss-access-key-id", Some("ak")),
    ]);
    let signature = {
        let req = SignedRequest {
            method: "GET",
            bucket: Some("b"),
            key: Some("k"),
            query: &query,
            headers: &[],
        };
        v2::sign("sk", &v2::string_to_sign(&req, &raw_expires, &[]))
    };
    query.push(("x-oss-signature".into(), Some(signature)));
    let req = SignedRequest {
        method: "GET",
        bucket: Some("b"),
        key: Some("k"),
        query: &query,
        headers: &[],
    };
    let claim = parse_claim(&req).unwrap().unwrap();
    assert!(matches!(claim, AuthClaim::V2Query { expires, .. } if expires == NOW + 60));
    assert_eq!(verify(&req, &claim, "sk", NOW, "cn-hangzhou"), Ok(()));
    assert_eq!(verify(&req, &claim, "sk", NOW + 61, "cn-hangzhou"), Err(SigError::Expired));
}
