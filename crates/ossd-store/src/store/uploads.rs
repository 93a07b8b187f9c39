//! The multipart-upload API of [`Store`]: uploads, parts, completion and abort.

use super::{Overwrite, Store, clear_version};
use crate::StoreError;
use crate::group::{Commit, Committing};
use crate::record::{
    ListUploadsQuery, ObjectRecord, PartRecord, PartsPage, UploadRecord, UploadsPage,
};
use crate::writer::{Op, Written};

impl Store {
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
