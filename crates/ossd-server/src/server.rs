//! The listener: accepts connections, serves HTTP/1.1 with hyper, and shuts down gracefully.

use crate::pipeline;
use crate::state::AppState;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use ossd_store::{Store, StoreOptions};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// An access key pair.
#[derive(Clone)]
pub struct AccessKey {
    /// The public id (`OSSAccessKeyId`).
    pub id: String,
    /// The secret; never logged.
    pub secret: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

/// What the server needs to run; built by the binary from flags, environment and the config file.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where metadata and object bytes live.
    pub data_dir: PathBuf,
    /// The region served, e.g. `cn-hangzhou` (V4 scopes must name it; locations are `oss-<region>`).
    pub region: String,
    /// Domains for virtual-hosted addressing (`bucket.<domain>`); `localhost` is always one.
    pub domains: Vec<String>,
    /// The root access key: owner of every bucket it creates, allowed everything.
    pub root: AccessKey,
    /// How long in-flight requests may run after SIGTERM before connections are closed.
    pub shutdown_grace: Duration,
    /// The endpoint (`host[:port]`) clients reach the server at, reported as `ExtranetEndpoint`
    /// (ListBuckets, GetBucketInfo, DescribeRegions) and used in `Location`s; `None`: the
    /// request's own Host without a bucket prefix.
    pub public_endpoint: Option<String>,
    /// The endpoint reported as `IntranetEndpoint`; `None`: the same as the public one.
    pub internal_endpoint: Option<String>,
}

/// A bound, ready server.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Server {
    /// Opens the store and binds the listener.
    pub async fn bind(addr: SocketAddr, config: ServerConfig) -> Result<Server, StartError> {
        let store = tokio::task::spawn_blocking({
            let dir = config.data_dir.clone();
            // Quick-repair off: it costs ~1.5 ms of CPU per commit (BENCHMARKS.md); the price is a
            // longer reopen after a crash (about 0.3 s with a million objects, docs/design.md).
            move || {
                Store::open_with(
                    &dir,
                    &StoreOptions { quick_repair: false, ..StoreOptions::default() },
                )
            }
        })
        .await
        .map_err(|e| StartError::Store(e.to_string()))?
        .map_err(|e| StartError::Store(e.to_string()))?;
        let listener =
            TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
        let keys = crate::keys::Keys::load(&config.data_dir)
            .map_err(|e| StartError::Store(e.to_string()))?;
        let state = Arc::new(AppState::new(store, config, keys));
        Ok(Server { listener, state })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting and waits (bounded) for in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server { listener, state } = self;
        // Sweep blobs orphaned by an earlier crash, in the background: start-up does not wait for it.
        let sweeper = state.clone();
        tokio::task::spawn_blocking(move || match sweeper.store.sweep_orphans() {
            Ok(n) if n > 0 => {
                tracing::info!(removed = n, "removed orphaned blobs from an earlier run")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
        });
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(x) => x,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    let svc = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(pipeline::handle(state, req, peer).await) }
                    });
                    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    builder.http1().max_buf_size(64 * 1024).timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(30));
                    let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        tracing::info!("shutting down: no new connections, waiting for in-flight requests");
        let grace = state.config.shutdown_grace;
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing remaining connections"),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be opened.
    #[error("opening the data directory: {0}")]
    Store(String),
    /// The listen address could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}
