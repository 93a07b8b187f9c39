//! The redb read view: one read transaction with the tables hot reads use opened once, shared by
//! every read until the next commit. Opening a table in a fresh read transaction costs more than
//! the lookup itself (redb finds it by name in its table tree and checks its types); the shared
//! snapshot saves that on every read between two writes. A commit drops it, so it never pins
//! pages that later commits freed.

use redb::{Database, ReadOnlyTable, ReadTransaction, ReadableTable};

use super::list::{self, ObjKey};
use std::sync::OnceLock;

use super::list::VersionKey;
use super::schema::{
    BLOB_REFS, BUCKETS, INLINE_BLOBS, OBJECT_VERSIONS, OBJECTS, PARTS, SETTINGS, STATS, UPLOAD_IDS,
    UPLOADS,
};
use super::tables::read_versions;
use crate::StoreError;
use crate::codec::decode;
use crate::meta::View;
use crate::record::{
    BlobId, BucketRecord, BucketStats, ListPage, ListQuery, ListUploadsQuery, ObjectRecord,
    PartRecord, UploadRecord, UploadsPage,
};

/// A read snapshot of the database.
pub(crate) struct Snapshot {
    /// The count of commits read before the snapshot was taken: it holds every commit counted
    /// up to there, so it serves reads for as long as the count has not moved.
    pub(crate) commits: u64,
    /// The transaction, for the tables opened per read (listings, uploads, parts, counters).
    txn: ReadTransaction,
    buckets: ReadOnlyTable<&'static str, &'static [u8]>,
    objects: ReadOnlyTable<ObjKey, &'static [u8]>,
    inline: ReadOnlyTable<&'static [u8], &'static [u8]>,
    refs: ReadOnlyTable<&'static str, u64>,
    /// Opened on the first read of versions.
    versions: OnceLock<ReadOnlyTable<VersionKey, &'static [u8]>>,
}

impl Snapshot {
    /// A snapshot of `db`'s current state, which holds at least `commits` commits.
    pub(crate) fn take(db: &Database, commits: u64) -> Result<Snapshot, StoreError> {
        let txn = db.begin_read()?;
        Ok(Snapshot {
            commits,
            buckets: txn.open_table(BUCKETS)?,
            objects: txn.open_table(OBJECTS)?,
            inline: txn.open_table(INLINE_BLOBS)?,
            refs: txn.open_table(BLOB_REFS)?,
            versions: OnceLock::new(),
            txn,
        })
    }

    fn upload_key(&self, bucket: &str, upload_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.txn.open_table(UPLOAD_IDS)?.get((bucket, upload_id))?.map(|g| g.value().to_vec()))
    }
}

impl View for Snapshot {
    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        self.buckets.get(name)?.map(|g| decode("bucket", g.value())).transpose()
    }

    fn bucket_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.buckets.get(name)?.is_some())
    }

    fn buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        let mut out = Vec::new();
        for entry in self.buckets.iter()? {
            let (_, v) = entry?;
            out.push(decode("bucket", v.value())?);
        }
        Ok(out)
    }

    fn stats(&self, bucket: &str) -> Result<Option<BucketStats>, StoreError> {
        let table = self.txn.open_table(STATS)?;
        table.get(bucket)?.map(|g| decode("bucket stats", g.value())).transpose()
    }

    fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError> {
        let Some(guard) = self.objects.get((bucket, key.as_bytes()))? else {
            return Ok(None);
        };
        decode("object", guard.value()).map(Some)
    }

    fn list_objects(&self, bucket: &str, q: &ListQuery) -> Result<(ListPage, usize), StoreError> {
        list::list_objects(&self.objects, bucket, q)
    }

    fn versions(
        &self,
        bucket: &str,
        key: &str,
        after_order: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>, StoreError> {
        if self.versions.get().is_none() {
            let table = self.txn.open_table(OBJECT_VERSIONS)?;
            let _ = self.versions.set(table);
        }
        let Some(table) = self.versions.get() else {
            return Err(StoreError::Internal("versions table not open".to_owned()));
        };
        read_versions(table, bucket, key.as_bytes(), after_order, limit)
    }

    fn upload(&self, bucket: &str, upload_id: &str) -> Result<Option<UploadRecord>, StoreError> {
        let Some(key) = self.upload_key(bucket, upload_id)? else {
            return Ok(None);
        };
        let table = self.txn.open_table(UPLOADS)?;
        table
            .get((bucket, key.as_slice(), upload_id))?
            .map(|g| decode("upload", g.value()))
            .transpose()
    }

    fn list_uploads(&self, bucket: &str, q: &ListUploadsQuery) -> Result<UploadsPage, StoreError> {
        list::list_uploads(&self.txn.open_table(UPLOADS)?, bucket, q)
    }

    fn parts(
        &self,
        bucket: &str,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        let mut out = Vec::new();
        let Some(first) = after.checked_add(1) else {
            return Ok(out);
        };
        let table = self.txn.open_table(PARTS)?;
        for entry in table.range((bucket, upload_id, first)..=(bucket, upload_id, u32::MAX))? {
            if out.len() >= limit {
                break;
            }
            let (_, v) = entry?;
            out.push(decode("part", v.value())?);
        }
        Ok(out)
    }

    fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError> {
        Ok(self.refs.get(id.as_str())?.map_or(0, |g| g.value()))
    }

    fn inline(&self, id: &BlobId, f: &mut dyn FnMut(&[u8])) -> Result<bool, StoreError> {
        match self.inline.get(id.as_str().as_bytes())? {
            Some(guard) => {
                f(guard.value());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let table = self.txn.open_table(SETTINGS)?;
        let doc = table.get(name)?.map(|g| g.value().to_vec());
        Ok(doc)
    }
}
