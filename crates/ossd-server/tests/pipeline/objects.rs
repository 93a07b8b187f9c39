//! Objects: put, get, head and delete, conditions and ranges.

use crate::{Auth, Harness, code, header, text};
use http::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn put_get_head_and_delete_an_object() {
    let h = Harness::new();
    h.bucket("bkt").await;
    for auth in [Auth::V1, Auth::V4] {
        let key = format!("dir/{auth:?} key+ü.txt");
        let r = h
            .call(auth, "PUT", Some("bkt"), Some(&key))
            .header("content-type", "text/plain")
            .header("x-oss-meta-color", "blue")
            .body(&b"hello world"[..])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
        let etag = header(&r, "etag").unwrap().to_owned();
        assert!(header(&r, "x-oss-hash-crc64ecma").is_some());
        let got = h.call(auth, "GET", Some("bkt"), Some(&key)).send().await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.body().as_ref(), b"hello world");
        assert_eq!(header(&got, "etag"), Some(etag.as_str()));
        assert_eq!(header(&got, "content-type"), Some("text/plain"));
        assert_eq!(header(&got, "x-oss-meta-color"), Some("blue"));
        assert_eq!(header(&got, "content-length"), Some("11"));
        assert!(header(&got, "x-oss-request-id").is_some_and(|id| id.len() == 24));
        let head = h.call(auth, "HEAD", Some("bkt"), Some(&key)).send().await;
        assert_eq!(head.status(), StatusCode::OK);
        assert!(head.body().is_empty());
        assert_eq!(header(&head, "content-length"), Some("11"));
        let r = h.call(auth, "DELETE", Some("bkt"), Some(&key)).send().await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let gone = h.call(auth, "GET", Some("bkt"), Some(&key)).send().await;
        assert_eq!((gone.status(), code(&gone)), (StatusCode::NOT_FOUND, "NoSuchKey".into()));
        // A HEAD error carries its document in `x-oss-err`, with no body.
        let gone = h.call(auth, "HEAD", Some("bkt"), Some(&key)).send().await;
        assert_eq!((gone.status(), code(&gone)), (StatusCode::NOT_FOUND, "NoSuchKey".into()));
        assert!(gone.body().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_reads_and_writes() {
    let h = Harness::new();
    h.bucket("bkt").await;
    let etag = h.put("bkt", "k", b"hello world").await;
    let get = |name: &'static str, value: String| {
        let h = &h;
        async move { h.call(Auth::V1, "GET", Some("bkt"), Some("k")).header(name, &value).send().await }
    };
    assert_eq!(get("if-match", etag.clone()).await.status(), StatusCode::OK);
    let r = get("if-match", "\"0123\"".into()).await;
    assert_eq!(
        (r.status(), code(&r)),
        (StatusCode::PRECONDITION_FAILED, "PreconditionFailed".into())
    );
    assert!(text(&r).contains("<Condition>If-Match</Condition>"), "{}", text(&r));
    let r = get("if-none-match", etag.clone()).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.body().is_empty());
    let r = get("if-modified-since", "Fri, 01 Jan 9999 00:00:00 GMT".into()).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = get("if-unmodified-since", "Mon, 01 Jan 1990 00:00:00 GMT".into()).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    // x-oss-forbid-overwrite: an existing key is not replaced.
    let r = h
        .call(Auth::V4, "PUT", Some("bkt"), Some("k"))
        .header("x-oss-forbid-overwrite", "true")
        .body(&b"other"[..])
        .send()
        .await;
    assert_eq!((r.status(), code(&r)), (StatusCode::CONFLICT, "FileAlreadyExists".into()));
    let r = h.call(Auth::V1, "GET", Some("bkt"), Some("k")).send().await;
    assert_eq!(r.body().as_ref(), b"hello world");
}

#[tokio::test(flavor = "multi_thread")]
async fn ranged_reads() {
    let h = Harness::new();
    h.bucket("bkt").await;
    h.put("bkt", "k", b"hello world").await;
    for (range, body, content_range) in [
        ("bytes=0-4", &b"hello"[..], "bytes 0-4/11"),
        ("bytes=6-", b"world", "bytes 6-10/11"),
        ("bytes=-5", b"world", "bytes 6-10/11"),
    ] {
        let r = h.call(Auth::V4, "GET", Some("bkt"), Some("k")).header("range", range).send().await;
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(r.body().as_ref(), body, "{range}");
        assert_eq!(header(&r, "content-range"), Some(content_range), "{range}");
    }
    // Beyond the end: the whole object, as OSS answers, unless the standard behaviour is asked.
    let r =
        h.call(Auth::V1, "GET", Some("bkt"), Some("k")).header("range", "bytes=20-30").send().await;
    assert_eq!((r.status(), r.body().as_ref()), (StatusCode::OK, &b"hello world"[..]));
    let r = h
        .call(Auth::V1, "GET", Some("bkt"), Some("k"))
        .header("range", "bytes=20-30")
        .header("x-oss-range-behavior", "standard")
        .send()
        .await;
    assert_eq!((r.status(), code(&r)), (StatusCode::RANGE_NOT_SATISFIABLE, "InvalidRange".into()));
    assert_eq!(header(&r, "content-range"), Some("bytes */11"));
}
