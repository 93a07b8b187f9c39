//! Importing records as they are, for `ossd migrate`: a bucket with its whole record, and an
//! object version with its own version id, sequence number, last-modified time and blobs.
//! Bytes are copied raw (an encrypted blob stays encrypted under the same master key); the
//! record goes through the writer, so reference counts and bucket counters stay right.
//!
//! Every import is idempotent: a version the destination already holds (same key, version id,
//! sequence number, size, CRC-64, ETag and time) is left alone, and a blob already present is not copied again, so a
//! migration stopped half-way is simply run again.

use std::io;
use std::sync::Arc;

use crate::record::{Blob, BlobId, BucketRecord, InlineBytes, ObjectRecord};
use crate::version::order_of;
use crate::writer::{Op, OpOutput, Writer, account_object, check_segments};
use crate::{Store, StoreError};

/// What [`Store::import_version`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// The version was added.
    Added,
    /// The destination already held it (an earlier, interrupted run).
    AlreadyThere,
}

/// Buffer of the raw blob copy: memory stays bounded whatever the blob's size.
const COPY_BUF: usize = 256 * 1024;

impl Store {
    /// Creates bucket `rec.name` as `rec` is (owner, creation time, ACL, every configuration
    /// document), or, if it exists (an earlier run), replaces its record with `rec`.
    pub fn import_bucket(&self, rec: &BucketRecord) -> Result<(), StoreError> {
        match self.commit_one(Op::CreateBucket { rec: rec.clone() }) {
            Err(StoreError::BucketExists) => {
                self.commit_one(Op::UpdateBucket { rec: rec.clone() }).map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    /// Imports version `rec` of `bucket` from store `src` (`current`: it is its key's current
    /// version, else a noncurrent one): copies the blobs of its segments that this store lacks,
    /// raw, then commits the record unchanged. A different current version already in this
    /// store refuses with [`StoreError::ObjectExists`] (the destination is not this source's).
    pub fn import_version(
        &self,
        src: &Store,
        bucket: &str,
        rec: &ObjectRecord,
        current: bool,
    ) -> Result<Imported, StoreError> {
        if self.holds_version(bucket, rec, current)? {
            return Ok(Imported::AlreadyThere);
        }
        let src_view = src.view()?;
        let mut new = Vec::new();
        for seg in &rec.segments {
            if seg.blob.is_inline() {
                let mut bytes = None;
                src_view.inline(&seg.blob, &mut |b| bytes = Some(Arc::<[u8]>::from(b)))?;
                let bytes = bytes.ok_or_else(|| crate::writer::missing_blob(&seg.blob))?;
                new.push(Blob {
                    id: seg.blob.clone(),
                    size: seg.len,
                    md5: [0; 16],
                    crc64: 0,
                    inline: InlineBytes(Some(bytes)),
                });
            } else if !self.inner.blobs.exists(&seg.blob)? {
                self.copy_blob_raw(src, &seg.blob)?;
            }
        }
        drop(src_view);
        let op = Op::ImportVersion { bucket: bucket.to_owned(), rec: rec.clone(), current, new };
        match self.commit_one(op)? {
            OpOutput::Written(w) if w.version_id.is_some() => Ok(Imported::Added),
            _ => Ok(Imported::AlreadyThere),
        }
    }

    /// Whether this store already holds version `rec` where `current` says.
    fn holds_version(
        &self,
        bucket: &str,
        rec: &ObjectRecord,
        current: bool,
    ) -> Result<bool, StoreError> {
        let view = self.view()?;
        let found = if current {
            view.object(bucket, &rec.key)?
        } else {
            let after = order_of(rec.seq).checked_sub(1);
            view.versions(bucket, &rec.key, after, 1)?.into_iter().next()
        };
        Ok(found.is_some_and(|f| same_version(&f, rec)))
    }

    /// Copies the stored bytes of file blob `id` from `src` under the same id, streamed.
    fn copy_blob_raw(&self, src: &Store, id: &BlobId) -> Result<(), StoreError> {
        let mut reader = src.inner.blobs.open(id, 0)?;
        let mut sink = self.inner.blobs.create(id)?;
        // `io::copy` reads straight into the buffer of a `BufWriter`: writes of COPY_BUF.
        let mut out = io::BufWriter::with_capacity(COPY_BUF, &mut sink);
        io::copy(&mut reader, &mut out)?;
        io::Write::flush(&mut out)?;
        drop(out);
        sink.commit()?;
        Ok(())
    }
}

/// Two records are the same version: same key, version id and sequence number, and the same
/// bytes and time (a bucket never versioned has version id `None` and sequence 0 throughout).
fn same_version(a: &ObjectRecord, b: &ObjectRecord) -> bool {
    a.key == b.key
        && a.version_id == b.version_id
        && a.seq == b.seq
        && a.delete_marker == b.delete_marker
        && a.size == b.size
        && a.crc64 == b.crc64
        && a.etag == b.etag
        && a.last_modified_ms == b.last_modified_ms
}

impl Writer<'_> {
    /// Stores `rec` unchanged as the current (`current`) or a noncurrent version of its key,
    /// counting its blob references and its bucket counters. `Written::version_id` is the
    /// record's own (or `None` and nothing replaced when it was already there).
    pub(crate) fn import_version(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
        current: bool,
    ) -> Result<crate::Written, StoreError> {
        self.require_bucket(bucket)?;
        check_segments(rec)?;
        let existing = if current {
            self.t.object(bucket, rec.key.as_bytes())?
        } else {
            let after = order_of(rec.seq).checked_sub(1);
            self.t.versions(bucket, rec.key.as_bytes(), after, 1)?.into_iter().next()
        };
        match existing {
            Some(e) if same_version(&e, rec) => {
                // Already imported: `replaced` set and no version id tells the caller.
                return Ok(crate::Written { replaced: Some(e), ..Default::default() });
            }
            // A different version in the place this one takes.
            Some(e) if current || e.seq == rec.seq => return Err(StoreError::ObjectExists),
            _ => {}
        }
        self.ensure_blobs(rec.segments.iter().map(|s| &s.blob))?;
        self.dirty = true;
        for s in &rec.segments {
            self.ref_inc(&s.blob)?;
        }
        let mut stats = self.load_stats(bucket)?;
        if current {
            self.t.put_object(bucket, rec)?;
        } else {
            self.t.put_version(bucket, rec)?;
        }
        account_object(&mut stats, rec, true);
        self.store_stats(bucket, stats)?;
        Ok(crate::Written {
            replaced: None,
            version_id: Some(rec.version_label().to_owned()),
            delete_marker: rec.delete_marker,
        })
    }
}
