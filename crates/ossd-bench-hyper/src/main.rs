//! ossd-bench-hyper: the "own stack" baseline of `bench/load.sh`, a hyper 1 server answering a fixed 200.
//!
//! It is built the way `ossd serve` builds its listener (multi-thread tokio runtime, `TCP_NODELAY`,
//! hyper's HTTP/1 builder with the same settings, the same allocator), so that the ratio between ossd and
//! this server shows what ossd's own request pipeline costs on top of tokio and hyper.
//! Not a product: it has no configuration beyond the listen address and is never installed.

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;

/// The same allocator as `ossd`, so that the ratio compares request pipelines, not allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Why the server could not start.
#[derive(Debug)]
enum StartError {
    /// The command line was not `ossd-bench-hyper --listen ADDR`.
    Usage(String),
    /// The runtime or the listener could not be created.
    Io(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Usage(m) => {
                write!(f, "{m}; usage: ossd-bench-hyper --listen 127.0.0.1:PORT")
            }
            StartError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads `--listen ADDR` (the only flag) from the command line.
fn listen_addr(args: impl Iterator<Item = String>) -> Result<SocketAddr, StartError> {
    let mut args = args.skip(1);
    let mut addr = None;
    while let Some(a) = args.next() {
        let value = match a.strip_prefix("--listen=") {
            Some(v) => v.to_owned(),
            None if a == "--listen" => {
                args.next().ok_or_else(|| StartError::Usage("--listen needs a value".into()))?
            }
            None => return Err(StartError::Usage(format!("unknown argument {a:?}"))),
        };
        addr = Some(
            value.parse().map_err(|e| StartError::Usage(format!("bad address {value:?}: {e}")))?,
        );
    }
    addr.ok_or_else(|| StartError::Usage("missing --listen".into()))
}

/// The whole request handler: a fixed, empty 200 whatever was asked.
async fn fixed_200(
    _req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::OK;
    Ok(resp)
}

/// Accepts connections forever, serving each on its own task.
async fn serve(listener: TcpListener) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                eprintln!("ossd-bench-hyper: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .max_buf_size(64 * 1024)
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30));
            // A connection error (a client hanging up mid-request) ends that connection only.
            let _ = builder.serve_connection(TokioIo::new(stream), service_fn(fixed_200)).await;
        });
    }
}

/// Parses the address, binds, and serves until killed.
fn run() -> Result<(), StartError> {
    let addr = listen_addr(std::env::args())?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(StartError::Io)?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await.map_err(StartError::Io)?;
        serve(listener).await;
        Ok(())
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ossd-bench-hyper: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests;
