//! Write transactions as the store runs them: under the write lock, through the metadata
//! backend, then the blob files the commit left unreferenced (now, or after the readers that may
//! still open them), and a full disk noted wherever it showed.

use std::sync::PoisonError;

use crate::StoreError;
use crate::blob::BlobBackend;
use crate::group::BatchResult;
use crate::meta::{Metadata, transact};
use crate::record::BlobId;
use crate::store::Store;
use crate::writer::{Op, Writer};

impl Store {
    /// Runs `f` in one write transaction; commits if it wrote something and succeeded, then
    /// deletes the blobs it left unreferenced.
    pub(crate) fn write<R>(
        &self,
        mut f: impl FnMut(&mut Writer<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.locked(|meta, blobs| transact(meta, blobs, &mut f))
    }

    /// Applies `requests` in one transaction (group commit, [`Metadata::apply`]): one result per
    /// request, or the failure of the whole transaction.
    pub(crate) fn apply_requests(
        &self,
        requests: &[&[Op]],
    ) -> Result<Vec<BatchResult>, StoreError> {
        self.locked(|meta, blobs| match meta.apply(blobs, requests) {
            Ok((results, doomed)) => (Ok(results), doomed),
            Err(e) => (Err(e), Vec::new()),
        })
    }

    /// Runs a transaction under the write lock and unlinks (or sends to the graveyard) the blob
    /// files it left unreferenced.
    fn locked<R>(
        &self,
        run: impl FnOnce(&dyn Metadata, &dyn BlobBackend) -> (Result<R, StoreError>, Vec<BlobId>),
    ) -> Result<R, StoreError> {
        let _guard = self.inner.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (result, doomed) = run(&*self.inner.meta, &*self.inner.blobs);
        if self.inner.grace.is_some() {
            // Shared blobs: readers on other nodes may still use them. Mark them; the
            // collection deletes them a grace period later (`gc.rs`).
            for id in &doomed {
                // Best effort: a blob left unmarked is marked by the collection's next pass.
                let _ = self.inner.blobs.mark(id);
            }
            return result.map_err(|e| self.inner.space.note(e));
        }
        for id in &self.unless_read(doomed) {
            // Best effort: a blob left behind is an orphan that a later sweep removes.
            let _ = self.inner.blobs.remove(id);
        }
        result.map_err(|e| self.inner.space.note(e))
    }

    /// `Ok` when the store can take new data: its database is usable and the disk has room
    /// (probed again if it was found full). What a readiness check asks.
    pub fn writable(&self) -> Result<(), StoreError> {
        if self.inner.meta.needs_recovery() {
            let _guard = self.inner.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
            self.inner.meta.recover()?;
        }
        self.inner.space.writable()
    }
}
