//! How the writer applies the bucket operations: create, update, modify, delete.

use super::Writer;
use crate::StoreError;
use crate::record::{BucketRecord, BucketStats};

impl Writer<'_> {
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
