//! The writer: the operations ([`Op`]) and their outputs, and how each is applied inside one
//! write transaction, with blob reference counts and bucket counters kept in step. The
//! multipart-upload operations are in `writer/uploads.rs`, the bucket operations in
//! `writer/buckets.rs`.

use std::collections::HashSet;
use std::io;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::blob::BlobBackend;
use crate::meta::Tables;
use crate::record::{
    Blob, BlobId, BucketRecord, BucketStats, ObjectRecord, PartRecord, Segment, UploadRecord,
};
use crate::store::Overwrite;
use crate::values::ObjectType;
use crate::version::{VersionSel, Versioning, new_version_id, next_seq, order_of};
use crate::{StoreError, crc64};

mod buckets;
mod uploads;

/// One mutation; concurrent callers' ops are committed together in one transaction (group
/// commit, see [`crate::Store::commit_batch`]).
pub(crate) enum Op {
    /// `new`: freshly written blobs that `rec` references (inline ones carry their bytes).
    PutObject {
        bucket: String,
        rec: ObjectRecord,
        new: Vec<Blob>,
        overwrite: Overwrite,
    },
    /// Without `version`: removes the object, or adds a delete marker in a versioned bucket.
    /// With it: removes that version for good.
    DeleteObject {
        bucket: String,
        key: String,
        version: Option<VersionSel>,
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
    /// `rec` stored unchanged (its version id, sequence number, time), as the current version
    /// of its key if `current`, else as a noncurrent one (`ossd migrate`, see `import.rs`);
    /// `new` as in `PutObject`.
    ImportVersion {
        bucket: String,
        rec: ObjectRecord,
        current: bool,
        new: Vec<Blob>,
    },
}

impl Op {
    /// Blobs the caller hands over with this op; if it fails they are deleted when unreferenced.
    pub(crate) fn input_blobs(&self) -> Vec<BlobId> {
        match self {
            Op::PutObject { rec, .. }
            | Op::CompleteUpload { rec, .. }
            | Op::ImportVersion { rec, .. } => {
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
    pub(crate) fn frees_space(&self) -> bool {
        matches!(self, Op::DeleteObject { .. } | Op::AbortUpload { .. } | Op::DeleteBucket { .. })
    }

    /// Blobs written for this op alone (not shared with committed records).
    pub(crate) fn fresh_blobs(&self) -> Vec<BlobId> {
        match self {
            Op::PutObject { new, .. } | Op::ImportVersion { new, .. } => {
                new.iter().map(|b| b.id.clone()).collect()
            }
            Op::AppendObject { blob, .. } => vec![blob.id.clone()],
            Op::PutPart { part, .. } => vec![part.blob.id.clone()],
            _ => Vec::new(),
        }
    }

    /// Fresh blobs handed over with this op whose bytes are still in memory (inline blobs).
    pub(crate) fn fresh_inline(&self) -> impl Iterator<Item = &Blob> {
        let blobs: &[Blob] = match self {
            Op::PutObject { new, .. } | Op::ImportVersion { new, .. } => new,
            Op::AppendObject { blob, .. } => std::slice::from_ref(blob),
            Op::PutPart { part, .. } => std::slice::from_ref(&part.blob),
            _ => &[],
        };
        blobs.iter().filter(|b| b.inline.0.is_some())
    }
}

/// What a write or delete of an object did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The record replaced, deleted or (in a versioned bucket) made noncurrent, if any.
    pub replaced: Option<ObjectRecord>,
    /// The version written (a new version or delete marker) or removed; `None` in a bucket
    /// whose versioning was never enabled.
    pub version_id: Option<String>,
    /// The version written or removed is a delete marker.
    pub delete_marker: bool,
}

/// Result of one [`Op`].
pub(crate) enum OpOutput {
    /// What a write or delete did.
    Written(Written),
    /// The object after an append.
    Appended(ObjectRecord),
    /// Nothing to report.
    Done,
}

impl OpOutput {
    pub(crate) fn replaced(self) -> Result<Option<ObjectRecord>, StoreError> {
        self.written().map(|w| w.replaced)
    }

    pub(crate) fn written(self) -> Result<Written, StoreError> {
        match self {
            OpOutput::Written(w) => Ok(w),
            _ => Err(StoreError::Internal("unexpected op output".to_owned())),
        }
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
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
pub(crate) fn account_object(stats: &mut BucketStats, rec: &ObjectRecord, add: bool) {
    if rec.delete_marker {
        stats.delete_marker_count = if add {
            stats.delete_marker_count + 1
        } else {
            stats.delete_marker_count.saturating_sub(1)
        };
        return;
    }
    let class = stats.by_storage_class.entry(rec.storage_class).or_default();
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

/// Applies ops over the tables of one write transaction of any backend, and collects what the
/// transaction has to do after its commit. Every op's semantics (overwrite conditions, append
/// positions, reference counts, bucket counters) are here, once.
pub(crate) struct Writer<'txn> {
    /// The transaction's tables.
    pub(crate) t: &'txn mut dyn Tables,
    pub(crate) blobs: &'txn dyn BlobBackend,
    /// The in-memory bytes of the inline blobs handed over with the op being applied.
    pub(crate) fresh: Vec<(BlobId, Arc<[u8]>)>,
    /// Blobs that may be unreferenced after the commit.
    pub(crate) candidates: Vec<BlobId>,
    /// Something was written.
    pub(crate) dirty: bool,
    pub(crate) now_ms: i64,
}

impl<'txn> Writer<'txn> {
    /// A writer over the tables of one write transaction.
    pub(crate) fn new(t: &'txn mut dyn Tables, blobs: &'txn dyn BlobBackend) -> Self {
        Writer {
            t,
            blobs,
            fresh: Vec::new(),
            candidates: Vec::new(),
            dirty: false,
            now_ms: now_ms(),
        }
    }

    /// The candidate files that no record references any more, deduplicated. (Inline blobs
    /// leave with the transaction that drops their last reference.)
    pub(crate) fn unreferenced_candidates(&mut self) -> Result<Vec<BlobId>, StoreError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in std::mem::take(&mut self.candidates) {
            if !id.is_inline() && seen.insert(id.clone()) && self.t.ref_count(&id)? == 0 {
                out.push(id);
            }
        }
        Ok(out)
    }

    pub(crate) fn require_bucket(&self, bucket: &str) -> Result<(), StoreError> {
        if self.t.bucket_exists(bucket)? { Ok(()) } else { Err(StoreError::NoSuchBucket) }
    }

    /// The bucket's versioning state, read in this transaction; `NoSuchBucket` if it is missing.
    pub(crate) fn versioning(&self, bucket: &str) -> Result<Versioning, StoreError> {
        match self.t.bucket(bucket)? {
            Some(rec) => Ok(Versioning::of(&rec)),
            None => Err(StoreError::NoSuchBucket),
        }
    }

    pub(crate) fn load_stats(&self, bucket: &str) -> Result<BucketStats, StoreError> {
        Ok(self.t.stats(bucket)?.unwrap_or_default())
    }

    pub(crate) fn store_stats(
        &mut self,
        bucket: &str,
        mut stats: BucketStats,
    ) -> Result<(), StoreError> {
        stats.last_modified_ms = self.now_ms;
        self.t.put_stats(bucket, &stats)
    }

    pub(crate) fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError> {
        self.t.ref_count(id)
    }

    /// The in-memory bytes of a fresh inline blob of the current op.
    pub(crate) fn fresh_bytes(&self, id: &BlobId) -> Option<&Arc<[u8]>> {
        self.fresh.iter().find(|(f, _)| f == id).map(|(_, b)| b)
    }

    pub(crate) fn ref_inc(&mut self, id: &BlobId) -> Result<(), StoreError> {
        let n = self.ref_count(id)? + 1;
        if n == 1
            && id.is_inline()
            && let Some(bytes) = self.fresh_bytes(id).cloned()
            && !self.t.inline_exists(id)?
        {
            // The first reference stores the bytes, in the same commit.
            self.t.put_inline(id, &bytes)?;
        }
        self.t.set_ref_count(id, n)
    }

    pub(crate) fn ref_dec(&mut self, id: &BlobId) -> Result<(), StoreError> {
        let n = self.ref_count(id)?.saturating_sub(1);
        self.t.set_ref_count(id, n)?;
        if n == 0 {
            if id.is_inline() {
                self.t.remove_inline(id)?;
            } else {
                self.candidates.push(id.clone());
            }
        }
        Ok(())
    }

    /// Refuses to reference a blob that is neither referenced already nor present, so that a
    /// record can never point at bytes that a concurrent delete has removed.
    pub(crate) fn ensure_blobs<'a>(
        &self,
        ids: impl Iterator<Item = &'a BlobId>,
    ) -> Result<(), StoreError> {
        for id in ids {
            if self.ref_count(id)? > 0 {
                continue;
            }
            let present = if id.is_inline() {
                self.fresh_bytes(id).is_some() || self.t.inline_exists(id)?
            } else {
                self.blobs.exists(id)?
            };
            if !present {
                return Err(missing_blob(id));
            }
        }
        Ok(())
    }

    pub(crate) fn object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.t.object(bucket, key.as_bytes())
    }

    /// Writes `rec` (its new references already counted) and, unless `appended` (the old
    /// segments live on as a prefix of `rec`'s), releases the segments of the record it replaces.
    pub(crate) fn store_object(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
        appended: bool,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let old = self.t.put_object(bucket, rec)?;
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
    /// by op (see [`crate::Store::run_group`]).
    pub(crate) fn apply(&mut self, op: &Op) -> Result<OpOutput, StoreError> {
        self.fresh.clear();
        for b in op.fresh_inline() {
            if let Some(bytes) = &b.inline.0 {
                // An encrypted blob holds the header and the chunk tags besides its bytes.
                let stored = bytes.len() as u64;
                if stored != b.size && stored != crate::crypt::encrypted_len(b.size) {
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

    pub(crate) fn apply_op(&mut self, op: &Op) -> Result<OpOutput, StoreError> {
        match op {
            Op::PutObject { bucket, rec, overwrite, .. } => {
                self.put_object(bucket, rec, *overwrite).map(OpOutput::Written)
            }
            Op::DeleteObject { bucket, key, version } => {
                self.delete_object(bucket, key, version.as_ref()).map(OpOutput::Written)
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
                .map(OpOutput::Written),
            Op::AbortUpload { bucket, upload_id } => {
                self.abort_upload(bucket, upload_id).map(|()| OpOutput::Done)
            }
            Op::CreateBucket { rec } => self.create_bucket(rec).map(|()| OpOutput::Done),
            Op::UpdateBucket { rec } => self.update_bucket(rec).map(|()| OpOutput::Done),
            Op::DeleteBucket { name } => self.delete_bucket(name).map(|()| OpOutput::Done),
            Op::ImportVersion { bucket, rec, current, .. } => {
                self.import_version(bucket, rec, *current).map(OpOutput::Written)
            }
        }
    }

    /// Applies `ops` in order. A logical failure is reported for its op alone (it happened
    /// before the op wrote anything); any other failure is returned for the whole transaction.
    pub(crate) fn apply_all(
        &mut self,
        ops: &[Op],
    ) -> Result<Vec<Result<OpOutput, StoreError>>, StoreError> {
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
    pub(crate) fn check_overwrite(
        &self,
        bucket: &str,
        key: &[u8],
        overwrite: Overwrite,
    ) -> Result<(), StoreError> {
        if overwrite == Overwrite::Forbid && self.t.object_exists(bucket, key)? {
            return Err(StoreError::ObjectExists);
        }
        Ok(())
    }

    pub(crate) fn put_object(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
        overwrite: Overwrite,
    ) -> Result<Written, StoreError> {
        let status = self.versioning(bucket)?;
        // x-oss-forbid-overwrite has no effect once versioning was enabled.
        if status == Versioning::Off {
            self.check_overwrite(bucket, rec.key.as_bytes(), overwrite)?;
        }
        check_segments(rec)?;
        self.ensure_blobs(rec.segments.iter().map(|s| &s.blob))?;
        self.dirty = true;
        // Count the new references first so blobs shared with the old record survive.
        for s in &rec.segments {
            self.ref_inc(&s.blob)?;
        }
        if status == Versioning::Off {
            let replaced = self.store_object(bucket, rec, false)?;
            return Ok(Written { replaced, ..Written::default() });
        }
        self.store_new_version(bucket, rec.clone(), status)
    }

    /// Drops the references and the counts of a version that leaves the store.
    fn release(&mut self, rec: &ObjectRecord, stats: &mut BucketStats) -> Result<(), StoreError> {
        for s in &rec.segments {
            self.ref_dec(&s.blob)?;
        }
        account_object(stats, rec, false);
        Ok(())
    }

    /// Makes `rec` (its references counted) the current version of its key in a versioned
    /// bucket: Enabled gives it a fresh id and keeps the old current version as noncurrent;
    /// Suspended makes it the null version, replacing the old one wherever it is.
    pub(crate) fn store_new_version(
        &mut self,
        bucket: &str,
        mut rec: ObjectRecord,
        status: Versioning,
    ) -> Result<Written, StoreError> {
        let key = rec.key.clone();
        let current = self.t.object(bucket, key.as_bytes())?;
        rec.seq = next_seq(current.as_ref(), self.now_ms);
        rec.version_id = Some(match status {
            Versioning::Enabled => new_version_id(rec.seq),
            _ => crate::version::NULL_VERSION.to_owned(),
        });
        self.dirty = true;
        let mut stats = self.load_stats(bucket)?;
        if let Some(cur) = &current {
            if status == Versioning::Suspended && cur.is_null_version() {
                self.release(cur, &mut stats)?;
            } else {
                if status == Versioning::Suspended
                    && let Some(old) = self.find_noncurrent(bucket, &key, &VersionSel::Null)?
                {
                    self.t.remove_version(bucket, key.as_bytes(), order_of(old.seq))?;
                    self.release(&old, &mut stats)?;
                }
                self.t.put_version(bucket, cur)?;
            }
        }
        self.t.put_object(bucket, &rec)?;
        account_object(&mut stats, &rec, true);
        self.store_stats(bucket, stats)?;
        Ok(Written {
            replaced: current,
            version_id: rec.version_id.clone(),
            delete_marker: rec.delete_marker,
        })
    }

    /// The noncurrent version of `key` that `sel` names.
    pub(crate) fn find_noncurrent(
        &self,
        bucket: &str,
        key: &str,
        sel: &VersionSel,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        match sel {
            VersionSel::Id(_, seq) => {
                let after = order_of(*seq).checked_sub(1);
                let found = self.t.versions(bucket, key.as_bytes(), after, 1)?;
                Ok(found.into_iter().next().filter(|r| sel.matches(r)))
            }
            VersionSel::Null => {
                const PAGE: usize = 256;
                let mut after = None;
                loop {
                    let page = self.t.versions(bucket, key.as_bytes(), after, PAGE)?;
                    let full = page.len() == PAGE;
                    after = page.last().map(|r| order_of(r.seq));
                    if let Some(r) = page.into_iter().find(|r| r.is_null_version()) {
                        return Ok(Some(r));
                    }
                    if !full {
                        return Ok(None);
                    }
                }
            }
        }
    }

    pub(crate) fn delete_object(
        &mut self,
        bucket: &str,
        key: &str,
        version: Option<&VersionSel>,
    ) -> Result<Written, StoreError> {
        let status = self.versioning(bucket)?;
        match (status, version) {
            (Versioning::Off, None | Some(VersionSel::Null)) => {
                let replaced = self.delete_current(bucket, key)?;
                let version_id = version.map(|_| crate::version::NULL_VERSION.to_owned());
                Ok(Written { replaced, version_id, delete_marker: false })
            }
            (Versioning::Off, Some(VersionSel::Id(id, _))) => {
                Ok(Written { version_id: Some(id.clone()), ..Written::default() })
            }
            (_, None) => {
                let marker = ObjectRecord {
                    key: key.to_owned(),
                    last_modified_ms: self.now_ms,
                    delete_marker: true,
                    ..ObjectRecord::default()
                };
                self.store_new_version(bucket, marker, status)
            }
            (_, Some(sel)) => self.remove_version(bucket, key, sel),
        }
    }

    /// Removes the version of `key` that `sel` names for good; when it was the current one, the
    /// newest noncurrent version becomes current. Nothing when there is no such version.
    fn remove_version(
        &mut self,
        bucket: &str,
        key: &str,
        sel: &VersionSel,
    ) -> Result<Written, StoreError> {
        let label = match sel {
            VersionSel::Null => crate::version::NULL_VERSION.to_owned(),
            VersionSel::Id(id, _) => id.clone(),
        };
        let current = self.t.object(bucket, key.as_bytes())?;
        let removed = match current.filter(|c| sel.matches(c)) {
            Some(cur) => {
                self.dirty = true;
                self.t.remove_object(bucket, key.as_bytes())?;
                if let Some(next) = self.t.versions(bucket, key.as_bytes(), None, 1)?.pop() {
                    self.t.remove_version(bucket, key.as_bytes(), order_of(next.seq))?;
                    self.t.put_object(bucket, &next)?;
                }
                Some(cur)
            }
            None => match self.find_noncurrent(bucket, key, sel)? {
                Some(old) => {
                    self.dirty = true;
                    self.t.remove_version(bucket, key.as_bytes(), order_of(old.seq))?;
                    Some(old)
                }
                None => None,
            },
        };
        let delete_marker = removed.as_ref().is_some_and(|r| r.delete_marker);
        if let Some(old) = &removed {
            let mut stats = self.load_stats(bucket)?;
            self.release(old, &mut stats)?;
            self.store_stats(bucket, stats)?;
        }
        Ok(Written { replaced: removed, version_id: Some(label), delete_marker })
    }

    /// Removes the record of `key` in a bucket that was never versioned.
    fn delete_current(
        &mut self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let old = self.t.remove_object(bucket, key.as_bytes())?;
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

    pub(crate) fn update_object(
        &mut self,
        bucket: &str,
        key: &str,
        version: Option<&VersionSel>,
        f: &mut dyn FnMut(&mut ObjectRecord),
    ) -> Result<ObjectRecord, StoreError> {
        let status = self.versioning(bucket)?;
        let current = self.object(bucket, key)?;
        let (old, noncurrent) = match version {
            None => match current {
                Some(c) if !c.delete_marker => (c, false),
                _ => return Err(StoreError::NoSuchKey),
            },
            Some(sel) => match current.filter(|c| sel.matches(c)) {
                Some(c) => (c, false),
                None if status == Versioning::Off => return Err(StoreError::NoSuchVersion),
                None => (
                    self.find_noncurrent(bucket, key, sel)?.ok_or(StoreError::NoSuchVersion)?,
                    true,
                ),
            },
        };
        if old.delete_marker {
            return Err(StoreError::DeleteMarker { version_id: old.version_label().to_owned() });
        }
        let mut rec = old.clone();
        f(&mut rec);
        // The bytes and what is derived from them stay as they are.
        rec.key = old.key.clone();
        rec.size = old.size;
        rec.crc64 = old.crc64;
        rec.segments = old.segments.clone();
        rec.object_type = old.object_type;
        rec.version_id = old.version_id.clone();
        rec.delete_marker = false;
        rec.seq = old.seq;
        self.dirty = true;
        if noncurrent {
            self.t.put_version(bucket, &rec)?;
        } else {
            self.t.put_object(bucket, &rec)?;
        }
        if rec.storage_class != old.storage_class {
            let mut stats = self.load_stats(bucket)?;
            account_object(&mut stats, &old, false);
            account_object(&mut stats, &rec, true);
            self.store_stats(bucket, stats)?;
        }
        Ok(rec)
    }

    pub(crate) fn append_object(
        &mut self,
        bucket: &str,
        key: &str,
        position: u64,
        blob: Blob,
        template: ObjectRecord,
    ) -> Result<ObjectRecord, StoreError> {
        let status = self.versioning(bucket)?;
        // A delete marker is no object to append to: an append at 0 starts a new version.
        let existing = self.object(bucket, key)?.filter(|e| !e.delete_marker);
        let in_place = existing.is_some();
        let mut rec = match existing {
            Some(existing) => {
                if existing.object_type != ObjectType::Appendable {
                    return Err(StoreError::ObjectNotAppendable);
                }
                // A blob encrypted (or not) for an object that has since been replaced by one
                // of the other kind must not join it: answered as the object having changed.
                if position != existing.size
                    || existing.server_side_encryption.is_some()
                        != template.server_side_encryption.is_some()
                {
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
                rec.object_type = ObjectType::Appendable;
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
        if in_place || status == Versioning::Off {
            self.store_object(bucket, &rec, true)?;
            return Ok(rec);
        }
        let written = self.store_new_version(bucket, rec.clone(), status)?;
        rec.version_id = written.version_id;
        Ok(rec)
    }
}
