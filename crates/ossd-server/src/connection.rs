//! One connection, from accept to close: plain HTTP/1.1, or TLS with HTTP/1.1 or HTTP/2 as ALPN
//! chose. Every connection holds a slot of the connection cap until it ends, writes under the
//! write-progress rule (below TLS, so it counts the encrypted bytes), and shuts down gracefully
//! when the server stops. The TLS handshake must finish within the idle timeout. An HTTP/2
//! connection serves at most [`H2_STREAMS`] requests at once and is closed gracefully (GOAWAY)
//! once no request has been running for the idle timeout, as HTTP/1's head timer does.

use crate::conn_io::WriteTimed;
use crate::metrics::Metrics;
use crate::pipeline;
use crate::server::Accepting;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

/// Requests an HTTP/2 connection may have in flight at once.
pub(crate) const H2_STREAMS: u32 = 32;

/// The HTTP/1.1 settings of every connection.
fn h1_builder(idle: Duration) -> http1::Builder {
    // HTTP/1 keeps one request per connection in flight, which the connection cap and the
    // timeouts bound. No h2c: OSS speaks HTTP/2 only over TLS.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .max_buf_size(64 * 1024)
        // Hyper's head timer runs whenever the connection waits for a request head: on a fresh
        // connection, between keep-alive requests, and while a head trickles in.
        .header_read_timeout(idle);
    builder
}

/// Serves a plain HTTP/1.1 connection on its own task.
pub(crate) fn serve_plain(
    ctx: &Arc<Accepting>,
    stream: TcpStream,
    peer: SocketAddr,
    slot: OwnedSemaphorePermit,
) {
    let limits = ctx.state.config.limits;
    let io = TokioIo::new(WriteTimed::new(stream, limits.write_rule()));
    let conn = h1_builder(limits.idle_timeout)
        .serve_connection(io, service(ctx.state.clone(), peer, None, false));
    let open = Metrics::connection(&ctx.state);
    let stop = ctx.stop.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let _open = open;
        drive(conn, |c| c.graceful_shutdown(), stop, None).await;
    });
}

/// Serves a TLS connection on its own task: handshake, then HTTP/2 or HTTP/1.1 by ALPN.
pub(crate) fn serve_tls(
    ctx: &Arc<Accepting>,
    stream: TcpStream,
    peer: SocketAddr,
    slot: OwnedSemaphorePermit,
) {
    let Some(tls) = ctx.tls.clone() else { return };
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let limits = ctx.state.config.limits;
        let io = WriteTimed::new(stream, limits.write_rule());
        let handshake = tokio::time::timeout(limits.idle_timeout, tls.acceptor().accept(io));
        let stream = match handshake.await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, %peer, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        };
        let _open = Metrics::connection(&ctx.state);
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(stream);
        let stop = ctx.stop.clone();
        if h2 {
            let activity = Arc::new(Activity::default());
            let mut builder = http2::Builder::new(TokioExecutor::new());
            builder
                .timer(TokioTimer::new())
                .max_concurrent_streams(H2_STREAMS)
                .max_header_list_size(64 * 1024);
            let svc = service(ctx.state.clone(), peer, Some(activity.clone()), true);
            let conn = builder.serve_connection(io, svc);
            let idle = Some((activity, limits.idle_timeout));
            drive(conn, |c| c.graceful_shutdown(), stop, idle).await;
        } else {
            let conn = h1_builder(limits.idle_timeout)
                .serve_connection(io, service(ctx.state.clone(), peer, None, true));
            drive(conn, |c| c.graceful_shutdown(), stop, None).await;
        }
    });
}

/// The request service of one connection; with `activity`, requests are counted in it; `tls`
/// marks each request as having come over TLS (`console::ConnTls`: the console's cookie is then
/// `Secure`).
fn service(
    state: Arc<crate::state::AppState>,
    peer: SocketAddr,
    activity: Option<Arc<Activity>>,
    tls: bool,
) -> impl hyper::service::Service<
    http::Request<hyper::body::Incoming>,
    Response = http::Response<crate::body::Body>,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<http::Response<crate::body::Body>, std::convert::Infallible>>
             + Send,
> + Clone {
    service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
        if tls {
            req.extensions_mut().insert(crate::console::ConnTls);
        }
        let state = state.clone();
        let busy = activity.as_ref().map(|a| a.busy());
        async move {
            let _busy = busy;
            Ok::<_, std::convert::Infallible>(pipeline::handle(state, req, peer).await)
        }
    })
}

/// Requests running on an HTTP/2 connection and when the last one ended.
#[derive(Default)]
struct Activity {
    running: AtomicUsize,
    /// Milliseconds since `EPOCH` when a request last ended.
    last_ms: AtomicU64,
}

/// The clock of [`Activity`].
fn epoch_ms() -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    u64::try_from(EPOCH.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A request running, until dropped.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.last_ms.store(epoch_ms(), Ordering::Relaxed);
        self.0.running.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn busy(self: &Arc<Activity>) -> Busy {
        self.running.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// No request has run for `idle` (counting from the connection's start, `since`).
    fn idle_for(&self, idle: Duration, since: u64) -> bool {
        let last = self.last_ms.load(Ordering::Relaxed).max(since);
        self.running.load(Ordering::Relaxed) == 0
            && epoch_ms().saturating_sub(last) >= u64::try_from(idle.as_millis()).unwrap_or(0)
    }
}

/// Runs a connection to its end; shuts it down gracefully (`shut`) when the server stops or, with
/// `idle`, when no request has run for that long.
async fn drive<C, E>(
    conn: C,
    shut: impl Fn(Pin<&mut C>),
    mut stop: tokio::sync::watch::Receiver<bool>,
    idle: Option<(Arc<Activity>, Duration)>,
) where
    C: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut conn = std::pin::pin!(conn);
    let since = epoch_ms();
    let tick = idle.as_ref().map_or(Duration::from_secs(3600), |(_, d)| {
        (*d / 4).clamp(Duration::from_millis(50), Duration::from_secs(5))
    });
    let mut closing = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stop.wait_for(|s| *s), if !closing => {
                shut(conn.as_mut());
                closing = true;
            }
            () = tokio::time::sleep(tick), if !closing && idle.is_some() => {
                if idle.as_ref().is_some_and(|(a, d)| a.idle_for(*d, since)) {
                    shut(conn.as_mut());
                    closing = true;
                }
            }
        }
    }
}
