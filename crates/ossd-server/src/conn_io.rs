//! A connection's socket with the write-progress rule: a client that stops reading its response
//! (the socket's send buffer stays full) fails the connection after the write timeout, which
//! drops the response body and with it whatever the body held (a GET's reader and read lease).

use crate::progress::{ProgressClock, ProgressRule};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `inner` with its writes held to a [`ProgressRule`]; reads pass through (request bodies have
/// their own rule, idle connections hyper's header timeout).
pub struct WriteTimed<T> {
    inner: T,
    clock: ProgressClock,
}

impl<T> WriteTimed<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, rule: ProgressRule) -> WriteTimed<T> {
        WriteTimed { inner, clock: ProgressClock::new(rule) }
    }

    /// Accounts for one poll of the write side.
    fn account<R>(
        clock: &mut ProgressClock,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
        moved: impl FnOnce(&R) -> u64,
    ) -> Poll<io::Result<R>> {
        match polled {
            Poll::Ready(Ok(r)) => {
                clock.progress(moved(&r));
                Poll::Ready(Ok(r))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match clock.poll_stalled(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(stalled) => {
                    tracing::debug!(%stalled, "closing a connection whose client stopped reading");
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, stalled)))
                }
            },
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteTimed<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteTimed<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        Self::account(&mut this.clock, cx, polled, |n| *n as u64)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        Self::account(&mut this.clock, cx, polled, |n| *n as u64)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        Self::account(&mut this.clock, cx, polled, |()| 0)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        Self::account(&mut this.clock, cx, polled, |()| 0)
    }
}
