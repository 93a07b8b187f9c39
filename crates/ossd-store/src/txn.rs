//! Write transactions: the write lock, commit, the blobs a commit leaves unreferenced, and
//! reopening the database after an I/O failure.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use redb::Durability;

use crate::StoreError;
use crate::store::Store;
use crate::writer::Writer;

/// True for a failure of the database file's I/O, after which redb refuses everything.
pub(crate) fn db_io_failed(e: &StoreError) -> bool {
    matches!(e, StoreError::Db(e) if matches!(**e, redb::Error::Io(_) | redb::Error::PreviousIo))
}

impl Store {
    /// Runs `f` in one write transaction; commits if it wrote something and succeeded, then
    /// deletes the blobs it left unreferenced.
    pub(crate) fn write<R>(
        &self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let _guard = self.inner.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        if self.inner.db_broken.load(Ordering::Acquire) {
            self.recover_db()?;
        }
        match self.write_locked(f) {
            Ok(r) => Ok(r),
            Err(e) if db_io_failed(&e) => {
                // redb refuses everything after an I/O failure of its file: reopen it now (it
                // comes back at its last durable commit), so that the store recovers without a
                // restart. If that fails too, the next write tries again.
                let e = self.inner.space.note(e);
                self.inner.db_broken.store(true, Ordering::Release);
                // A failed reopen is not lost: `db_broken` stays set and the next write retries.
                let _ = self.recover_db();
                Err(e)
            }
            Err(e) => Err(self.inner.space.note(e)),
        }
    }

    /// Retires the failed database instance and opens a new one on the same file (redb repairs
    /// it from its last durable commit); reads that start afterwards use the new one. Runs
    /// under the write lock.
    pub(crate) fn recover_db(&self) -> Result<(), StoreError> {
        let Some(meta) = &self.inner.meta else {
            return Err(StoreError::Internal("the in-memory database failed".to_owned()));
        };
        let db = meta.reopen().map_err(|e| self.inner.space.note(e))?;
        let old = {
            let mut slot = self.inner.db.write().unwrap_or_else(PoisonError::into_inner);
            std::mem::replace(&mut *slot, Arc::new(db))
        };
        // No read may reuse a snapshot of the retired instance.
        self.inner.commits.fetch_add(1, Ordering::Release);
        let stale = self.inner.snapshot.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(stale);
        drop(old);
        self.inner.db_broken.store(false, Ordering::Release);
        Ok(())
    }

    /// `Ok` when the store can take new data: its database is usable and the disk has room
    /// (probed again if it was found full). What a readiness check asks.
    pub fn writable(&self) -> Result<(), StoreError> {
        if self.inner.db_broken.load(Ordering::Acquire) {
            let _guard = self.inner.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
            if self.inner.db_broken.load(Ordering::Acquire) {
                self.recover_db()?;
            }
        }
        self.inner.space.writable()
    }

    pub(crate) fn write_locked<R>(
        &self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate);
        txn.set_quick_repair(self.inner.quick_repair);
        let (result, dirty, doomed) = {
            let mut w = Writer::open(&txn, &*self.inner.blobs)?;
            let result = f(&mut w);
            // A logical error happens before any write, so the transaction still shows the
            // committed state and its reference counts are the truth.
            let trustworthy = match &result {
                Ok(_) => true,
                Err(e) => e.is_logical() && !w.dirty,
            };
            let doomed = if trustworthy { w.unreferenced_candidates()? } else { Vec::new() };
            (result, w.dirty, doomed)
        };
        if result.is_ok() && dirty {
            txn.commit()?;
            // Before anyone learns of the commit: reads that start after it must not use a
            // snapshot from before it.
            self.inner.commits.fetch_add(1, Ordering::Release);
            let stale = self.inner.snapshot.lock().unwrap_or_else(PoisonError::into_inner).take();
            drop(stale);
        } else {
            txn.abort()?;
        }
        for id in &self.unless_read(doomed) {
            // Best effort: a blob left behind is an orphan that a later sweep removes.
            let _ = self.inner.blobs.remove(id);
        }
        result
    }
}
