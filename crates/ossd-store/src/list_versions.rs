//! ListObjectVersions, built over the metadata trait's two primitives: the listing of current
//! versions (delete markers included) and the noncurrent versions of one key. Every backend
//! gets it without code of its own.
//!
//! Order: keys in byte order, and within a key its versions newest first (the current one, then
//! the noncurrent ones by falling sequence number); a common prefix takes the place of the keys
//! it rolls up. `max_keys` counts versions, delete markers and common prefixes alike. A page
//! resumes after (key marker, version id marker); the version id carries its sequence number,
//! so resuming inside a key is one range read, not a search.

use crate::meta::View;
use crate::record::{ListQuery, ObjectRecord};
use crate::version::{VersionSel, order_of};
use crate::{Store, StoreError};

/// Parameters of ListObjectVersions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionsQuery {
    /// Only keys starting with this.
    pub prefix: String,
    /// "" = none; may be several characters.
    pub delimiter: String,
    /// Start after this key (or, with `version_id_marker`, after that version of it).
    pub key_marker: String,
    /// With `key_marker`: start after this version of `key_marker`.
    pub version_id_marker: Option<VersionSel>,
    /// Maximum number of versions, delete markers and common prefixes returned.
    pub max_keys: usize,
}

/// One entry of a versions page, in listing order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionsEntry {
    /// A version or delete marker, and whether it is the current one of its key.
    Version(Box<ObjectRecord>, bool),
    /// A rolled-up common prefix.
    Prefix(String),
}

/// One page of ListObjectVersions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionsPage {
    /// Versions and common prefixes, in listing order.
    pub entries: Vec<VersionsEntry>,
    /// More entries follow.
    pub is_truncated: bool,
    /// When truncated: the key (or common prefix) of the last entry returned.
    pub next_key_marker: Option<String>,
    /// When truncated and the last entry was a version: its id (`null` for the null version).
    pub next_version_id_marker: Option<String>,
}

/// The noncurrent version of `key` that `sel` names, read from `view`.
pub(crate) fn find_noncurrent(
    view: &dyn View,
    bucket: &str,
    key: &str,
    sel: &VersionSel,
) -> Result<Option<ObjectRecord>, StoreError> {
    match sel {
        VersionSel::Id(_, seq) => {
            let after = order_of(*seq).checked_sub(1);
            let found = view.versions(bucket, key, after, 1)?;
            Ok(found.into_iter().next().filter(|r| sel.matches(r)))
        }
        VersionSel::Null => {
            const PAGE: usize = 256;
            let mut after = None;
            loop {
                let page = view.versions(bucket, key, after, PAGE)?;
                let full = page.len() == PAGE;
                after = page.last().map(|r| order_of(r.seq));
                if let Some(r) = page.into_iter().find(ObjectRecord::is_null_version) {
                    return Ok(Some(r));
                }
                if !full {
                    return Ok(None);
                }
            }
        }
    }
}

/// Builds a page: entries are pushed until `max` is reached; one more entry makes it truncated.
struct Pager {
    page: VersionsPage,
    max: usize,
}

impl Pager {
    /// Room for one more entry; when there is none the page is marked truncated.
    fn room(&mut self) -> bool {
        if self.page.entries.len() < self.max {
            return true;
        }
        self.page.is_truncated = true;
        false
    }

    fn push(&mut self, e: VersionsEntry) {
        self.page.entries.push(e);
    }

    /// Pushes the noncurrent versions of `key` after `after`; false when the page is full.
    fn noncurrent(
        &mut self,
        view: &dyn View,
        bucket: &str,
        key: &str,
        mut after: Option<u64>,
    ) -> Result<bool, StoreError> {
        loop {
            // One more than there is room for tells whether the key has more.
            let want = self.max.saturating_sub(self.page.entries.len()).saturating_add(1).min(1001);
            let versions = view.versions(bucket, key, after, want)?;
            let got = versions.len();
            for v in versions {
                if !self.room() {
                    return Ok(false);
                }
                after = Some(order_of(v.seq));
                self.push(VersionsEntry::Version(Box::new(v), false));
            }
            if got < want {
                return Ok(true);
            }
        }
    }

    fn finish(mut self) -> VersionsPage {
        if self.page.is_truncated {
            match self.page.entries.last() {
                Some(VersionsEntry::Version(rec, _)) => {
                    self.page.next_key_marker = Some(rec.key.clone());
                    self.page.next_version_id_marker = Some(rec.version_label().to_owned());
                }
                Some(VersionsEntry::Prefix(p)) => {
                    self.page.next_key_marker = Some(p.clone());
                    self.page.next_version_id_marker = Some(String::new());
                }
                None => self.page.is_truncated = false,
            }
        }
        self.page
    }
}

impl Store {
    /// One page of ListObjectVersions (see the module documentation).
    pub fn list_versions(
        &self,
        bucket: &str,
        q: &VersionsQuery,
    ) -> Result<VersionsPage, StoreError> {
        let view = self.view()?;
        let rec = view.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
        // A bucket that was never versioned has no noncurrent versions to look for.
        let versioned = crate::version::Versioning::of(&rec) != crate::version::Versioning::Off;
        list_versions_in(&*view, bucket, q, versioned)
    }
}

fn list_versions_in(
    view: &dyn View,
    bucket: &str,
    q: &VersionsQuery,
    versioned: bool,
) -> Result<VersionsPage, StoreError> {
    let mut pager = Pager { page: VersionsPage::default(), max: q.max_keys };
    if q.max_keys == 0 {
        return Ok(pager.page);
    }
    // Resuming inside the key marker: the rest of its versions first.
    if let (Some(sel), false) = (&q.version_id_marker, q.key_marker.is_empty())
        && q.key_marker.starts_with(&q.prefix)
        && versioned
        && let Some(cur) = view.object(bucket, &q.key_marker)?
    {
        let after = if sel.matches(&cur) {
            None
        } else {
            match sel {
                VersionSel::Id(_, seq) => Some(order_of(*seq)),
                VersionSel::Null => {
                    find_noncurrent(view, bucket, &q.key_marker, sel)?.map(|r| order_of(r.seq))
                }
            }
        };
        // A null marker that no longer exists: nothing of the key is left to list.
        let gone = matches!(sel, VersionSel::Null) && !sel.matches(&cur) && after.is_none();
        if !gone && !pager.noncurrent(view, bucket, &q.key_marker, after)? {
            return Ok(pager.finish());
        }
    }
    let mut marker = q.key_marker.clone();
    loop {
        let want = pager.max.saturating_sub(pager.page.entries.len()).saturating_add(1);
        let lq = ListQuery {
            prefix: q.prefix.clone(),
            delimiter: q.delimiter.clone(),
            marker: marker.clone(),
            max_keys: want.min(1001),
            include_markers: true,
        };
        let (page, _) = view.list_objects(bucket, &lq)?;
        // Objects and common prefixes, merged back into key order.
        let mut objects = page.objects.into_iter().peekable();
        let mut prefixes = page.common_prefixes.into_iter().peekable();
        loop {
            let take_prefix = match (objects.peek(), prefixes.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(o), Some(p)) => p.as_bytes() < o.key.as_bytes(),
            };
            if !pager.room() {
                return Ok(pager.finish());
            }
            if take_prefix {
                if let Some(p) = prefixes.next() {
                    marker.clone_from(&p);
                    pager.push(VersionsEntry::Prefix(p));
                }
                continue;
            }
            let Some(cur) = objects.next() else { break };
            let key = cur.key.clone();
            marker.clone_from(&key);
            pager.push(VersionsEntry::Version(Box::new(cur), true));
            if versioned && !pager.noncurrent(view, bucket, &key, None)? {
                return Ok(pager.finish());
            }
        }
        if !page.is_truncated {
            return Ok(pager.finish());
        }
        if let Some(next) = page.next_marker {
            marker = next;
        }
    }
}
