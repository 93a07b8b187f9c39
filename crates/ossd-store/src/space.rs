//! Running out of disk space without wedging: the store notices ENOSPC wherever it happens (a
//! blob write, a metadata commit), refuses new data while the disk is full, lets operations that
//! free space (deletes, aborts) through, and becomes writable again by itself once space is back.
//!
//! A reserve file (`DATA/space-reserve`, [`crate::StoreOptions::reserve_bytes`]) holds back some
//! space while the store is writable. When the disk fills up the reserve is deleted, so that the
//! repair of the metadata database and the commits of deletes have room even on a disk that
//! writes filled to the last byte. The store is writable again once the reserve could be
//! written back and at least as much again is free (`statvfs`).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::StoreError;

/// Name of the reserve file in the data directory.
pub(crate) const RESERVE_FILE: &str = "space-reserve";

/// True for the errors a full disk (or an exhausted quota) gives.
pub(crate) fn is_full_io(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded)
}

/// True if `e` says the disk is full, wherever it came from.
pub(crate) fn is_full(e: &StoreError) -> bool {
    match e {
        StoreError::OutOfSpace => true,
        StoreError::Io(e) => is_full_io(e),
        StoreError::Db(e) => matches!(&**e, redb::Error::Io(e) if is_full_io(e)),
        _ => false,
    }
}

/// Bytes an unprivileged user may still write on the file system of `dir`.
fn free_bytes(dir: &std::path::Path) -> io::Result<u64> {
    let st = rustix::fs::statvfs(dir)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Whether the store may take new data, and the reserve that keeps room for freeing it.
pub(crate) struct Space {
    /// The reserve file; `None` for a store without a data directory (in memory).
    reserve: Option<PathBuf>,
    reserve_bytes: u64,
    /// The disk was found full and has not been seen with room since.
    full: AtomicBool,
    /// Serializes probes (and reserve writes).
    probe: Mutex<()>,
}

impl Space {
    /// Space accounting for the data directory `dir` (`None`: in memory, never full). Writes the
    /// reserve if it is missing; a disk too full for it starts the store full.
    pub(crate) fn new(dir: Option<PathBuf>, reserve_bytes: u64) -> Space {
        let space = Space {
            reserve: dir.map(|d| d.join(RESERVE_FILE)),
            reserve_bytes,
            full: AtomicBool::new(false),
            probe: Mutex::new(()),
        };
        if space.restore_reserve().is_err() {
            space.mark_full();
        }
        space
    }

    /// Whether the disk was found full (and not yet seen with room again).
    pub(crate) fn is_full(&self) -> bool {
        self.full.load(Ordering::Acquire)
    }

    /// Records that the disk is full: new data is refused, and the reserve is given up so that
    /// repairs and deletes have room.
    pub(crate) fn mark_full(&self) {
        if !self.full.swap(true, Ordering::AcqRel)
            && let Some(path) = &self.reserve
        {
            let _ = fs::remove_file(path);
        }
    }

    /// Marks the store full if `e` says the disk is; returns `e`, as `OutOfSpace` if so.
    pub(crate) fn note(&self, e: StoreError) -> StoreError {
        if is_full(&e) {
            self.mark_full();
            StoreError::OutOfSpace
        } else {
            e
        }
    }

    /// `Ok` if new data may be written: the store is not full, or a probe finds room again
    /// (the reserve written back and as much again free).
    pub(crate) fn writable(&self) -> Result<(), StoreError> {
        if !self.is_full() {
            return Ok(());
        }
        let Ok(_probe) = self.probe.try_lock() else {
            return Err(StoreError::OutOfSpace);
        };
        if !self.is_full() {
            return Ok(());
        }
        let Some(path) = &self.reserve else {
            self.full.store(false, Ordering::Release);
            return Ok(());
        };
        let dir = path.parent().unwrap_or(path);
        let have_reserve = fs::metadata(path).is_ok_and(|m| m.len() >= self.reserve_bytes);
        let needed = if have_reserve { self.reserve_bytes } else { 2 * self.reserve_bytes };
        if free_bytes(dir).map_err(StoreError::Io)? < needed.max(1) {
            return Err(StoreError::OutOfSpace);
        }
        self.restore_reserve().map_err(|_| StoreError::OutOfSpace)?;
        self.full.store(false, Ordering::Release);
        Ok(())
    }

    /// Writes the reserve file up to its size (real blocks, not a sparse file).
    fn restore_reserve(&self) -> io::Result<()> {
        let Some(path) = &self.reserve else {
            return Ok(());
        };
        let len = fs::metadata(path).map_or(0, |m| m.len());
        if len >= self.reserve_bytes {
            return Ok(());
        }
        let result = (|| {
            let mut f = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
            let chunk = vec![0u8; 64 * 1024];
            let mut left = self.reserve_bytes - len;
            while left > 0 {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
                f.write_all(&chunk[..n])?;
                left -= n as u64;
            }
            f.sync_data()
        })();
        if result.is_err() {
            // A partial reserve would only take space from the writes it is meant to protect.
            let _ = fs::remove_file(path);
        }
        result
    }
}
