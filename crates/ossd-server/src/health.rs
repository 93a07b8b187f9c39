//! `GET /-/readyz`: whether the store can take writes now (`/-/healthz` only says the process
//! answers). 200 `{"ready":true}`, or 503 `{"ready":false,"reason":"..."}` while the disk is full
//! or the metadata database could not be reopened after an I/O failure.

use crate::body::Body;
use crate::state::{AppState, blocking};
use http::{Response, StatusCode, header};

/// The readiness answer; probes the disk again if it was found full.
pub fn readiness(state: &AppState) -> Response<Body> {
    let (status, doc) = match blocking(|| state.store.writable()) {
        Ok(()) => (StatusCode::OK, serde_json::json!({ "ready": true })),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "ready": false, "reason": e.to_string() }),
        ),
    };
    let mut r = Response::new(Body::full(doc.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    r
}
