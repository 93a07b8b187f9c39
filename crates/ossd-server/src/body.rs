//! Response bodies: empty, whole (small XML documents) or streamed from a blocking reader.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::JoinHandle;

/// The body of every ossd response.
pub enum Body {
    /// Nothing.
    Empty,
    /// A complete buffer.
    Full(Option<Bytes>),
    /// Chunks read on demand from a blocking reader.
    Stream(Box<ReaderStream>),
}

/// Size of one chunk read from disk for a streamed response.
const CHUNK: usize = 256 * 1024;

/// A blocking reader and the chunk being read from it on the blocking pool.
type Reading = JoinHandle<(Box<dyn Read + Send>, std::io::Result<Bytes>)>;

/// Exactly `remaining` more bytes from a blocking reader, one chunk read ahead: a chunk is read
/// on the blocking pool while the previous one is being sent, and the next read starts only when
/// that chunk is taken. So a response holds at most two chunks, no thread waits for a slow
/// client, and dropping the body (the connection ended) drops the reader and what it holds (a
/// GET's read lease) as soon as a read in progress ends.
pub struct ReaderStream {
    /// The reader, when no read is in progress.
    reader: Option<Box<dyn Read + Send>>,
    /// The read in progress.
    reading: Option<Reading>,
    /// Bytes not yet handed out.
    remaining: u64,
    /// Bytes not yet asked of the reader.
    unread: u64,
}

impl ReaderStream {
    /// Starts reading the next chunk, if there is one and no read is in progress.
    fn read_ahead(&mut self) {
        if self.unread == 0 || self.reading.is_some() {
            return;
        }
        let Some(mut reader) = self.reader.take() else { return };
        let want = CHUNK.min(usize::try_from(self.unread).unwrap_or(CHUNK));
        self.unread -= want as u64;
        self.reading = Some(tokio::task::spawn_blocking(move || {
            let chunk = read_chunk(&mut reader, want);
            (reader, chunk)
        }));
    }
}

/// Reads exactly `want` bytes (a short object is an error: its metadata promised more).
fn read_chunk(reader: &mut impl Read, want: usize) -> std::io::Result<Bytes> {
    let mut buf = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "object shorter than its metadata",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Bytes::from(buf))
}

impl Body {
    /// A body holding these bytes.
    pub fn full(b: impl Into<Bytes>) -> Body {
        Body::Full(Some(b.into()))
    }

    /// Streams exactly `len` bytes from a blocking reader, read on the blocking pool.
    pub fn from_reader(reader: impl Read + Send + 'static, len: u64) -> Body {
        let mut stream = ReaderStream {
            reader: Some(Box::new(reader)),
            reading: None,
            remaining: len,
            unread: len,
        };
        // The first chunk is read while hyper sends the head.
        stream.read_ahead();
        Body::Stream(Box::new(stream))
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
            Body::Stream(s) => {
                if s.remaining == 0 {
                    return Poll::Ready(None);
                }
                s.read_ahead();
                let Some(reading) = s.reading.as_mut() else {
                    return Poll::Ready(Some(Err(std::io::Error::other("object reader lost"))));
                };
                let (reader, chunk) = match Pin::new(reading).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(done)) => done,
                    Poll::Ready(Err(e)) => {
                        s.reading = None;
                        return Poll::Ready(Some(Err(std::io::Error::other(e))));
                    }
                };
                s.reading = None;
                s.reader = Some(reader);
                match chunk {
                    Ok(b) => {
                        s.remaining = s.remaining.saturating_sub(b.len() as u64);
                        // The next chunk is read while this one is sent.
                        s.read_ahead();
                        Poll::Ready(Some(Ok(Frame::data(b))))
                    }
                    Err(e) => {
                        s.remaining = 0;
                        s.unread = 0;
                        Poll::Ready(Some(Err(e)))
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Empty => true,
            Body::Full(b) => b.is_none(),
            Body::Stream(s) => s.remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Empty => SizeHint::with_exact(0),
            Body::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Body::Stream(s) => SizeHint::with_exact(s.remaining),
        }
    }
}
