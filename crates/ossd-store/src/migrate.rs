//! The copy of `ossd migrate`: every bucket record and every object version of one store into
//! another, in listing order (each version is imported on its own, see `import.rs`), blobs
//! copied raw and only when missing, so that a run stopped half-way is simply run again.
//! Unfinished multipart uploads are not copied: they are listed for the operator.

use crate::import::Imported;
use crate::record::ListUploadsQuery;
use crate::walk::VersionWalk;
use crate::{Store, StoreError};

/// An unfinished multipart upload that was not copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedUpload {
    /// Its bucket.
    pub bucket: String,
    /// Its object key.
    pub key: String,
    /// Its upload id.
    pub upload_id: String,
}

/// What [`migrate`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Buckets created or updated in the destination.
    pub buckets: u64,
    /// Versions (delete markers included) added to the destination.
    pub added: u64,
    /// Versions the destination held already (an earlier run).
    pub already_there: u64,
    /// Unfinished multipart uploads left behind.
    pub skipped_uploads: Vec<SkippedUpload>,
}

/// Uploads read per page.
const UPLOADS_PAGE: usize = 1000;

/// Copies every bucket and version of `src` into `dst`; `progress` hears of each bucket done.
pub fn migrate(
    src: &Store,
    dst: &Store,
    progress: &mut dyn FnMut(&str, &MigrateReport),
) -> Result<MigrateReport, StoreError> {
    let mut report = MigrateReport::default();
    for bucket in src.list_buckets()? {
        dst.import_bucket(&bucket)?;
        report.buckets += 1;
        let mut walk = VersionWalk::new(src, &bucket.name);
        loop {
            let page = walk.next_page()?;
            if page.is_empty() {
                break;
            }
            for (rec, current) in page {
                match dst.import_version(src, &bucket.name, &rec, current)? {
                    Imported::Added => report.added += 1,
                    Imported::AlreadyThere => report.already_there += 1,
                }
            }
        }
        skipped_uploads(src, &bucket.name, &mut report.skipped_uploads)?;
        progress(&bucket.name, &report);
    }
    Ok(report)
}

/// Appends the unfinished uploads of `bucket` to `out`.
fn skipped_uploads(
    src: &Store,
    bucket: &str,
    out: &mut Vec<SkippedUpload>,
) -> Result<(), StoreError> {
    let mut q = ListUploadsQuery { max_uploads: UPLOADS_PAGE, ..ListUploadsQuery::default() };
    loop {
        let page = src.list_uploads(bucket, &q)?;
        out.extend(page.uploads.iter().map(|u| SkippedUpload {
            bucket: bucket.to_owned(),
            key: u.key.clone(),
            upload_id: u.upload_id.clone(),
        }));
        match (page.is_truncated, page.next_key_marker) {
            (true, Some(key)) if !page.uploads.is_empty() => {
                q.key_marker = key;
                q.upload_id_marker = page.next_upload_id_marker.unwrap_or_default();
            }
            _ => return Ok(()),
        }
    }
}
