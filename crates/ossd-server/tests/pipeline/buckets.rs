//! Bucket create, list and delete, signed with V1 and with V4.

use crate::{Auth, Harness, code, text};
use http::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn create_list_and_delete_a_bucket() {
    let h = Harness::new();
    for (auth, b) in [(Auth::V1, "bucket-v1"), (Auth::V4, "bucket-v4")] {
        let r = h.call(auth, "PUT", Some(b), None).send().await;
        assert_eq!(r.status(), StatusCode::OK, "{auth:?} {}", text(&r));
        let listed = h.call(auth, "GET", None, None).send().await;
        assert_eq!(listed.status(), StatusCode::OK);
        assert!(text(&listed).contains(&format!("<Name>{b}</Name>")), "{}", text(&listed));
        let objects = h.call(auth, "GET", Some(b), None).send().await;
        assert_eq!(objects.status(), StatusCode::OK);
        assert!(text(&objects).contains("<ListBucketResult>"), "{}", text(&objects));
        let r = h.call(auth, "DELETE", Some(b), None).send().await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
        let listed = h.call(auth, "GET", None, None).send().await;
        assert!(!text(&listed).contains(&format!("<Name>{b}</Name>")));
        let gone = h.call(auth, "GET", Some(b), None).send().await;
        assert_eq!((gone.status(), code(&gone)), (StatusCode::NOT_FOUND, "NoSuchBucket".into()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_with_objects_is_not_deleted() {
    let h = Harness::new();
    h.bucket("full").await;
    h.put("full", "k", b"x").await;
    let r = h.call(Auth::V1, "DELETE", Some("full"), None).send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::CONFLICT, "BucketNotEmpty".into()));
    let r = h.call(Auth::V4, "GET", Some("full"), None).send().await;
    assert!(text(&r).contains("<Key>k</Key>"), "{}", text(&r));
}
