//! Group commit: concurrent callers' requests queue up; the first that finds no commit running
//! leads, commits every queued request in one transaction, hands each its outcome and passes
//! leadership on; a committer thread leads for async callers, who cannot block.

use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::StoreError;
use crate::record::BlobId;
use crate::store::{Inner, Store};
use crate::writer::{Op, OpOutput};

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(sig) = self.committer.get_mut().unwrap_or_else(PoisonError::into_inner) {
            sig.stop();
        }
        // Only async requests can still be queued (a blocked caller holds the store): with the
        // store gone nothing will commit them, so their futures resolve with an error.
        let q = self.group.get_mut().unwrap_or_else(PoisonError::into_inner);
        for (_, slot) in q.pending.drain(..) {
            slot.set(SlotState::Done(Err(store_closed())));
        }
    }
}

/// The error of a request that was queued when the last handle on the store was dropped.
pub(crate) fn store_closed() -> StoreError {
    StoreError::Io(io::Error::other("the store was closed before the request was committed"))
}

/// How the group-commit queue calls on the committer thread: async callers cannot block to
/// lead a commit, so when leadership falls to one of them, this thread leads in its place.
#[derive(Default)]
pub(crate) struct CommitterSignal {
    /// (a commit is wanted, the store is gone)
    pub(crate) state: Mutex<(bool, bool)>,
    pub(crate) cv: Condvar,
}

impl CommitterSignal {
    pub(crate) fn lock(&self) -> MutexGuard<'_, (bool, bool)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the thread to lead the next commit.
    pub(crate) fn want(&self) {
        self.lock().0 = true;
        self.cv.notify_one();
    }

    /// Ends the thread.
    pub(crate) fn stop(&self) {
        self.lock().1 = true;
        self.cv.notify_one();
    }

    /// The committer thread: leads a commit whenever asked, until the store is dropped.
    pub(crate) fn run(&self, store: std::sync::Weak<Inner>) {
        loop {
            {
                let guard = self.lock();
                let mut guard = self
                    .cv
                    .wait_while(guard, |(wanted, stopped)| !*wanted && !*stopped)
                    .unwrap_or_else(PoisonError::into_inner);
                if guard.1 {
                    return;
                }
                guard.0 = false;
            }
            let Some(inner) = store.upgrade() else { return };
            // A panic inside a commit must not end this thread: async callers would then wait
            // forever. The leader's duty (see [`Leadership`]) has already given every request
            // of the failed group an error and passed leadership on by the time we get here.
            // (The panic hook has reported the panic itself.)
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Store { inner }.lead();
            }));
        }
    }
}

/// What a caller of [`Store::commit_batch`] gets back: one result per op, or a failure of the
/// whole request.
pub(crate) type BatchResult = Result<Vec<Result<OpOutput, StoreError>>, StoreError>;

/// The outcome of [`Store::commit_batch_async`], once the transaction holding it has committed.
/// Dropping it does not cancel the request: once queued, it is committed all the same.
pub(crate) struct CommitFuture {
    pub(crate) slot: Arc<Slot>,
}

impl std::future::Future for CommitFuture {
    type Output = BatchResult;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BatchResult> {
        let slot = &self.slot;
        if let Some(w) = &slot.waker {
            // Register before looking, so that a result set in between still wakes us.
            *w.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        }
        let mut state = slot.lock();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Done(result) => Poll::Ready(result),
            SlotState::Waiting => {
                *state = SlotState::Waiting;
                Poll::Pending
            }
            SlotState::Lead | SlotState::Taken => Poll::Ready(Err(StoreError::Internal(
                "group commit lost an async request".to_owned(),
            ))),
        }
    }
}

/// The group-commit queue: leader/follower among blocking callers, plus a committer thread
/// that leads for async callers.
#[derive(Default)]
pub(crate) struct GroupQueue {
    /// Requests not yet taken by a leader, oldest first.
    pub(crate) pending: Vec<(Vec<Op>, Arc<Slot>)>,
    /// A leader is running (it hands over to the oldest pending request when it is done).
    pub(crate) leading: bool,
}

/// Where one request waits for its outcome: a blocked thread (sync callers) or a future.
pub(crate) struct Slot {
    pub(crate) state: Mutex<SlotState>,
    pub(crate) ready: Condvar,
    /// For an async caller: who to wake; such a caller is never asked to lead.
    pub(crate) waker: Option<Mutex<Option<Waker>>>,
}

/// The state of one queued request.
pub(crate) enum SlotState {
    /// Queued; another request's leader will commit it.
    Waiting,
    /// This request's caller must become the leader.
    Lead,
    /// Committed (or failed); the caller returns this.
    Done(BatchResult),
    /// The caller has taken the result.
    Taken,
}

impl Slot {
    pub(crate) fn new(state: SlotState) -> Arc<Slot> {
        Arc::new(Slot { state: Mutex::new(state), ready: Condvar::new(), waker: None })
    }

    pub(crate) fn new_async() -> Arc<Slot> {
        Arc::new(Slot {
            state: Mutex::new(SlotState::Waiting),
            ready: Condvar::new(),
            waker: Some(Mutex::new(None)),
        })
    }

    pub(crate) fn is_async(&self) -> bool {
        self.waker.is_some()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the state and wakes the waiting caller.
    pub(crate) fn set(&self, state: SlotState) {
        *self.lock() = state;
        self.wake();
    }

    /// Wakes the waiting caller (thread or future).
    pub(crate) fn wake(&self) {
        self.ready.notify_one();
        if let Some(w) = &self.waker
            && let Some(w) = w.lock().unwrap_or_else(PoisonError::into_inner).take()
        {
            w.wake();
        }
    }

    /// Blocks until the request is done or its caller must lead.
    pub(crate) fn wait(&self) -> SlotState {
        let guard = self.lock();
        let mut guard = self
            .ready
            .wait_while(guard, |s| matches!(s, SlotState::Waiting))
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *guard, SlotState::Taken)
    }
}

/// A leader's duty towards the requests it took: every one gets an outcome (an error if the
/// leader unwinds before delivering it), and leadership passes on when the leader is done.
pub(crate) struct Leadership<'a> {
    pub(crate) group: &'a Mutex<GroupQueue>,
    pub(crate) committer: &'a Mutex<Option<Arc<CommitterSignal>>>,
    pub(crate) slots: Vec<Arc<Slot>>,
}

impl Drop for Leadership<'_> {
    fn drop(&mut self) {
        for slot in self.slots.drain(..) {
            // Only reached with undelivered results if the commit panicked.
            let mut state = slot.lock();
            if matches!(*state, SlotState::Waiting) {
                *state = SlotState::Done(Err(StoreError::Internal(
                    "group commit leader failed".to_owned(),
                )));
                drop(state);
                slot.wake();
            }
        }
        let mut q = self.group.lock().unwrap_or_else(PoisonError::into_inner);
        match q.pending.first() {
            Some((_, next)) if next.is_async() => {
                // An async caller cannot lead; the committer thread (started before that caller
                // queued) leads in its place.
                match self.committer.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
                    Some(sig) => sig.want(),
                    None => {
                        // Unreachable by construction; should it happen, nobody would commit
                        // the queue, so every queued request fails rather than waits forever.
                        debug_assert!(false, "async request queued without a committer thread");
                        for (_, slot) in q.pending.drain(..) {
                            slot.set(SlotState::Done(Err(StoreError::Internal(
                                "group commit has no committer thread".to_owned(),
                            ))));
                        }
                        q.leading = false;
                    }
                }
            }
            Some((_, next)) => next.set(SlotState::Lead),
            None => q.leading = false,
        }
    }
}

/// A group result that went missing (cannot happen: one result per request).
pub(crate) fn lost() -> BatchResult {
    Err(StoreError::Internal("group commit lost a result".to_owned()))
}

impl Store {
    /// Applies `ops` in one transaction (one fsync). Logical failures are reported per op and
    /// leave the others in effect; an I/O or database failure aborts the whole batch.
    pub(crate) fn apply_batch(&self, ops: &[Op]) -> BatchResult {
        match self.apply_requests(&[ops]).and_then(one_result) {
            // The failure released the space reserve and reopened the database: a request
            // that only frees space gets a second try, which has room now.
            Err(StoreError::OutOfSpace) if ops.iter().all(Op::frees_space) => {
                self.apply_requests(&[ops]).and_then(one_result)
            }
            r => r,
        }
    }

    /// Commits the requests of one group. While the disk is full, requests that would add
    /// data are refused with `OutOfSpace` (their fresh blobs deleted) and only those that free
    /// space (deletes, aborts) run. The others all go into one transaction; if that fails as a
    /// whole (an I/O, database or corruption error in any op, or in the commit), nothing of it
    /// took effect, and each request is committed on its own so that it gets its own outcome
    /// and a faulty request cannot fail the others.
    pub(crate) fn run_group(&self, requests: &[Vec<Op>]) -> Vec<BatchResult> {
        let adds = |ops: &Vec<Op>| !ops.iter().all(Op::frees_space);
        let full = requests.iter().any(adds) && self.writable().is_err();
        let mut out: Vec<Option<BatchResult>> = Vec::with_capacity(requests.len());
        let mut run: Vec<&[Op]> = Vec::new();
        for ops in requests {
            if full && adds(ops) {
                let mut fresh: Vec<BlobId> = ops.iter().flat_map(Op::fresh_blobs).collect();
                // Best effort: what stays behind is an orphan for the sweep.
                let _ = self.sweep_batch(&mut fresh);
                out.push(Some(Err(StoreError::OutOfSpace)));
            } else {
                out.push(None);
                run.push(ops);
            }
        }
        let mut results = self.commit_group(&run).into_iter();
        out.into_iter().map(|r| r.or_else(|| results.next()).unwrap_or_else(lost)).collect()
    }

    pub(crate) fn commit_group(&self, requests: &[&[Op]]) -> Vec<BatchResult> {
        match requests {
            [] => return Vec::new(),
            [only] => return vec![self.apply_batch(only)],
            _ => {}
        }
        match self.apply_requests(requests) {
            Ok(out) => out,
            Err(_) => requests.iter().map(|ops| self.apply_batch(ops)).collect(),
        }
    }

    /// Group commit: queues `ops` as one request and returns once the transaction holding
    /// them has committed (or failed). The first caller that finds no commit running becomes
    /// the leader: it takes every queued request, commits them in one transaction, hands each
    /// its outcome, and passes leadership to the oldest request queued meanwhile. Callers
    /// that arrive while a commit runs wait, and are committed together by the next leader.
    pub(crate) fn commit_batch(&self, ops: Vec<Op>) -> BatchResult {
        let group = &self.inner.group;
        let slot;
        {
            let mut q = group.lock().unwrap_or_else(PoisonError::into_inner);
            let lead = !q.leading;
            q.leading = true;
            slot = Slot::new(if lead { SlotState::Lead } else { SlotState::Waiting });
            q.pending.push((ops, Arc::clone(&slot)));
        }
        loop {
            match slot.wait() {
                SlotState::Done(result) => return result,
                SlotState::Lead => self.lead(),
                SlotState::Waiting | SlotState::Taken => {
                    return Err(StoreError::Internal("group commit lost a request".to_owned()));
                }
            }
        }
    }

    /// Leader's turn: commits everything queued (its own request included) as one group.
    pub(crate) fn lead(&self) {
        let group = &self.inner.group;
        let taken =
            std::mem::take(&mut group.lock().unwrap_or_else(PoisonError::into_inner).pending);
        let (requests, slots): (Vec<Vec<Op>>, Vec<Arc<Slot>>) = taken.into_iter().unzip();
        // Every taken slot waits for its outcome, the leader's own included.
        for slot in &slots {
            *slot.lock() = SlotState::Waiting;
        }
        let duty = Leadership { group, committer: &self.inner.committer, slots };
        let started = std::time::Instant::now();
        let results = self.run_group(&requests);
        self.inner.stats.group(requests.len(), started.elapsed());
        for (slot, result) in duty.slots.iter().zip(results) {
            slot.set(SlotState::Done(result));
        }
        drop(duty);
    }

    /// The committer thread's signal, starting the thread on first use.
    pub(crate) fn committer(&self) -> Result<Arc<CommitterSignal>, StoreError> {
        let mut slot = self.inner.committer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sig) = slot.as_ref() {
            return Ok(Arc::clone(sig));
        }
        let sig = Arc::new(CommitterSignal::default());
        let (thread_sig, store) = (Arc::clone(&sig), Arc::downgrade(&self.inner));
        std::thread::Builder::new()
            .name("ossd-store-commit".to_owned())
            .spawn(move || thread_sig.run(store))?;
        *slot = Some(Arc::clone(&sig));
        Ok(sig)
    }

    /// Group commit for async callers: queues `ops` like [`Store::commit_batch`] but returns a
    /// future instead of blocking; the committer thread leads when no caller thread does.
    pub(crate) fn commit_batch_async(&self, ops: Vec<Op>) -> CommitFuture {
        let slot = Slot::new_async();
        let queued = self.committer().map(|sig| {
            let lead = {
                let mut q = self.inner.group.lock().unwrap_or_else(PoisonError::into_inner);
                let lead = !q.leading;
                q.leading = true;
                q.pending.push((ops, Arc::clone(&slot)));
                lead
            };
            if lead {
                sig.want();
            }
        });
        if let Err(e) = queued {
            slot.set(SlotState::Done(Err(e)));
        }
        CommitFuture { slot }
    }

    /// One op as a [`Commit`] whose output `out` turns into the caller's value.
    pub(crate) fn commit<T>(
        &self,
        op: Op,
        out: fn(OpOutput) -> Result<T, StoreError>,
    ) -> Commit<T> {
        Commit { store: self.clone(), op, out }
    }

    pub(crate) fn commit_one(&self, op: Op) -> Result<OpOutput, StoreError> {
        only(self.commit_batch(vec![op]))
    }
}

/// The outcome of the only request of a transaction.
fn one_result(mut results: Vec<BatchResult>) -> BatchResult {
    results.pop().unwrap_or_else(lost)
}

/// The result of a one-op request.
fn only(result: BatchResult) -> Result<OpOutput, StoreError> {
    result?.pop().unwrap_or_else(|| Err(StoreError::Internal("empty batch result".to_owned())))
}

/// A mutation on its way to a group commit: [`Commit::wait`] blocks until the transaction holding
/// it has committed; awaiting it does the same without blocking a thread (the store's committer
/// thread leads the commits async callers join). Once awaited (or turned into a future), the
/// request is queued and is committed even if the future is dropped.
#[must_use = "a commit does nothing until waited for or awaited"]
pub struct Commit<T> {
    store: Store,
    op: Op,
    out: fn(OpOutput) -> Result<T, StoreError>,
}

impl<T> Commit<T> {
    /// Commits the mutation, blocking the calling thread (which may lead the group).
    pub fn wait(self) -> Result<T, StoreError> {
        self.store.commit_one(self.op).and_then(self.out)
    }
}

impl<T> std::future::IntoFuture for Commit<T> {
    type Output = Result<T, StoreError>;
    type IntoFuture = Committing<T>;

    /// Queues the mutation now.
    fn into_future(self) -> Committing<T> {
        Committing { fut: self.store.commit_batch_async(vec![self.op]), out: self.out }
    }
}

/// An awaited [`Commit`]: resolves once the transaction holding it has committed.
pub struct Committing<T> {
    fut: CommitFuture,
    out: fn(OpOutput) -> Result<T, StoreError>,
}

impl<T> std::future::Future for Committing<T> {
    type Output = Result<T, StoreError>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = self.out;
        std::pin::Pin::new(&mut self.fut).poll(cx).map(|r| only(r).and_then(out))
    }
}
