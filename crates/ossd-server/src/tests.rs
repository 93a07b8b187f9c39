//! Unit tests of the request path's building blocks: request ids, setting headers, addressing and
//! the operation table (the CORS headers are tested in `cors::tests`).
#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use crate::body::Body;
use crate::pipeline::RequestId;
use crate::render;
use http::Response;

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
