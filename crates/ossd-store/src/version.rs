//! Object versioning: a bucket's versioning state, version ids and how a request names a version.
//!
//! A version id is 64 characters of `[0-9a-zA-Z]`: the version's sequence number as 16 lowercase
//! hex digits, then 48 random alphanumerics. The sequence number orders the versions of one key
//! (it strictly increases per key, see [`next_seq`]), so a listing can resume after an id
//! without looking it up. The null version (written while versioning was never enabled or is
//! suspended) is named `null`.

use rand::Rng;

use crate::record::{BucketRecord, ObjectRecord};

/// Key of the bucket configuration that holds the versioning state (`Enabled` / `Suspended`).
pub const VERSIONING_CONFIG: &str = "versioning";

/// The name of the null version.
pub const NULL_VERSION: &str = "null";

/// A bucket's versioning state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Versioning {
    /// Never enabled: one record per key, no version ids.
    #[default]
    Off,
    /// Every write makes a new version.
    Enabled,
    /// Writes replace the null version; other versions stay.
    Suspended,
}

impl Versioning {
    /// The state recorded in `rec`.
    pub fn of(rec: &BucketRecord) -> Versioning {
        match rec.configs.get(VERSIONING_CONFIG).map(String::as_str) {
            Some("Enabled") => Versioning::Enabled,
            Some("Suspended") => Versioning::Suspended,
            _ => Versioning::Off,
        }
    }

    /// The text OSS uses (`None` when never enabled).
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Versioning::Off => None,
            Versioning::Enabled => Some("Enabled"),
            Versioning::Suspended => Some("Suspended"),
        }
    }
}

/// A version named by a request: `null` or a well-formed id (with the sequence it carries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSel {
    /// The null version.
    Null,
    /// A version id and its sequence number.
    Id(String, u64),
}

impl VersionSel {
    /// Parses a version id as a request gives it; `None` when malformed.
    pub fn parse(s: &str) -> Option<VersionSel> {
        if s == NULL_VERSION {
            return Some(VersionSel::Null);
        }
        if s.len() != 64 || !s.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let seq = u64::from_str_radix(s.get(..16)?, 16).ok()?;
        Some(VersionSel::Id(s.to_owned(), seq))
    }

    /// Whether `rec` is the version this names.
    pub fn matches(&self, rec: &ObjectRecord) -> bool {
        match self {
            VersionSel::Null => rec.is_null_version(),
            VersionSel::Id(id, _) => rec.version_id.as_deref() == Some(id.as_str()),
        }
    }
}

/// A fresh version id for sequence number `seq`.
pub(crate) fn new_version_id(seq: u64) -> String {
    const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let mut id = format!("{seq:016x}");
    id.extend((0..48).map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())])));
    id
}

/// The sequence number of a new version of a key whose current version is `current`: the time in
/// microseconds, but always above the current one's.
pub(crate) fn next_seq(current: Option<&ObjectRecord>, now_ms: i64) -> u64 {
    let now_us = u64::try_from(now_ms).unwrap_or(0).saturating_mul(1000);
    let floor = current.map_or(0, |c| c.seq.saturating_add(1));
    now_us.max(floor)
}

/// Where a version sorts among the noncurrent versions of its key: newest (highest sequence)
/// first.
pub fn order_of(seq: u64) -> u64 {
    u64::MAX - seq
}
