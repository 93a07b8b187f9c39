//! Runs OpenDAL's async calls for the synchronous blob API.
//!
//! The futures run on a small Tokio runtime owned by the backend; the calling thread only waits
//! for their results by parking. That works from any thread: a plain thread, the blocking pool,
//! a worker inside `block_in_place`, even a bare async worker (where `Handle::block_on` would
//! panic), and it never runs the server's own runtime's I/O from the caller. The server keeps
//! blob I/O off its async workers anyway (see `BlobBackend::is_remote`); this only makes a
//! mistake there slow instead of a panic or a deadlock.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use tokio::runtime::{Builder, Runtime};

/// The backend's runtime (shut down in the background when the backend is dropped, which may
/// happen on an async worker where dropping a runtime would panic).
pub(crate) struct Bridge {
    rt: Option<Runtime>,
}

impl Bridge {
    /// A runtime with `threads` workers named `ossd-blobs`.
    pub(crate) fn new(threads: usize) -> io::Result<Bridge> {
        let rt = Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("ossd-blobs")
            .enable_all()
            .build()?;
        Ok(Bridge { rt: Some(rt) })
    }

    fn runtime(&self) -> io::Result<&Runtime> {
        self.rt.as_ref().ok_or_else(|| io::Error::other("blob runtime shut down"))
    }

    /// Runs `fut` on the backend's runtime and waits for its output.
    pub(crate) fn run<F>(&self, fut: F) -> io::Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = self.runtime()?.spawn(fut);
        wait(task).map_err(|e| io::Error::other(format!("blob task failed: {e}")))
    }

    /// Starts `fut` on the backend's runtime without waiting for it.
    pub(crate) fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if let Ok(rt) = self.runtime() {
            drop(rt.spawn(fut));
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` on this thread, parking between polls. Only for futures that wait on another
/// runtime's work (a task's handle, a channel): they need no reactor of their own. Tokio's
/// cooperative budget is switched off for them, so a call on a worker whose budget ran out
/// cannot spin.
pub(crate) fn wait<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(tokio::task::unconstrained(fut));
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
