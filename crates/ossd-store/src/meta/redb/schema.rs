//! The redb tables of the store and the layout version: what each table holds, and the upgrade
//! an older layout gets when it is opened.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::list::{ObjKey, UploadKey, VersionKey};
use crate::StoreError;

/// Store-wide counters: "format" (layout version) and "generation" (bumped by every open).
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Bucket name -> versioned `BucketRecord`.
pub(crate) const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");

/// Bucket name -> versioned `BucketStats`.
pub(crate) const STATS: TableDefinition<&str, &[u8]> = TableDefinition::new("bucket_stats");

/// (bucket, key bytes) -> versioned `ObjectRecord`.
pub(crate) const OBJECTS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("objects");

/// (bucket, key bytes, order) -> versioned `ObjectRecord`: the noncurrent versions of a key in a
/// versioned bucket, newest first (order = `u64::MAX - seq`). The current version of the key is
/// in `objects`; a bucket that was never versioned has nothing here.
pub(crate) const OBJECT_VERSIONS: TableDefinition<VersionKey, &[u8]> =
    TableDefinition::new("object_versions");

/// (bucket, key bytes, upload id) -> versioned `UploadRecord`.
pub(crate) const UPLOADS: TableDefinition<UploadKey, &[u8]> = TableDefinition::new("uploads");

/// (bucket, upload id) -> key bytes: finds an upload from its id alone.
pub(crate) const UPLOAD_IDS: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("upload_ids");

/// (bucket, upload id, part number) -> versioned `PartRecord`.
pub(crate) const PARTS: TableDefinition<(&str, &str, u32), &[u8]> = TableDefinition::new("parts");

/// Blob id -> number of records (object segments, parts) referencing it; absent = zero.
pub(crate) const BLOB_REFS: TableDefinition<&str, u64> = TableDefinition::new("blob_refs");

/// Inline blob id -> its bytes: small blobs stored in the same commit as the records that
/// reference them, so a small PUT costs one sync instead of a file's three.
/// Keyed by the id's bytes: a `&[u8]` key compares without the UTF-8 check a `&str` key costs.
pub(crate) const INLINE_BLOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("inline_blobs");

/// name -> settings document (`Tables::setting`).
pub(crate) const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");

/// Layout version of the whole database; a store written by a newer layout is refused.
/// Version 2 added inline blobs, version 3 the noncurrent object versions, version 4 the
/// settings documents; an older store is upgraded in place (nothing to convert: the new tables
/// are created by the caller).
pub(crate) const STORE_FORMAT: u64 = 4;

/// Checks (and upgrades) the layout version in `txn` and bumps the store generation; returns
/// the new generation.
pub(crate) fn upgrade(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let mut meta = txn.open_table(META)?;
    let format = meta.get("format")?.map(|g| g.value());
    match format {
        None => {
            meta.insert("format", STORE_FORMAT)?;
        }
        Some(STORE_FORMAT) => {}
        Some(1..=3) => {
            // The tables added since are created by the caller.
            meta.insert("format", STORE_FORMAT)?;
        }
        Some(other) => {
            return Err(StoreError::Corrupt(format!(
                "store format {other} is not supported (this build reads {STORE_FORMAT})"
            )));
        }
    }
    let generation = meta.get("generation")?.map_or(0, |g| g.value()) + 1;
    meta.insert("generation", generation)?;
    Ok(generation)
}
