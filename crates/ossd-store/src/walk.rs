//! Every version of a bucket (delete markers included) in listing order, a page at a time:
//! what `ossd migrate` copies and what its verification compares on both sides.

use crate::list_versions::{VersionsEntry, VersionsQuery};
use crate::record::ObjectRecord;
use crate::version::VersionSel;
use crate::{Store, StoreError};

/// Versions read per page.
const PAGE: usize = 1000;

/// A cursor over the versions of one bucket.
pub struct VersionWalk<'a> {
    store: &'a Store,
    bucket: String,
    query: VersionsQuery,
    done: bool,
}

impl<'a> VersionWalk<'a> {
    /// A walk over `bucket` of `store` from its first version.
    pub fn new(store: &'a Store, bucket: &str) -> VersionWalk<'a> {
        VersionWalk {
            store,
            bucket: bucket.to_owned(),
            query: VersionsQuery { max_keys: PAGE, ..VersionsQuery::default() },
            done: false,
        }
    }

    /// The next page: each version and whether it is its key's current one; empty at the end.
    pub fn next_page(&mut self) -> Result<Vec<(ObjectRecord, bool)>, StoreError> {
        if self.done {
            return Ok(Vec::new());
        }
        let page = self.store.list_versions(&self.bucket, &self.query)?;
        let out: Vec<(ObjectRecord, bool)> = page
            .entries
            .into_iter()
            .filter_map(|e| match e {
                VersionsEntry::Version(rec, current) => Some((*rec, current)),
                VersionsEntry::Prefix(_) => None,
            })
            .collect();
        match (page.is_truncated, page.next_key_marker) {
            (true, Some(key)) => {
                self.query.key_marker = key;
                self.query.version_id_marker =
                    page.next_version_id_marker.as_deref().and_then(VersionSel::parse);
            }
            _ => self.done = true,
        }
        if out.is_empty() {
            self.done = true;
        }
        Ok(out)
    }
}
