//! Bucket policies beside CORS through the whole pipeline: hotlink protection (PutBucketReferer,
//! GetBucketReferer) and Block Public Access, signed V1 and V4 and anonymous.

use crate::{Auth, Harness, code, text};
use http::StatusCode;

const REFERER: &str = "<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer>\
    <RefererList><Referer>https://*.a.com</Referer></RefererList></RefererConfiguration>";

#[tokio::test(flavor = "multi_thread")]
async fn referer_configuration_and_its_enforcement() {
    let h = Harness::new();
    h.bucket("bkt").await;
    h.put("bkt", "k", b"data").await;
    let r = h
        .call(Auth::V1, "PUT", Some("bkt"), None)
        .query("acl", None)
        .header("x-oss-acl", "public-read")
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let r = h
        .call(Auth::V4, "PUT", Some("bkt"), None)
        .query("referer", None)
        .body(REFERER.as_bytes())
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let r = h.call(Auth::V1, "GET", Some("bkt"), None).query("referer", None).send().await;
    assert!(text(&r).contains("<Referer>https://*.a.com</Referer>"), "{}", text(&r));
    // Anonymous: the page's referer decides; header-signed requests are not affected.
    let r = h
        .call(Auth::Anonymous, "GET", Some("bkt"), Some("k"))
        .header("referer", "https://www.a.com/p")
        .send()
        .await;
    assert_eq!((r.status(), r.body().as_ref()), (StatusCode::OK, &b"data"[..]));
    let r = h
        .call(Auth::Anonymous, "GET", Some("bkt"), Some("k"))
        .header("referer", "https://b.com/")
        .send()
        .await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    assert_eq!(r.headers().get("x-oss-ec").map(|v| v.as_bytes()), Some(&b"0003-00000503"[..]));
    let r = h.call(Auth::Anonymous, "GET", Some("bkt"), Some("k")).send().await;
    assert_eq!(r.headers().get("x-oss-ec").map(|v| v.as_bytes()), Some(&b"0003-00000501"[..]));
    for auth in [Auth::V1, Auth::V4] {
        let r = h
            .call(auth, "GET", Some("bkt"), Some("k"))
            .header("referer", "https://b.com/")
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{auth:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn block_public_access_ignores_and_refuses_public_acls() {
    let h = Harness::new();
    h.bucket("bkt").await;
    h.put("bkt", "k", b"data").await;
    let acl = |v: &'static str| {
        h.call(Auth::V1, "PUT", Some("bkt"), None).query("acl", None).header("x-oss-acl", v)
    };
    assert_eq!(acl("public-read").send().await.status(), StatusCode::OK);
    assert_eq!(
        h.call(Auth::Anonymous, "GET", Some("bkt"), Some("k")).send().await.status(),
        StatusCode::OK
    );
    let on = b"<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>";
    let r = h
        .call(Auth::V4, "PUT", Some("bkt"), None)
        .query("publicAccessBlock", None)
        .body(&on[..])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let r = h.call(Auth::Anonymous, "GET", Some("bkt"), Some("k")).send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    let r = acl("public-read-write").send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    assert_eq!(acl("private").send().await.status(), StatusCode::OK);
    let r =
        h.call(Auth::V1, "DELETE", Some("bkt"), None).query("publicAccessBlock", None).send().await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(acl("public-read").send().await.status(), StatusCode::OK);
    assert_eq!(
        h.call(Auth::Anonymous, "GET", Some("bkt"), Some("k")).send().await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn symlinks_are_followed_by_get_and_head_signed_v1_and_v4() {
    let h = Harness::new();
    h.bucket("bkt").await;
    h.put("bkt", "target", b"target bytes").await;
    for (auth, link) in [(Auth::V1, "l1"), (Auth::V4, "l4")] {
        let r = h
            .call(auth, "PUT", Some("bkt"), Some(link))
            .query("symlink", None)
            .header("x-oss-symlink-target", "target")
            .header("x-oss-meta-m", "from-link")
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{auth:?} {}", text(&r));
        let r = h.call(auth, "GET", Some("bkt"), Some(link)).query("symlink", None).send().await;
        let target = r.headers().get("x-oss-symlink-target").map(|v| v.as_bytes());
        assert_eq!((r.status(), target), (StatusCode::OK, Some(&b"target"[..])), "{auth:?}");
        let r = h.call(auth, "GET", Some("bkt"), Some(link)).send().await;
        assert_eq!((r.status(), r.body().as_ref()), (StatusCode::OK, &b"target bytes"[..]));
        assert_eq!(r.headers()["x-oss-meta-m"], "from-link");
        let r = h.call(auth, "HEAD", Some("bkt"), Some(link)).send().await;
        assert_eq!(r.headers()["content-length"], "12", "{auth:?}");
    }
    let r =
        h.call(Auth::V1, "GET", Some("bkt"), Some("target")).query("symlink", None).send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::BAD_REQUEST, "NotSymlink".into()));
    assert_eq!(r.headers().get("x-oss-ec").map(|v| v.as_bytes()), Some(&b"0043-00000101"[..]));
}
