//! The [`Store`]: metadata in redb, bytes in a [`BlobBackend`]. Mutations of concurrent callers
//! are committed together in one redb write transaction (group commit) that also maintains blob
//! reference counts and bucket counters; blob files whose count drops to zero are deleted only
//! after the commit.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::task::{Context, Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use redb::{
    Database, Durability, ReadOnlyTable, ReadTransaction, ReadableTable, Table, TableDefinition,
    WriteTransaction,
};

use crate::blob::{BlobBackend, BlobOpener, BlobWriter, FsBlobs, MemBlobs, ObjectReader};
use crate::codec::{decode, encode};
use crate::dbfile::MetaFile;
use crate::list::{self, ObjKey, UploadKey};
use crate::record::{
    Blob, BlobId, BucketRecord, BucketStats, ListPage, ListQuery, ListUploadsQuery,
    OBJECT_TYPE_APPENDABLE, ObjectRecord, PartRecord, PartsPage, Segment, UploadRecord,
    UploadsPage,
};
use crate::space::Space;
use crate::{StoreError, crc64};

/// Store-wide counters: "format" (layout version) and "generation" (bumped by every open).
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Bucket name -> versioned `BucketRecord`.
const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
/// Bucket name -> versioned `BucketStats`.
const STATS: TableDefinition<&str, &[u8]> = TableDefinition::new("bucket_stats");
/// (bucket, key bytes) -> versioned `ObjectRecord`.
pub(crate) const OBJECTS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("objects");
/// (bucket, key bytes, upload id) -> versioned `UploadRecord`.
const UPLOADS: TableDefinition<UploadKey, &[u8]> = TableDefinition::new("uploads");
/// (bucket, upload id) -> key bytes: finds an upload from its id alone.
const UPLOAD_IDS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("upload_ids");
/// (bucket, upload id, part number) -> versioned `PartRecord`.
const PARTS: TableDefinition<(&str, &str, u32), &[u8]> = TableDefinition::new("parts");
/// Blob id -> number of records (object segments, parts) referencing it; absent = zero.
pub(crate) const BLOB_REFS: TableDefinition<&str, u64> = TableDefinition::new("blob_refs");
/// Inline blob id -> its bytes: small blobs stored in the same commit as the records that
/// reference them, so a small PUT costs one sync instead of a file's three.
/// Keyed by the id's bytes: a `&[u8]` key compares without the UTF-8 check a `&str` key costs.
pub(crate) const INLINE_BLOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("inline_blobs");

/// Layout version of the whole database; a store written by a newer layout is refused.
/// Version 2 added inline blobs; a version 1 store is upgraded in place (nothing to convert).
const STORE_FORMAT: u64 = 2;

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
const SWEEP_BATCH: usize = 512;

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
}

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
        }
    }
}

/// Shared state behind the `Arc`.
pub(crate) struct Inner {
    /// The tables object reads use, kept open until the next commit (dropped before `db`).
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    /// The current database instance; replaced (under `write_lock`) after an I/O failure.
    db: RwLock<Arc<Database>>,
    /// The database file, for reopening it (`None` in memory).
    meta: Option<MetaFile>,
    /// The last write failed with an I/O error: the database must be reopened first.
    db_broken: AtomicBool,
    /// Whether the disk has room for new data.
    pub(crate) space: Arc<Space>,
    blobs: Arc<dyn BlobBackend>,
    generation: u64,
    quick_repair: bool,
    inline_max: u64,
    /// Held across each write transaction and the blob deletions that follow its commit, and by
    /// the sweep, so that no commit can re-reference a blob between "count is zero" and unlink.
    write_lock: Mutex<()>,
    /// Requests waiting for the next group commit, and whether a leader is committing.
    group: Mutex<GroupQueue>,
    /// The thread that leads commits for async callers, started by the first of them.
    committer: Mutex<Option<Arc<CommitterSignal>>>,
    /// Object readers still running, and the blobs whose deletion waits for them.
    leases: Mutex<Leases>,
    /// Write transactions committed since open: tells whether [`Inner::snapshot`] is current
    /// (and lets tests check that groups form).
    commits: AtomicU64,
    /// Monitoring counters (`stats.rs`).
    stats: crate::stats::StoreStats,
}

/// Object readers that are running, so that the blobs they may still open outlive them.
///
/// An [`ObjectReader`] opens the first segments of its object at once and the others when it
/// gets to them; an overwrite or delete committed meanwhile would unlink those others and cut
/// the read short. While any reader runs, blobs a commit leaves unreferenced therefore go to a
/// graveyard tagged with an epoch instead of being unlinked; they are unlinked (after a fresh
/// check that nothing references them again) once every reader that started before that
/// commit has ended. Readers that start later cannot need them: their records are newer.
#[derive(Default)]
struct Leases {
    /// Moves on with every commit that sends blobs to the graveyard.
    epoch: u64,
    /// Running readers by the epoch they started in.
    active: BTreeMap<u64, usize>,
    /// Unreferenced blobs and the epoch of the commit that left them so.
    graveyard: Vec<(u64, BlobId)>,
}

impl Leases {
    /// Takes out the graveyard entries no running reader can need.
    fn free(&mut self) -> Vec<BlobId> {
        let oldest = self.active.keys().next().copied().unwrap_or(u64::MAX);
        let (free, wait): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.graveyard).into_iter().partition(|(e, _)| *e < oldest);
        self.graveyard = wait;
        free.into_iter().map(|(_, id)| id).collect()
    }
}

/// A running reader's claim on the blobs of the records it read (see [`Leases`]).
pub(crate) struct ReadLease {
    inner: Arc<Inner>,
    epoch: u64,
}

impl ReadLease {
    fn take(inner: &Arc<Inner>) -> ReadLease {
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

/// A read snapshot of the tables object reads need, shared by reads until the next commit.
/// Opening a table in a fresh read transaction costs more than the lookup itself (redb finds
/// it by name in its table tree and checks its types); the snapshot saves that on every read
/// between two writes. A commit drops it, so it never pins pages that later commits freed.
pub(crate) struct Snapshot {
    /// [`Inner::commits`] read before the snapshot was taken: it holds every commit counted
    /// up to there, so it serves reads for as long as the count has not moved.
    commits: u64,
    buckets: ReadOnlyTable<&'static str, &'static [u8]>,
    pub(crate) objects: ReadOnlyTable<ObjKey, &'static [u8]>,
    pub(crate) inline: ReadOnlyTable<&'static [u8], &'static [u8]>,
    refs: ReadOnlyTable<&'static str, u64>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(sig) = self.committer.get_mut().unwrap_or_else(PoisonError::into_inner) {
            sig.stop();
        }
        // Only async requests can still be queued (a blocked caller holds the store): with the
        // store gone nothing will commit them, so their futures resolve with an error.
        let q = self.group.get_mut().unwrap_or_else(PoisonError::into_inner);
        for (_, slot) in q.pending.drain(..) {
            slot.set(SlotState::Done(Err(store_closed())));
        }
    }
}

/// The error of a request that was queued when the last handle on the store was dropped.
fn store_closed() -> StoreError {
    StoreError::Io(io::Error::other("the store was closed before the request was committed"))
}

/// How the group-commit queue calls on the committer thread: async callers cannot block to
/// lead a commit, so when leadership falls to one of them, this thread leads in its place.
#[derive(Default)]
struct CommitterSignal {
    /// (a commit is wanted, the store is gone)
    state: Mutex<(bool, bool)>,
    cv: Condvar,
}

impl CommitterSignal {
    fn lock(&self) -> MutexGuard<'_, (bool, bool)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the thread to lead the next commit.
    fn want(&self) {
        self.lock().0 = true;
        self.cv.notify_one();
    }

    /// Ends the thread.
    fn stop(&self) {
        self.lock().1 = true;
        self.cv.notify_one();
    }

    /// The committer thread: leads a commit whenever asked, until the store is dropped.
    fn run(&self, store: std::sync::Weak<Inner>) {
        loop {
            {
                let guard = self.lock();
                let mut guard = self
                    .cv
                    .wait_while(guard, |(wanted, stopped)| !*wanted && !*stopped)
                    .unwrap_or_else(PoisonError::into_inner);
                if guard.1 {
                    return;
                }
                guard.0 = false;
            }
            let Some(inner) = store.upgrade() else { return };
            // A panic inside a commit must not end this thread: async callers would then wait
            // forever. The leader's duty (see [`Leadership`]) has already given every request
            // of the failed group an error and passed leadership on by the time we get here.
            // (The panic hook has reported the panic itself.)
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Store { inner }.lead();
            }));
        }
    }
}

/// What a caller of [`Store::commit_batch`] gets back: one result per op, or a failure of the
/// whole request.
pub(crate) type BatchResult = Result<Vec<Result<OpOutput, StoreError>>, StoreError>;

/// The outcome of [`Store::commit_batch_async`], once the transaction holding it has committed.
/// Dropping it does not cancel the request: once queued, it is committed all the same.
struct CommitFuture {
    slot: Arc<Slot>,
}

impl std::future::Future for CommitFuture {
    type Output = BatchResult;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BatchResult> {
        let slot = &self.slot;
        if let Some(w) = &slot.waker {
            // Register before looking, so that a result set in between still wakes us.
            *w.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        }
        let mut state = slot.lock();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Done(result) => Poll::Ready(result),
            SlotState::Waiting => {
                *state = SlotState::Waiting;
                Poll::Pending
            }
            SlotState::Lead | SlotState::Taken => Poll::Ready(Err(StoreError::Internal(
                "group commit lost an async request".to_owned(),
            ))),
        }
    }
}

/// The group-commit queue: leader/follower among blocking callers, plus a committer thread
/// that leads for async callers.
#[derive(Default)]
struct GroupQueue {
    /// Requests not yet taken by a leader, oldest first.
    pending: Vec<(Vec<Op>, Arc<Slot>)>,
    /// A leader is running (it hands over to the oldest pending request when it is done).
    leading: bool,
}

/// Where one request waits for its outcome: a blocked thread (sync callers) or a future.
struct Slot {
    state: Mutex<SlotState>,
    ready: Condvar,
    /// For an async caller: who to wake; such a caller is never asked to lead.
    waker: Option<Mutex<Option<Waker>>>,
}

/// The state of one queued request.
enum SlotState {
    /// Queued; another request's leader will commit it.
    Waiting,
    /// This request's caller must become the leader.
    Lead,
    /// Committed (or failed); the caller returns this.
    Done(BatchResult),
    /// The caller has taken the result.
    Taken,
}

impl Slot {
    fn new(state: SlotState) -> Arc<Slot> {
        Arc::new(Slot { state: Mutex::new(state), ready: Condvar::new(), waker: None })
    }

    fn new_async() -> Arc<Slot> {
        Arc::new(Slot {
            state: Mutex::new(SlotState::Waiting),
            ready: Condvar::new(),
            waker: Some(Mutex::new(None)),
        })
    }

    fn is_async(&self) -> bool {
        self.waker.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the state and wakes the waiting caller.
    fn set(&self, state: SlotState) {
        *self.lock() = state;
        self.wake();
    }

    /// Wakes the waiting caller (thread or future).
    fn wake(&self) {
        self.ready.notify_one();
        if let Some(w) = &self.waker
            && let Some(w) = w.lock().unwrap_or_else(PoisonError::into_inner).take()
        {
            w.wake();
        }
    }

    /// Blocks until the request is done or its caller must lead.
    fn wait(&self) -> SlotState {
        let guard = self.lock();
        let mut guard = self
            .ready
            .wait_while(guard, |s| matches!(s, SlotState::Waiting))
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *guard, SlotState::Taken)
    }
}

/// A leader's duty towards the requests it took: every one gets an outcome (an error if the
/// leader unwinds before delivering it), and leadership passes on when the leader is done.
struct Leadership<'a> {
    group: &'a Mutex<GroupQueue>,
    committer: &'a Mutex<Option<Arc<CommitterSignal>>>,
    slots: Vec<Arc<Slot>>,
}

impl Drop for Leadership<'_> {
    fn drop(&mut self) {
        for slot in self.slots.drain(..) {
            // Only reached with undelivered results if the commit panicked.
            let mut state = slot.lock();
            if matches!(*state, SlotState::Waiting) {
                *state = SlotState::Done(Err(StoreError::Internal(
                    "group commit leader failed".to_owned(),
                )));
                drop(state);
                slot.wake();
            }
        }
        let mut q = self.group.lock().unwrap_or_else(PoisonError::into_inner);
        match q.pending.first() {
            Some((_, next)) if next.is_async() => {
                // An async caller cannot lead; the committer thread (started before that caller
                // queued) leads in its place.
                match self.committer.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
                    Some(sig) => sig.want(),
                    None => {
                        // Unreachable by construction; should it happen, nobody would commit
                        // the queue, so every queued request fails rather than waits forever.
                        debug_assert!(false, "async request queued without a committer thread");
                        for (_, slot) in q.pending.drain(..) {
                            slot.set(SlotState::Done(Err(StoreError::Internal(
                                "group commit has no committer thread".to_owned(),
                            ))));
                        }
                        q.leading = false;
                    }
                }
            }
            Some((_, next)) => next.set(SlotState::Lead),
            None => q.leading = false,
        }
    }
}

/// The embedded store (cheap to clone; all clones share one database).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

/// One mutation; concurrent callers' ops are committed together in one transaction (group
/// commit, see [`Store::commit_batch`]).
pub(crate) enum Op {
    /// `new`: freshly written blobs that `rec` references (inline ones carry their bytes).
    PutObject {
        bucket: String,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    },
    DeleteObject {
        bucket: String,
        key: String,
    },
    AppendObject {
        bucket: String,
        key: String,
        position: u64,
        blob: Blob,
        template: ObjectRecord,
    },
    CreateUpload {
        bucket: String,
        rec: UploadRecord,
        overwrite: Overwrite,
    },
    PutPart {
        bucket: String,
        upload_id: String,
        part: PartRecord,
    },
    CompleteUpload {
        bucket: String,
        upload_id: String,
        rec: ObjectRecord,
        overwrite: Overwrite,
    },
    AbortUpload {
        bucket: String,
        upload_id: String,
    },
    CreateBucket {
        rec: BucketRecord,
    },
    UpdateBucket {
        rec: BucketRecord,
    },
    DeleteBucket {
        name: String,
    },
}

impl Op {
    /// Blobs the caller hands over with this op; if it fails they are deleted when unreferenced.
    fn input_blobs(&self) -> Vec<BlobId> {
        match self {
            Op::PutObject { rec, .. } | Op::CompleteUpload { rec, .. } => {
                rec.segments.iter().map(|s| s.blob.clone()).collect()
            }
            Op::AppendObject { blob, .. } => vec![blob.id.clone()],
            Op::PutPart { part, .. } => vec![part.blob.id.clone()],
            Op::DeleteObject { .. }
            | Op::CreateUpload { .. }
            | Op::AbortUpload { .. }
            | Op::CreateBucket { .. }
            | Op::UpdateBucket { .. }
            | Op::DeleteBucket { .. } => Vec::new(),
        }
    }

    /// Ops that only free space, which run even while the disk is full.
    fn frees_space(&self) -> bool {
        matches!(self, Op::DeleteObject { .. } | Op::AbortUpload { .. } | Op::DeleteBucket { .. })
    }

    /// Blobs written for this op alone (not shared with committed records).
    fn fresh_blobs(&self) -> Vec<BlobId> {
        match self {
            Op::PutObject { new, .. } => new.iter().map(|b| b.id.clone()).collect(),
            Op::AppendObject { blob, .. } => vec![blob.id.clone()],
            Op::PutPart { part, .. } => vec![part.blob.id.clone()],
            _ => Vec::new(),
        }
    }

    /// Fresh blobs handed over with this op whose bytes are still in memory (inline blobs).
    fn fresh_inline(&self) -> impl Iterator<Item = &Blob> {
        let blobs: &[Blob] = match self {
            Op::PutObject { new, .. } => new,
            Op::AppendObject { blob, .. } => std::slice::from_ref(blob),
            Op::PutPart { part, .. } => std::slice::from_ref(&part.blob),
            _ => &[],
        };
        blobs.iter().filter(|b| b.inline.0.is_some())
    }
}

/// Result of one [`Op`].
pub(crate) enum OpOutput {
    /// The record replaced or deleted, if any.
    Replaced(Option<ObjectRecord>),
    /// The object after an append.
    Appended(ObjectRecord),
    /// Nothing to report.
    Done,
}

impl OpOutput {
    fn replaced(self) -> Result<Option<ObjectRecord>, StoreError> {
        match self {
            OpOutput::Replaced(r) => Ok(r),
            _ => Err(StoreError::Internal("unexpected op output".to_owned())),
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// True for a failure of the database file's I/O, after which redb refuses everything.
fn db_io_failed(e: &StoreError) -> bool {
    matches!(e, StoreError::Db(e) if matches!(**e, redb::Error::Io(_) | redb::Error::PreviousIo))
}

/// A group result that went missing (cannot happen: one result per request).
fn lost() -> BatchResult {
    Err(StoreError::Internal("group commit lost a result".to_owned()))
}

/// Error for a record that names a blob that is not there.
pub(crate) fn missing_blob(id: &BlobId) -> StoreError {
    StoreError::Io(io::Error::new(io::ErrorKind::NotFound, format!("blob {id} does not exist")))
}

/// Checks that `rec.size` equals the sum of its segments (a caller bug otherwise).
pub(crate) fn check_segments(rec: &ObjectRecord) -> Result<(), StoreError> {
    let sum = rec.segments.iter().try_fold(0u64, |acc, s| acc.checked_add(s.len));
    if sum != Some(rec.size) {
        return Err(StoreError::Internal(format!(
            "object {:?}: size {} does not match its segments",
            rec.key, rec.size
        )));
    }
    Ok(())
}

/// Adds (`sign` = true) or removes an object's contribution to the bucket counters.
fn account_object(stats: &mut BucketStats, rec: &ObjectRecord, add: bool) {
    let class = stats.by_storage_class.entry(rec.storage_class.clone()).or_default();
    if add {
        stats.object_count += 1;
        stats.storage_bytes += rec.size;
        class.object_count += 1;
        class.storage_bytes += rec.size;
    } else {
        stats.object_count = stats.object_count.saturating_sub(1);
        stats.storage_bytes = stats.storage_bytes.saturating_sub(rec.size);
        class.object_count = class.object_count.saturating_sub(1);
        class.storage_bytes = class.storage_bytes.saturating_sub(rec.size);
        if class.object_count == 0 {
            stats.by_storage_class.remove(&rec.storage_class);
        }
    }
}

/// Bounds of all keys of `bucket` in a table keyed by (bucket, ...): the next bucket name.
fn bucket_end(bucket: &str) -> String {
    format!("{bucket}\0")
}

/// All tables, opened once per write transaction, plus what the transaction has to do after
/// its commit.
struct Writer<'txn> {
    buckets: Table<'txn, &'static str, &'static [u8]>,
    stats: Table<'txn, &'static str, &'static [u8]>,
    objects: Table<'txn, ObjKey, &'static [u8]>,
    uploads: Table<'txn, UploadKey, &'static [u8]>,
    upload_ids: Table<'txn, (&'static str, &'static str), &'static [u8]>,
    parts: Table<'txn, (&'static str, &'static str, u32), &'static [u8]>,
    refs: Table<'txn, &'static str, u64>,
    inline: Table<'txn, &'static [u8], &'static [u8]>,
    blobs: &'txn dyn BlobBackend,
    /// The in-memory bytes of the inline blobs handed over with the op being applied.
    fresh: Vec<(BlobId, Arc<[u8]>)>,
    /// Blobs that may be unreferenced after the commit.
    candidates: Vec<BlobId>,
    /// Something was written.
    dirty: bool,
    now_ms: i64,
}

impl<'txn> Writer<'txn> {
    fn open(txn: &'txn WriteTransaction, blobs: &'txn dyn BlobBackend) -> Result<Self, StoreError> {
        Ok(Writer {
            buckets: txn.open_table(BUCKETS)?,
            stats: txn.open_table(STATS)?,
            objects: txn.open_table(OBJECTS)?,
            uploads: txn.open_table(UPLOADS)?,
            upload_ids: txn.open_table(UPLOAD_IDS)?,
            parts: txn.open_table(PARTS)?,
            refs: txn.open_table(BLOB_REFS)?,
            inline: txn.open_table(INLINE_BLOBS)?,
            blobs,
            fresh: Vec::new(),
            candidates: Vec::new(),
            dirty: false,
            now_ms: now_ms(),
        })
    }

    /// The candidate files that no record references any more, deduplicated. (Inline blobs
    /// leave with the transaction that drops their last reference.)
    fn unreferenced_candidates(&mut self) -> Result<Vec<BlobId>, StoreError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in std::mem::take(&mut self.candidates) {
            if !id.is_inline() && seen.insert(id.clone()) && self.refs.get(id.as_str())?.is_none() {
                out.push(id);
            }
        }
        Ok(out)
    }

    fn require_bucket(&self, bucket: &str) -> Result<(), StoreError> {
        match self.buckets.get(bucket)? {
            Some(_) => Ok(()),
            None => Err(StoreError::NoSuchBucket),
        }
    }

    fn load_stats(&self, bucket: &str) -> Result<BucketStats, StoreError> {
        match self.stats.get(bucket)? {
            Some(g) => decode("bucket stats", g.value()),
            None => Ok(BucketStats::default()),
        }
    }

    fn store_stats(&mut self, bucket: &str, mut stats: BucketStats) -> Result<(), StoreError> {
        stats.last_modified_ms = self.now_ms;
        self.stats.insert(bucket, encode(&stats)?.as_slice())?;
        Ok(())
    }

    fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError> {
        Ok(self.refs.get(id.as_str())?.map_or(0, |g| g.value()))
    }

    /// The in-memory bytes of a fresh inline blob of the current op.
    fn fresh_bytes(&self, id: &BlobId) -> Option<&Arc<[u8]>> {
        self.fresh.iter().find(|(f, _)| f == id).map(|(_, b)| b)
    }

    fn ref_inc(&mut self, id: &BlobId) -> Result<(), StoreError> {
        let n = self.ref_count(id)? + 1;
        if n == 1
            && id.is_inline()
            && let Some(bytes) = self.fresh_bytes(id).cloned()
            && self.inline.get(id.as_str().as_bytes())?.is_none()
        {
            // The first reference stores the bytes, in the same commit.
            self.inline.insert(id.as_str().as_bytes(), &*bytes)?;
        }
        self.refs.insert(id.as_str(), n)?;
        Ok(())
    }

    fn ref_dec(&mut self, id: &BlobId) -> Result<(), StoreError> {
        let n = self.ref_count(id)?.saturating_sub(1);
        if n == 0 {
            self.refs.remove(id.as_str())?;
            if id.is_inline() {
                self.inline.remove(id.as_str().as_bytes())?;
            } else {
                self.candidates.push(id.clone());
            }
        } else {
            self.refs.insert(id.as_str(), n)?;
        }
        Ok(())
    }

    /// Refuses to reference a blob that is neither referenced already nor present, so that a
    /// record can never point at bytes that a concurrent delete has removed.
    fn ensure_blobs<'a>(&self, ids: impl Iterator<Item = &'a BlobId>) -> Result<(), StoreError> {
        for id in ids {
            if self.ref_count(id)? > 0 {
                continue;
            }
            let present = if id.is_inline() {
                self.fresh_bytes(id).is_some() || self.inline.get(id.as_str().as_bytes())?.is_some()
            } else {
                self.blobs.exists(id)?
            };
            if !present {
                return Err(missing_blob(id));
            }
        }
        Ok(())
    }

    fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError> {
        self.objects.get((bucket, key.as_bytes()))?.map(|g| decode("object", g.value())).transpose()
    }

    /// Writes `rec` (its new references already counted) and, unless `appended` (the old
    /// segments live on as a prefix of `rec`'s), releases the segments of the record it replaces.
    fn store_object(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
        appended: bool,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let old: Option<ObjectRecord> = self
            .objects
            .insert((bucket, rec.key.as_bytes()), encode(rec)?.as_slice())?
            .map(|g| decode("object", g.value()))
            .transpose()?;
        let mut stats = self.load_stats(bucket)?;
        if let Some(old) = &old {
            if !appended {
                for s in &old.segments {
                    self.ref_dec(&s.blob)?;
                }
            }
            account_object(&mut stats, old, false);
        }
        account_object(&mut stats, rec, true);
        self.store_stats(bucket, stats)?;
        Ok(old)
    }

    /// Applies one op. It takes the op by reference so that a failed group can be retried op
    /// by op (see [`Store::run_group`]).
    fn apply(&mut self, op: &Op) -> Result<OpOutput, StoreError> {
        self.fresh.clear();
        for b in op.fresh_inline() {
            if let Some(bytes) = &b.inline.0 {
                if bytes.len() as u64 != b.size {
                    self.fresh.clear();
                    return Err(StoreError::Internal(format!(
                        "inline blob {} holds {} bytes, not its size {}",
                        b.id.as_str(),
                        bytes.len(),
                        b.size
                    )));
                }
                self.fresh.push((b.id.clone(), Arc::clone(bytes)));
            }
        }
        let out = self.apply_op(op);
        self.fresh.clear();
        out
    }

    fn apply_op(&mut self, op: &Op) -> Result<OpOutput, StoreError> {
        match op {
            Op::PutObject { bucket, rec, overwrite, .. } => {
                self.put_object(bucket, rec, *overwrite).map(OpOutput::Replaced)
            }
            Op::DeleteObject { bucket, key } => {
                self.delete_object(bucket, key).map(OpOutput::Replaced)
            }
            Op::AppendObject { bucket, key, position, blob, template } => self
                .append_object(bucket, key, *position, blob.clone(), template.clone())
                .map(OpOutput::Appended),
            Op::CreateUpload { bucket, rec, overwrite } => {
                self.create_upload(bucket, rec, *overwrite).map(|()| OpOutput::Done)
            }
            Op::PutPart { bucket, upload_id, part } => {
                self.put_part(bucket, upload_id, part).map(|()| OpOutput::Done)
            }
            Op::CompleteUpload { bucket, upload_id, rec, overwrite } => self
                .complete_upload(bucket, upload_id, rec.clone(), *overwrite)
                .map(OpOutput::Replaced),
            Op::AbortUpload { bucket, upload_id } => {
                self.abort_upload(bucket, upload_id).map(|()| OpOutput::Done)
            }
            Op::CreateBucket { rec } => self.create_bucket(rec).map(|()| OpOutput::Done),
            Op::UpdateBucket { rec } => self.update_bucket(rec).map(|()| OpOutput::Done),
            Op::DeleteBucket { name } => self.delete_bucket(name).map(|()| OpOutput::Done),
        }
    }

    /// Applies `ops` in order. A logical failure is reported for its op alone (it happened
    /// before the op wrote anything); any other failure is returned for the whole transaction.
    fn apply_all(&mut self, ops: &[Op]) -> Result<Vec<Result<OpOutput, StoreError>>, StoreError> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            match self.apply(op) {
                Ok(v) => out.push(Ok(v)),
                Err(e) if e.is_logical() => {
                    // Rule 4: the blobs handed in are deleted after the transaction unless
                    // something (another op of the same transaction) references them.
                    self.candidates.extend(op.input_blobs());
                    out.push(Err(e));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    // Each operation below validates everything before its first write, so that a logical
    // error leaves the transaction untouched (which group commit relies on).

    /// Refuses with `ObjectExists` when `overwrite` forbids replacing an existing `key`; checked
    /// inside the write transaction, so of concurrent creates of one key exactly one wins.
    fn check_overwrite(
        &self,
        bucket: &str,
        key: &[u8],
        overwrite: Overwrite,
    ) -> Result<(), StoreError> {
        if overwrite == Overwrite::Forbid && self.objects.get((bucket, key))?.is_some() {
            return Err(StoreError::ObjectExists);
        }
        Ok(())
    }

    fn put_object(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
        overwrite: Overwrite,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.require_bucket(bucket)?;
        self.check_overwrite(bucket, rec.key.as_bytes(), overwrite)?;
        check_segments(rec)?;
        self.ensure_blobs(rec.segments.iter().map(|s| &s.blob))?;
        self.dirty = true;
        // Count the new references first so blobs shared with the old record survive.
        for s in &rec.segments {
            self.ref_inc(&s.blob)?;
        }
        self.store_object(bucket, rec, false)
    }

    fn delete_object(
        &mut self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.require_bucket(bucket)?;
        let old: Option<ObjectRecord> = self
            .objects
            .remove((bucket, key.as_bytes()))?
            .map(|g| decode("object", g.value()))
            .transpose()?;
        if let Some(old) = &old {
            self.dirty = true;
            for s in &old.segments {
                self.ref_dec(&s.blob)?;
            }
            let mut stats = self.load_stats(bucket)?;
            account_object(&mut stats, old, false);
            self.store_stats(bucket, stats)?;
        }
        Ok(old)
    }

    fn update_object(
        &mut self,
        bucket: &str,
        key: &str,
        f: &mut dyn FnMut(&mut ObjectRecord),
    ) -> Result<ObjectRecord, StoreError> {
        self.require_bucket(bucket)?;
        let old = self.object(bucket, key)?.ok_or(StoreError::NoSuchKey)?;
        let mut rec = old.clone();
        f(&mut rec);
        // The bytes and what is derived from them stay as they are.
        rec.key = old.key.clone();
        rec.size = old.size;
        rec.crc64 = old.crc64;
        rec.segments = old.segments.clone();
        rec.object_type = old.object_type.clone();
        self.dirty = true;
        self.objects.insert((bucket, key.as_bytes()), encode(&rec)?.as_slice())?;
        if rec.storage_class != old.storage_class {
            let mut stats = self.load_stats(bucket)?;
            account_object(&mut stats, &old, false);
            account_object(&mut stats, &rec, true);
            self.store_stats(bucket, stats)?;
        }
        Ok(rec)
    }

    fn append_object(
        &mut self,
        bucket: &str,
        key: &str,
        position: u64,
        blob: Blob,
        template: ObjectRecord,
    ) -> Result<ObjectRecord, StoreError> {
        self.require_bucket(bucket)?;
        let mut rec = match self.object(bucket, key)? {
            Some(existing) => {
                if existing.object_type != OBJECT_TYPE_APPENDABLE {
                    return Err(StoreError::ObjectNotAppendable);
                }
                if position != existing.size {
                    return Err(StoreError::PositionNotEqualToLength { current: existing.size });
                }
                let mut rec = existing;
                rec.etag = template.etag;
                rec.last_modified_ms = template.last_modified_ms;
                rec
            }
            None => {
                if position != 0 {
                    return Err(StoreError::PositionNotEqualToLength { current: 0 });
                }
                let mut rec = template;
                rec.key = key.to_owned();
                rec.size = 0;
                rec.crc64 = 0;
                rec.segments = Vec::new();
                rec.object_type = OBJECT_TYPE_APPENDABLE.to_owned();
                rec
            }
        };
        self.ensure_blobs(std::iter::once(&blob.id))?;
        self.dirty = true;
        rec.size += blob.size;
        rec.crc64 = crc64::combine(rec.crc64, blob.crc64, blob.size);
        if blob.size > 0 {
            self.ref_inc(&blob.id)?;
            rec.segments.push(Segment { blob: blob.id, len: blob.size });
        } else {
            self.candidates.push(blob.id);
        }
        self.store_object(bucket, &rec, true)?;
        Ok(rec)
    }

    fn upload_key(&self, bucket: &str, upload_id: &str) -> Result<Vec<u8>, StoreError> {
        match self.upload_ids.get((bucket, upload_id))? {
            Some(g) => Ok(g.value().to_vec()),
            None => Err(StoreError::NoSuchUpload),
        }
    }

    fn create_upload(
        &mut self,
        bucket: &str,
        rec: &UploadRecord,
        overwrite: Overwrite,
    ) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        self.check_overwrite(bucket, rec.key.as_bytes(), overwrite)?;
        self.dirty = true;
        let key = rec.key.as_bytes();
        self.uploads.insert((bucket, key, rec.upload_id.as_str()), encode(rec)?.as_slice())?;
        let previous_key = self
            .upload_ids
            .insert((bucket, rec.upload_id.as_str()), key)?
            .map(|g| g.value().to_vec());
        match previous_key {
            None => {
                let mut stats = self.load_stats(bucket)?;
                stats.multipart_upload_count += 1;
                self.store_stats(bucket, stats)?;
            }
            Some(prev) if prev != key => {
                self.uploads.remove((bucket, prev.as_slice(), rec.upload_id.as_str()))?;
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn put_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        part: &PartRecord,
    ) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        self.upload_key(bucket, upload_id)?;
        self.ensure_blobs(std::iter::once(&part.blob.id))?;
        self.dirty = true;
        self.ref_inc(&part.blob.id)?;
        let old: Option<PartRecord> = self
            .parts
            .insert((bucket, upload_id, part.number), encode(part)?.as_slice())?
            .map(|g| decode("part", g.value()))
            .transpose()?;
        let mut stats = self.load_stats(bucket)?;
        match &old {
            Some(old) => {
                self.ref_dec(&old.blob.id)?;
                stats.part_bytes = stats.part_bytes.saturating_sub(old.blob.size);
            }
            None => stats.part_count += 1,
        }
        stats.part_bytes += part.blob.size;
        self.store_stats(bucket, stats)
    }

    /// Deletes an upload with all its parts, releasing the parts' blobs.
    fn remove_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        key: &[u8],
        stats: &mut BucketStats,
    ) -> Result<(), StoreError> {
        self.uploads.remove((bucket, key, upload_id))?;
        self.upload_ids.remove((bucket, upload_id))?;
        stats.multipart_upload_count = stats.multipart_upload_count.saturating_sub(1);
        let mut parts = Vec::new();
        for entry in self.parts.range((bucket, upload_id, 0)..=(bucket, upload_id, u32::MAX))? {
            let (_, v) = entry?;
            parts.push(decode::<PartRecord>("part", v.value())?);
        }
        for part in parts {
            self.parts.remove((bucket, upload_id, part.number))?;
            self.ref_dec(&part.blob.id)?;
            stats.part_count = stats.part_count.saturating_sub(1);
            stats.part_bytes = stats.part_bytes.saturating_sub(part.blob.size);
        }
        Ok(())
    }

    fn complete_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        mut rec: ObjectRecord,
        overwrite: Overwrite,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.require_bucket(bucket)?;
        let key = self.upload_key(bucket, upload_id)?;
        self.check_overwrite(bucket, &key, overwrite)?;
        rec.key = String::from_utf8(key.clone())
            .map_err(|_| StoreError::Corrupt("upload key is not UTF-8".to_owned()))?;
        check_segments(&rec)?;
        self.ensure_blobs(rec.segments.iter().map(|s| &s.blob))?;
        self.dirty = true;
        // Reference the chosen parts' blobs before the parts release theirs.
        for s in &rec.segments {
            self.ref_inc(&s.blob)?;
        }
        let mut stats = self.load_stats(bucket)?;
        self.remove_upload(bucket, upload_id, &key, &mut stats)?;
        self.store_stats(bucket, stats)?;
        self.store_object(bucket, &rec, false)
    }

    fn abort_upload(&mut self, bucket: &str, upload_id: &str) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        let key = self.upload_key(bucket, upload_id)?;
        self.dirty = true;
        let mut stats = self.load_stats(bucket)?;
        self.remove_upload(bucket, upload_id, &key, &mut stats)?;
        self.store_stats(bucket, stats)
    }

    fn create_bucket(&mut self, rec: &BucketRecord) -> Result<(), StoreError> {
        if self.buckets.get(rec.name.as_str())?.is_some() {
            return Err(StoreError::BucketExists);
        }
        self.dirty = true;
        self.buckets.insert(rec.name.as_str(), encode(rec)?.as_slice())?;
        self.store_stats(&rec.name, BucketStats::default())
    }

    fn update_bucket(&mut self, rec: &BucketRecord) -> Result<(), StoreError> {
        self.require_bucket(&rec.name)?;
        self.dirty = true;
        self.buckets.insert(rec.name.as_str(), encode(rec)?.as_slice())?;
        Ok(())
    }

    fn delete_bucket(&mut self, bucket: &str) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        let end = bucket_end(bucket);
        let has_objects =
            self.objects.range((bucket, &[][..])..(end.as_str(), &[][..]))?.next().is_some();
        let has_uploads = self
            .uploads
            .range((bucket, &[][..], "")..(end.as_str(), &[][..], ""))?
            .next()
            .is_some();
        if has_objects || has_uploads {
            return Err(StoreError::BucketNotEmpty);
        }
        self.dirty = true;
        self.buckets.remove(bucket)?;
        self.stats.remove(bucket)?;
        Ok(())
    }
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
        let space = Space::new(dir, opts.reserve_bytes);
        Store::init(db, blobs, opts, Some(meta), space)
    }

    /// A store entirely in memory (redb's in-memory backend and a map of blobs), for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
        Store::init(db, Arc::new(MemBlobs::default()), &opts, None, Space::new(None, 0))
    }

    fn init(
        db: Database,
        blobs: Arc<dyn BlobBackend>,
        opts: &StoreOptions,
        meta: Option<MetaFile>,
        space: Space,
    ) -> Result<Store, StoreError> {
        let mut txn = db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        txn.set_quick_repair(opts.quick_repair);
        let generation = {
            let mut meta = txn.open_table(META)?;
            let format = meta.get("format")?.map(|g| g.value());
            match format {
                None => {
                    meta.insert("format", STORE_FORMAT)?;
                }
                Some(STORE_FORMAT) => {}
                Some(1) => {
                    // Version 1 had no inline blobs; the new table is created below.
                    meta.insert("format", STORE_FORMAT)?;
                }
                Some(other) => {
                    return Err(StoreError::Corrupt(format!(
                        "store format {other} is not supported (this build reads {STORE_FORMAT})"
                    )));
                }
            }
            let generation = meta.get("generation")?.map_or(0, |g| g.value()) + 1;
            meta.insert("generation", generation)?;
            generation
        };
        // Create every table so that read transactions can always open them.
        drop(Writer::open(&txn, &*blobs)?);
        txn.commit()?;
        Ok(Store {
            inner: Arc::new(Inner {
                db: RwLock::new(Arc::new(db)),
                meta,
                db_broken: AtomicBool::new(false),
                space: Arc::new(space),
                blobs,
                generation,
                quick_repair: opts.quick_repair,
                inline_max: opts.inline_max,
                write_lock: Mutex::new(()),
                snapshot: Mutex::new(None),
                leases: Mutex::new(Leases::default()),
                group: Mutex::new(GroupQueue::default()),
                committer: Mutex::new(None),
                commits: AtomicU64::new(0),
                stats: crate::stats::StoreStats::default(),
            }),
        })
    }

    /// Monitoring counters: group commits, blobs waiting to be unlinked.
    pub fn stats(&self) -> &crate::stats::StoreStats {
        &self.inner.stats
    }

    /// The current redb database instance.
    pub(crate) fn db(&self) -> Arc<Database> {
        Arc::clone(&self.inner.db.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Write transactions committed since this store was opened.
    #[cfg(test)]
    pub(crate) fn commit_count(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    /// This process's generation: the number of times the store has been opened.
    pub fn generation(&self) -> u64 {
        self.inner.generation
    }

    /// Deletes blobs that no committed record references and that were created by an earlier
    /// process (generation below the current one). Returns how many were removed.
    pub fn sweep_orphans(&self) -> Result<usize, StoreError> {
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

    fn sweep_batch(&self, batch: &mut Vec<BlobId>) -> Result<usize, StoreError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let _guard = self.inner.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let txn = self.db().begin_read()?;
        let refs = txn.open_table(BLOB_REFS)?;
        let mut removed = 0;
        for id in batch.drain(..) {
            if refs.get(id.as_str())?.is_none() {
                self.inner.blobs.remove(&id)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Runs `f` in one write transaction; commits if it wrote something and succeeded, then
    /// deletes the blobs it left unreferenced.
    fn write<R>(
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
    fn recover_db(&self) -> Result<(), StoreError> {
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

    fn write_locked<R>(
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

    /// Of the blobs a write left unreferenced (`doomed`), those to unlink now: all of them when
    /// no object reader is running; otherwise none: they all go to the graveyard, tagged with
    /// the current epoch (which then moves on), and are unlinked when every reader that started
    /// before has ended, whatever object it reads (see [`Leases`]).
    fn unless_read(&self, doomed: Vec<BlobId>) -> Vec<BlobId> {
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

    /// Applies `ops` in one transaction (one fsync). Logical failures are reported per op and
    /// leave the others in effect; an I/O or database failure aborts the whole batch.
    fn apply_batch(&self, ops: &[Op]) -> BatchResult {
        match self.write(|w| w.apply_all(ops)) {
            // The failure released the space reserve and reopened the database: a request
            // that only frees space gets a second try, which has room now.
            Err(StoreError::OutOfSpace) if ops.iter().all(Op::frees_space) => {
                self.write(|w| w.apply_all(ops))
            }
            r => r,
        }
    }

    /// Commits the requests of one group. While the disk is full, requests that would add
    /// data are refused with `OutOfSpace` (their fresh blobs deleted) and only those that free
    /// space (deletes, aborts) run. The others all go into one transaction; if that fails as a
    /// whole (an I/O, database or corruption error in any op, or in the commit), nothing of it
    /// took effect, and each request is committed on its own so that it gets its own outcome
    /// and a faulty request cannot fail the others.
    pub(crate) fn run_group(&self, requests: &[Vec<Op>]) -> Vec<BatchResult> {
        let adds = |ops: &Vec<Op>| !ops.iter().all(Op::frees_space);
        let full = requests.iter().any(adds) && self.writable().is_err();
        let mut out: Vec<Option<BatchResult>> = Vec::with_capacity(requests.len());
        let mut run: Vec<&[Op]> = Vec::new();
        for ops in requests {
            if full && adds(ops) {
                let mut fresh: Vec<BlobId> = ops.iter().flat_map(Op::fresh_blobs).collect();
                // Best effort: what stays behind is an orphan for the sweep.
                let _ = self.sweep_batch(&mut fresh);
                out.push(Some(Err(StoreError::OutOfSpace)));
            } else {
                out.push(None);
                run.push(ops);
            }
        }
        let mut results = self.commit_group(&run).into_iter();
        out.into_iter().map(|r| r.or_else(|| results.next()).unwrap_or_else(lost)).collect()
    }

    fn commit_group(&self, requests: &[&[Op]]) -> Vec<BatchResult> {
        match requests {
            [] => return Vec::new(),
            [only] => return vec![self.apply_batch(only)],
            _ => {}
        }
        let joint = self.write(|w| requests.iter().map(|ops| w.apply_all(ops).map(Ok)).collect());
        match joint {
            Ok(out) => out,
            Err(_) => requests.iter().map(|ops| self.apply_batch(ops)).collect(),
        }
    }

    /// Group commit: queues `ops` as one request and returns once the transaction holding
    /// them has committed (or failed). The first caller that finds no commit running becomes
    /// the leader: it takes every queued request, commits them in one transaction, hands each
    /// its outcome, and passes leadership to the oldest request queued meanwhile. Callers
    /// that arrive while a commit runs wait, and are committed together by the next leader.
    pub(crate) fn commit_batch(&self, ops: Vec<Op>) -> BatchResult {
        let group = &self.inner.group;
        let slot;
        {
            let mut q = group.lock().unwrap_or_else(PoisonError::into_inner);
            let lead = !q.leading;
            q.leading = true;
            slot = Slot::new(if lead { SlotState::Lead } else { SlotState::Waiting });
            q.pending.push((ops, Arc::clone(&slot)));
        }
        loop {
            match slot.wait() {
                SlotState::Done(result) => return result,
                SlotState::Lead => self.lead(),
                SlotState::Waiting | SlotState::Taken => {
                    return Err(StoreError::Internal("group commit lost a request".to_owned()));
                }
            }
        }
    }

    /// Leader's turn: commits everything queued (its own request included) as one group.
    fn lead(&self) {
        let group = &self.inner.group;
        let taken =
            std::mem::take(&mut group.lock().unwrap_or_else(PoisonError::into_inner).pending);
        let (requests, slots): (Vec<Vec<Op>>, Vec<Arc<Slot>>) = taken.into_iter().unzip();
        // Every taken slot waits for its outcome, the leader's own included.
        for slot in &slots {
            *slot.lock() = SlotState::Waiting;
        }
        let duty = Leadership { group, committer: &self.inner.committer, slots };
        let started = std::time::Instant::now();
        let results = self.run_group(&requests);
        self.inner.stats.group(requests.len(), started.elapsed());
        for (slot, result) in duty.slots.iter().zip(results) {
            slot.set(SlotState::Done(result));
        }
        drop(duty);
    }

    /// The committer thread's signal, starting the thread on first use.
    fn committer(&self) -> Result<Arc<CommitterSignal>, StoreError> {
        let mut slot = self.inner.committer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sig) = slot.as_ref() {
            return Ok(Arc::clone(sig));
        }
        let sig = Arc::new(CommitterSignal::default());
        let (thread_sig, store) = (Arc::clone(&sig), Arc::downgrade(&self.inner));
        std::thread::Builder::new()
            .name("ossd-store-commit".to_owned())
            .spawn(move || thread_sig.run(store))?;
        *slot = Some(Arc::clone(&sig));
        Ok(sig)
    }

    /// Group commit for async callers: queues `ops` like [`Store::commit_batch`] but returns a
    /// future instead of blocking; the committer thread leads when no caller thread does.
    fn commit_batch_async(&self, ops: Vec<Op>) -> CommitFuture {
        let slot = Slot::new_async();
        let queued = self.committer().map(|sig| {
            let lead = {
                let mut q = self.inner.group.lock().unwrap_or_else(PoisonError::into_inner);
                let lead = !q.leading;
                q.leading = true;
                q.pending.push((ops, Arc::clone(&slot)));
                lead
            };
            if lead {
                sig.want();
            }
        });
        if let Err(e) = queued {
            slot.set(SlotState::Done(Err(e)));
        }
        CommitFuture { slot }
    }

    fn commit_one_async(
        &self,
        op: Op,
    ) -> impl std::future::Future<Output = Result<OpOutput, StoreError>> + Send + 'static {
        let fut = self.commit_batch_async(vec![op]);
        async move {
            fut.await?
                .pop()
                .unwrap_or_else(|| Err(StoreError::Internal("empty batch result".to_owned())))
        }
    }

    fn commit_one(&self, op: Op) -> Result<OpOutput, StoreError> {
        self.commit_batch(vec![op])?
            .pop()
            .unwrap_or_else(|| Err(StoreError::Internal("empty batch result".to_owned())))
    }

    /// A read lease (see [`Leases`]): blobs unreferenced by commits from now on wait for it.
    pub(crate) fn lease(&self) -> ReadLease {
        ReadLease::take(&self.inner)
    }

    /// The shared state, for readers that outlive a borrow of the store.
    pub(crate) fn inner_arc(&self) -> Arc<Inner> {
        Arc::clone(&self.inner)
    }

    fn read(&self) -> Result<ReadTransaction, StoreError> {
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

    fn require_bucket(txn: &ReadTransaction, bucket: &str) -> Result<(), StoreError> {
        match txn.open_table(BUCKETS)?.get(bucket)? {
            Some(_) => Ok(()),
            None => Err(StoreError::NoSuchBucket),
        }
    }

    fn read_upload_key(
        txn: &ReadTransaction,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(txn.open_table(UPLOAD_IDS)?.get((bucket, upload_id))?.map(|g| g.value().to_vec()))
    }

    // ---- buckets ----

    /// Creates a bucket; `BucketExists` if the name is taken.
    pub fn create_bucket(&self, rec: &BucketRecord) -> Result<(), StoreError> {
        self.commit_one(Op::CreateBucket { rec: rec.clone() }).map(|_| ())
    }

    /// The bucket named `name`, if any.
    pub fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        let txn = self.read()?;
        let table = txn.open_table(BUCKETS)?;
        table.get(name)?.map(|g| decode("bucket", g.value())).transpose()
    }

    /// All buckets, sorted by name.
    pub fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        let txn = self.read()?;
        let table = txn.open_table(BUCKETS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (_, v) = entry?;
            out.push(decode("bucket", v.value())?);
        }
        Ok(out)
    }

    /// Replaces a bucket's record; `NoSuchBucket` if missing.
    pub fn update_bucket(&self, rec: &BucketRecord) -> Result<(), StoreError> {
        self.commit_one(Op::UpdateBucket { rec: rec.clone() }).map(|_| ())
    }

    /// Deletes an empty bucket; `NoSuchBucket`, or `BucketNotEmpty` with objects or uploads.
    pub fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        self.commit_one(Op::DeleteBucket { name: name.to_owned() }).map(|_| ())
    }

    /// The bucket's counters (GetBucketStat), read without scanning.
    pub fn bucket_stats(&self, name: &str) -> Result<BucketStats, StoreError> {
        let txn = self.read()?;
        Store::require_bucket(&txn, name)?;
        match txn.open_table(STATS)?.get(name)? {
            Some(g) => decode("bucket stats", g.value()),
            None => Ok(BucketStats::default()),
        }
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

    // ---- objects ----

    /// Inserts or replaces `rec` under `rec.key`; returns the replaced record. Blobs of the
    /// replaced record that `rec` does not reference are deleted after the commit.
    /// On a logical error the blobs of `rec` that nothing references are deleted.
    pub fn put_object(
        &self,
        bucket: &str,
        rec: ObjectRecord,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.put_object_with(bucket, rec, Vec::new(), Overwrite::Allow)
    }

    /// [`Store::put_object`] for a record whose segments include the freshly written blobs
    /// `new` (an inline blob must be handed over this way: its bytes are stored by this commit).
    pub fn put_new_object(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.put_object_with(bucket, rec, new, Overwrite::Allow)
    }

    /// [`Store::put_new_object`] that, with [`Overwrite::Forbid`], fails with
    /// [`StoreError::ObjectExists`] if the key exists when the commit applies it.
    pub fn put_object_with(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.commit_one(Op::PutObject { bucket: bucket.to_owned(), rec, new, overwrite })?
            .replaced()
    }

    /// The object `key`, if any; `NoSuchBucket` if the bucket is missing.
    pub fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError> {
        let snap = self.snapshot()?;
        if snap.buckets.get(bucket)?.is_none() {
            return Err(StoreError::NoSuchBucket);
        }
        snap.objects.get((bucket, key.as_bytes()))?.map(|g| decode("object", g.value())).transpose()
    }

    /// [`Store::put_new_object`] for async callers: waits for the group commit without
    /// blocking a thread (a committer thread of the store leads the commits they join).
    pub fn put_new_object_async(
        &self,
        bucket: &str,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    ) -> impl std::future::Future<Output = Result<Option<ObjectRecord>, StoreError>> + Send + 'static
    {
        let op = Op::PutObject { bucket: bucket.to_owned(), rec, new, overwrite };
        let fut = self.commit_one_async(op);
        async move { fut.await?.replaced() }
    }

    /// [`Store::delete_object`] for async callers (see [`Store::put_new_object_async`]).
    pub fn delete_object_async(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl std::future::Future<Output = Result<Option<ObjectRecord>, StoreError>> + Send + 'static
    {
        let op = Op::DeleteObject { bucket: bucket.to_owned(), key: key.to_owned() };
        let fut = self.commit_one_async(op);
        async move { fut.await?.replaced() }
    }

    /// Deletes an object, returning it; its blobs are deleted after the commit.
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.commit_one(Op::DeleteObject { bucket: bucket.to_owned(), key: key.to_owned() })?
            .replaced()
    }

    /// Deletes several objects in one transaction; one entry per key, `None` where absent.
    pub fn delete_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<Option<ObjectRecord>>, StoreError> {
        let ops = keys
            .iter()
            .map(|k| Op::DeleteObject { bucket: bucket.to_owned(), key: k.clone() })
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
        self.writable()?;
        self.write(|w| w.update_object(bucket, key, f))
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
        template: ObjectRecord,
    ) -> Result<ObjectRecord, StoreError> {
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
        check_segments(rec)?;
        if start > end || end > rec.size {
            return Err(StoreError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("range {start}..{end} outside object of {} bytes", rec.size),
            )));
        }
        // The lease first, then a snapshot: every blob the snapshot shows referenced stays
        // until the reader ends, even if a commit meanwhile leaves it unreferenced (see
        // [`Leases`]); one it shows unreferenced may be gone at any moment, so the read is
        // refused now rather than cut short later. Inline bytes come from the same snapshot.
        let lease = ReadLease::take(&self.inner);
        let snap = self.snapshot()?;
        for seg in &rec.segments {
            if snap.refs.get(seg.blob.as_str())?.is_none() {
                return Err(missing_blob(&seg.blob));
            }
        }
        let inner = Arc::clone(&self.inner);
        let open: BlobOpener = Arc::new(move |id, offset| {
            let _held = &lease;
            Store::open_blob(&inner, &snap, id, offset)
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
        let txn = self.read()?;
        Store::require_bucket(&txn, bucket)?;
        list::list_objects(&txn.open_table(OBJECTS)?, bucket, q)
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
        let txn = self.read()?;
        Store::require_bucket(&txn, bucket)?;
        let Some(key) = Store::read_upload_key(&txn, bucket, upload_id)? else {
            return Ok(None);
        };
        let table = txn.open_table(UPLOADS)?;
        table
            .get((bucket, key.as_slice(), upload_id))?
            .map(|g| decode("upload", g.value()))
            .transpose()
    }

    /// Adds or replaces (same number) a part; the replaced part's blob is deleted after commit.
    pub fn put_part(
        &self,
        bucket: &str,
        upload_id: &str,
        part: PartRecord,
    ) -> Result<(), StoreError> {
        let op = Op::PutPart { bucket: bucket.to_owned(), upload_id: upload_id.to_owned(), part };
        self.commit_one(op).map(|_| ())
    }

    /// [`Store::put_part`] for async callers (see [`Store::put_new_object_async`]).
    pub fn put_part_async(
        &self,
        bucket: &str,
        upload_id: &str,
        part: PartRecord,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
        let op = Op::PutPart { bucket: bucket.to_owned(), upload_id: upload_id.to_owned(), part };
        let fut = self.commit_one_async(op);
        async move { fut.await.map(|_| ()) }
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
        let txn = self.read()?;
        Store::require_bucket(&txn, bucket)?;
        if Store::read_upload_key(&txn, bucket, upload_id)?.is_none() {
            return Err(StoreError::NoSuchUpload);
        }
        let mut out = Vec::new();
        let Some(first) = after_part.checked_add(1) else {
            return Ok(out);
        };
        let table = txn.open_table(PARTS)?;
        for entry in table.range((bucket, upload_id, first)..=(bucket, upload_id, u32::MAX))? {
            if out.len() >= limit {
                break;
            }
            let (_, v) = entry?;
            out.push(decode("part", v.value())?);
        }
        Ok(out)
    }

    /// One page of ListMultipartUploads, sorted by (key, upload id).
    pub fn list_uploads(
        &self,
        bucket: &str,
        q: &ListUploadsQuery,
    ) -> Result<UploadsPage, StoreError> {
        let txn = self.read()?;
        Store::require_bucket(&txn, bucket)?;
        list::list_uploads(&txn.open_table(UPLOADS)?, bucket, q)
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
        let op = Op::CompleteUpload {
            bucket: bucket.to_owned(),
            upload_id: upload_id.to_owned(),
            rec,
            overwrite,
        };
        self.commit_one(op)?.replaced()
    }

    /// Deletes the upload and its parts; their blobs are deleted after the commit.
    pub fn abort_upload(&self, bucket: &str, upload_id: &str) -> Result<(), StoreError> {
        let op = Op::AbortUpload { bucket: bucket.to_owned(), upload_id: upload_id.to_owned() };
        self.commit_one(op).map(|_| ())
    }
}
