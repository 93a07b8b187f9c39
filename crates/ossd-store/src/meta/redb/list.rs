//! Listing over the ordered tables with S3 v1 semantics: prefix, (multi-character) delimiter
//! roll-up, exclusive markers, and range seeks past each rolled-up prefix so that a page costs
//! O(page size · log n), not O(keys under the prefixes it rolls up).

use std::ops::Bound;

use redb::ReadableTable;

use crate::StoreError;
use crate::codec::decode;
use crate::record::{
    ListPage, ListQuery, ListUploadsQuery, ObjectRecord, UploadRecord, UploadsPage,
};

/// Key of the objects table: (bucket, object key bytes).
pub(crate) type ObjKey = (&'static str, &'static [u8]);
/// Key of the object versions table: (bucket, object key bytes, order).
pub(crate) type VersionKey = (&'static str, &'static [u8], u64);
/// Key of the uploads table: (bucket, object key bytes, upload id).
pub(crate) type UploadKey = (&'static str, &'static [u8], &'static str);

/// If `key` starts with `prefix` and the rest contains `delim`, the length of the common prefix
/// it rolls up into (`prefix` + rest up to and including the first `delim`).
pub(crate) fn rollup(key: &[u8], prefix: &[u8], delim: &[u8]) -> Option<usize> {
    if delim.is_empty() {
        return None;
    }
    let rest = key.strip_prefix(prefix)?;
    let pos = rest.windows(delim.len()).position(|w| w == delim)?;
    Some(prefix.len() + pos + delim.len())
}

/// Where a ListMultipartUploads page starts: (key, upload id, inclusive), after the markers and
/// within the prefix; `None` when nothing can follow the markers. Shared by both backends.
pub(crate) fn uploads_start(q: &ListUploadsQuery) -> Option<(Vec<u8>, String, bool)> {
    let prefix = q.prefix.as_bytes();
    let km = q.key_marker.as_bytes();
    let start = if km.is_empty() {
        (prefix.to_vec(), String::new(), true)
    } else if let Some(n) = rollup(km, prefix, q.delimiter.as_bytes()) {
        (successor(&km[..n])?, String::new(), true)
    } else if !q.upload_id_marker.is_empty() {
        (km.to_vec(), q.upload_id_marker.clone(), false)
    } else {
        // Every upload of keys greater than the marker: the least such key is marker + NUL.
        let mut k = km.to_vec();
        k.push(0);
        (k, String::new(), true)
    };
    if start.0.as_slice() < prefix {
        return Some((prefix.to_vec(), String::new(), true));
    }
    Some(start)
}

/// The smallest byte string greater than every string starting with `prefix`, or `None` if
/// there is none (prefix all 0xff, which UTF-8 keys never are).
pub(crate) fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xff {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// Text of a key or prefix read back from a table.
fn utf8(bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt("object key is not UTF-8".to_owned()))
}

/// Lists `bucket`'s objects per `q`; also returns how many table entries were visited.
pub(crate) fn list_objects<T>(
    table: &T,
    bucket: &str,
    q: &ListQuery,
) -> Result<(ListPage, usize), StoreError>
where
    T: ReadableTable<ObjKey, &'static [u8]>,
{
    let mut page = ListPage::default();
    let mut visited = 0;
    // S3 answers max-keys=0 with an empty, untruncated page.
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
    let bucket_end = format!("{bucket}\0");
    let upper = Bound::Excluded((bucket_end.as_str(), &[][..]));
    let mut count = 0;
    let mut last = None;
    'seek: loop {
        let lo = (bucket, lower.as_slice());
        let lo = if inclusive { Bound::Included(lo) } else { Bound::Excluded(lo) };
        for entry in table.range((lo, upper))? {
            let (k, v) = entry?;
            visited += 1;
            let key = k.value().1;
            if !key.starts_with(prefix) {
                break 'seek;
            }
            if let Some(n) = rollup(key, prefix, delim) {
                // A prefix shows only if some key under it has a current version that is not a
                // delete marker; the first such key is usually the first key under it.
                if !q.include_markers && decode::<ObjectRecord>("object", v.value())?.delete_marker
                {
                    continue;
                }
                if count == q.max_keys {
                    page.is_truncated = true;
                    break 'seek;
                }
                let cp = &key[..n];
                page.common_prefixes.push(utf8(cp)?);
                last = page.common_prefixes.last().cloned();
                count += 1;
                match successor(cp) {
                    Some(next) => {
                        lower = next;
                        inclusive = true;
                        continue 'seek;
                    }
                    None => break 'seek,
                }
            }
            let rec: ObjectRecord = decode("object", v.value())?;
            if rec.delete_marker && !q.include_markers {
                continue;
            }
            if count == q.max_keys {
                page.is_truncated = true;
                break 'seek;
            }
            last = Some(rec.key.clone());
            page.objects.push(rec);
            count += 1;
        }
        break;
    }
    if page.is_truncated {
        page.next_marker = last;
    }
    Ok((page, visited))
}

/// Lists `bucket`'s unfinished uploads per `q`, sorted by (key, upload id).
pub(crate) fn list_uploads<T>(
    table: &T,
    bucket: &str,
    q: &ListUploadsQuery,
) -> Result<UploadsPage, StoreError>
where
    T: ReadableTable<UploadKey, &'static [u8]>,
{
    let mut page = UploadsPage::default();
    if q.max_uploads == 0 {
        return Ok(page);
    }
    let prefix = q.prefix.as_bytes();
    let delim = q.delimiter.as_bytes();
    let Some((mut lower, mut lower_id, mut inclusive)) = uploads_start(q) else {
        return Ok(page);
    };
    let bucket_end = format!("{bucket}\0");
    let upper = Bound::Excluded((bucket_end.as_str(), &[][..], ""));
    let mut count = 0;
    let mut last: Option<(String, Option<String>)> = None;
    'seek: loop {
        let lo = (bucket, lower.as_slice(), lower_id.as_str());
        let lo = if inclusive { Bound::Included(lo) } else { Bound::Excluded(lo) };
        for entry in table.range((lo, upper))? {
            let (k, v) = entry?;
            let key = k.value().1;
            if !key.starts_with(prefix) {
                break 'seek;
            }
            if count == q.max_uploads {
                page.is_truncated = true;
                break 'seek;
            }
            if let Some(n) = rollup(key, prefix, delim) {
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
            let rec: UploadRecord = decode("upload", v.value())?;
            last = Some((rec.key.clone(), Some(rec.upload_id.clone())));
            page.uploads.push(rec);
            count += 1;
        }
        break;
    }
    if page.is_truncated
        && let Some((key, id)) = last
    {
        page.next_key_marker = Some(key);
        page.next_upload_id_marker = id;
    }
    Ok(page)
}
