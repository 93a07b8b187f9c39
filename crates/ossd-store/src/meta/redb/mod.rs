//! The redb metadata backend: one database file (`meta.redb`), write transactions of
//! [`RedbTables`], and a read snapshot shared by every read until the next commit.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use redb::{Database, Durability};

use crate::StoreError;
use crate::dbfile::MetaFile;
use crate::meta::{Metadata, Tables, View};
use crate::space::Space;

pub(crate) mod list;
pub(crate) mod schema;
pub(crate) mod tables;
mod view;

use tables::RedbTables;
use view::Snapshot;

/// True for a failure of the database file's I/O, after which redb refuses everything.
fn db_io_failed(e: &StoreError) -> bool {
    matches!(e, StoreError::Db(e) if matches!(**e, redb::Error::Io(_) | redb::Error::PreviousIo))
}

/// Metadata in a redb database.
pub(crate) struct RedbMeta {
    /// The tables reads use, kept open until the next commit (dropped before `db`).
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    /// The current database instance; replaced (under the store's write lock) after an I/O
    /// failure.
    db: RwLock<Arc<Database>>,
    /// The database file, for reopening it (`None` in memory).
    file: Option<MetaFile>,
    /// The last write failed with an I/O error: the database must be reopened first.
    broken: AtomicBool,
    /// Whether the disk has room (a failed commit or reopen may say it has not).
    space: Arc<Space>,
    quick_repair: bool,
    /// Write transactions committed since open: tells whether the shared snapshot is current
    /// (and lets tests check that groups form).
    commits: AtomicU64,
}

impl RedbMeta {
    /// Upgrades the layout of `db` if needed, bumps its generation and creates every table.
    /// Returns the backend and the new generation.
    pub(crate) fn open(
        db: Database,
        file: Option<MetaFile>,
        space: Arc<Space>,
        quick_repair: bool,
    ) -> Result<(RedbMeta, u64), StoreError> {
        let mut txn = db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        txn.set_quick_repair(quick_repair);
        let generation = schema::upgrade(&txn)?;
        // Create every table so that read transactions can always open them.
        RedbTables::create_all(&txn)?;
        txn.commit()?;
        let meta = RedbMeta {
            snapshot: Mutex::new(None),
            db: RwLock::new(Arc::new(db)),
            file,
            broken: AtomicBool::new(false),
            space,
            quick_repair,
            commits: AtomicU64::new(0),
        };
        Ok((meta, generation))
    }

    /// The current redb database instance.
    pub(crate) fn db(&self) -> Arc<Database> {
        Arc::clone(&self.db.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Write transactions committed since open.
    #[cfg(test)]
    pub(crate) fn commit_count(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Drops the shared snapshot after the count of commits has moved: reads that start later
    /// must not use a snapshot from before.
    fn retire_snapshot(&self) {
        self.commits.fetch_add(1, Ordering::Release);
        let stale = self.snapshot.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(stale);
    }

    fn write_once(
        &self,
        body: &mut dyn FnMut(&mut dyn Tables) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate);
        txn.set_quick_repair(self.quick_repair);
        let commit = {
            let mut tables = RedbTables::open(&txn)?;
            body(&mut tables)
        };
        if commit? {
            txn.commit()?;
            // Before anyone learns of the commit: reads that start after it must not use a
            // snapshot from before it.
            self.retire_snapshot();
        } else {
            txn.abort()?;
        }
        Ok(())
    }

    /// Retires the failed database instance and opens a new one on the same file (redb repairs
    /// it from its last durable commit); reads that start afterwards use the new one.
    fn reopen(&self) -> Result<(), StoreError> {
        let Some(file) = &self.file else {
            return Err(StoreError::Internal("the in-memory database failed".to_owned()));
        };
        let db = file.reopen().map_err(|e| self.space.note(e))?;
        let old = {
            let mut slot = self.db.write().unwrap_or_else(PoisonError::into_inner);
            std::mem::replace(&mut *slot, Arc::new(db))
        };
        // No read may reuse a snapshot of the retired instance.
        self.retire_snapshot();
        drop(old);
        self.broken.store(false, Ordering::Release);
        Ok(())
    }
}

impl Metadata for RedbMeta {
    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn Tables) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        self.recover()?;
        match self.write_once(body) {
            Err(e) if db_io_failed(&e) => {
                // redb refuses everything after an I/O failure of its file: reopen it now (it
                // comes back at its last durable commit), so that the store recovers without a
                // restart. If that fails too, the next write tries again.
                let e = self.space.note(e);
                self.broken.store(true, Ordering::Release);
                // A failed reopen is not lost: `broken` stays set and the next write retries.
                let _ = self.reopen();
                Err(e)
            }
            r => r,
        }
    }

    fn view(&self) -> Result<Arc<dyn View>, StoreError> {
        let commits = self.commits.load(Ordering::Acquire);
        if let Some(s) = self.snapshot.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
            && s.commits == commits
        {
            return Ok(Arc::clone(s) as Arc<dyn View>);
        }
        let snap = Arc::new(Snapshot::take(&self.db(), commits)?);
        let replaced = {
            let mut slot = self.snapshot.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.as_ref().is_none_or(|s| s.commits <= commits) {
                slot.replace(Arc::clone(&snap))
            } else {
                None
            }
        };
        drop(replaced);
        Ok(snap)
    }

    fn needs_recovery(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }

    fn recover(&self) -> Result<(), StoreError> {
        if self.needs_recovery() { self.reopen() } else { Ok(()) }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
