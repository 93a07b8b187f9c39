//! The server's own surfaces under `/-/`, through the router, on its own host only.

use crate::{Auth, Harness, code, text};
use http::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn health_and_readiness_through_the_router() {
    let h = Harness::new();
    let r = h.call(Auth::Anonymous, "GET", None, None).raw_path("/-/healthz").send().await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = h.call(Auth::Anonymous, "GET", None, None).raw_path("/-/readyz").send().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(text(&r), r#"{"ready":true}"#);
    let r = h.call(Auth::Anonymous, "GET", None, None).raw_path("/-/nothing").send().await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_virtual_hosted_bucket_never_reaches_the_surfaces() {
    let h = Harness::new();
    h.bucket("bkt").await;
    // `/-/healthz` on `bkt.localhost` is the key `-/healthz` of bucket `bkt`.
    let r = h.call(Auth::V1, "GET", Some("bkt"), Some("-/healthz")).virtual_hosted().send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::NOT_FOUND, "NoSuchKey".into()));
    let r =
        h.call(Auth::Anonymous, "GET", Some("bkt"), Some("-/readyz")).virtual_hosted().send().await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
    h.put("bkt", "-/healthz", b"an object").await;
    let r = h.call(Auth::V4, "GET", Some("bkt"), Some("-/healthz")).virtual_hosted().send().await;
    assert_eq!((r.status(), r.body().as_ref()), (StatusCode::OK, &b"an object"[..]));
}
