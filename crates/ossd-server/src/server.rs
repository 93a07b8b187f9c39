//! The listeners: the main one (HTTPS when a certificate is configured, else plain HTTP), a
//! plain HTTP one beside HTTPS if asked, and the metrics listener. Accepts connections up to one
//! cap over all of them, backs off when accepting fails, reloads the certificate on SIGHUP, and
//! shuts down gracefully (`connection` serves each connection).

use crate::limits::ConnLimits;
use crate::log_limit::LogLimit;
use crate::pipeline;
use crate::state::AppState;
use crate::tls::{Tls, TlsFiles};
use ossd_store::{Store, StoreOptions};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

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
    /// Metadata in this PostgreSQL database instead of `data_dir/meta.redb` (`--meta`).
    pub meta: Option<ossd_store::PgConfig>,
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
    /// Connection timeouts and the connection cap.
    pub limits: ConnLimits,
    /// The pause between two passes of the lifecycle worker.
    pub lifecycle_interval: Duration,
    /// The master key file of encryption at rest; `None`: `master-key.json` in the data directory.
    pub master_key_file: Option<PathBuf>,
    /// The web console's session and sign-in limits.
    pub console: crate::console::session::ConsoleConfig,
    /// HTTPS on the main listener with this certificate and key; `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
    /// A plain HTTP listener beside the HTTPS one (only with `tls`).
    pub http_listen: Option<SocketAddr>,
    /// A second listener serving `/-/metrics`, `/-/healthz` and `/-/readyz` without credentials.
    pub metrics_listen: Option<SocketAddr>,
    /// `/-/readyz` answers 503 while the data directory's file system has fewer free bytes (0: off).
    pub ready_min_free_bytes: u64,
    /// After SIGTERM, how long the server goes on accepting (with `/-/readyz` at 503, so that load
    /// balancers take it out) before it stops accepting and drains.
    pub drain_delay: Duration,
    /// Object bytes in an OpenDAL service (`--blobs`) instead of the data directory's files.
    pub blobs: Option<BlobsConfig>,
}

/// Blobs in an OpenDAL service, shared by every node that names it.
#[derive(Clone, Debug)]
pub struct BlobsConfig {
    /// The service, bucket and prefix, with the credentials (`Debug` redacts the secret).
    pub location: ossd_store::BlobLocation,
    /// How long an unreferenced blob is kept before deletion (longer than any read or upload).
    pub grace: Duration,
}

/// A bound, ready server.
pub struct Server {
    /// The main listener (HTTPS when TLS is configured) and, beside it, the plain HTTP one.
    listeners: Vec<(TcpListener, bool)>,
    metrics_listener: Option<TcpListener>,
    tls: Option<Arc<Tls>>,
    state: Arc<AppState>,
}

/// Opens the store that a server with these settings serves: metadata in `data_dir` (redb) or
/// in the `meta` PostgreSQL database, blobs in `data_dir` too or in the `blobs` service (also
/// what `ossd migrate` writes into).
pub fn open_store(
    data_dir: &std::path::Path,
    master_key_file: Option<PathBuf>,
    blobs: Option<&BlobsConfig>,
    meta: Option<&ossd_store::PgConfig>,
    quick_repair: bool,
) -> Result<Store, String> {
    let opts = StoreOptions {
        quick_repair,
        master_key_file,
        blob_grace: blobs.map(|b| b.grace),
        ..StoreOptions::default()
    };
    match (blobs, meta) {
        (None, None) => Store::open_with(data_dir, &opts).map_err(|e| e.to_string()),
        (None, Some(pg)) => Store::open_postgres(data_dir, pg, &opts).map_err(|e| e.to_string()),
        (Some(b), meta) => crate::blob_gc::open_shared(data_dir, b, meta, &opts),
    }
}

/// Binds `addr`.
async fn bind_one(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
}

impl Server {
    /// Opens the store, loads the TLS certificate if configured, and binds the listeners.
    pub async fn bind(addr: SocketAddr, config: ServerConfig) -> Result<Server, StartError> {
        let tls = match &config.tls {
            Some(files) => Some(Arc::new(Tls::new(files.clone()).map_err(StartError::Tls)?)),
            None => None,
        };
        let store = tokio::task::spawn_blocking({
            let dir = config.data_dir.clone();
            let master_key_file = config.master_key_file.clone();
            let blobs = config.blobs.clone();
            let meta = config.meta.clone();
            // Quick-repair off: it costs ~1.5 ms of CPU per commit (BENCHMARKS.md); the price is a
            // longer reopen after a crash (about 0.3 s with a million objects, docs/design.md).
            move || open_store(&dir, master_key_file, blobs.as_ref(), meta.as_ref(), false)
        })
        .await
        .map_err(|e| StartError::Store(e.to_string()))?
        .map_err(StartError::Store)?;
        let mut listeners = vec![(bind_one(addr).await?, tls.is_some())];
        if let Some(http) = config.http_listen {
            listeners.push((bind_one(http).await?, false));
        }
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(bind_one(addr).await?),
            None => None,
        };
        let keys = if store.is_shared() {
            // Every node's keys in the shared metadata (`keys.rs`).
            let (store, dir) = (store.clone(), config.data_dir.clone());
            tokio::task::spawn_blocking(move || crate::keys::Keys::load_shared(store, &dir))
                .await
                .map_err(|e| StartError::Store(e.to_string()))?
        } else {
            crate::keys::Keys::load(&config.data_dir)
        }
        .map_err(|e| StartError::Store(e.to_string()))?;
        let state = Arc::new(AppState::new(store, config, keys));
        // Drop what other nodes change (`cluster.rs`); nothing to follow without shared metadata.
        crate::cluster::follow(&state).map_err(StartError::Store)?;
        Ok(Server { listeners, metrics_listener, tls, state })
    }

    /// The main listener's address (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listeners
            .first()
            .map_or_else(|| Err(std::io::Error::other("no listener")), |(l, _)| l.local_addr())
    }

    /// The plain HTTP listener's address beside an HTTPS main listener, if configured.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.listeners.get(1).and_then(|(l, _)| l.local_addr().ok())
    }

    /// The metrics listener's address, if one is configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` resolves, then stops accepting and waits (bounded) for in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server { listeners, metrics_listener, tls, state } = self;
        // Sweep blobs orphaned by an earlier crash, in the background: start-up does not wait for it.
        // Not when other nodes share the metadata: a blob another node has just written and not
        // yet committed looks like an orphan from here (docs/design.md, section 10).
        let sweeper = state.clone();
        if sweeper.store.blob_grace().is_some() {
            // Shared blobs: collected again and again, each a grace period after it was let go.
            crate::blob_gc::spawn(sweeper);
        } else if state.store.is_shared() {
            tracing::info!("metadata shared with other nodes: no orphan sweep at start");
        } else {
            tokio::task::spawn_blocking(move || match sweeper.store.sweep_orphans() {
                Ok(n) if n > 0 => {
                    tracing::info!(removed = n, "removed orphaned blobs from an earlier run")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
            });
        }
        crate::lifecycle::spawn(state.clone());
        let limits = state.config.limits;
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let ctx = Arc::new(Accepting {
            state: state.clone(),
            slots: Arc::new(Semaphore::new(limits.max_connections)),
            refusals: Arc::new(Semaphore::new(MAX_REFUSING)),
            tls: tls.clone(),
            stop,
        });
        if let Some(l) = metrics_listener {
            tokio::spawn(crate::metrics::serve(l, state.clone()));
        }
        // Registered before the first connection is accepted, so no SIGHUP finds the default
        // action (ending the process) once the server answers.
        #[cfg(unix)]
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(hup) => {
                tokio::spawn(reload_on_sighup(hup, tls));
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; the certificate is not reloaded")
            }
        }
        let mut loops = tokio::task::JoinSet::new();
        for (listener, tls) in listeners {
            loops.spawn(accept_loop(listener, tls, ctx.clone()));
        }
        shutdown.await;
        // After the stop signal: not ready any more, still accepting for the drain delay.
        state.draining.store(true, std::sync::atomic::Ordering::Release);
        let delay = state.config.drain_delay;
        if !delay.is_zero() {
            tracing::info!(
                drain_delay_s = delay.as_secs(),
                "stop signal: /-/readyz answers 503; accepting until the drain delay is over"
            );
            tokio::time::sleep(delay).await;
        }
        let _ = stop_tx.send(true);
        while loops.join_next().await.is_some() {}
        tracing::info!("shutting down: no new connections, waiting for in-flight requests");
        let grace = state.config.shutdown_grace;
        // Every connection shuts down gracefully on `stop` by itself (`connection::drive`); all
        // are done when every connection slot is back.
        let max = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
        tokio::select! {
            _ = ctx.slots.acquire_many(max) => tracing::info!("all connections closed"),
            () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing remaining connections"),
        }
        // With shared metadata: the other nodes stop waiting for this one to apply their changes.
        let st = Arc::clone(&state);
        match tokio::task::spawn_blocking(move || st.store.leave_cluster()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "leaving the shared metadata's node list failed")
            }
            Err(e) => {
                tracing::warn!(error = %e, "leaving the shared metadata's node list panicked")
            }
        }
    }
}

/// Reloads the TLS certificate on every SIGHUP, for the handshakes that follow. Without TLS the
/// signal is only logged (its default action would end the process, and `systemctl reload`
/// sends it).
#[cfg(unix)]
async fn reload_on_sighup(mut hup: tokio::signal::unix::Signal, tls: Option<Arc<Tls>>) {
    while hup.recv().await.is_some() {
        let Some(tls) = &tls else {
            tracing::info!("SIGHUP: no TLS certificate configured, nothing to reload");
            continue;
        };
        match tls.reload() {
            Ok(()) => tracing::info!("SIGHUP: reloaded the TLS certificate for new connections"),
            Err(e) => {
                tracing::error!(error = %e, "SIGHUP: the TLS certificate did not load; keeping the old one")
            }
        }
    }
}

/// What the accept loops share.
pub(crate) struct Accepting {
    pub(crate) state: Arc<AppState>,
    /// One permit per connection served (the connection cap), over every listener.
    pub(crate) slots: Arc<Semaphore>,
    refusals: Arc<Semaphore>,
    pub(crate) tls: Option<Arc<Tls>>,
    /// Becomes true when the server stops accepting.
    pub(crate) stop: tokio::sync::watch::Receiver<bool>,
}

/// Accepts on one listener until the stop signal, serving each connection on its own task.
async fn accept_loop(listener: TcpListener, tls: bool, ctx: Arc<Accepting>) {
    let mut stop = ctx.stop.clone();
    let mut backoff = Duration::ZERO;
    let max_connections = ctx.state.config.limits.max_connections;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors (or memory): nothing to accept with until
                // connections close, so wait longer each time instead of spinning.
                backoff = (backoff * 2).clamp(ACCEPT_BACKOFF_MIN, ACCEPT_BACKOFF_MAX);
                if let Some(left_out) = ACCEPT_FAILED.allow() {
                    tracing::warn!(
                        error = %e,
                        retry_in_ms = backoff.as_millis() as u64,
                        similar_left_out = left_out,
                        "accept failed"
                    );
                }
                tokio::select! {
                    () = tokio::time::sleep(backoff) => continue,
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        };
        backoff = Duration::ZERO;
        let _ = stream.set_nodelay(true);
        match ctx.slots.clone().try_acquire_owned() {
            Ok(slot) if tls => crate::connection::serve_tls(&ctx, stream, peer, slot),
            Ok(slot) => crate::connection::serve_plain(&ctx, stream, peer, slot),
            Err(_) => {
                ctx.state.metrics.refused();
                if let Some(left_out) = CAP_REACHED.allow() {
                    tracing::warn!(
                        max_connections,
                        similar_left_out = left_out,
                        "connection limit reached: refusing new connections (503 on plain HTTP, closed on TLS)"
                    );
                }
                // A TLS client cannot read a plain 503: its connection is closed at once.
                if !tls {
                    refuse(stream, &ctx.refusals);
                }
            }
        }
    }
}

/// Accept errors and refused connections are logged at most once per this interval.
const LOG_INTERVAL: Duration = Duration::from_secs(10);
static ACCEPT_FAILED: LogLimit = LogLimit::new(LOG_INTERVAL);
static CAP_REACHED: LogLimit = LogLimit::new(LOG_INTERVAL);
/// The first and the longest sleep after a failed accept; it doubles in between.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Refused connections answered at once with a 503 and a clean close; beyond this many, a
/// refused connection gets the 503 only if its socket takes it at once, then is closed.
const MAX_REFUSING: usize = 64;
/// How long a refused connection may take to read its 503 and close.
const REFUSE_LINGER: Duration = Duration::from_secs(1);
/// Largest request part read (and dropped) from a refused connection before closing it.
const REFUSE_DRAIN: usize = 64 * 1024;

/// The answer to a connection over the cap: OSS's `503 ActiveRequestLimitExceeded`.
fn refusal() -> Vec<u8> {
    let ms = crate::clock::now_ms();
    let id = pipeline::RequestId::new(u64::try_from(ms / 1000).unwrap_or(0));
    let err = ossd_proto::ApiError::new(ossd_proto::ErrorCode::ActiveRequestLimitExceeded);
    let body = err.to_xml(id.as_str(), "");
    let mut head = format!(
        "HTTP/1.1 503 Service Unavailable\r\nServer: AliyunOSS\r\nDate: {}\r\n\
         Content-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\
         x-oss-request-id: {}\r\n",
        crate::render::http_date(ms),
        body.len(),
        id.as_str()
    );
    if let Some(ec) = err.effective_ec() {
        head.push_str(&format!("x-oss-ec: {ec}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Answers a connection over the cap with a 503 and closes it. While few refusals are under way,
/// a task writes the answer, half-closes, and reads what the client sent until it closes (bounded
/// by [`REFUSE_LINGER`]), so that the client reads the 503 rather than a reset; otherwise the
/// answer is written only if the socket takes it at once.
fn refuse(stream: TcpStream, refusals: &Arc<Semaphore>) {
    let answer = refusal();
    let Ok(permit) = refusals.clone().try_acquire_owned() else {
        let _ = stream.try_write(&answer);
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let mut stream = stream;
        let _ = tokio::time::timeout(REFUSE_LINGER, async {
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            let mut buf = [0u8; 4096];
            let mut read = 0;
            while read < REFUSE_DRAIN {
                match stream.read(&mut buf).await? {
                    0 => break,
                    n => read += n,
                }
            }
            Ok::<_, std::io::Error>(())
        })
        .await;
    });
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be opened.
    #[error("opening the data directory: {0}")]
    Store(String),
    /// The TLS certificate or key could not be loaded.
    #[error("loading the TLS certificate: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// The listen address could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}
