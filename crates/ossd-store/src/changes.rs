//! Following what other nodes change in shared metadata (PostgreSQL), so that a node drops what
//! it caches of it: bucket records and settings documents. With redb (one process) there is
//! nothing to follow.

use std::time::Duration;

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

impl Store {
    /// Starts following the changes of shared metadata, checking at least every `poll` (a lost
    /// notification or connection is noticed within that). `None` when the metadata is not
    /// shared. The feed stops when the receiver is dropped.
    pub fn watch_changes(
        &self,
        poll: Duration,
    ) -> Result<Option<UnboundedReceiver<MetaChange>>, StoreError> {
        self.inner.meta.watch(poll)
    }
}
