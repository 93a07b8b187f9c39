//! The [`Store`] and its public API: metadata behind [`Metadata`] (redb), bytes in a
//! [`BlobBackend`]. Mutations of concurrent callers are committed together in one write
//! transaction (group commit, `group.rs`) that also maintains blob reference counts and bucket
//! counters (`writer.rs`); blob files whose count drops to zero are deleted only after the
//! commit (`txn.rs`), or after the readers that may still open them (`lease.rs`).

use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use redb::Database;

use crate::StoreError;
use crate::blob::{BlobBackend, BlobOpener, BlobWriter, FsBlobs, MemBlobs, ObjectReader};
use crate::crypt::Keyring;
use crate::crypt::stream::Decryptor;
use crate::dbfile::MetaFile;
use crate::group::{Commit, CommitterSignal, Committing, GroupQueue};
use crate::lease::{Leases, ReadLease};
use crate::meta::postgres::{PgConfig, PgMeta};
use crate::meta::redb::RedbMeta;
use crate::meta::{Metadata, View};
use crate::read::check_range;
use crate::record::{
    Blob, BlobId, BucketRecord, BucketStats, ListPage, ListQuery, ListUploadsQuery, ObjectRecord,
    PartRecord, PartsPage, UploadRecord, UploadsPage,
};
use crate::space::Space;
use crate::version::{VersionSel, Versioning};
use crate::writer::{Op, OpOutput, Written, missing_blob};
use std::future::IntoFuture;

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

/// Tuning knobs for [`Store::open_with`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// redb quick-repair: every commit also saves allocator state, so reopening after a crash
    /// takes milliseconds instead of a full database walk; commits cost a little more.
    pub quick_repair: bool,
    /// Blobs of at most this many bytes (when the size is known up front) are stored inline in
    /// the metadata commit instead of in a file of their own; 0 turns inline blobs off.
    pub inline_max: u64,
    /// Memory redb may use to cache pages (a tenth of it buffers writes). Pages beyond it are
    /// read again from the OS page cache; without a bound the cache grows with every page
    /// touched (inline blobs included) up to redb's default of 1 GiB.
    pub cache_bytes: usize,
    /// Bytes held back on the data directory's file system while the store is writable and
    /// given up when the disk fills, so that repairs and deletes still have room; the store
    /// takes new data again once this much is free besides the reserve (see `space.rs`).
    pub reserve_bytes: u64,
    /// The master key file of encryption at rest; `None`: `master-key.json` beside the
    /// database (created, mode 0600, when missing).
    pub master_key_file: Option<std::path::PathBuf>,
    /// `None`: blobs a commit leaves unreferenced are deleted right after it (or after this
    /// process's readers), and the sweep removes orphans of earlier processes: right for blobs
    /// only this process uses. `Some(grace)`: blobs shared by several nodes; an unreferenced
    /// blob gets a deletion mark and is deleted by [`Store::collect_garbage`] once the mark
    /// is `grace` old (see `gc.rs`); the backend must keep marks (OpenDAL does).
    pub blob_grace: Option<std::time::Duration>,
}

/// Name of the master key file in the data directory (unless configured elsewhere).
pub const MASTER_KEY_FILE: &str = "master-key.json";

/// Default size of the space reserve.
pub const DEFAULT_RESERVE_BYTES: u64 = 8 * 1024 * 1024;

/// Default bound of redb's page cache.
pub const DEFAULT_CACHE_BYTES: usize = 16 * 1024 * 1024;

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            quick_repair: true,
            inline_max: DEFAULT_INLINE_MAX,
            cache_bytes: DEFAULT_CACHE_BYTES,
            reserve_bytes: DEFAULT_RESERVE_BYTES,
            master_key_file: None,
            blob_grace: None,
        }
    }
}

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
    /// Opens (creating if needed) the data dir: meta.redb, blobs/, tmp/. Removes everything in
    /// tmp/ synchronously. Work is O(files in tmp/): no scan of objects or blobs.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, &StoreOptions::default())
    }

    /// [`Store::open`] with explicit options.
    pub fn open_with(dir: &Path, opts: &StoreOptions) -> Result<Store, StoreError> {
        crate::perms::create_private_dir(dir)?;
        let blobs = FsBlobs::new(dir)?;
        Store::open_with_backend(&dir.join("meta.redb"), Arc::new(blobs), opts)
    }

    /// Opens the metadata database at `meta_path` over any blob backend.
    pub fn open_with_backend(
        meta_path: &Path,
        blobs: Arc<dyn BlobBackend>,
        opts: &StoreOptions,
    ) -> Result<Store, StoreError> {
        // Opening the database takes its file lock, so tmp/ cannot belong to a live process.
        let (meta, db) = MetaFile::open(meta_path, opts.cache_bytes)?;
        blobs.clear_staging()?;
        let dir = meta_path.parent().map(Path::to_path_buf);
        let key_file = match (&opts.master_key_file, &dir) {
            (Some(f), _) => f.clone(),
            (None, Some(d)) => d.join(MASTER_KEY_FILE),
            (None, None) => Path::new(MASTER_KEY_FILE).to_path_buf(),
        };
        let keys =
            Keyring::load_or_create(&key_file).map_err(|e| StoreError::Internal(e.to_string()))?;
        let space = Space::new(dir, opts.reserve_bytes);
        Store::init(db, blobs, opts, Some(meta), space, keys)
    }

    /// A store entirely in memory (redb's in-memory backend and a map of blobs), for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
        let keys = Keyring::ephemeral();
        Store::init(db, Arc::new(MemBlobs::default()), &opts, None, Space::new(None, 0), keys)
    }

    /// Opens a store whose metadata lives in PostgreSQL (`pg`) and whose bytes live in
    /// `blobs`. `dir` is the local directory of the master key file (unless
    /// `opts.master_key_file` names it) and of the space reserve (`None`: neither is kept
    /// there: give `opts.master_key_file`). The schema is created or migrated at open, safely
    /// when several nodes start at once; without `--meta`, the server opens redb as before.
    pub fn open_postgres_with_backend(
        pg: &PgConfig,
        blobs: Arc<dyn BlobBackend>,
        dir: Option<&Path>,
        opts: &StoreOptions,
    ) -> Result<Store, StoreError> {
        let key_file = match (&opts.master_key_file, dir) {
            (Some(f), _) => f.clone(),
            (None, Some(d)) => d.join(MASTER_KEY_FILE),
            (None, None) => Path::new(MASTER_KEY_FILE).to_path_buf(),
        };
        let keys =
            Keyring::load_or_create(&key_file).map_err(|e| StoreError::Internal(e.to_string()))?;
        let (meta, generation) = PgMeta::open(pg)?;
        blobs.clear_staging()?;
        let space = Arc::new(Space::new(dir.map(Path::to_path_buf), opts.reserve_bytes));
        Ok(Store::assemble(Arc::new(meta), generation, blobs, opts, space, keys, true))
    }

    /// [`Store::open_postgres_with_backend`] with the blob files in `dir` (as [`Store::open`]
    /// keeps them), the master key file beside them.
    pub fn open_postgres(
        dir: &Path,
        pg: &PgConfig,
        opts: &StoreOptions,
    ) -> Result<Store, StoreError> {
        crate::perms::create_private_dir(dir)?;
        let blobs = FsBlobs::new(dir)?;
        Store::open_postgres_with_backend(pg, Arc::new(blobs), Some(dir), opts)
    }

    fn init(
        db: Database,
        blobs: Arc<dyn BlobBackend>,
        opts: &StoreOptions,
        meta: Option<MetaFile>,
        space: Space,
        keys: Keyring,
    ) -> Result<Store, StoreError> {
        let space = Arc::new(space);
        let (meta, generation) = RedbMeta::open(db, meta, Arc::clone(&space), opts.quick_repair)?;
        Ok(Store::assemble(Arc::new(meta), generation, blobs, opts, space, keys, false))
    }

    /// A store over any metadata backend.
    fn assemble(
        meta: Arc<dyn Metadata>,
        generation: u64,
        blobs: Arc<dyn BlobBackend>,
        opts: &StoreOptions,
        space: Arc<Space>,
        keys: Keyring,
        shared: bool,
    ) -> Store {
        Store {
            inner: Arc::new(Inner {
                meta,
                space,
                blobs,
                generation,
                inline_max: opts.inline_max,
                grace: opts.blob_grace,
                keys: Arc::new(keys),
                write_lock: Mutex::new(()),
                leases: Mutex::new(Leases::default()),
                group: Mutex::new(GroupQueue::default()),
                committer: Mutex::new(None),
                stats: crate::stats::StoreStats::default(),
                shared,
            }),
        }
    }

    /// Monitoring counters: group commits, blobs waiting to be unlinked.
    pub fn stats(&self) -> &crate::stats::StoreStats {
        &self.inner.stats
    }

    /// The redb backend (tests look into its tables).
    #[cfg(test)]
    pub(crate) fn redb(&self) -> &RedbMeta {
        self.inner.meta.as_any().downcast_ref().expect("the store runs on redb")
    }

    /// The current redb database instance.
    #[cfg(test)]
    pub(crate) fn db(&self) -> Arc<Database> {
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

    // ---- multipart ----

    /// Records a new multipart upload; with [`Overwrite::Forbid`], only if its key is free.
    pub fn create_upload(
        &self,
        bucket: &str,
        rec: UploadRecord,
        overwrite: Overwrite,
    ) -> Result<(), StoreError> {
        self.commit_one(Op::CreateUpload { bucket: bucket.to_owned(), rec, overwrite }).map(|_| ())
    }

    /// The upload `upload_id`, if it exists.
    pub fn get_upload(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Option<UploadRecord>, StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, bucket)?;
        view.upload(bucket, upload_id)
    }

    /// Adds or replaces (same number) a part; the replaced part's blob is deleted after commit.
    pub fn part(&self, bucket: &str, upload_id: &str, part: PartRecord) -> Commit<()> {
        let op = Op::PutPart { bucket: bucket.to_owned(), upload_id: upload_id.to_owned(), part };
        self.commit(op, |_| Ok(()))
    }

    /// [`Store::part`], blocking.
    pub fn put_part(
        &self,
        bucket: &str,
        upload_id: &str,
        part: PartRecord,
    ) -> Result<(), StoreError> {
        self.part(bucket, upload_id, part).wait()
    }

    /// [`Store::part`] for async callers, queued now (see [`Commit`]).
    pub fn put_part_async(
        &self,
        bucket: &str,
        upload_id: &str,
        part: PartRecord,
    ) -> Committing<()> {
        self.part(bucket, upload_id, part).into_future()
    }

    /// Parts numbered above `after_part`, at most `max` of them.
    pub fn list_parts(
        &self,
        bucket: &str,
        upload_id: &str,
        after_part: u32,
        max: usize,
    ) -> Result<PartsPage, StoreError> {
        let mut page = PartsPage::default();
        let parts = self.parts_after(bucket, upload_id, after_part, max.saturating_add(1))?;
        for part in parts {
            if page.parts.len() == max {
                page.is_truncated = true;
                page.next_marker = page.parts.last().map(|p| p.number);
                break;
            }
            page.parts.push(part);
        }
        Ok(page)
    }

    /// Every part of the upload, by number.
    pub fn all_parts(&self, bucket: &str, upload_id: &str) -> Result<Vec<PartRecord>, StoreError> {
        self.parts_after(bucket, upload_id, 0, usize::MAX)
    }

    fn parts_after(
        &self,
        bucket: &str,
        upload_id: &str,
        after_part: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, bucket)?;
        if view.upload(bucket, upload_id)?.is_none() {
            return Err(StoreError::NoSuchUpload);
        }
        view.parts(bucket, upload_id, after_part, limit)
    }

    /// One page of ListMultipartUploads, sorted by (key, upload id).
    pub fn list_uploads(
        &self,
        bucket: &str,
        q: &ListUploadsQuery,
    ) -> Result<UploadsPage, StoreError> {
        let view = self.view()?;
        Store::require_bucket(&*view, bucket)?;
        view.list_uploads(bucket, q)
    }

    /// Atomically inserts the object (segments = the chosen parts' blobs, in order; its key is
    /// the upload's key) and deletes the upload with all its parts; afterwards deletes the blobs
    /// of unused parts and of the replaced object. Returns the replaced object.
    pub fn complete_upload(
        &self,
        bucket: &str,
        upload_id: &str,
        rec: ObjectRecord,
        overwrite: Overwrite,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.complete_upload_versioned(bucket, upload_id, rec, overwrite).map(|w| w.replaced)
    }

    /// [`Store::complete_upload`] answering what the write did (the version it made).
    pub fn complete_upload_versioned(
        &self,
        bucket: &str,
        upload_id: &str,
        mut rec: ObjectRecord,
        overwrite: Overwrite,
    ) -> Result<Written, StoreError> {
        clear_version(&mut rec);
        let op = Op::CompleteUpload {
            bucket: bucket.to_owned(),
            upload_id: upload_id.to_owned(),
            rec,
            overwrite,
        };
        self.commit_one(op)?.written()
    }

    /// Deletes the upload and its parts; their blobs are deleted after the commit.
    pub fn abort_upload(&self, bucket: &str, upload_id: &str) -> Result<(), StoreError> {
        let op = Op::AbortUpload { bucket: bucket.to_owned(), upload_id: upload_id.to_owned() };
        self.commit_one(op).map(|_| ())
    }
}

/// Clears the version fields of a record handed in: the writer decides them.
fn clear_version(rec: &mut ObjectRecord) {
    rec.version_id = None;
    rec.delete_marker = false;
    rec.seq = 0;
}
