//! Benchmarks of header-signature verification (parse + verify) for V1 and V4.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ossd_sig::{SignedRequest, parse_claim, v1, v4, verify};

const NOW: i64 = 1_795_838_906;

/// Query parameters and headers of a request.
type QueryAndHeaders = (Vec<(String, Option<String>)>, Vec<(String, String)>);

/// A typical PutObject: object key with a path, content type and md5, user metadata.
fn request_parts(v4_sig: bool) -> QueryAndHeaders {
    let query = vec![
        ("uploadId".to_owned(), Some("0004B999EF518A1FE585B0C9360D4C8A".to_owned())),
        ("partNumber".to_owned(), Some("3".to_owned())),
    ];
    let mut headers: Vec<(String, String)> = [
        ("host", "127.0.0.1:9000"),
        ("date", "Sat, 28 Nov 2026 04:08:26 GMT"),
        ("content-type", "text/plain"),
        ("content-md5", "lJZi+4ZrkyLR5Aotfkwcig=="),
        ("content-length", "308"),
        ("user-agent", "aliyun-sdk-python/2.19.1"),
        ("x-oss-meta-author", "foo@bar.com"),
        ("x-oss-object-acl", "private"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    if v4_sig {
        headers.push(("x-oss-date".into(), "20261128T040826Z".into()));
        headers.push(("x-oss-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
    }
    let req = SignedRequest {
        method: "PUT",
        bucket: Some("my-bucket"),
        key: Some("dir/sub dir/hello world.txt"),
        query: &query,
        headers: &headers,
    };
    let auth = if v4_sig {
        v4::authorization("test-ak", "test-sk", "cn-hangzhou", &req, &[])
    } else {
        v1::authorization("test-ak", "test-sk", &req)
    };
    headers.push(("authorization".into(), auth));
    (query, headers)
}

fn bench(c: &mut Criterion) {
    for (name, v4_sig) in [("verify_v1_header", false), ("verify_v4_header", true)] {
        let (query, headers) = request_parts(v4_sig);
        let req = SignedRequest {
            method: "PUT",
            bucket: Some("my-bucket"),
            key: Some("dir/sub dir/hello world.txt"),
            query: &query,
            headers: &headers,
        };
        c.bench_function(name, |b| {
            b.iter(|| {
                let req = black_box(&req);
                let claim = parse_claim(req).ok().flatten();
                let ok =
                    claim.map(|claim| verify(req, &claim, "test-sk", NOW, "cn-hangzhou").is_ok());
                assert_eq!(ok, Some(true));
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
