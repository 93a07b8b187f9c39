//! What the pipeline refuses before or instead of a handler: ACL denials, bad signatures and
//! sub-resources ossd does not implement.

use crate::{Auth, Harness, code, text};
use http::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_requests_get_what_the_acl_grants() {
    let h = Harness::new();
    h.bucket("bkt").await;
    h.put("bkt", "k", b"secret").await;
    let r = h.call(Auth::Anonymous, "GET", Some("bkt"), Some("k")).send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    let r = h.call(Auth::Anonymous, "PUT", Some("bkt"), Some("new")).body(&b"x"[..]).send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    let r = h.call(Auth::Anonymous, "GET", Some("bkt"), None).send().await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // public-read opens reads, not writes.
    let r = h
        .call(Auth::V1, "PUT", Some("bkt"), None)
        .query("acl", None)
        .header("x-oss-acl", "public-read")
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let r = h.call(Auth::Anonymous, "GET", Some("bkt"), Some("k")).send().await;
    assert_eq!((r.status(), r.body().as_ref()), (StatusCode::OK, &b"secret"[..]));
    let r = h.call(Auth::Anonymous, "PUT", Some("bkt"), Some("new")).body(&b"x"[..]).send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    let r = h.call(Auth::V4, "GET", Some("bkt"), Some("new")).send().await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "the refused write stored nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_signature_is_refused() {
    let h = Harness::new();
    h.bucket("bkt").await;
    for auth in [Auth::V1, Auth::V4] {
        // The signed request is changed after signing: the Content-Type is part of what is signed.
        let mut call =
            h.call(auth, "PUT", Some("bkt"), Some("k")).header("content-type", "text/plain");
        call.tamper_after_signing = Some(("content-type", "text/html"));
        let r = call.body(&b"x"[..]).send().await;
        assert_eq!(
            (r.status(), code(&r)),
            (StatusCode::FORBIDDEN, "SignatureDoesNotMatch".into()),
            "{auth:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_sub_resources_are_501_and_do_nothing() {
    let h = Harness::new();
    h.bucket("bkt").await;
    for (method, key, sub) in [
        ("GET", None, "inventory"),
        ("PUT", Some("k"), "logging"),
        ("DELETE", Some("k"), "restore"),
    ] {
        let r = h
            .call(Auth::V4, method, Some("bkt"), key)
            .query(sub, None)
            .body(&b"<x/>"[..])
            .send()
            .await;
        assert_eq!(
            (r.status(), code(&r)),
            (StatusCode::NOT_IMPLEMENTED, "NotImplemented".into()),
            "{method} ?{sub}"
        );
    }
    let r = h.call(Auth::V1, "GET", Some("bkt"), Some("k")).send().await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "PUT ?logging did not run PutObject");
}
