//! The [`Store`] and its public API: metadata behind [`Metadata`] (redb), bytes in a
//! [`BlobBackend`]. Mutations of concurrent callers are committed together in one write
//! transaction (group commit, `group.rs`) that also maintains blob reference counts and bucket
//! counters (`writer.rs`); blob files whose count drops to zero are deleted only after the
//! commit (`txn.rs`), or after the readers that may still open them (`lease.rs`). Opening a
//! store is in `store/open.rs`, the multipart API in `store/uploads.rs`.

use std::io::{self, Read};
use std::sync::{Arc, Mutex, PoisonError};

use crate::StoreError;
use crate::blob::{BlobBackend, BlobOpener, BlobWriter, ObjectReader};
use crate::crypt::Keyring;
use crate::crypt::stream::Decryptor;
use crate::group::{Commit, CommitterSignal, Committing, GroupQueue};
use crate::lease::{Leases, ReadLease};
use crate::meta::{Metadata, View};
use crate::read::check_range;
use crate::record::{Blob, BlobId, BucketRecord, BucketStats, ListPage, ListQuery, ObjectRecord};
use crate::space::Space;
use crate::version::{VersionSel, Versioning};
use crate::writer::{Op, OpOutput, Written, missing_blob};
use std::future::IntoFuture;

mod open;
mod uploads;

pub use open::{DEFAULT_CACHE_BYTES, DEFAULT_RESERVE_BYTES, MASTER_KEY_FILE, StoreOptions};

/// Whether a write may replace an existing object (`x-oss-forbid-overwrite`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overwrite {
    /// Replace whatever is there (the default).
    #[default]
    Allow,
    /// Fail with [`StoreError::ObjectExists`] if the key exists when the commit applies the op.
    Forbid,
}

/// Blobs up to this size are kept inline in the metadata database by default.
pub const DEFAULT_INLINE_MAX: u64 = 16 * 1024;

/// How many orphan candidates `sweep_orphans` checks per lock hold.
pub(crate) const SWEEP_BATCH: usize = 512;

/// Shared state behind the `Arc`.
pub(crate) struct Inner {
    /// Buckets, objects, uploads, counters, blob reference counts (redb or PostgreSQL).
    pub(crate) meta: Arc<dyn Metadata>,
    /// Whether the disk has room for new data.
    pub(crate) space: Arc<Space>,
    pub(crate) blobs: Arc<dyn BlobBackend>,
    pub(crate) generation: u64,
    pub(crate) inline_max: u64,
    /// How long an unreferenced blob stays before deletion (`None`: no wait, see
    /// [`StoreOptions::blob_grace`]).
    pub(crate) grace: Option<std::time::Duration>,
    /// Master keys wrapping the data keys of encrypted blobs.
    pub(crate) keys: Arc<Keyring>,
    /// Held across each write transaction and the blob deletions that follow its commit, and by
    /// the sweep, so that no commit can re-reference a blob between "count is zero" and unlink.
    pub(crate) write_lock: Mutex<()>,
    /// Requests waiting for the next group commit, and whether a leader is committing.
    pub(crate) group: Mutex<GroupQueue>,
    /// The thread that leads commits for async callers, started by the first of them.
    pub(crate) committer: Mutex<Option<Arc<CommitterSignal>>>,
    /// Object readers still running, and the blobs whose deletion waits for them.
    pub(crate) leases: Mutex<Leases>,
    /// Monitoring counters (`stats.rs`).
    pub(crate) stats: crate::stats::StoreStats,
    /// Other processes write to the metadata too (see [`Store::is_shared`]).
    pub(crate) shared: bool,
}

/// The embedded store (cheap to clone; all clones share one database).
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl Store {
    /// Monitoring counters: group commits, blobs waiting to be unlinked.
    pub fn stats(&self) -> &crate::stats::StoreStats {
        &self.inner.stats
    }

    /// The redb backend (tests look into its tables).
    #[cfg(test)]
    pub(crate) fn redb(&self) -> &crate::meta::redb::RedbMeta {
        self.inner.meta.as_any().downcast_ref().expect("the store runs on redb")
    }

    /// The current redb database instance.
    #[cfg(test)]
    pub(crate) fn db(&self) -> Arc<redb::Database> {
        self.redb().db()
    }

    /// Write transactions committed since this store was opened.
    #[cfg(test)]
    pub(crate) fn commit_count(&self) -> u64 {
        self.redb().commit_count()
    }

    /// A read view of the metadata (see [`Metadata::view`]).
    pub(crate) fn view(&self) -> Result<Arc<dyn View>, StoreError> {
        self.inner.meta.view()
    }

    /// `NoSuchBucket` unless `view` shows bucket `bucket`.
    fn require_bucket(view: &dyn View, bucket: &str) -> Result<(), StoreError> {
        if view.bucket_exists(bucket)? { Ok(()) } else { Err(StoreError::NoSuchBucket) }
    }

    /// Whether blob reads and writes may wait on the network (the server keeps them off its
    /// async workers then).
    pub fn blobs_are_remote(&self) -> bool {
        self.inner.blobs.is_remote()
    }

    /// This process's generation: the number of times the store has been opened.
    pub fn generation(&self) -> u64 {
        self.inner.generation
    }

    /// Deletes blobs that no committed record references and that were created by an earlier
    /// process (generation below the current one). Returns how many were removed. With a grace
    /// period ([`StoreOptions::blob_grace`]) this is [`Store::collect_garbage`] at the current
    /// time instead (other nodes' blobs of any generation may be in flight).
    pub fn sweep_orphans(&self) -> Result<usize, StoreError> {
        if self.inner.grace.is_some() {
            return self.collect_garbage(std::time::SystemTime::now()).map(|r| r.removed);
        }
        let generation = self.inner.generation;
        let mut removed = 0;
        let mut batch = Vec::new();
        self.inner.blobs.for_each(&mut |id| {
            if id.generation() < generation {
                batch.push(id);
                if batch.len() >= SWEEP_BATCH {
                    removed += self.sweep_batch(&mut batch)?;
                }
            }
            Ok(())
        })?;
        removed += self.sweep_batch(&mut batch)?;
        Ok(removed)
    }

    pub(crate) fn sweep_batch(&self, batch: &mut Vec<BlobId>) -> Result<usize, StoreError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let _guard = self.inner.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let view = self.view()?;
        let mut removed = 0;
        for id in batch.drain(..) {
            if view.ref_count(&id)? == 0 {
                self.inner.blobs.remove(&id)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The shared state, for readers that outlive a borrow of the store.
    pub(crate) fn inner_arc(&self) -> Arc<Inner> {
        Arc::clone(&self.inner)
    }

    // ---- buckets ----

    /// Creates a bucket; `BucketExists` if the name is taken.
    pub fn create_bucket(&self, rec: &BucketRecord) -> Result<(), StoreError> {
        self.settled(self.commit_one(Op::CreateBucket { rec: rec.clone() }).map(|_| ()))
    }

    /// The bucket named `name`, if any.
    pub fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        self.view()?.bucket(name)
    }

    /// All buckets, sorted by name.
    pub fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        self.view()?.buckets()
    }

    /// Replaces a bucket's record; `NoSuchBucket` if missing.
    pub fn update_bucket(&self, rec: &BucketRecord) -> Result<(), StoreError> {
        self.settled(self.commit_one(Op::UpdateBucket { rec: rec.clone() }).map(|_| ()))
    }

    /// Reads the bucket's record, applies `f` and stores the result in one write transaction
    /// (`f` may run more than once); returns the stored record. `NoSuchBucket` if missing.
    pub fn modify_bucket(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut BucketRecord),
    ) -> Result<BucketRecord, StoreError> {
        self.settled(self.write(|w| w.modify_bucket(name, f)))
    }

    /// Whether other processes write to this store's metadata too (PostgreSQL): then what a
    /// process caches of it may be stale.
    pub fn is_shared(&self) -> bool {
        self.inner.shared
    }

    /// Deletes an empty bucket; `NoSuchBucket`, or `BucketNotEmpty` with objects or uploads.
    pub fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        self.settled(self.commit_one(Op::DeleteBucket { name: name.to_owned() }).map(|_| ()))
    }

    /// The bucket's counters (GetBucketStat), read without scanning.
    pub fn bucket_stats(&self, name: &str) -> Result<BucketStats, StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, name)?;
        Ok(view.stats(name)?.unwrap_or_default())
    }

    // ---- blobs ----

    /// Starts a new blob (a temp file in tmp/ for the file-system backend).
    pub fn blob_writer(&self) -> Result<BlobWriter, StoreError> {
        // A full disk is refused before any byte is written.
        self.writable()?;
        let id = BlobId::generate(self.inner.generation);
        let sink = self.inner.blobs.create(&id).map_err(|e| self.inner.space.note(e.into()))?;
        Ok(BlobWriter::new(id, sink, Arc::clone(&self.inner.space)))
    }

    /// The largest blob [`Store::blob_writer_for`] keeps inline (0: none).
    pub fn inline_max(&self) -> u64 {
        self.inner.inline_max
    }

    /// Starts a new blob of `size` bytes if known: a small one is kept in memory and stored
    /// inline by the commit of the operation it is handed to (one sync for bytes and record);
    /// otherwise this is [`Store::blob_writer`]. An inline writer refuses more than `size` bytes.
    pub fn blob_writer_for(&self, size: Option<u64>) -> Result<BlobWriter, StoreError> {
        match size {
            Some(n) if n <= self.inner.inline_max => {
                let limit = usize::try_from(n).unwrap_or(usize::MAX);
                Ok(BlobWriter::inline(BlobId::generate_inline(self.inner.generation), limit))
            }
            _ => self.blob_writer(),
        }
    }

    /// Starts a new blob as [`Store::blob_writer_for`] does, encrypted when `encrypted` (the
    /// blob of an object with server-side encryption; `size` is the plaintext size).
    pub fn blob_writer_with(
        &self,
        size: Option<u64>,
        encrypted: bool,
    ) -> Result<BlobWriter, StoreError> {
        if !encrypted {
            return self.blob_writer_for(size);
        }
        let mut w = match size {
            Some(n) if n <= self.inner.inline_max => {
                let limit = usize::try_from(crate::crypt::encrypted_len(n)).unwrap_or(usize::MAX);
                BlobWriter::inline(BlobId::generate_inline(self.inner.generation), limit)
            }
            _ => self.blob_writer()?,
        };
        w.encrypt_with(&self.inner.keys)?;
        Ok(w)
    }

    /// Opens blob `id` at plaintext `offset`, decrypting it when `encrypted`.
    pub(crate) fn open_blob(
        inner: &Inner,
        snap: &dyn View,
        id: &BlobId,
        offset: u64,
        encrypted: bool,
    ) -> io::Result<Box<dyn Read + Send>> {
        if !encrypted {
            return Self::open_stored(inner, snap, id, offset);
        }
        let open = |off| Self::open_stored(inner, snap, id, off);
        Ok(Box::new(Decryptor::open(&inner.keys, id, offset, &open)?))
    }

    /// Opens the stored bytes of blob `id` at `offset`: from the view `snap` when inline, else
    /// from the backend.
    fn open_stored(
        inner: &Inner,
        snap: &dyn View,
        id: &BlobId,
        offset: u64,
    ) -> io::Result<Box<dyn Read + Send>> {
        if !id.is_inline() {
            return inner.blobs.open(id, offset);
        }
        let mut rest = None;
        let found = snap
            .inline(id, &mut |bytes| {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
                rest = Some(bytes[start..].to_vec());
            })
            .map_err(|e| io::Error::other(e.to_string()))?;
        match rest {
            Some(rest) if found => Ok(Box::new(io::Cursor::new(rest))),
            _ => {
                Err(io::Error::new(io::ErrorKind::NotFound, format!("inline blob {id} not found")))
            }
        }
    }

    // ---- objects ----

    /// Inserts or replaces `rec` under `rec.key`; yields the replaced record. `new` are the
    /// freshly written blobs among `rec`'s segments (an inline blob must be handed over this way:
    /// its bytes are stored by this commit). With [`Overwrite::Forbid`] it fails with
    /// [`StoreError::ObjectExists`] if the key exists when the commit applies it. Blobs of the
    /// replaced record that `rec` does not reference are deleted after the commit; on a logical
    /// error the blobs of `rec` that nothing references are deleted.
    pub fn put(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    ) -> Commit<Option<ObjectRecord>> {
        self.commit(Self::put_op(bucket, rec, new, overwrite), OpOutput::replaced)
    }

    /// [`Store::put`] answering what the write did (the version it made, in a versioned
    /// bucket), for async callers, queued now.
    pub fn put_versioned_async(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    ) -> Committing<Written> {
        self.commit(Self::put_op(bucket, rec, new, overwrite), OpOutput::written).into_future()
    }

    /// [`Store::put_versioned_async`], blocking.
    pub fn put_versioned(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    ) -> Result<Written, StoreError> {
        self.commit(Self::put_op(bucket, rec, new, overwrite), OpOutput::written).wait()
    }

    /// The op of a put; the version fields of `rec` are the store's to decide (a record copied
    /// from another version comes with that version's).
    fn put_op(bucket: &str, mut rec: ObjectRecord, new: Vec<Blob>, overwrite: Overwrite) -> Op {
        clear_version(&mut rec);
        Op::PutObject { bucket: bucket.to_owned(), rec, new, overwrite }
    }

    /// [`Store::put`] of a record whose blobs are all committed already, blocking.
    pub fn put_object(
        &self,
        bucket: &str,
        rec: ObjectRecord,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.put(bucket, rec, Vec::new(), Overwrite::Allow).wait()
    }

    /// [`Store::put`] that may overwrite, blocking.
    pub fn put_new_object(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.put(bucket, rec, new, Overwrite::Allow).wait()
    }

    /// [`Store::put`], blocking.
    pub fn put_object_with(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.put(bucket, rec, new, overwrite).wait()
    }

    /// The object `key`, if any (a current delete marker is none); `NoSuchBucket` if the bucket
    /// is missing.
    pub fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, bucket)?;
        Ok(view.object(bucket, key)?.filter(|r| !r.delete_marker))
    }

    /// The version of `key` that `version` names (`None`: the current one), delete markers
    /// included; `None` if there is no such version.
    pub fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&VersionSel>,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, bucket)?;
        Self::version_in(&*view, bucket, key, version)
    }

    /// The version of `key` that `version` names in `view`.
    pub(crate) fn version_in(
        view: &dyn View,
        bucket: &str,
        key: &str,
        version: Option<&VersionSel>,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let current = view.object(bucket, key)?;
        let Some(sel) = version else { return Ok(current) };
        if let Some(cur) = current.filter(|c| sel.matches(c)) {
            return Ok(Some(cur));
        }
        crate::list_versions::find_noncurrent(view, bucket, key, sel)
    }

    /// Noncurrent versions of `key`, newest first, after order `after_order` (see
    /// [`crate::version::order_of`]; `None`: from the newest), at most `limit`.
    pub fn noncurrent_versions(
        &self,
        bucket: &str,
        key: &str,
        after_order: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>, StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, bucket)?;
        view.versions(bucket, key, after_order, limit)
    }

    /// The versioning state of `bucket`.
    pub fn versioning(&self, bucket: &str) -> Result<Versioning, StoreError> {
        let view = self.view()?;
        let rec = view.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
        Ok(Versioning::of(&rec))
    }

    /// [`Store::put`] for async callers, queued now (see [`Commit`]).
    pub fn put_new_object_async(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    ) -> Committing<Option<ObjectRecord>> {
        self.put(bucket, rec, new, overwrite).into_future()
    }

    /// Deletes an object, yielding it; its blobs are deleted after the commit.
    pub fn delete(&self, bucket: &str, key: &str) -> Commit<Option<ObjectRecord>> {
        let op = Op::DeleteObject { bucket: bucket.to_owned(), key: key.to_owned(), version: None };
        self.commit(op, OpOutput::replaced)
    }

    /// DeleteObject with versions, for async callers, queued now: without `version` removes
    /// the object (never-versioned bucket) or adds a delete marker; with it removes that
    /// version for good (the newest remaining one becomes current if it was the current one).
    pub fn delete_version_async(
        &self,
        bucket: &str,
        key: &str,
        version: Option<VersionSel>,
    ) -> Committing<Written> {
        let op = Op::DeleteObject { bucket: bucket.to_owned(), key: key.to_owned(), version };
        self.commit(op, OpOutput::written).into_future()
    }

    /// Deletes several objects or versions in one transaction; one result per entry.
    pub fn delete_versions(
        &self,
        bucket: &str,
        entries: &[(String, Option<VersionSel>)],
    ) -> Result<Vec<Written>, StoreError> {
        let ops = entries
            .iter()
            .map(|(k, v)| Op::DeleteObject {
                bucket: bucket.to_owned(),
                key: k.clone(),
                version: v.clone(),
            })
            .collect();
        self.commit_batch(ops)?.into_iter().map(|r| r.and_then(OpOutput::written)).collect()
    }

    /// [`Store::delete`] for async callers, queued now (see [`Commit`]).
    pub fn delete_object_async(&self, bucket: &str, key: &str) -> Committing<Option<ObjectRecord>> {
        self.delete(bucket, key).into_future()
    }

    /// [`Store::delete`], blocking.
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.delete(bucket, key).wait()
    }

    /// Deletes several objects in one transaction; one entry per key, `None` where absent.
    pub fn delete_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<Option<ObjectRecord>>, StoreError> {
        let ops = keys
            .iter()
            .map(|k| Op::DeleteObject { bucket: bucket.to_owned(), key: k.clone(), version: None })
            .collect();
        self.commit_batch(ops)?.into_iter().map(|r| r.and_then(OpOutput::replaced)).collect()
    }

    /// Updates metadata-only fields via `f`; key, size, crc64, segments and object type are
    /// kept whatever `f` does. `NoSuchKey` if the object is missing.
    pub fn update_object(
        &self,
        bucket: &str,
        key: &str,
        f: &mut dyn FnMut(&mut ObjectRecord),
    ) -> Result<ObjectRecord, StoreError> {
        self.update_version(bucket, key, None, f)
    }

    /// [`Store::update_object`] of the version `version` names (`None`: the current one);
    /// `NoSuchVersion` if there is none, `DeleteMarker` if it is a delete marker.
    pub fn update_version(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&VersionSel>,
        f: &mut dyn FnMut(&mut ObjectRecord),
    ) -> Result<ObjectRecord, StoreError> {
        self.writable()?;
        self.write(|w| w.update_object(bucket, key, version, f))
    }

    /// Deletes the object only while its record is still `expected`: what a background expiry
    /// runs, so that an object overwritten (or retagged) since it was judged stays. Returns
    /// whether it was deleted.
    pub fn delete_object_if_unchanged(
        &self,
        bucket: &str,
        expected: &ObjectRecord,
    ) -> Result<bool, StoreError> {
        self.writable()?;
        self.write(|w| match w.object(bucket, &expected.key)? {
            Some(current) if current == *expected => {
                w.delete_object(bucket, &expected.key, None).map(|_| true)
            }
            _ => Ok(false),
        })
    }

    /// AppendObject: if `position` equals the current size (or the object is absent and
    /// `position` is 0), adds `blob` as a new segment and updates size, crc64, and the etag and
    /// last-modified from `template`; a new object takes all its metadata from `template`.
    pub fn append_object(
        &self,
        bucket: &str,
        key: &str,
        position: u64,
        blob: Blob,
        mut template: ObjectRecord,
    ) -> Result<ObjectRecord, StoreError> {
        clear_version(&mut template);
        let op = Op::AppendObject {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            position,
            blob,
            template,
        };
        match self.commit_one(op)? {
            OpOutput::Appended(rec) => Ok(rec),
            _ => Err(StoreError::Internal("unexpected op output".to_owned())),
        }
    }

    /// Reader over the object's bytes `[start, end)`, which must lie within the object.
    pub fn open_object(
        &self,
        rec: &ObjectRecord,
        start: u64,
        end: u64,
    ) -> Result<ObjectReader, StoreError> {
        check_range(rec, start, end)?;
        // The lease first, then a snapshot: every blob the snapshot shows referenced stays
        // until the reader ends, even if a commit meanwhile leaves it unreferenced (see
        // [`Leases`]); one it shows unreferenced may be gone at any moment, so the read is
        // refused now rather than cut short later. Inline bytes come from the same snapshot.
        let lease = ReadLease::take(&self.inner);
        let snap = self.view()?;
        for seg in &rec.segments {
            if snap.ref_count(&seg.blob)? == 0 {
                return Err(missing_blob(&seg.blob));
            }
        }
        let inner = Arc::clone(&self.inner);
        let encrypted = rec.server_side_encryption.is_some();
        let open: BlobOpener = Arc::new(move |id, offset| {
            let _held = &lease;
            Store::open_blob(&inner, &*snap, id, offset, encrypted)
        });
        ObjectReader::new(open, &rec.segments, start, end)
    }

    /// One page of ListObjects (S3 v1 semantics).
    pub fn list_objects(&self, bucket: &str, q: &ListQuery) -> Result<ListPage, StoreError> {
        self.list_objects_counted(bucket, q).map(|(page, _)| page)
    }

    /// [`Store::list_objects`] plus the number of table entries it visited.
    pub(crate) fn list_objects_counted(
        &self,
        bucket: &str,
        q: &ListQuery,
    ) -> Result<(ListPage, usize), StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, bucket)?;
        view.list_objects(bucket, q)
    }
}

/// Clears the version fields of a record handed in: the writer decides them.
fn clear_version(rec: &mut ObjectRecord) {
    rec.version_id = None;
    rec.delete_marker = false;
    rec.seq = 0;
}
