//! How the writer applies the multipart-upload operations: create, part, complete, abort.

use super::{Writer, Written, check_segments};
use crate::StoreError;
use crate::record::{BucketStats, ObjectRecord, PartRecord, UploadRecord};
use crate::store::Overwrite;
use crate::version::Versioning;

impl Writer<'_> {
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
    ) -> Result<Written, StoreError> {
        let status = self.versioning(bucket)?;
        let key = self.upload_key(bucket, upload_id)?;
        if status == Versioning::Off {
            self.check_overwrite(bucket, &key, overwrite)?;
        }
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
        if status == Versioning::Off {
            let replaced = self.store_object(bucket, &rec, false)?;
            return Ok(Written { replaced, ..Written::default() });
        }
        self.store_new_version(bucket, rec, status)
    }

    pub(crate) fn abort_upload(&mut self, bucket: &str, upload_id: &str) -> Result<(), StoreError> {
        self.require_bucket(bucket)?;
        let key = self.upload_key(bucket, upload_id)?;
        self.dirty = true;
        let mut stats = self.load_stats(bucket)?;
        self.remove_upload(bucket, upload_id, &key, &mut stats)?;
        self.store_stats(bucket, stats)
    }
}
