//! Property tests: a signature made with one secret never verifies with another, and changing
//! the method, bucket, key, a signed header value or a sub-resource breaks V1, V2 (header and
//! presigned) and V4 signatures; a plain query parameter breaks V2 and V4 ones.

#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use ossd_sig::{AuthClaim, SigError, SignedRequest, parse_claim, v1, v2, v4, verify};
use proptest::prelude::*;

const DATE: &str = "Sat, 28 Nov 2026 04:08:26 GMT";
const X_OSS_DATE: &str = "20261128T040826Z";
const NOW: i64 = 1_795_838_906;
const REGION: &str = "cn-hangzhou";
const METHODS: [&str; 6] = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"];

/// The parts of a request that signing covers.
#[derive(Debug, Clone)]
struct Parts {
    method: &'static str,
    bucket: String,
    key: String,
    meta: String,
    upload_id: String,
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        prop::sample::select(&METHODS[..]),
        "[a-z0-9][a-z0-9-]{2,20}",
        // Any key: unicode, spaces, '+', '%', '/', control-free.
        "[^\\x00-\\x1f]{1,40}",
        "[!-~]([ !-~]{0,20}[!-~])?",
        "[A-Za-z0-9+/=]{1,30}",
    )
        .prop_map(|(method, bucket, key, meta, upload_id)| Parts {
            method,
            bucket,
            key,
            meta,
            upload_id,
        })
}

/// A signed request: query and headers owned, plus which scheme signed it.
struct Signed {
    parts: Parts,
    query: Vec<(String, Option<String>)>,
    headers: Vec<(String, String)>,
}

impl Signed {
    fn request(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: self.parts.method,
            bucket: Some(&self.parts.bucket),
            key: Some(&self.parts.key),
            query: &self.query,
            headers: &self.headers,
        }
    }
}

fn base_headers(meta: &str) -> Vec<(String, String)> {
    vec![
        ("host".into(), "127.0.0.1:9000".into()),
        ("date".into(), DATE.into()),
        ("x-oss-date".into(), X_OSS_DATE.into()),
        ("x-oss-content-sha256".into(), "UNSIGNED-PAYLOAD".into()),
        ("x-oss-meta-a".into(), meta.into()),
        ("content-type".into(), "text/plain".into()),
    ]
}

fn base_query(upload_id: &str) -> Vec<(String, Option<String>)> {
    vec![("uploadId".into(), Some(upload_id.into())), ("partNumber".into(), Some("1".into()))]
}

/// Query parameters and headers of a request.
type QueryAndHeaders = (Vec<(String, Option<String>)>, Vec<(String, String)>);

/// The signing schemes under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    V1,
    V2,
    V2Presign,
    V4,
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop::sample::select(&[Scheme::V1, Scheme::V2, Scheme::V2Presign, Scheme::V4][..])
}

/// Signs `p` with `secret` using `scheme` (header signing, or a V2 presigned URL).
fn sign(p: &Parts, secret: &str, scheme: Scheme) -> QueryAndHeaders {
    let mut query = base_query(&p.upload_id);
    let mut headers = base_headers(&p.meta);
    if matches!(scheme, Scheme::V1 | Scheme::V2) {
        // V1 would use x-oss-date as its date line (V2 signs Date and checks x-oss-date's
        // time); keep the RFC 1123 Date only.
        headers.retain(|(n, _)| n != "x-oss-date");
    }
    let req = SignedRequest {
        method: p.method,
        bucket: Some(&p.bucket),
        key: Some(&p.key),
        query: &query,
        headers: &headers,
    };
    let auth = match scheme {
        Scheme::V1 => v1::authorization("ak", secret, &req),
        Scheme::V2 => v2::authorization("ak", secret, &req, &["host".to_owned()]),
        Scheme::V4 => v4::authorization("ak", secret, REGION, &req, &["host".to_owned()]),
        Scheme::V2Presign => {
            let added = v2::presign_query("ak", secret, &req, NOW + 60, &["host".to_owned()]);
            query.extend(added.into_iter().map(|(k, v)| (k, Some(v))));
            return (query, headers);
        }
    };
    headers.push(("authorization".into(), auth));
    (query, headers)
}

fn check(s: &Signed, secret: &str) -> Result<(), SigError> {
    let req = s.request();
    let claim: AuthClaim = parse_claim(&req)?.ok_or(SigError::UnsupportedAuthorization)?;
    verify(&req, &claim, secret, NOW, REGION)
}

fn is_mismatch(r: Result<(), SigError>) -> bool {
    matches!(r, Err(SigError::Mismatch { .. }))
}

proptest! {
    #[test]
    fn other_secret_never_verifies(p in parts(), a in "[ -~]{1,40}", b in "[ -~]{1,40}", scheme in scheme()) {
        prop_assume!(a != b);
        let (query, headers) = sign(&p, &a, scheme);
        let s = Signed { parts: p, query, headers };
        prop_assert_eq!(check(&s, &a), Ok(()));
        prop_assert!(is_mismatch(check(&s, &b)));
    }

    #[test]
    fn changing_a_signed_part_breaks_the_signature(
        p in parts(),
        which in 0usize..8,
        other in parts(),
        scheme in scheme(),
    ) {
        let secret = "sk";
        let (mut query, mut headers) = sign(&p, secret, scheme);
        let mut changed = p.clone();
        match which {
            0 => {
                prop_assume!(other.method != p.method);
                changed.method = other.method;
            }
            1 => {
                prop_assume!(other.bucket != p.bucket);
                changed.bucket = other.bucket.clone();
            }
            2 => changed.key.push('x'),
            3 => {
                prop_assume!(other.meta.trim() != p.meta.trim());
                for h in headers.iter_mut().filter(|(n, _)| n == "x-oss-meta-a") {
                    h.1 = other.meta.clone();
                }
            }
            4 => {
                prop_assume!(other.upload_id != p.upload_id);
                query[0].1 = Some(other.upload_id.clone());
            }
            5 => query.push(("acl".into(), None)),
            6 => {
                // A plain (non-sub-resource) parameter: signed by V2 and V4 only.
                prop_assume!(scheme != Scheme::V1);
                query.push(("max-keys".into(), Some(other.upload_id.clone())));
            }
            _ => {
                // An additional header (`host`): signed by V2 and V4 only.
                prop_assume!(scheme != Scheme::V1);
                for h in headers.iter_mut().filter(|(n, _)| n == "host") {
                    h.1 = format!("{}.example", other.bucket);
                }
            }
        }
        let s = Signed { parts: changed, query, headers };
        prop_assert!(is_mismatch(check(&s, secret)), "change {} did not break {:?}", which, scheme);
    }
}
