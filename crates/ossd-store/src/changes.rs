//! Following what other nodes change in shared metadata (PostgreSQL), so that a node drops what
//! it caches of it: bucket records and settings documents. With redb (one process) there is
//! nothing to follow.
//!
//! The feed also carries acknowledgements back: a node that asks for the next change has
//! applied the previous one, and the backend records how far each node has applied
//! ([`ChangeFeed::recv`]). A process that changed a bucket or a setting waits, before its
//! caller answers, until every live node has applied that change ([`Store::settle_config`]):
//! what a client changed through one node is in force on every node by the time it is told so.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::{Store, StoreError};

/// A change a node must drop its cached copy for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaChange {
    /// Bucket `name` was created, changed or deleted.
    Bucket(String),
    /// Settings document `name` changed.
    Setting(String),
    /// Anything may have changed (a change went unheard, or the feed reconnected).
    Everything,
    /// The feed lost its connection (the reason); until it is back, anything may change
    /// unheard. An [`MetaChange::Everything`] follows once it is back.
    Lost(String),
}

/// How far this node has applied the feed: the change counter of the last change it finished
/// with (`-1`: none yet). The backend reports it to the other nodes.
#[derive(Debug)]
pub(crate) struct Applied {
    value: AtomicI64,
    /// Woken when `value` grows.
    pub(crate) grew: Notify,
}

impl Applied {
    pub(crate) fn new() -> Arc<Applied> {
        Arc::new(Applied { value: AtomicI64::new(-1), grew: Notify::new() })
    }

    pub(crate) fn get(&self) -> i64 {
        self.value.load(Ordering::Acquire)
    }

    fn advance(&self, n: i64) {
        if self.value.fetch_max(n, Ordering::AcqRel) < n {
            self.grew.notify_one();
        }
    }
}

/// The changes of shared metadata, in commit order, each with the change counter it brings the
/// node to (`None` for [`MetaChange::Lost`]).
pub struct ChangeFeed {
    rx: UnboundedReceiver<(Option<i64>, MetaChange)>,
    applied: Arc<Applied>,
    /// The counter of the change handed out last, applied once the next one is asked for.
    pending: Option<i64>,
}

impl ChangeFeed {
    pub(crate) fn new(
        rx: UnboundedReceiver<(Option<i64>, MetaChange)>,
        applied: Arc<Applied>,
    ) -> ChangeFeed {
        ChangeFeed { rx, applied, pending: None }
    }

    /// The next change. Asking for it says the previous one is applied: the caller has dropped
    /// what it made stale (call it again only then).
    pub async fn recv(&mut self) -> Option<MetaChange> {
        if let Some(n) = self.pending.take() {
            self.applied.advance(n);
        }
        let (n, change) = self.rx.recv().await?;
        self.pending = n;
        Some(change)
    }
}

/// Longest a change of a bucket or setting waits for the other nodes to apply it
/// ([`Store::settle_config`]): a node that has not by then is slow or gone, and the change is in
/// force there within the feed's own bound anyway.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(1);

impl Store {
    /// Starts following the changes of shared metadata, checking at least every `poll` (a lost
    /// notification or connection is noticed within that). `None` when the metadata is not
    /// shared. The feed stops when it is dropped.
    pub fn watch_changes(&self, poll: Duration) -> Result<Option<ChangeFeed>, StoreError> {
        self.inner.meta.watch(poll)
    }

    /// With shared metadata: waits until every live node (one whose feed reported within the
    /// last second) has applied the bucket and setting changes this process committed so far,
    /// at most [`SETTLE_LIMIT`]. `Ok(false)` if some node had not by then. Nothing to wait for
    /// with redb. The store calls it after each such change; a caller need not.
    pub fn settle_config(&self) -> Result<bool, StoreError> {
        self.inner.meta.settle(SETTLE_LIMIT)
    }

    /// This node stops serving (its shutdown): the others stop waiting for it to apply their
    /// changes at once, rather than a second after its last report. Nothing with redb.
    pub fn leave_cluster(&self) -> Result<(), StoreError> {
        self.inner.meta.leave()
    }

    /// Settles after a committed change of a bucket or setting. The change stands whatever
    /// happens here: a node that cannot be waited for converges through its own feed.
    pub(crate) fn settled<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if result.is_ok() {
            let _ = self.settle_config();
        }
        result
    }
}
