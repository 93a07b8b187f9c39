//! Listings as index range scans of the primary key `(bucket, key)` (objects) and of
//! `uploads_by_key (bucket, key, upload_id)` (uploads), with the semantics of `redb/list.rs`:
//! prefix, delimiter roll-up, exclusive markers, and after each rolled-up prefix a new range scan
//! from the prefix's successor, so a page costs O(page) rows read, not O(keys under the prefixes
//! it rolls up). Rows are fetched in batches; a batch ends early at a roll-up (the rest of it is
//! under the rolled-up prefix and is never looked at).
//!
//! Without `include_markers`, the statements skip rows whose current version is a delete marker
//! (column `delete_marker`): the first row under a prefix is then the first key whose current
//! version is not a marker, so a prefix whose keys all have markers never shows, as in redb.

use super::view::{PgView, bytes};
use crate::StoreError;
use crate::codec::decode;
use crate::meta::redb::list::{rollup, successor, uploads_start};
use crate::record::{
    ListPage, ListQuery, ListUploadsQuery, ObjectRecord, UploadRecord, UploadsPage,
};

/// Rows fetched per statement at most (a page of 1000 keys takes one statement when nothing
/// rolls up).
const BATCH: usize = 1001;

/// A row of a listing: the key's bytes and the encoded record.
type KeyRec = (Vec<u8>, Vec<u8>);

/// Text of a key or prefix read back from the table.
fn utf8(bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt("object key is not UTF-8".to_owned()))
}

/// One batch of `(key, rec)` rows of `bucket` from `lower` on, below `upper`, by key; delete
/// markers only if `markers`.
fn object_rows(
    view: &PgView,
    bucket: &str,
    (lower, inclusive): (&[u8], bool),
    upper: Option<&[u8]>,
    markers: bool,
    limit: usize,
) -> Result<Vec<KeyRec>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = match (inclusive, upper) {
        (true, None) => view.rows(
            "SELECT key, rec FROM objects WHERE bucket = $1 AND key >= $2 \
             AND ($4 OR NOT delete_marker) ORDER BY key LIMIT $3",
            &[&bucket, &lower, &limit, &markers],
        )?,
        (false, None) => view.rows(
            "SELECT key, rec FROM objects WHERE bucket = $1 AND key > $2 \
             AND ($4 OR NOT delete_marker) ORDER BY key LIMIT $3",
            &[&bucket, &lower, &limit, &markers],
        )?,
        (true, Some(upper)) => view.rows(
            "SELECT key, rec FROM objects WHERE bucket = $1 AND key >= $2 AND key < $4 \
             AND ($5 OR NOT delete_marker) ORDER BY key LIMIT $3",
            &[&bucket, &lower, &limit, &upper, &markers],
        )?,
        (false, Some(upper)) => view.rows(
            "SELECT key, rec FROM objects WHERE bucket = $1 AND key > $2 AND key < $4 \
             AND ($5 OR NOT delete_marker) ORDER BY key LIMIT $3",
            &[&bucket, &lower, &limit, &upper, &markers],
        )?,
    };
    rows.iter().map(|r| Ok((bytes(r, 0)?, bytes(r, 1)?))).collect()
}

/// Lists `bucket`'s objects per `q`; also returns how many rows were looked at.
pub(crate) fn list_objects(
    view: &PgView,
    bucket: &str,
    q: &ListQuery,
) -> Result<(ListPage, usize), StoreError> {
    let mut page = ListPage::default();
    let mut visited = 0;
    if q.max_keys == 0 {
        return Ok((page, visited));
    }
    let prefix = q.prefix.as_bytes();
    let delim = q.delimiter.as_bytes();
    let marker = q.marker.as_bytes();
    let (mut lower, mut inclusive) = if !marker.is_empty() && marker >= prefix {
        match rollup(marker, prefix, delim) {
            // The marker's common prefix was returned already: skip everything under it.
            Some(n) => match successor(&marker[..n]) {
                Some(s) => (s, true),
                None => return Ok((page, visited)),
            },
            None => (marker.to_vec(), false),
        }
    } else {
        (prefix.to_vec(), true)
    };
    let upper = if prefix.is_empty() { None } else { successor(prefix) };
    let mut count = 0;
    let mut last = None;
    'seek: loop {
        let want = q.max_keys.saturating_sub(count).saturating_add(1).min(BATCH);
        let rows = object_rows(
            view,
            bucket,
            (&lower, inclusive),
            upper.as_deref(),
            q.include_markers,
            want,
        )?;
        let full = rows.len() == want;
        for (key, rec) in rows {
            visited += 1;
            if !key.starts_with(prefix) {
                break 'seek;
            }
            if count == q.max_keys {
                page.is_truncated = true;
                break 'seek;
            }
            if let Some(n) = rollup(&key, prefix, delim) {
                let cp = &key[..n];
                page.common_prefixes.push(utf8(cp)?);
                last = page.common_prefixes.last().cloned();
                count += 1;
                match successor(cp) {
                    Some(next) => {
                        (lower, inclusive) = (next, true);
                        continue 'seek;
                    }
                    None => break 'seek,
                }
            }
            let rec: ObjectRecord = decode("object", &rec)?;
            last = Some(rec.key.clone());
            page.objects.push(rec);
            count += 1;
            (lower, inclusive) = (key, false);
        }
        if !full {
            break;
        }
    }
    if page.is_truncated {
        page.next_marker = last;
    }
    Ok((page, visited))
}

/// One batch of `(key, rec)` upload rows of `bucket` from `(lower, lower_id)` on, by
/// (key, upload id).
fn upload_rows(
    view: &PgView,
    bucket: &str,
    (lower, lower_id, inclusive): (&[u8], &str, bool),
    upper: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<KeyRec>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = match (inclusive, upper) {
        (true, None) => view.rows(
            "SELECT key, rec FROM uploads WHERE bucket = $1 AND (key, upload_id) >= ($2, $3) \
             ORDER BY key, upload_id LIMIT $4",
            &[&bucket, &lower, &lower_id, &limit],
        )?,
        (false, None) => view.rows(
            "SELECT key, rec FROM uploads WHERE bucket = $1 AND (key, upload_id) > ($2, $3) \
             ORDER BY key, upload_id LIMIT $4",
            &[&bucket, &lower, &lower_id, &limit],
        )?,
        (true, Some(upper)) => view.rows(
            "SELECT key, rec FROM uploads WHERE bucket = $1 AND (key, upload_id) >= ($2, $3) \
             AND key < $5 ORDER BY key, upload_id LIMIT $4",
            &[&bucket, &lower, &lower_id, &limit, &upper],
        )?,
        (false, Some(upper)) => view.rows(
            "SELECT key, rec FROM uploads WHERE bucket = $1 AND (key, upload_id) > ($2, $3) \
             AND key < $5 ORDER BY key, upload_id LIMIT $4",
            &[&bucket, &lower, &lower_id, &limit, &upper],
        )?,
    };
    rows.iter().map(|r| Ok((bytes(r, 0)?, bytes(r, 1)?))).collect()
}

/// Lists `bucket`'s unfinished uploads per `q`, sorted by (key, upload id).
pub(crate) fn list_uploads(
    view: &PgView,
    bucket: &str,
    q: &ListUploadsQuery,
) -> Result<UploadsPage, StoreError> {
    let mut page = UploadsPage::default();
    if q.max_uploads == 0 {
        return Ok(page);
    }
    let prefix = q.prefix.as_bytes();
    let delim = q.delimiter.as_bytes();
    let Some((mut lower, mut lower_id, mut inclusive)) = uploads_start(q) else {
        return Ok(page);
    };
    let upper = if prefix.is_empty() { None } else { successor(prefix) };
    let mut count = 0;
    let mut last: Option<(String, Option<String>)> = None;
    'seek: loop {
        let want = q.max_uploads.saturating_sub(count).saturating_add(1).min(BATCH);
        let rows =
            upload_rows(view, bucket, (&lower, &lower_id, inclusive), upper.as_deref(), want)?;
        let full = rows.len() == want;
        for (key, rec) in rows {
            if !key.starts_with(prefix) {
                break 'seek;
            }
            if count == q.max_uploads {
                page.is_truncated = true;
                break 'seek;
            }
            if let Some(n) = rollup(&key, prefix, delim) {
                let cp = &key[..n];
                let cp_text = utf8(cp)?;
                page.common_prefixes.push(cp_text.clone());
                last = Some((cp_text, None));
                count += 1;
                match successor(cp) {
                    Some(next) => {
                        (lower, lower_id, inclusive) = (next, String::new(), true);
                        continue 'seek;
                    }
                    None => break 'seek,
                }
            }
            let rec: UploadRecord = decode("upload", &rec)?;
            last = Some((rec.key.clone(), Some(rec.upload_id.clone())));
            (lower, lower_id, inclusive) = (key, rec.upload_id.clone(), false);
            page.uploads.push(rec);
            count += 1;
        }
        if !full {
            break;
        }
    }
    if page.is_truncated
        && let Some((key, id)) = last
    {
        page.next_key_marker = Some(key);
        page.next_upload_id_marker = id;
    }
    Ok(page)
}
