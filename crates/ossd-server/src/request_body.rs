//! A request body held to the read-progress rule: a client that sends its body too slowly (or
//! stops) gets `RequestTimeout` instead of holding a connection, a temp file and a task forever.

use crate::progress::{ProgressClock, ProgressRule, Stalled};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use ossd_proto::{ApiError, ErrorCode};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The client fell below the minimum rate (or stopped sending).
    #[error("request body too slow: {0}")]
    Stalled(#[from] Stalled),
    /// The connection failed (reset, malformed chunked encoding, ...).
    #[error("reading the body: {0}")]
    Read(#[from] hyper::Error),
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> ApiError {
        match e {
            BodyError::Stalled(s) => {
                tracing::debug!(stalled = %s, "request body timed out");
                ApiError::new(ErrorCode::RequestTimeout)
            }
            BodyError::Read(e) => {
                ApiError::msg(ErrorCode::InvalidRequest, format!("reading the body: {e}"))
            }
        }
    }
}

/// The body of a request, as handlers read it.
pub struct RequestBody {
    inner: Incoming,
    clock: ProgressClock,
    /// Where the data bytes received are added up (metrics and the access log), if anywhere.
    received: Option<Arc<AtomicU64>>,
}

impl RequestBody {
    /// `inner`, held to `rule`.
    pub fn new(inner: Incoming, rule: ProgressRule) -> RequestBody {
        RequestBody { inner, clock: ProgressClock::new(rule), received: None }
    }

    /// The same body, adding the data bytes it receives to `counter`.
    pub fn counting(mut self, counter: Arc<AtomicU64>) -> RequestBody {
        self.received = Some(counter);
        self
    }

    /// The next chunk of data (trailers are skipped), `None` at the end.
    pub async fn data(&mut self) -> Result<Option<Bytes>, ApiError> {
        while let Some(frame) = self.frame().await {
            if let Ok(data) = frame?.into_data() {
                return Ok(Some(data));
            }
        }
        Ok(None)
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, |d| d.len() as u64);
                this.clock.progress(n);
                if let Some(r) = &this.received {
                    r.fetch_add(n, Ordering::Relaxed);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(BodyError::Read(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.clock.poll_stalled(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(stalled) => Poll::Ready(Some(Err(BodyError::Stalled(stalled)))),
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
