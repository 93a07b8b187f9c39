//! The metrics listener (`--metrics-listen`): `/-/metrics`, `/-/healthz` and `/-/readyz` without
//! credentials, for Prometheus and orchestrator probes on an address that only they reach. It
//! serves at most [`MAX_CONNECTIONS`] connections at once (more are closed at once) under the
//! main listener's idle timeout, and stops with the process.

use crate::body::Body;
use crate::render;
use crate::state::AppState;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once on the metrics listener.
const MAX_CONNECTIONS: usize = 16;

/// Accepts and serves until the process ends.
pub(crate) async fn serve(listener: TcpListener, state: Arc<AppState>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors: wait for connections to close instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else { continue };
        let svc_state = state.clone();
        let svc = service_fn(move |req: Request<Incoming>| {
            let state = svc_state.clone();
            async move {
                let (parts, _body) = req.into_parts();
                Ok::<_, std::convert::Infallible>(answer(&state, &parts))
            }
        });
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(state.config.limits.idle_timeout);
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        tokio::spawn(async move {
            let _slot = slot;
            let _ = conn.await;
        });
    }
}

/// One request of the metrics listener.
fn answer(state: &AppState, parts: &http::request::Parts) -> Response<Body> {
    let result = match parts.uri.path() {
        "/-/metrics" => super::respond(state, parts, true),
        "/-/healthz" => Ok(render::empty(StatusCode::OK)),
        "/-/readyz" => Ok(crate::health::readiness(state)),
        _ => Err(ossd_proto::ApiError::msg(
            ossd_proto::ErrorCode::NoSuchKey,
            "The metrics listener serves /-/metrics, /-/healthz and /-/readyz only.",
        )),
    };
    result.unwrap_or_else(|e| render::error(&e, "", "", false))
}
