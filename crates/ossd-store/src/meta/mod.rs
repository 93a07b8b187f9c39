//! Metadata behind a trait: buckets (with their configuration documents), bucket counters,
//! objects, multipart uploads and parts, blob reference counts and inline blob bytes.
//!
//! A backend provides write transactions over typed [`Tables`], consistent read [`View`]s and
//! recovery after an I/O failure. The semantics of every operation live once, in
//! [`crate::writer::Writer`], which runs over any backend's [`Tables`]; the group-commit queue,
//! blob files, read leases and the full-disk handling stay above the trait in the
//! [`crate::Store`]. redb (`redb/`) is the embedded default; `postgres/` keeps the metadata in a
//! PostgreSQL database shared by several nodes (docs/design.md, section 10).

use std::sync::Arc;

use crate::StoreError;
use crate::blob::BlobBackend;
use crate::group::BatchResult;
use crate::record::{
    BlobId, BucketRecord, BucketStats, ListPage, ListQuery, ListUploadsQuery, ObjectRecord,
    PartRecord, UploadRecord, UploadsPage,
};
use crate::writer::{Op, Writer};

pub(crate) mod postgres;
pub(crate) mod redb;
#[cfg(test)]
pub(crate) mod suite;

/// A metadata backend.
pub(crate) trait Metadata: Send + Sync + 'static {
    /// Runs `body` in one write transaction and commits it if `body` returns `Ok(true)`; rolls it
    /// back on `Ok(false)` or an error (returned). After a commit, every [`Metadata::view`] taken
    /// later sees it. `body` may be run more than once (a backend may retry a transaction that
    /// lost a serialization conflict); only the last run counts. The store calls this under its
    /// write lock, one transaction at a time.
    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn Tables) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError>;

    /// A read view of one committed state, at least as new as the last commit that returned.
    fn view(&self) -> Result<Arc<dyn View>, StoreError>;

    /// Whether the backend failed and waits for [`Metadata::recover`] (cheap: no lock).
    fn needs_recovery(&self) -> bool;

    /// Makes the backend usable again after an I/O failure (redb reopens its file); nothing if
    /// it is healthy. Called under the store's write lock.
    fn recover(&self) -> Result<(), StoreError>;
    /// Starts the feed of changes other processes make to buckets and settings
    /// ([`crate::changes`]), checked at least every `poll`; `None` when no other process writes.
    fn watch(
        &self,
        _poll: std::time::Duration,
    ) -> Result<Option<crate::changes::ChangeFeed>, StoreError> {
        Ok(None)
    }

    /// Waits until every live process has applied the bucket and setting changes this one
    /// committed, at most `limit` ([`crate::Store::settle_config`]); `Ok(false)` on timeout.
    /// Nothing to wait for when no other process writes.
    fn settle(&self, _limit: std::time::Duration) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// This process stops serving: nobody need wait for it any more ([`Metadata::settle`]).
    fn leave(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The backend itself (tests look into the redb tables).
    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any;

    /// Group commit: applies `requests` (each a list of ops) in ONE transaction, with one result
    /// per op. An op that fails for a logical reason fails before it writes anything, so the
    /// other ops still apply; any other failure fails (and rolls back) the whole transaction.
    /// Also returns the blob files the commit left unreferenced (to be unlinked by the caller).
    fn apply(
        &self,
        blobs: &dyn BlobBackend,
        requests: &[&[Op]],
    ) -> Result<(Vec<BatchResult>, Vec<BlobId>), StoreError> {
        let (out, doomed) = transact(self, blobs, &mut |w| {
            requests.iter().map(|ops| w.apply_all(ops).map(Ok)).collect()
        });
        out.map(|results| (results, doomed))
    }
}

/// Runs `f` on a [`Writer`] in one write transaction of `meta`: commits when `f` succeeds having
/// written something, and returns `f`'s result with the blob files left unreferenced (empty
/// unless the transaction's reference counts can be trusted: it committed, or `f` failed for a
/// logical reason before writing).
pub(crate) fn transact<M: Metadata + ?Sized, R>(
    meta: &M,
    blobs: &dyn BlobBackend,
    f: &mut dyn FnMut(&mut Writer<'_>) -> Result<R, StoreError>,
) -> (Result<R, StoreError>, Vec<BlobId>) {
    let mut out = None;
    let mut doomed = Vec::new();
    let written = meta.write(&mut |tables| {
        let mut w = Writer::new(tables, blobs);
        // A failure of the machinery goes to the backend (redb reopens after an I/O failure),
        // which rolls back and returns it.
        let result = match f(&mut w) {
            Err(e) if !e.is_logical() => return Err(e),
            r => r,
        };
        // A logical error happens before any write, so the transaction still shows the
        // committed state and its reference counts are the truth.
        doomed = if result.is_ok() || !w.dirty { w.unreferenced_candidates()? } else { Vec::new() };
        let commit = result.is_ok() && w.dirty;
        out = Some(result);
        Ok(commit)
    });
    match (written, out) {
        (Ok(()), Some(result)) => (result, doomed),
        (Ok(()), None) => {
            (Err(StoreError::Internal("write transaction ran nothing".to_owned())), Vec::new())
        }
        (Err(e), _) => (Err(e), Vec::new()),
    }
}

/// The tables of one write transaction, typed. Every method reads or writes the transaction's
/// own state (its earlier writes included).
pub(crate) trait Tables {
    /// Whether bucket `name` exists.
    fn bucket_exists(&self, name: &str) -> Result<bool, StoreError>;
    /// The record of bucket `name` (read-modify-writes and writes that read its versioning
    /// state, inside the transaction).
    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError>;
    /// Inserts or replaces a bucket record (its configuration documents included).
    fn put_bucket(&mut self, rec: &BucketRecord) -> Result<(), StoreError>;
    /// Removes a bucket record and its counters.
    fn remove_bucket(&mut self, name: &str) -> Result<(), StoreError>;
    /// Whether the bucket holds any object or unfinished upload.
    fn bucket_has_entries(&self, bucket: &str) -> Result<bool, StoreError>;
    /// A bucket's counters, if stored.
    fn stats(&self, bucket: &str) -> Result<Option<BucketStats>, StoreError>;
    /// Stores a bucket's counters.
    fn put_stats(&mut self, bucket: &str, stats: &BucketStats) -> Result<(), StoreError>;
    /// The object at `key`.
    fn object(&self, bucket: &str, key: &[u8]) -> Result<Option<ObjectRecord>, StoreError>;
    /// Whether an object exists at `key`.
    fn object_exists(&self, bucket: &str, key: &[u8]) -> Result<bool, StoreError>;
    /// Stores `rec` under `rec.key`; returns the record it replaced.
    fn put_object(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
    ) -> Result<Option<ObjectRecord>, StoreError>;
    /// Removes the object at `key`; returns it.
    fn remove_object(
        &mut self,
        bucket: &str,
        key: &[u8],
    ) -> Result<Option<ObjectRecord>, StoreError>;
    /// Noncurrent versions of `key`, newest first (ascending order, see
    /// [`crate::version::order_of`]), starting after order `after_order` (`None`: from the
    /// newest), at most `limit`.
    fn versions(
        &self,
        bucket: &str,
        key: &[u8],
        after_order: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>, StoreError>;
    /// Stores `rec` as a noncurrent version of `rec.key`, at order `order_of(rec.seq)`
    /// (replacing what is there).
    fn put_version(&mut self, bucket: &str, rec: &ObjectRecord) -> Result<(), StoreError>;
    /// Removes the noncurrent version of `key` at `order`.
    fn remove_version(&mut self, bucket: &str, key: &[u8], order: u64) -> Result<(), StoreError>;
    /// The key of upload `upload_id`, if the upload exists.
    fn upload_key(&self, bucket: &str, upload_id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores an upload, replacing any upload of the same id (whatever its key); returns
    /// whether the id was new.
    fn put_upload(&mut self, bucket: &str, rec: &UploadRecord) -> Result<bool, StoreError>;
    /// Removes upload `upload_id` of `key` (not its parts).
    fn remove_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        key: &[u8],
    ) -> Result<(), StoreError>;
    /// Every part of an upload, by number.
    fn parts(&self, bucket: &str, upload_id: &str) -> Result<Vec<PartRecord>, StoreError>;
    /// Stores a part; returns the part of that number it replaced.
    fn put_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        part: &PartRecord,
    ) -> Result<Option<PartRecord>, StoreError>;
    /// Removes part `number` of an upload.
    fn remove_part(&mut self, bucket: &str, upload_id: &str, number: u32)
    -> Result<(), StoreError>;
    /// The number of records referencing blob `id` (0 when none).
    fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError>;
    /// Sets the reference count of blob `id`; 0 removes the entry.
    fn set_ref_count(&mut self, id: &BlobId, count: u64) -> Result<(), StoreError>;
    /// Whether the bytes of inline blob `id` are stored.
    fn inline_exists(&self, id: &BlobId) -> Result<bool, StoreError>;
    /// Stores the bytes of inline blob `id`.
    fn put_inline(&mut self, id: &BlobId, bytes: &[u8]) -> Result<(), StoreError>;
    /// The settings document `name` (node-wide configuration kept in the metadata so that every
    /// node sharing it sees the same, such as the access keys), if stored.
    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores the settings document `name`, replacing any.
    fn put_setting(&mut self, name: &str, doc: &[u8]) -> Result<(), StoreError>;
    /// Removes the bytes of inline blob `id`.
    fn remove_inline(&mut self, id: &BlobId) -> Result<(), StoreError>;
}

/// A read view: every read sees one committed state.
pub(crate) trait View: Send + Sync {
    /// The bucket named `name`.
    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError>;
    /// Whether bucket `name` exists.
    fn bucket_exists(&self, name: &str) -> Result<bool, StoreError>;
    /// All buckets, by name.
    fn buckets(&self) -> Result<Vec<BucketRecord>, StoreError>;
    /// A bucket's counters, if stored.
    fn stats(&self, bucket: &str) -> Result<Option<BucketStats>, StoreError>;
    /// The object at `key`.
    fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError>;
    /// One page of objects (prefix, delimiter roll-up, marker, paging) and the number of
    /// entries visited to make it.
    fn list_objects(&self, bucket: &str, q: &ListQuery) -> Result<(ListPage, usize), StoreError>;
    /// Noncurrent versions of `key`, as [`Tables::versions`].
    fn versions(
        &self,
        bucket: &str,
        key: &str,
        after_order: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>, StoreError>;
    /// Upload `upload_id`.
    fn upload(&self, bucket: &str, upload_id: &str) -> Result<Option<UploadRecord>, StoreError>;
    /// One page of uploads, by (key, upload id).
    fn list_uploads(&self, bucket: &str, q: &ListUploadsQuery) -> Result<UploadsPage, StoreError>;
    /// Parts of an upload numbered above `after`, at most `limit`, by number.
    fn parts(
        &self,
        bucket: &str,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError>;
    /// The number of records referencing blob `id` (0 when none).
    fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError>;
    /// Hands the bytes of inline blob `id` to `f`; false if they are not stored.
    fn inline(&self, id: &BlobId, f: &mut dyn FnMut(&[u8])) -> Result<bool, StoreError>;
    /// The settings document `name`, as [`Tables::setting`].
    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
}
