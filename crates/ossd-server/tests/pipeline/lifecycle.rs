//! Lifecycle configuration through the whole pipeline, signed V1 and V4.

use crate::{Auth, Harness, code, text};
use http::StatusCode;

const RULES: &str = "<LifecycleConfiguration><Rule><ID>r</ID><Prefix>logs/</Prefix>\
                     <Status>Enabled</Status><Expiration><Days>7</Days></Expiration>\
                     </Rule></LifecycleConfiguration>";

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_configuration_through_the_pipeline() {
    let h = Harness::new();
    h.bucket("bkt").await;
    for auth in [Auth::V1, Auth::V4] {
        let r = h.call(auth, "GET", Some("bkt"), None).query("lifecycle", None).send().await;
        assert_eq!((r.status(), code(&r)), (StatusCode::NOT_FOUND, "NoSuchLifecycle".into()));
        let r = h
            .call(auth, "PUT", Some("bkt"), None)
            .query("lifecycle", None)
            .body(RULES)
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
        let r = h.call(auth, "GET", Some("bkt"), None).query("lifecycle", None).send().await;
        assert!(
            text(&r).ends_with(
                "<LifecycleConfiguration><Rule><ID>r</ID><Prefix>logs/</Prefix><Status>Enabled</Status>\
                 <Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>"
            ),
            "{}",
            text(&r)
        );
        let bad = RULES.replace("<Days>7</Days>", "<Days>0</Days>");
        let r =
            h.call(auth, "PUT", Some("bkt"), None).query("lifecycle", None).body(bad).send().await;
        assert_eq!((r.status(), code(&r)), (StatusCode::BAD_REQUEST, "InvalidArgument".into()));
        assert!(text(&r).contains("<EC>0014-00000086</EC>"), "{}", text(&r));
        let r = h.call(auth, "DELETE", Some("bkt"), None).query("lifecycle", None).send().await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let r = h
        .call(Auth::Anonymous, "PUT", Some("bkt"), None)
        .query("lifecycle", None)
        .body(RULES)
        .send()
        .await;
    assert_eq!((r.status(), code(&r)), (StatusCode::FORBIDDEN, "AccessDenied".into()));
}
