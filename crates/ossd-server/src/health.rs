//! `GET /-/readyz`: whether this server should get traffic now (`/-/healthz` only says the process
//! answers). 200 `{"ready":true}`, or 503 `{"ready":false,"reason":"..."}` while the server is
//! shutting down (the stop signal came), the disk is full or the metadata database could not be
//! reopened after an I/O failure, or the data directory's file system has less free space than
//! `ready_min_free_bytes`.

use crate::body::Body;
use crate::state::{AppState, blocking};
use http::{Response, StatusCode, header};
use std::sync::atomic::Ordering;

/// Why the server is not ready, if it is not.
fn not_ready(state: &AppState) -> Option<String> {
    if state.draining.load(Ordering::Acquire) {
        return Some("shutting down".to_owned());
    }
    // Probes the disk again if it was found full.
    if let Err(e) = blocking(|| state.store.writable()) {
        return Some(e.to_string());
    }
    let min = state.config.ready_min_free_bytes;
    if min > 0
        && let Some(free) = crate::metrics::free_disk_bytes(&state.config.data_dir)
        && free < min
    {
        return Some(format!("free disk space {free} bytes is below the minimum of {min} bytes"));
    }
    None
}

/// The readiness answer.
pub fn readiness(state: &AppState) -> Response<Body> {
    let (status, doc) = match not_ready(state) {
        None => (StatusCode::OK, serde_json::json!({ "ready": true })),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "ready": false, "reason": reason }),
        ),
    };
    let mut r = Response::new(Body::full(doc.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    r
}
