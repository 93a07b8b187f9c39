//! The writer: the operations ([`Op`]) and their outputs, and how each is applied inside one
//! write transaction, with blob reference counts and bucket counters kept in step.

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
use crate::{StoreError, crc64};

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
    pub(crate) fn input_blobs(&self) -> Vec<BlobId> {
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
    pub(crate) fn frees_space(&self) -> bool {
        matches!(self, Op::DeleteObject { .. } | Op::AbortUpload { .. } | Op::DeleteBucket { .. })
    }

    /// Blobs written for this op alone (not shared with committed records).
    pub(crate) fn fresh_blobs(&self) -> Vec<BlobId> {
        match self {
            Op::PutObject { new, .. } => new.iter().map(|b| b.id.clone()).collect(),
            Op::AppendObject { blob, .. } => vec![blob.id.clone()],
            Op::PutPart { part, .. } => vec![part.blob.id.clone()],
            _ => Vec::new(),
        }
    }

    /// Fresh blobs handed over with this op whose bytes are still in memory (inline blobs).
    pub(crate) fn fresh_inline(&self) -> impl Iterator<Item = &Blob> {
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
    pub(crate) fn replaced(self) -> Result<Option<ObjectRecord>, StoreError> {
        match self {
            OpOutput::Replaced(r) => Ok(r),
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

    pub(crate) fn delete_object(
        &mut self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.require_bucket(bucket)?;
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
        rec.object_type = old.object_type;
        self.dirty = true;
        self.t.put_object(bucket, &rec)?;
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
        self.require_bucket(bucket)?;
        let mut rec = match self.object(bucket, key)? {
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
        self.store_object(bucket, &rec, true)?;
        Ok(rec)
    }

    pub(crate) fn upload_key(&self, bucket: &str, upload_id: &str) -> Result<Vec<u8>, StoreError> {
        self.t.upload_key(bucket, upload_id)?.ok_or(StoreError::NoSuchUpload)
    }

    pub(crate) fn create_upload(
        &mut self,
        bucket: &str,
        rec: &UploadRecord,
        overwrite: Overwrite,
    ) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        self.check_overwrite(bucket, rec.key.as_bytes(), overwrite)?;
        self.dirty = true;
        if self.t.put_upload(bucket, rec)? {
            let mut stats = self.load_stats(bucket)?;
            stats.multipart_upload_count += 1;
            self.store_stats(bucket, stats)?;
        }
        Ok(())
    }

    pub(crate) fn put_part(
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
        let old = self.t.put_part(bucket, upload_id, part)?;
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
    pub(crate) fn remove_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        key: &[u8],
        stats: &mut BucketStats,
    ) -> Result<(), StoreError> {
        self.t.remove_upload(bucket, upload_id, key)?;
        stats.multipart_upload_count = stats.multipart_upload_count.saturating_sub(1);
        for part in self.t.parts(bucket, upload_id)? {
            self.t.remove_part(bucket, upload_id, part.number)?;
            self.ref_dec(&part.blob.id)?;
            stats.part_count = stats.part_count.saturating_sub(1);
            stats.part_bytes = stats.part_bytes.saturating_sub(part.blob.size);
        }
        Ok(())
    }

    pub(crate) fn complete_upload(
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

    pub(crate) fn abort_upload(&mut self, bucket: &str, upload_id: &str) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        let key = self.upload_key(bucket, upload_id)?;
        self.dirty = true;
        let mut stats = self.load_stats(bucket)?;
        self.remove_upload(bucket, upload_id, &key, &mut stats)?;
        self.store_stats(bucket, stats)
    }

    pub(crate) fn create_bucket(&mut self, rec: &BucketRecord) -> Result<(), StoreError> {
        if self.t.bucket_exists(&rec.name)? {
            return Err(StoreError::BucketExists);
        }
        self.dirty = true;
        self.t.put_bucket(rec)?;
        self.store_stats(&rec.name, BucketStats::default())
    }

    pub(crate) fn update_bucket(&mut self, rec: &BucketRecord) -> Result<(), StoreError> {
        self.require_bucket(&rec.name)?;
        self.dirty = true;
        self.t.put_bucket(rec)?;
        Ok(())
    }

    /// Applies `f` to the bucket's current record and stores the result, in this transaction:
    /// concurrent updates (from this process or another node) never lose one another.
    pub(crate) fn modify_bucket(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut BucketRecord),
    ) -> Result<BucketRecord, StoreError> {
        let mut rec = self.t.bucket(name)?.ok_or(StoreError::NoSuchBucket)?;
        f(&mut rec);
        rec.name = name.to_owned();
        self.dirty = true;
        self.t.put_bucket(&rec)?;
        Ok(rec)
    }

    pub(crate) fn delete_bucket(&mut self, bucket: &str) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        if self.t.bucket_has_entries(bucket)? {
            return Err(StoreError::BucketNotEmpty);
        }
        self.dirty = true;
        self.t.remove_bucket(bucket)
    }
}
