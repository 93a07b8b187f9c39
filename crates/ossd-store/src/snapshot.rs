//! The shared read snapshot: the tables object reads use, opened once and shared by every read
//! until the next commit; plus the plain read transactions of the other reads.

use std::io::{self, Read};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use redb::{ReadOnlyTable, ReadTransaction};

use crate::StoreError;
use crate::list::ObjKey;
use crate::record::BlobId;
use crate::schema::{BLOB_REFS, BUCKETS, INLINE_BLOBS, OBJECTS, UPLOAD_IDS};
use crate::store::{Inner, Store};

/// A read snapshot of the tables object reads need, shared by reads until the next commit.
/// Opening a table in a fresh read transaction costs more than the lookup itself (redb finds
/// it by name in its table tree and checks its types); the snapshot saves that on every read
/// between two writes. A commit drops it, so it never pins pages that later commits freed.
pub(crate) struct Snapshot {
    /// [`Inner::commits`] read before the snapshot was taken: it holds every commit counted
    /// up to there, so it serves reads for as long as the count has not moved.
    pub(crate) commits: u64,
    pub(crate) buckets: ReadOnlyTable<&'static str, &'static [u8]>,
    pub(crate) objects: ReadOnlyTable<ObjKey, &'static [u8]>,
    pub(crate) inline: ReadOnlyTable<&'static [u8], &'static [u8]>,
    pub(crate) refs: ReadOnlyTable<&'static str, u64>,
}

impl Store {
    pub(crate) fn read(&self) -> Result<ReadTransaction, StoreError> {
        Ok(self.db().begin_read()?)
    }

    /// The current [`Snapshot`]: the shared one if no commit has happened since it was taken,
    /// else a new one (which then becomes the shared one).
    pub(crate) fn snapshot(&self) -> Result<Arc<Snapshot>, StoreError> {
        let commits = self.inner.commits.load(Ordering::Acquire);
        let shared = &self.inner.snapshot;
        if let Some(s) = shared.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
            && s.commits == commits
        {
            return Ok(Arc::clone(s));
        }
        let txn = self.read()?;
        let snap = Arc::new(Snapshot {
            commits,
            buckets: txn.open_table(BUCKETS)?,
            objects: txn.open_table(OBJECTS)?,
            inline: txn.open_table(INLINE_BLOBS)?,
            refs: txn.open_table(BLOB_REFS)?,
        });
        let replaced = {
            let mut slot = shared.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.as_ref().is_none_or(|s| s.commits <= commits) {
                slot.replace(Arc::clone(&snap))
            } else {
                None
            }
        };
        drop(replaced);
        Ok(snap)
    }

    pub(crate) fn require_bucket(txn: &ReadTransaction, bucket: &str) -> Result<(), StoreError> {
        match txn.open_table(BUCKETS)?.get(bucket)? {
            Some(_) => Ok(()),
            None => Err(StoreError::NoSuchBucket),
        }
    }

    pub(crate) fn read_upload_key(
        txn: &ReadTransaction,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(txn.open_table(UPLOAD_IDS)?.get((bucket, upload_id))?.map(|g| g.value().to_vec()))
    }

    /// Opens blob `id` at `offset`: from the snapshot `snap` when inline, else from the backend.
    pub(crate) fn open_blob(
        inner: &Inner,
        snap: &Snapshot,
        id: &BlobId,
        offset: u64,
    ) -> io::Result<Box<dyn Read + Send>> {
        if !id.is_inline() {
            return inner.blobs.open(id, offset);
        }
        let guard = snap
            .inline
            .get(id.as_str().as_bytes())
            .map_err(|e| io::Error::other(e.to_string()))?
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("inline blob {id} not found"))
            })?;
        let bytes = guard.value();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
        Ok(Box::new(io::Cursor::new(bytes[start..].to_vec())))
    }
}
