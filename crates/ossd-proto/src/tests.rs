//! Tests of addressing, query parsing, classification and the error document.

use crate::request::{Query, check_key, classify, is_preflight, resolve, valid_bucket_name};
use crate::{ApiError, ErrorCode, Operation};

fn domains() -> Vec<String> {
    vec!["oss.local.test".to_owned()]
}

#[track_caller]
fn check_resolve(host: &str, path: &str, bucket: Option<&str>, key: Option<&str>) {
    let t = resolve(Some(host), path, &domains()).expect("resolves");
    assert_eq!(t.bucket.as_deref(), bucket, "bucket for {host} {path}");
    assert_eq!(t.key.as_deref(), key, "key for {host} {path}");
}

#[test]
fn path_style_on_ip_and_bare_domains() {
    check_resolve("127.0.0.1:9000", "/", None, None);
    check_resolve("127.0.0.1:9000", "/my-bucket", Some("my-bucket"), None);
    check_resolve("127.0.0.1:9000", "/my-bucket/", Some("my-bucket"), None);
    check_resolve(
        "127.0.0.1:9000",
        "/my-bucket/dir%2Fhello.txt",
        Some("my-bucket"),
        Some("dir/hello.txt"),
    );
    check_resolve("127.0.0.1", "/b/a%20b+c%25d", Some("b"), Some("a b+c%d"));
    check_resolve("localhost:9000", "/b/k", Some("b"), Some("k"));
    check_resolve("oss.local.test:9000", "/b/k", Some("b"), Some("k"));
    check_resolve("[::1]:9000", "/b/k", Some("b"), Some("k"));
    check_resolve("unknown.example:9000", "/b/k", Some("b"), Some("k"));
}

#[test]
fn virtual_hosted_and_ali_oss_ip_form() {
    check_resolve("my-bucket.localhost:9000", "/dir/k", Some("my-bucket"), Some("dir/k"));
    check_resolve("my-bucket.oss.local.test", "/", Some("my-bucket"), None);
    check_resolve("My-Bucket.OSS.local.test", "/k", Some("my-bucket"), Some("k"));
    check_resolve(
        "my-bucket.oss-cn-hangzhou.aliyuncs.com",
        "/dir/hello.txt",
        Some("my-bucket"),
        Some("dir/hello.txt"),
    );
    check_resolve("b.oss-cn-hangzhou-internal.aliyuncs.com", "/", Some("b"), None);
    // Two labels before the domain is not a bucket host: path-style.
    check_resolve("a.b.oss.local.test", "/x/y", Some("x"), Some("y"));
}

#[test]
fn host_matching_ignores_ascii_case_only() {
    check_resolve("B.LOCALHOST:9000", "/k", Some("b"), Some("k"));
    check_resolve("My-B.OSS-cn-hangzhou.AliyunCS.com", "/", Some("my-b"), None);
    // No bucket label, or a host that only looks like a domain: path-style.
    check_resolve(".localhost", "/x/y", Some("x"), Some("y"));
    check_resolve("blocalhost", "/x/y", Some("x"), Some("y"));
    check_resolve("b.oss-cn.aliyuncs.org", "/x/y", Some("x"), Some("y"));
    // Non-ASCII bytes in Host are kept as they are and never panic.
    check_resolve("é.localhost", "/x", Some("é"), Some("x"));
    check_resolve("bé", "/x/y", Some("x"), Some("y"));
    check_resolve("ÉÉÉÉÉÉÉÉÉ", "/x/y", Some("x"), Some("y"));
    // An IP address is path-style even where it ends like a configured domain.
    let t = resolve(Some("127.0.0.1:80"), "/b/k", &["0.0.1".to_owned()]).expect("resolves");
    assert_eq!((t.bucket.as_deref(), t.virtual_hosted), (Some("b"), false));
    let t = resolve(Some("x.0.0.1:80"), "/k", &["0.0.1".to_owned()]).expect("resolves");
    assert_eq!((t.bucket.as_deref(), t.virtual_hosted), (Some("x"), true));
}

#[test]
fn keys_keep_odd_characters() {
    check_resolve("127.0.0.1", "/b/..%2F..%2Fetc%2Fpasswd", Some("b"), Some("../../etc/passwd"));
    check_resolve("127.0.0.1", "/b//abs", Some("b"), Some("/abs"));
    check_resolve("127.0.0.1", "/b/%E4%B8%AD%E6%96%87", Some("b"), Some("中文"));
    assert!(resolve(Some("127.0.0.1"), "/b/%FF", &[]).is_err());
    assert!(resolve(Some("127.0.0.1"), "b/k", &[]).is_err());
}

#[test]
fn query_parsing() {
    let q = Query::parse("cors=&acl&prefix=a%2Fb+c&x=1").expect("parses");
    assert!(q.has("cors"));
    assert_eq!(q.get("cors"), Some(""));
    assert_eq!(q.get("acl"), Some(""));
    assert_eq!(q.get("prefix"), Some("a/b c"));
    assert_eq!(q.get("missing"), None);
    assert_eq!(q.pairs[1], ("acl".to_owned(), None));
}

#[test]
fn bucket_names() {
    for ok in ["abc", "my-bucket", "a1-2b", &"a".repeat(63)] {
        assert!(valid_bucket_name(ok), "{ok}");
    }
    for bad in ["ab", "-abc", "abc-", "ABC", "a_b", "a.b", &"a".repeat(64), ""] {
        assert!(!valid_bucket_name(bad), "{bad}");
    }
    assert!(check_key(&"k".repeat(1023)).is_ok());
    assert_eq!(check_key(&"k".repeat(1024)).map_err(|e| e.code), Err(ErrorCode::KeyTooLong));
}

#[track_caller]
fn op(method: &str, path: &str, query: &str, copy: bool) -> Operation {
    let t = resolve(Some("127.0.0.1"), path, &[]).expect("resolves");
    classify(method, &t, &Query::parse(query).expect("query"), copy)
}

#[test]
fn classification() {
    let k = || "k".to_owned();
    assert_eq!(op("GET", "/", "", false), Operation::ListBuckets);
    assert_eq!(op("PUT", "/b/", "cors=", false), Operation::PutBucketCors);
    assert_eq!(op("PUT", "/b", "cors", false), Operation::PutBucketCors);
    assert_eq!(op("GET", "/b/", "cors", false), Operation::GetBucketCors);
    assert_eq!(op("DELETE", "/b/", "cors", false), Operation::DeleteBucketCors);
    assert_eq!(op("PUT", "/b/", "referer", false), Operation::PutBucketReferer);
    assert_eq!(op("GET", "/b", "referer=", false), Operation::GetBucketReferer);
    // OSS has no DeleteBucketReferer, and no object-level referer.
    assert_eq!(op("DELETE", "/b/", "referer", false), Operation::MethodNotAllowed);
    assert_eq!(op("GET", "/b/k", "referer", false), Operation::MethodNotAllowed);
    // Symlinks are object-level, encryption bucket-level (issue 19).
    let key = || "k".to_owned();
    assert_eq!(op("PUT", "/b/k", "symlink", false), Operation::PutSymlink { key: key() });
    assert_eq!(op("GET", "/b/k", "symlink=", false), Operation::GetSymlink { key: key() });
    assert_eq!(op("DELETE", "/b/k", "symlink", false), Operation::MethodNotAllowed);
    assert_eq!(op("PUT", "/b/", "symlink", false), Operation::MethodNotAllowed);
    assert_eq!(op("PUT", "/b/", "encryption", false), Operation::PutBucketEncryption);
    assert_eq!(op("GET", "/b", "encryption", false), Operation::GetBucketEncryption);
    assert_eq!(op("DELETE", "/b", "encryption", false), Operation::DeleteBucketEncryption);
    assert_eq!(op("GET", "/b/k", "encryption", false), Operation::MethodNotAllowed);
    assert_eq!(op("PUT", "/b/", "publicAccessBlock", false), Operation::PutBucketPublicAccessBlock);
    assert_eq!(op("GET", "/b/", "publicAccessBlock", false), Operation::GetBucketPublicAccessBlock);
    assert_eq!(
        op("DELETE", "/b/", "publicAccessBlock", false),
        Operation::DeleteBucketPublicAccessBlock
    );
    // Account level and access points are not implemented.
    assert!(matches!(op("GET", "/", "publicAccessBlock", false), Operation::NotImplemented { .. }));
    assert!(matches!(
        op("GET", "/b/", "publicAccessBlock&x-oss-access-point-name=ap", false),
        Operation::NotImplemented { .. }
    ));
    assert_eq!(op("OPTIONS", "/b/", "", false), Operation::Preflight { key: None });
    assert_eq!(
        op("OPTIONS", "/b/k", "x-oss-signature=1", false),
        Operation::Preflight { key: Some(k()) }
    );
    assert_eq!(op("GET", "/b/", "list-type=2", false), Operation::ListObjectsV2);
    assert_eq!(op("GET", "/b/", "", false), Operation::ListObjects);
    assert_eq!(op("PUT", "/b/k", "", true), Operation::CopyObject { key: k() });
    assert_eq!(
        op("PUT", "/b/k", "partNumber=1&uploadId=x", false),
        Operation::UploadPart { key: k() }
    );
    assert_eq!(
        op("PUT", "/b/k", "partNumber=1&uploadId=x", true),
        Operation::UploadPartCopy { key: k() }
    );
    assert_eq!(
        op("POST", "/b/k", "append&position=0", false),
        Operation::AppendObject { key: k() }
    );
    assert_eq!(
        op("POST", "/b/k", "uploads", false),
        Operation::InitiateMultipartUpload { key: k() }
    );
    assert_eq!(op("HEAD", "/b/k", "objectMeta", false), Operation::GetObjectMeta { key: k() });
    assert_eq!(op("GET", "/b/", "lifecycle", false), Operation::GetBucketLifecycle);
    assert_eq!(op("PUT", "/b/", "lifecycle", false), Operation::PutBucketLifecycle);
    assert_eq!(op("DELETE", "/b/", "lifecycle", false), Operation::DeleteBucketLifecycle);
    assert_eq!(op("GET", "/b/k", "lifecycle", false), Operation::MethodNotAllowed);
    assert_eq!(op("PUT", "/b/", "lifecycle", false).info().access, crate::Access::Owner);
    assert_eq!(op("PUT", "/", "", false), Operation::MethodNotAllowed);
    // Tagging: bucket tags and object tags (`DELETE /b?tagging=k1,k2` names the keys to drop).
    assert_eq!(op("PUT", "/b/", "tagging", false), Operation::PutBucketTags);
    assert_eq!(op("GET", "/b/", "tagging", false), Operation::GetBucketTags);
    assert_eq!(op("DELETE", "/b/", "tagging=k1,k2", false), Operation::DeleteBucketTags);
    assert_eq!(op("PUT", "/b/k", "tagging", false), Operation::PutObjectTagging { key: k() });
    assert_eq!(op("GET", "/b/k", "tagging", false), Operation::GetObjectTagging { key: k() });
    assert_eq!(op("DELETE", "/b/k", "tagging", false), Operation::DeleteObjectTagging { key: k() });
    assert_eq!(op("POST", "/b/k", "tagging", false), Operation::MethodNotAllowed);
    // `versionId` is an argument of the operation it comes with.
    assert_eq!(
        op("GET", "/b/k", "tagging&versionId=v", false),
        Operation::GetObjectTagging { key: k() }
    );
    assert_eq!(op("DELETE", "/b/k", "versionId=v", false), Operation::DeleteObject { key: k() });
    let info = op("PUT", "/b/k", "tagging", false).info();
    assert_eq!((info.access, info.object_acl), (crate::Access::Write, true));
    let info = op("GET", "/b/k", "tagging", false).info();
    assert_eq!((info.access, info.object_acl), (crate::Access::Read, true));
    assert_eq!(op("PUT", "/b/", "tagging", false).info().access, crate::Access::Owner);
}

#[test]
fn sub_resource_tables_are_sorted_and_disjoint() {
    use crate::operation::{ARGUMENTS, NOT_IMPLEMENTED, PARTLY_IMPLEMENTED, SELECTORS};
    for t in [NOT_IMPLEMENTED, SELECTORS, ARGUMENTS, PARTLY_IMPLEMENTED] {
        assert!(t.windows(2).all(|w| w[0] < w[1]), "sorted and unique: {t:?}");
    }
    for s in SELECTORS.iter().chain(ARGUMENTS).chain(PARTLY_IMPLEMENTED) {
        assert!(NOT_IMPLEMENTED.binary_search(s).is_err(), "{s} is implemented");
    }
    for s in PARTLY_IMPLEMENTED {
        assert!(SELECTORS.binary_search(s).is_err() && ARGUMENTS.binary_search(s).is_err());
    }
    assert!(SELECTORS.iter().all(|s| ARGUMENTS.binary_search(s).is_err()));
}

/// Issue 13: a sub-resource ossd does not implement is 501 for every method and level, and a
/// known sub-resource with the wrong method is 405: neither ever runs the base operation.
#[test]
fn sub_resources_never_fall_back_to_the_base_operation() {
    use crate::operation::{NOT_IMPLEMENTED, SELECTORS};
    let methods = ["GET", "HEAD", "PUT", "POST", "DELETE"];
    for path in ["/", "/b/", "/b/k"] {
        for m in methods {
            for s in NOT_IMPLEMENTED {
                for q in [s.to_string(), format!("{s}="), format!("prefix=a&{s}=1")] {
                    assert_eq!(
                        op(m, path, &q, false),
                        Operation::NotImplemented { what: (*s).to_owned() },
                        "{m} {path}?{q}"
                    );
                }
            }
        }
    }
    for path in ["/b/", "/b/k"] {
        for m in methods {
            let base = op(m, path, "", false);
            for s in SELECTORS {
                let got = op(m, path, s, false);
                assert!(
                    got == Operation::MethodNotAllowed || got != base,
                    "{m} {path}?{s}: {got:?}"
                );
            }
        }
    }
    // Partly implemented: one use each, every other use 501.
    assert_eq!(op("GET", "/", "regions", false), Operation::DescribeRegions);
    assert_eq!(op("GET", "/b/", "live", false), Operation::ListLiveChannels);
    assert_eq!(op("GET", "/b/", "versioning", false), Operation::GetBucketVersioning);
    assert_eq!(op("PUT", "/b/", "versioning", false), Operation::PutBucketVersioning);
    assert_eq!(op("GET", "/b/", "versions&prefix=a", false), Operation::ListObjectVersions);
    for (m, path, q) in [
        ("DELETE", "/b/", "versioning"),
        ("DELETE", "/b/", "versions"),
        ("PUT", "/b/channel", "live"),
        ("GET", "/b/channel", "live"),
        ("POST", "/b/channel", "live"),
        ("GET", "/b/", "regions"),
        ("PUT", "/", "regions"),
        ("GET", "/b/k", "versions"),
    ] {
        assert_eq!(op(m, path, q, false).name(), "NotImplemented", "{m} {path}?{q}");
    }
    assert_eq!(op("DELETE", "/b/", "acl", false), Operation::MethodNotAllowed);
    assert_eq!(op("DELETE", "/b/", "logging", false).name(), "NotImplemented");
    assert_eq!(op("PUT", "/b/", "uploads", false), Operation::MethodNotAllowed);
    assert_eq!(op("POST", "/b/", "append", false), Operation::MethodNotAllowed);
    assert_eq!(op("GET", "/b/", "acl&cors", false), Operation::Ambiguous);
    assert_eq!(op("GET", "/b/", "acl&acl", false), Operation::GetBucketAcl);
}

#[test]
fn is_preflight_agrees_with_classify() {
    for method in ["OPTIONS", "GET", "PUT", "options"] {
        for path in ["/", "/b", "/b/", "/b/k", "/b/k/"] {
            for query in ["", "lifecycle", "cors"] {
                let t = resolve(Some("127.0.0.1"), path, &[]).expect("resolves");
                let op = classify(method, &t, &Query::parse(query).expect("query"), false);
                assert_eq!(
                    is_preflight(method, &t),
                    matches!(op, Operation::Preflight { .. }),
                    "{method} {path}?{query}"
                );
            }
        }
    }
    assert_eq!(op("OPTIONS", "/", "", false), Operation::MethodNotAllowed);
    assert_eq!(op("OPTIONS", "/b/", "lifecycle", false), Operation::Preflight { key: None });
}

#[test]
fn error_document() {
    let e = ApiError::no_such_bucket("nob");
    let xml = e.to_xml("5051845BC4689A033D0022BC", "nob.oss-cn-hangzhou.aliyuncs.com");
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
    ));
    assert!(xml.contains("<Message>The specified bucket does not exist.</Message>"));
    assert!(xml.contains("<BucketName>nob</BucketName><EC>0015-00000101</EC>"));
    assert_eq!(e.status(), 404);
    let e = ApiError::invalid_argument("bad", "MaxAgeSeconds", "-1<&>");
    assert!(e.to_xml("R", "H").contains("<ArgumentValue>-1&lt;&amp;&gt;</ArgumentValue>"));
}
