//! Object reads that cannot lose their bytes to a concurrent overwrite or delete: the record is
//! read from a snapshot taken under a read lease, so every blob it names stays readable until
//! the read ends (see `Leases` in `lease.rs` and docs/design.md, Rule 3a).

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use crate::blob::{BlobOpener, ObjectReader};
use crate::crypt::encrypted_len;
use crate::crypt::stream::decrypt_all;
use crate::lease::ReadLease;
use crate::meta::View;
use crate::record::ObjectRecord;
use crate::store::Inner;
use crate::version::VersionSel;
use crate::writer::{check_segments, missing_blob};
use crate::{Store, StoreError};

/// An object's record and what it takes to read its bytes, from [`Store::get_object_with_bytes`].
pub struct ObjectRead {
    /// The record.
    pub rec: ObjectRecord,
    /// All the bytes, when the object is small enough and entirely inline.
    pub bytes: Option<Vec<u8>>,
    /// Keeps the record's blobs readable; [`ReadPin::open`] reads them.
    pub pin: ReadPin,
}

/// The snapshot a record was read from and, when the record names blob files, the read lease
/// taken before that snapshot: the blobs stay on disk until the pin (or the reader it opened)
/// is dropped, whatever commits meanwhile.
pub struct ReadPin {
    inner: Arc<Inner>,
    snap: Arc<dyn View>,
    lease: Option<ReadLease>,
}

impl std::fmt::Debug for ReadPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadPin").field("leased", &self.lease.is_some()).finish()
    }
}

/// A record whose segments add up to its size, and `[start, end)` within it: what a reader of its
/// bytes needs before it opens a blob.
pub(crate) fn check_range(rec: &ObjectRecord, start: u64, end: u64) -> Result<(), StoreError> {
    check_segments(rec)?;
    if start > end || end > rec.size {
        return Err(StoreError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("range {start}..{end} outside object of {} bytes", rec.size),
        )));
    }
    Ok(())
}

impl ReadPin {
    /// Reader over `rec`'s bytes `[start, end)`; `rec` is the record this pin came with.
    pub fn open(
        self,
        rec: &ObjectRecord,
        start: u64,
        end: u64,
    ) -> Result<ObjectReader, StoreError> {
        check_range(rec, start, end)?;
        if self.lease.is_none() && rec.segments.iter().any(|s| !s.blob.is_inline()) {
            return Err(StoreError::Internal(
                "a record naming blob files was read without a lease".to_owned(),
            ));
        }
        let encrypted = rec.server_side_encryption.is_some();
        if !self.inner.shared {
            let open: BlobOpener = Arc::new(move |id, offset| {
                let ReadPin { inner, snap, lease } = &self;
                let _held = lease;
                Store::open_blob(inner, &**snap, id, offset, encrypted)
            });
            return ObjectReader::new(open, &rec.segments, start, end);
        }
        // Shared metadata (PostgreSQL): the snapshot holds a pooled connection and an open
        // transaction, which a slow download must not keep. It serves the segments opened
        // eagerly; a segment opened later (past the first 16) reads inline bytes from a fresh
        // view (file blobs need none: the lease keeps them).
        let ReadPin { inner, snap, lease } = self;
        let slot = Arc::new(Mutex::new(Some(snap)));
        let eager = Arc::clone(&slot);
        let open: BlobOpener = Arc::new(move |id, offset| {
            let _held = &lease;
            let snap = slot.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let snap = match snap {
                Some(s) => s,
                None => inner.meta.view().map_err(|e| io::Error::other(e.to_string()))?,
            };
            Store::open_blob(&inner, &*snap, id, offset, encrypted)
        });
        let reader = ObjectReader::new(open, &rec.segments, start, end);
        eager.lock().unwrap_or_else(PoisonError::into_inner).take();
        reader
    }
}

impl Store {
    /// The object `key` with what it takes to read it, from one snapshot: its bytes when it is at
    /// most `max_bytes` long and all inline (so a concurrent overwrite cannot pull them away
    /// between record and bytes), else a [`ReadPin`] whose lease keeps its blob files until the
    /// read ends. The caller has checked that the bucket exists: unlike [`Store::get_object`], a
    /// missing bucket reads as a missing object.
    pub fn get_object_with_bytes(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> Result<Option<ObjectRead>, StoreError> {
        let found = self.get_version_with_bytes(bucket, key, None, max_bytes)?;
        Ok(found.filter(|r| !r.rec.delete_marker))
    }

    /// [`Store::get_object_with_bytes`] of the version `version` names (`None`: the current
    /// one); a delete marker is returned as it is (its record says so).
    pub fn get_version_with_bytes(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&VersionSel>,
        max_bytes: u64,
    ) -> Result<Option<ObjectRead>, StoreError> {
        // First without a lease: small inline objects, the common case, need none.
        let snap = self.view()?;
        let Some(rec) = Self::record_in(&*snap, bucket, key, version)? else {
            return Ok(None);
        };
        if rec.segments.iter().all(|s| s.blob.is_inline()) {
            return self.finish_read(rec, snap, None, max_bytes).map(Some);
        }
        // Blob files: take the lease, then a snapshot, and read the record again from it. Every
        // blob that snapshot shows referenced stays until the lease ends (a blob unlinked between
        // the first read and the lease is no longer named by the record read now).
        // The first snapshot goes before the second is taken (on PostgreSQL each holds a
        // pooled connection).
        drop(snap);
        let lease = self.lease();
        let snap = self.view()?;
        match Self::record_in(&*snap, bucket, key, version)? {
            Some(rec) => self.finish_read(rec, snap, Some(lease), max_bytes).map(Some),
            None => Ok(None),
        }
    }

    fn record_in(
        snap: &dyn View,
        bucket: &str,
        key: &str,
        version: Option<&VersionSel>,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        match version {
            None => snap.object(bucket, key),
            Some(_) => Store::version_in(snap, bucket, key, version),
        }
    }

    /// Builds the [`ObjectRead`] of `rec`, read from `snap`, copying its bytes out when it is
    /// inline and at most `max_bytes` long.
    fn finish_read(
        &self,
        rec: ObjectRecord,
        snap: Arc<dyn View>,
        lease: Option<ReadLease>,
        max_bytes: u64,
    ) -> Result<ObjectRead, StoreError> {
        let all_inline = rec.segments.iter().all(|s| s.blob.is_inline());
        let bytes = if all_inline && rec.size <= max_bytes {
            check_segments(&rec)?;
            let mut out = Vec::with_capacity(usize::try_from(rec.size).unwrap_or(0));
            let encrypted = rec.server_side_encryption.is_some();
            for seg in &rec.segments {
                let mut held = None;
                let mut sealed = None;
                let stored_len = if encrypted { encrypted_len(seg.len) } else { seg.len };
                let found = snap.inline(&seg.blob, &mut |bytes| {
                    if bytes.len() as u64 != stored_len {
                        held = Some(bytes.len());
                    } else if encrypted {
                        sealed = Some(decrypt_all(&self.inner.keys, &seg.blob, bytes));
                    } else {
                        out.extend_from_slice(bytes);
                    }
                })?;
                if let Some(plain) = sealed {
                    out.extend_from_slice(&plain?);
                }
                if !found {
                    return Err(missing_blob(&seg.blob));
                }
                if let Some(held) = held {
                    return Err(StoreError::Corrupt(format!(
                        "inline blob {} holds {held} bytes, its segment says {}",
                        seg.blob, seg.len
                    )));
                }
            }
            Some(out)
        } else {
            None
        };
        let pin = ReadPin { inner: self.inner_arc(), snap, lease };
        Ok(ObjectRead { rec, bytes, pin })
    }
}
