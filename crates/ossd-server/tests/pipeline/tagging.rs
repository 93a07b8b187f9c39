//! Object and bucket tagging through the whole pipeline, signed V1 and V4.

use crate::{Auth, Harness, code, header, text};
use http::StatusCode;

const TAGS: &str = "<Tagging><TagSet><Tag><Key>a b</Key><Value>1</Value></Tag>\
                    <Tag><Key>c</Key><Value></Value></Tag></TagSet></Tagging>";

#[tokio::test(flavor = "multi_thread")]
async fn object_tags_through_the_pipeline() {
    let h = Harness::new();
    h.bucket("bkt").await;
    for auth in [Auth::V1, Auth::V4] {
        let etag = h.put("bkt", "k", b"bytes").await;
        let r = h
            .call(auth, "PUT", Some("bkt"), Some("k"))
            .query("tagging", None)
            .body(TAGS)
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
        let r = h.call(auth, "GET", Some("bkt"), Some("k")).query("tagging", None).send().await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(text(&r).ends_with(&format!("\n{TAGS}")), "{}", text(&r));
        let got = h.call(auth, "HEAD", Some("bkt"), Some("k")).send().await;
        assert_eq!(header(&got, "x-oss-tagging-count"), Some("2"));
        assert_eq!(header(&got, "etag"), Some(etag.as_str()));
        let r = h.call(auth, "DELETE", Some("bkt"), Some("k")).query("tagging", None).send().await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let got = h.call(auth, "GET", Some("bkt"), Some("k")).send().await;
        assert_eq!(got.body().as_ref(), b"bytes");
        assert_eq!(header(&got, "x-oss-tagging-count"), None);
        // The header on PutObject; an invalid one refuses the write.
        let r = h
            .call(auth, "PUT", Some("bkt"), Some("h"))
            .header("x-oss-tagging", "x=1&y=2&z")
            .body(&b"h"[..])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
        let got = h.call(auth, "GET", Some("bkt"), Some("h")).send().await;
        assert_eq!(header(&got, "x-oss-tagging-count"), Some("3"));
        let r = h
            .call(auth, "PUT", Some("bkt"), Some("bad"))
            .header("x-oss-tagging", "a=b=c")
            .body(&b"h"[..])
            .send()
            .await;
        assert_eq!((r.status(), code(&r)), (StatusCode::BAD_REQUEST, "InvalidArgument".into()));
        assert!(text(&r).contains("<EC>0010-00000219</EC>"), "{}", text(&r));
        let r = h.call(auth, "GET", Some("bkt"), Some("bad")).send().await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    // Anonymous: refused on a private bucket, before the object is looked at.
    let r =
        h.call(Auth::Anonymous, "GET", Some("bkt"), Some("k")).query("tagging", None).send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_tags_through_the_pipeline() {
    let h = Harness::new();
    h.bucket("bkt").await;
    for auth in [Auth::V1, Auth::V4] {
        let r =
            h.call(auth, "PUT", Some("bkt"), None).query("tagging", None).body(TAGS).send().await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
        let r = h.call(auth, "DELETE", Some("bkt"), None).query("tagging", Some("c")).send().await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let r = h.call(auth, "GET", Some("bkt"), None).query("tagging", None).send().await;
        assert!(
            text(&r).ends_with(
                "<Tagging><TagSet><Tag><Key>a b</Key><Value>1</Value></Tag></TagSet></Tagging>"
            ),
            "{}",
            text(&r)
        );
        let r = h.call(auth, "DELETE", Some("bkt"), None).query("tagging", None).send().await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let r = h.call(auth, "GET", Some("bkt"), None).query("tagging", None).send().await;
        assert!(text(&r).ends_with("<Tagging><TagSet></TagSet></Tagging>"), "{}", text(&r));
    }
    let r = h
        .call(Auth::Anonymous, "PUT", Some("bkt"), None)
        .query("tagging", None)
        .body(TAGS)
        .send()
        .await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
}
