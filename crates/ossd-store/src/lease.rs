//! Read leases and the graveyard: blobs a commit leaves unreferenced outlive the object readers
//! that may still open them.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};

use crate::record::BlobId;
use crate::store::{Inner, Store};

/// Object readers that are running, so that the blobs they may still open outlive them.
///
/// An [`crate::ObjectReader`] opens the first segments of its object at once and the others when it
/// gets to them; an overwrite or delete committed meanwhile would unlink those others and cut
/// the read short. While any reader runs, blobs a commit leaves unreferenced therefore go to a
/// graveyard tagged with an epoch instead of being unlinked; they are unlinked (after a fresh
/// check that nothing references them again) once every reader that started before that
/// commit has ended. Readers that start later cannot need them: their records are newer.
#[derive(Default)]
pub(crate) struct Leases {
    /// Moves on with every commit that sends blobs to the graveyard.
    pub(crate) epoch: u64,
    /// Running readers by the epoch they started in.
    pub(crate) active: BTreeMap<u64, usize>,
    /// Unreferenced blobs and the epoch of the commit that left them so.
    pub(crate) graveyard: Vec<(u64, BlobId)>,
}

impl Leases {
    /// Takes out the graveyard entries no running reader can need.
    pub(crate) fn free(&mut self) -> Vec<BlobId> {
        let oldest = self.active.keys().next().copied().unwrap_or(u64::MAX);
        let (free, wait): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.graveyard).into_iter().partition(|(e, _)| *e < oldest);
        self.graveyard = wait;
        free.into_iter().map(|(_, id)| id).collect()
    }
}

/// A running reader's claim on the blobs of the records it read (see [`Leases`]).
pub(crate) struct ReadLease {
    pub(crate) inner: Arc<Inner>,
    pub(crate) epoch: u64,
}

impl ReadLease {
    pub(crate) fn take(inner: &Arc<Inner>) -> ReadLease {
        let mut leases = inner.leases.lock().unwrap_or_else(PoisonError::into_inner);
        let epoch = leases.epoch;
        *leases.active.entry(epoch).or_insert(0) += 1;
        ReadLease { inner: Arc::clone(inner), epoch }
    }
}

impl Drop for ReadLease {
    fn drop(&mut self) {
        let mut free = {
            let mut leases = self.inner.leases.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(n) = leases.active.get_mut(&self.epoch) {
                *n -= 1;
                if *n == 0 {
                    leases.active.remove(&self.epoch);
                }
            }
            let free = leases.free();
            self.inner.stats.set_garbage_waiting(leases.graveyard.len());
            free
        };
        // Best effort, as after a commit: what stays behind is an orphan for the sweep.
        let _ = Store { inner: Arc::clone(&self.inner) }.sweep_batch(&mut free);
    }
}

impl Store {
    /// Of the blobs a write left unreferenced (`doomed`), those to unlink now: all of them when
    /// no object reader is running; otherwise none: they all go to the graveyard, tagged with
    /// the current epoch (which then moves on), and are unlinked when every reader that started
    /// before has ended, whatever object it reads (see [`Leases`]).
    pub(crate) fn unless_read(&self, doomed: Vec<BlobId>) -> Vec<BlobId> {
        if doomed.is_empty() {
            return doomed;
        }
        let mut leases = self.inner.leases.lock().unwrap_or_else(PoisonError::into_inner);
        if leases.active.is_empty() {
            return doomed;
        }
        let epoch = leases.epoch;
        leases.graveyard.extend(doomed.into_iter().map(|id| (epoch, id)));
        self.inner.stats.set_garbage_waiting(leases.graveyard.len());
        leases.epoch += 1;
        Vec::new()
    }

    /// A read lease (see [`Leases`]): blobs unreferenced by commits from now on wait for it.
    pub(crate) fn lease(&self) -> ReadLease {
        ReadLease::take(&self.inner)
    }
}
