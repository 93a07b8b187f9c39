//! The whole server in-process, for tests: [`InProcess`] opens a store and serves each request
//! over an in-memory HTTP/1.1 connection (no socket, no port) with the same service a real
//! connection gets, so a request goes through the router and the whole OSS pipeline (address,
//! classify, preflight, authenticate, authorize, handle, render, decorate) and hyper's encoder, and
//! the answer is read back as a client reads it.

use crate::pipeline;
use crate::server::{ServerConfig, StartError};
use crate::state::AppState;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use ossd_store::{Store, StoreOptions};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The peer address requests served in-process come from.
const PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 1);

/// Bytes the in-memory connection buffers in each direction.
const PIPE: usize = 256 * 1024;

/// A server without a listener: the store, the keys and the configuration of a real one.
pub struct InProcess {
    state: Arc<AppState>,
}

impl InProcess {
    /// Opens (or creates) the store and the key file in `config.data_dir`, as [`crate::Server::bind`]
    /// does (quick-repair off), without binding anything.
    pub fn open(config: ServerConfig) -> Result<InProcess, StartError> {
        let options = StoreOptions { quick_repair: false, ..StoreOptions::default() };
        let store = Store::open_with(&config.data_dir, &options)
            .map_err(|e| StartError::Store(e.to_string()))?;
        let keys = crate::keys::Keys::load(&config.data_dir)
            .map_err(|e| StartError::Store(e.to_string()))?;
        Ok(InProcess { state: Arc::new(AppState::new(store, config, keys)) })
    }

    /// Sends `req` over a fresh in-memory connection and returns the answer with its body read.
    /// Run it on a multi-threaded Tokio runtime (handlers use `block_in_place`). The request is
    /// sent as given: set `Host` (HTTP/1.1 requires it) and any other header yourself; hyper adds
    /// `Content-Length` from a body that is not empty when it is missing.
    pub async fn send(&self, req: Request<Bytes>) -> Result<Response<Bytes>, hyper::Error> {
        let (client_io, server_io) = tokio::io::duplex(PIPE);
        let state = self.state.clone();
        let svc = service_fn(move |req| {
            let state = state.clone();
            async move { Ok::<_, std::convert::Infallible>(pipeline::handle(state, req, PEER).await) }
        });
        let server = http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(server_io), svc);
        tokio::spawn(async move {
            // Ends when the client side is dropped (or closed by a `Connection: close` answer).
            let _ = server.await;
        });
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(client_io)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let resp = sender.send_request(req.map(Full::new)).await?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Response::from_parts(parts, body))
    }
}
