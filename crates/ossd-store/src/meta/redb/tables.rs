//! [`Tables`] over the redb tables of one write transaction.

use redb::{ReadableTable, Table, WriteTransaction};

use std::cell::OnceCell;

use super::list::{ObjKey, UploadKey, VersionKey};
use super::schema::{
    BLOB_REFS, BUCKETS, INLINE_BLOBS, OBJECT_VERSIONS, OBJECTS, PARTS, SETTINGS, STATS, UPLOAD_IDS,
    UPLOADS,
};
use crate::StoreError;
use crate::codec::{decode, encode};
use crate::meta::Tables;
use crate::record::{BlobId, BucketRecord, BucketStats, ObjectRecord, PartRecord, UploadRecord};

/// All tables, opened once per write transaction.
pub(crate) struct RedbTables<'txn> {
    txn: &'txn WriteTransaction,
    buckets: Table<'txn, &'static str, &'static [u8]>,
    stats: Table<'txn, &'static str, &'static [u8]>,
    objects: Table<'txn, ObjKey, &'static [u8]>,
    uploads: Table<'txn, UploadKey, &'static [u8]>,
    upload_ids: Table<'txn, (&'static str, &'static str), &'static [u8]>,
    parts: Table<'txn, (&'static str, &'static str, u32), &'static [u8]>,
    refs: Table<'txn, &'static str, u64>,
    inline: Table<'txn, &'static [u8], &'static [u8]>,
    /// Opened on first use: writes to a never-versioned bucket do not pay for it.
    versions: OnceCell<Table<'txn, VersionKey, &'static [u8]>>,
}

impl<'txn> RedbTables<'txn> {
    /// Opens (creating them if needed) every table in `txn`.
    pub(crate) fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(RedbTables {
            buckets: txn.open_table(BUCKETS)?,
            stats: txn.open_table(STATS)?,
            objects: txn.open_table(OBJECTS)?,
            uploads: txn.open_table(UPLOADS)?,
            upload_ids: txn.open_table(UPLOAD_IDS)?,
            parts: txn.open_table(PARTS)?,
            refs: txn.open_table(BLOB_REFS)?,
            inline: txn.open_table(INLINE_BLOBS)?,
            versions: OnceCell::new(),
            txn,
        })
    }

    /// Opens every table, the lazily opened ones too (so that they exist for readers).
    pub(crate) fn create_all(txn: &'txn WriteTransaction) -> Result<(), StoreError> {
        let t = RedbTables::open(txn)?;
        t.versions_table()?;
        drop(txn.open_table(SETTINGS)?);
        Ok(())
    }

    fn versions_table(&self) -> Result<&Table<'txn, VersionKey, &'static [u8]>, StoreError> {
        if self.versions.get().is_none() {
            let table = self.txn.open_table(OBJECT_VERSIONS)?;
            let _ = self.versions.set(table);
        }
        self.versions
            .get()
            .ok_or_else(|| StoreError::Internal("versions table not open".to_owned()))
    }

    fn versions_mut(&mut self) -> Result<&mut Table<'txn, VersionKey, &'static [u8]>, StoreError> {
        self.versions_table()?;
        self.versions
            .get_mut()
            .ok_or_else(|| StoreError::Internal("versions table not open".to_owned()))
    }
}

/// Reads at most `limit` versions of `key` after `after_order` from a versions table.
pub(crate) fn read_versions<T>(
    table: &T,
    bucket: &str,
    key: &[u8],
    after_order: Option<u64>,
    limit: usize,
) -> Result<Vec<ObjectRecord>, StoreError>
where
    T: redb::ReadableTable<VersionKey, &'static [u8]>,
{
    let mut out = Vec::new();
    let lo = match after_order {
        None => std::ops::Bound::Included((bucket, key, 0)),
        Some(o) => std::ops::Bound::Excluded((bucket, key, o)),
    };
    let hi = std::ops::Bound::Included((bucket, key, u64::MAX));
    if limit == 0 || after_order == Some(u64::MAX) {
        return Ok(out);
    }
    for entry in table.range((lo, hi))? {
        let (_, v) = entry?;
        out.push(decode("object version", v.value())?);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Bounds of all keys of `bucket` in a table keyed by (bucket, ...): the next bucket name.
fn bucket_end(bucket: &str) -> String {
    format!("{bucket}\0")
}

impl Tables for RedbTables<'_> {
    fn bucket_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.buckets.get(name)?.is_some())
    }

    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        self.buckets.get(name)?.map(|g| decode("bucket", g.value())).transpose()
    }

    fn put_bucket(&mut self, rec: &BucketRecord) -> Result<(), StoreError> {
        self.buckets.insert(rec.name.as_str(), encode(rec)?.as_slice())?;
        Ok(())
    }

    fn remove_bucket(&mut self, name: &str) -> Result<(), StoreError> {
        self.buckets.remove(name)?;
        self.stats.remove(name)?;
        Ok(())
    }

    fn bucket_has_entries(&self, bucket: &str) -> Result<bool, StoreError> {
        let end = bucket_end(bucket);
        let has_objects =
            self.objects.range((bucket, &[][..])..(end.as_str(), &[][..]))?.next().is_some();
        let has_uploads = self
            .uploads
            .range((bucket, &[][..], "")..(end.as_str(), &[][..], ""))?
            .next()
            .is_some();
        Ok(has_objects || has_uploads)
    }

    fn stats(&self, bucket: &str) -> Result<Option<BucketStats>, StoreError> {
        self.stats.get(bucket)?.map(|g| decode("bucket stats", g.value())).transpose()
    }

    fn put_stats(&mut self, bucket: &str, stats: &BucketStats) -> Result<(), StoreError> {
        self.stats.insert(bucket, encode(stats)?.as_slice())?;
        Ok(())
    }

    fn object(&self, bucket: &str, key: &[u8]) -> Result<Option<ObjectRecord>, StoreError> {
        self.objects.get((bucket, key))?.map(|g| decode("object", g.value())).transpose()
    }

    fn object_exists(&self, bucket: &str, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.objects.get((bucket, key))?.is_some())
    }

    fn put_object(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.objects
            .insert((bucket, rec.key.as_bytes()), encode(rec)?.as_slice())?
            .map(|g| decode("object", g.value()))
            .transpose()
    }

    fn remove_object(
        &mut self,
        bucket: &str,
        key: &[u8],
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.objects.remove((bucket, key))?.map(|g| decode("object", g.value())).transpose()
    }

    fn versions(
        &self,
        bucket: &str,
        key: &[u8],
        after_order: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>, StoreError> {
        read_versions(self.versions_table()?, bucket, key, after_order, limit)
    }

    fn put_version(&mut self, bucket: &str, rec: &ObjectRecord) -> Result<(), StoreError> {
        let order = crate::version::order_of(rec.seq);
        let bytes = encode(rec)?;
        self.versions_mut()?.insert((bucket, rec.key.as_bytes(), order), bytes.as_slice())?;
        Ok(())
    }

    fn remove_version(&mut self, bucket: &str, key: &[u8], order: u64) -> Result<(), StoreError> {
        self.versions_mut()?.remove((bucket, key, order))?;
        Ok(())
    }

    fn upload_key(&self, bucket: &str, upload_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.upload_ids.get((bucket, upload_id))?.map(|g| g.value().to_vec()))
    }

    fn put_upload(&mut self, bucket: &str, rec: &UploadRecord) -> Result<bool, StoreError> {
        let key = rec.key.as_bytes();
        self.uploads.insert((bucket, key, rec.upload_id.as_str()), encode(rec)?.as_slice())?;
        let previous_key = self
            .upload_ids
            .insert((bucket, rec.upload_id.as_str()), key)?
            .map(|g| g.value().to_vec());
        match previous_key {
            None => Ok(true),
            Some(prev) => {
                if prev != key {
                    self.uploads.remove((bucket, prev.as_slice(), rec.upload_id.as_str()))?;
                }
                Ok(false)
            }
        }
    }

    fn remove_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        key: &[u8],
    ) -> Result<(), StoreError> {
        self.uploads.remove((bucket, key, upload_id))?;
        self.upload_ids.remove((bucket, upload_id))?;
        Ok(())
    }

    fn parts(&self, bucket: &str, upload_id: &str) -> Result<Vec<PartRecord>, StoreError> {
        let mut parts = Vec::new();
        for entry in self.parts.range((bucket, upload_id, 0)..=(bucket, upload_id, u32::MAX))? {
            let (_, v) = entry?;
            parts.push(decode("part", v.value())?);
        }
        Ok(parts)
    }

    fn put_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        part: &PartRecord,
    ) -> Result<Option<PartRecord>, StoreError> {
        self.parts
            .insert((bucket, upload_id, part.number), encode(part)?.as_slice())?
            .map(|g| decode("part", g.value()))
            .transpose()
    }

    fn remove_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        number: u32,
    ) -> Result<(), StoreError> {
        self.parts.remove((bucket, upload_id, number))?;
        Ok(())
    }

    fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError> {
        Ok(self.refs.get(id.as_str())?.map_or(0, |g| g.value()))
    }

    fn set_ref_count(&mut self, id: &BlobId, count: u64) -> Result<(), StoreError> {
        if count == 0 {
            self.refs.remove(id.as_str())?;
        } else {
            self.refs.insert(id.as_str(), count)?;
        }
        Ok(())
    }

    fn inline_exists(&self, id: &BlobId) -> Result<bool, StoreError> {
        Ok(self.inline.get(id.as_str().as_bytes())?.is_some())
    }

    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        // Opened per call: settings change rarely, and no other handle on the table is open.
        let table = self.txn.open_table(SETTINGS)?;
        let doc = table.get(name)?.map(|g| g.value().to_vec());
        Ok(doc)
    }

    fn put_setting(&mut self, name: &str, doc: &[u8]) -> Result<(), StoreError> {
        self.txn.open_table(SETTINGS)?.insert(name, doc)?;
        Ok(())
    }

    fn put_inline(&mut self, id: &BlobId, bytes: &[u8]) -> Result<(), StoreError> {
        self.inline.insert(id.as_str().as_bytes(), bytes)?;
        Ok(())
    }

    fn remove_inline(&mut self, id: &BlobId) -> Result<(), StoreError> {
        self.inline.remove(id.as_str().as_bytes())?;
        Ok(())
    }
}
