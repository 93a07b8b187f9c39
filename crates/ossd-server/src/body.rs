//! Response bodies: empty, whole (small XML documents) or streamed from a blocking reader.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// The body of every ossd response.
pub enum Body {
    /// Nothing.
    Empty,
    /// A complete buffer.
    Full(Option<Bytes>),
    /// Chunks produced by a blocking reader thread; `len` is the exact total.
    Stream {
        /// Chunks from the reader thread.
        rx: mpsc::Receiver<std::io::Result<Bytes>>,
        /// Bytes still to come.
        remaining: u64,
    },
}

/// Size of one chunk read from disk for a streamed response.
const CHUNK: usize = 256 * 1024;

impl Body {
    /// A body holding these bytes.
    pub fn full(b: impl Into<Bytes>) -> Body {
        Body::Full(Some(b.into()))
    }

    /// Streams exactly `len` bytes from a blocking reader, read on the blocking pool.
    pub fn from_reader(mut reader: impl Read + Send + 'static, len: u64) -> Body {
        let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(4);
        tokio::task::spawn_blocking(move || {
            let mut left = len;
            while left > 0 {
                let want = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
                let mut buf = vec![0u8; want];
                let mut filled = 0;
                while filled < want {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            let _ = tx.blocking_send(Err(e));
                            return;
                        }
                    }
                }
                if filled == 0 {
                    let _ = tx.blocking_send(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "object shorter than its metadata",
                    )));
                    return;
                }
                buf.truncate(filled);
                left -= filled as u64;
                if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                    return; // client went away
                }
            }
        });
        Body::Stream { rx, remaining: len }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            Body::Empty => Poll::Ready(None),
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream { rx, remaining } => match rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(b))) => {
                    *remaining = remaining.saturating_sub(b.len() as u64);
                    Poll::Ready(Some(Ok(Frame::data(b))))
                }
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Empty => true,
            Body::Full(b) => b.is_none(),
            Body::Stream { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Empty => SizeHint::with_exact(0),
            Body::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Body::Stream { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}
