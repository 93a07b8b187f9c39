//! The metadata database's file, opened so that the database can be reopened in place after an
//! I/O failure: redb refuses everything (`PreviousIo`) once a write or sync of its file failed,
//! for instance on a full disk, and only a new `Database` over the same file recovers.
//!
//! redb's own file backend takes its exclusive lock on the file it reads and writes, which a
//! reader still holding the failed instance would keep; here the data directory's lock is a
//! separate handle that the store holds for its whole life, and each instance's file handle can
//! be retired (`dead`), so that a failed instance can never write again once its successor exists.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::{Database, StorageBackend};

use crate::StoreError;

/// Mode of the database file: owner read/write only.
const FILE_MODE: u32 = 0o600;

/// One instance's handle on `meta.redb`.
#[derive(Debug)]
struct DbFile {
    file: File,
    /// Set when the store has given up on this instance; every later call fails.
    dead: Arc<AtomicBool>,
}

impl DbFile {
    fn check(&self) -> io::Result<()> {
        if self.dead.load(Ordering::Acquire) {
            return Err(io::Error::other("this metadata database instance was retired"));
        }
        Ok(())
    }
}

impl StorageBackend for DbFile {
    fn len(&self) -> io::Result<u64> {
        self.check()?;
        Ok(self.file.metadata()?.len())
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.check()?;
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.check()?;
        self.file.set_len(len)
    }

    fn sync_data(&self, _eventual: bool) -> io::Result<()> {
        self.check()?;
        self.file.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check()?;
        self.file.write_all_at(data, offset)
    }
}

/// The database file of a store: its path, the lock held for the store's life, and the switch
/// that retires the current instance.
pub(crate) struct MetaFile {
    path: PathBuf,
    cache_bytes: usize,
    /// Exclusive lock on `meta.redb` (a separate handle, so reopening never needs to retake it).
    _lock: File,
    dead: std::sync::Mutex<Arc<AtomicBool>>,
}

impl MetaFile {
    /// Locks `path` (creating it, mode 0600) and opens the database on it.
    pub(crate) fn open(
        path: &Path,
        cache_bytes: usize,
    ) -> Result<(MetaFile, Database), StoreError> {
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(path)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(redb::DatabaseError::DatabaseAlreadyOpen.into());
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        let meta = MetaFile {
            path: path.to_owned(),
            cache_bytes,
            _lock: lock,
            dead: std::sync::Mutex::new(Arc::new(AtomicBool::new(false))),
        };
        let db = meta.instance()?;
        Ok((meta, db))
    }

    /// A new database instance on the file (redb repairs it if the last one did not close
    /// cleanly). The caller must have retired the previous instance.
    fn instance(&self) -> Result<Database, StoreError> {
        let file = OpenOptions::new().read(true).write(true).mode(FILE_MODE).open(&self.path)?;
        let dead = Arc::clone(&self.dead.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let backend = DbFile { file, dead };
        Ok(Database::builder().set_cache_size(self.cache_bytes).create_with_backend(backend)?)
    }

    /// Retires the current instance (it can no longer read or write the file) and opens a new
    /// one, which redb repairs from the last commit that reached the disk.
    pub(crate) fn reopen(&self) -> Result<Database, StoreError> {
        {
            let mut dead = self.dead.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            dead.store(true, Ordering::Release);
            *dead = Arc::new(AtomicBool::new(false));
        }
        self.instance()
    }
}
