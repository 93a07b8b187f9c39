//! Vectors produced by the official SDKs: every request they signed must verify, and fail with
//! another secret.
//!
//! How the vectors were produced (scripts and instructions in `tests/vectors/`):
//! * `py_vectors.json` — `gen_py.py` with oss2 2.19.1 and alibabacloud-oss-v2 1.4.1 from PyPI.
//!   Each SDK, configured for V1 and then V4 (region `cn-hangzhou`, path-style on an IP
//!   endpoint), called real operations (CORS put/get/delete, ListBuckets, ListObjects(V2),
//!   Put/Get/Head object with metadata, ranges, `response-*` overrides, `x-oss-process`,
//!   multipart, ACL, signed OPTIONS, AdditionalHeaders) against a loopback capture server, with
//!   keys containing spaces, `+`, `%`, `/`, `&`, `=`, unicode and sub-delimiters. Presigned URLs
//!   came from `Bucket.sign_url` (oss2) and `Client.presign` (v2), V1 and V4.
//! * `js_vectors.json` — `gen_js.js` with ali-oss 6.23.0 from npm: the same kind of operations
//!   with `authorizationV4` off and on, plus `signatureUrl` (V1) and `signatureUrlV4`.
//! * `py_v2_vectors.json` — `gen_py_v2.py` with oss2 2.19.1 and `oss2.AuthV2` (signature V2):
//!   bucket and service operations with non-sub-resource parameters, object operations (put,
//!   get with `Range`/`If-Modified-Since` as AdditionalHeaders and `response-*`, `x-oss-process`,
//!   ACL, copy, append, multipart, delete) on keys with unicode, `?`, `&`, `=`, `#`, `%`, `+`,
//!   and `Bucket.sign_url` URLs (GET/PUT/DELETE/HEAD, plain parameters, additional headers).
//!
//! The captured request target is decoded the way the server must decode it into the `bucket`,
//! `key` and `query` fields: path-style bucket/key, `%XX` decoding, and `+` is a space in the
//! query (oss2 sends spaces in query values as `+`) but literal in the path. Headers are as
//! received, names lower-cased. `now` is the signing time the request carried.

#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use ossd_sig::{AuthClaim, SigError, SignedRequest, parse_claim, verify};
use serde_json::Value;

fn load(json: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Array(items)) => items,
        other => panic!("vector file is not a JSON array: {other:?}"),
    }
}

fn strings(v: &Value) -> Vec<(String, Option<String>)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            let pair = pair.as_array().unwrap();
            (pair[0].as_str().unwrap().to_owned(), pair[1].as_str().map(str::to_owned))
        })
        .collect()
}

/// Checks one vector; returns a description of what went wrong, if anything.
fn check(v: &Value) -> Result<&'static str, String> {
    let kind = v["kind"].as_str().unwrap();
    let method = v["method"].as_str().unwrap();
    let query = strings(&v["query"]);
    let headers: Vec<(String, String)> =
        strings(&v["headers"]).into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect();
    let req = SignedRequest {
        method,
        bucket: v["bucket"].as_str(),
        key: v["key"].as_str(),
        query: &query,
        headers: &headers,
    };
    let secret = v["secret"].as_str().unwrap();
    let region = v["region"].as_str().unwrap();
    let now = v["now"].as_i64().unwrap();
    let claim =
        parse_claim(&req).map_err(|e| format!("parse_claim: {e:?}"))?.ok_or("no claim found")?;
    let kind_ok = matches!(
        (kind, &claim),
        ("v1-header", AuthClaim::V1Header { .. })
            | ("v1-presign", AuthClaim::V1Query { .. })
            | ("v2-header", AuthClaim::V2Header { .. })
            | ("v2-presign", AuthClaim::V2Query { .. })
            | ("v4-header", AuthClaim::V4Header { .. })
            | ("v4-presign", AuthClaim::V4Query { .. })
    );
    if !kind_ok {
        return Err(format!("claim {claim:?} is not a {kind}"));
    }
    if claim.access_key_id() != "test-ak" {
        return Err(format!("access key {}", claim.access_key_id()));
    }
    verify(&req, &claim, secret, now, region).map_err(|e| match e {
        SigError::Mismatch { string_to_sign, canonical_request } => {
            format!("mismatch\n--- string to sign\n{string_to_sign}\n--- canonical request\n{canonical_request:?}")
        }
        other => format!("{other:?}"),
    })?;
    match verify(&req, &claim, "not-the-secret", now, region) {
        Err(SigError::Mismatch { .. }) => {}
        other => return Err(format!("wrong secret gave {other:?}")),
    }
    Ok(match kind {
        "v1-header" => "v1-header",
        "v1-presign" => "v1-presign",
        "v2-header" => "v2-header",
        "v2-presign" => "v2-presign",
        "v4-header" => "v4-header",
        _ => "v4-presign",
    })
}

#[test]
fn official_sdk_vectors_verify() {
    let mut all = load(include_str!("vectors/py_vectors.json"));
    all.extend(load(include_str!("vectors/js_vectors.json")));
    all.extend(load(include_str!("vectors/py_v2_vectors.json")));
    let mut failures = Vec::new();
    let mut per_sdk_kind = std::collections::BTreeMap::<(String, &str), usize>::new();
    for v in &all {
        match check(v) {
            Ok(kind) => {
                *per_sdk_kind.entry((v["sdk"].as_str().unwrap().to_owned(), kind)).or_default() += 1
            }
            Err(why) => failures.push(format!(
                "{} {} [{}] {} {}: {why}",
                v["sdk"], v["kind"], v["note"], v["method"], v["target"]
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
    // Every SDK contributed every kind it supports.
    for sdk in ["oss2 2.19.1", "alibabacloud-oss-v2 1.4.1", "ali-oss 6.23.0"] {
        for kind in ["v1-header", "v1-presign", "v4-header", "v4-presign"] {
            assert!(
                per_sdk_kind.get(&(sdk.to_owned(), kind)).copied().unwrap_or(0) >= 6,
                "{sdk} {kind}"
            );
        }
    }
    for kind in ["v2-header", "v2-presign"] {
        assert!(
            per_sdk_kind.get(&("oss2 2.19.1".to_owned(), kind)).copied().unwrap_or(0) >= 30,
            "oss2 {kind}"
        );
    }
}

#[test]
fn sdk_vectors_expire_and_skew() {
    let all = load(include_str!("vectors/py_vectors.json"));
    for v in all.iter().filter(|v| v["sdk"] == "alibabacloud-oss-v2 1.4.1").take(200) {
        let query = strings(&v["query"]);
        let headers: Vec<(String, String)> =
            strings(&v["headers"]).into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect();
        let req = SignedRequest {
            method: v["method"].as_str().unwrap(),
            bucket: v["bucket"].as_str(),
            key: v["key"].as_str(),
            query: &query,
            headers: &headers,
        };
        let claim = parse_claim(&req).unwrap().unwrap();
        let now = v["now"].as_i64().unwrap();
        let later = now + 2 * 3600;
        let want = if v["kind"].as_str().unwrap().ends_with("presign") {
            SigError::Expired
        } else {
            SigError::RequestTimeTooSkewed
        };
        assert_eq!(
            verify(&req, &claim, "test-sk", later, "cn-hangzhou"),
            Err(want),
            "{}",
            v["note"]
        );
        if claim.is_v4() {
            assert_eq!(
                verify(&req, &claim, "test-sk", now, "cn-shanghai"),
                Err(SigError::InvalidSigningRegion),
                "{}",
                v["note"]
            );
        }
    }
}

/// Owned parts of one vector, to change and verify again.
struct Owned {
    method: String,
    bucket: Option<String>,
    key: Option<String>,
    query: Vec<(String, Option<String>)>,
    headers: Vec<(String, String)>,
}

impl Owned {
    fn of(v: &Value) -> Owned {
        Owned {
            method: v["method"].as_str().unwrap().to_owned(),
            bucket: v["bucket"].as_str().map(str::to_owned),
            key: v["key"].as_str().map(str::to_owned),
            query: strings(&v["query"]),
            headers: strings(&v["headers"])
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect(),
        }
    }

    fn verify(&self, secret: &str, now: i64) -> Result<(), SigError> {
        let req = SignedRequest {
            method: &self.method,
            bucket: self.bucket.as_deref(),
            key: self.key.as_deref(),
            query: &self.query,
            headers: &self.headers,
        };
        let claim = parse_claim(&req)?.ok_or(SigError::UnsupportedAuthorization)?;
        verify(&req, &claim, secret, now, "cn-hangzhou")
    }
}

/// Query parameters that carry the V2 claim itself (changing them changes what is claimed).
fn is_v2_claim_param(name: &str) -> bool {
    matches!(
        name,
        "x-oss-signature-version"
            | "x-oss-access-key-id"
            | "x-oss-expires"
            | "x-oss-signature"
            | "x-oss-additional-headers"
    )
}

#[test]
fn v2_vectors_break_when_a_signed_part_changes() {
    let all = load(include_str!("vectors/py_v2_vectors.json"));
    let mut checked = std::collections::BTreeMap::<&str, usize>::new();
    for v in &all {
        let note = v["note"].as_str().unwrap();
        let now = v["now"].as_i64().unwrap();
        let base = Owned::of(v);
        assert_eq!(base.verify("test-sk", now), Ok(()), "{note}");
        let mut changes: Vec<(&str, Owned)> = Vec::new();

        let mut o = Owned::of(v);
        o.method = if o.method == "GET" { "PUT".into() } else { "GET".into() };
        changes.push(("method", o));

        // A key exists only under a bucket (the service level has neither).
        let mut o = Owned::of(v);
        if o.bucket.is_some() {
            o.key = Some(format!("{}x", o.key.unwrap_or_default()));
            changes.push(("key", o));
        }

        let mut o = Owned::of(v);
        if let Some(p) = o.query.iter_mut().find(|(n, _)| !is_v2_claim_param(n)) {
            p.1 = Some(format!("{}x", p.1.as_deref().unwrap_or("")));
            changes.push(("query value", o));
        }

        let mut o = Owned::of(v);
        o.query.push(("max-keys".into(), Some("1".into())));
        changes.push(("added query parameter", o));

        let mut o = Owned::of(v);
        o.headers.push(("x-oss-meta-injected".into(), "1".into()));
        changes.push(("added x-oss header", o));

        // A header the signature covers: x-oss-*, content-type/-md5, or an additional header.
        let signed = |name: &str| {
            name.starts_with("x-oss-")
                || matches!(name, "content-type" | "content-md5" | "range" | "if-modified-since")
                || matches!(name, "content-disposition" | "cache-control")
        };
        let mut o = Owned::of(v);
        if let Some(h) = o.headers.iter_mut().find(|(n, _)| signed(n)) {
            h.1.push('x');
            changes.push(("signed header value", o));
        }

        for (what, changed) in changes {
            match changed.verify("test-sk", now) {
                Err(SigError::Mismatch { .. }) => *checked.entry(what).or_default() += 1,
                other => panic!("{note}: changing the {what} gave {other:?}"),
            }
        }
    }
    // Every kind of change was tried on many vectors.
    for what in [
        "method",
        "key",
        "query value",
        "added query parameter",
        "added x-oss header",
        "signed header value",
    ] {
        assert!(checked.get(what).copied().unwrap_or(0) >= 20, "{what}: {checked:?}");
    }
}

#[test]
fn v2_vectors_expire_and_skew() {
    let all = load(include_str!("vectors/py_v2_vectors.json"));
    for v in &all {
        let o = Owned::of(v);
        let now = v["now"].as_i64().unwrap();
        let want = if v["kind"] == "v2-presign" {
            SigError::Expired
        } else {
            SigError::RequestTimeTooSkewed
        };
        assert_eq!(o.verify("test-sk", now + 2 * 3600), Err(want), "{}", v["note"]);
    }
}
