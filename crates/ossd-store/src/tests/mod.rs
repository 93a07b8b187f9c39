//! Unit tests, one file per concept: CRC-64, records, the shared `test_suite` over the blob
//! backends, blobs, listing, a randomized workload, group commit, the snapshot, read leases.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redb::ReadableTable;

use crate::meta::redb::schema::{BLOB_REFS, INLINE_BLOBS, META, OBJECTS};
use crate::writer::{Op, OpOutput};
use crate::*;

mod blobs;
mod crc;
mod crypt;
mod format_fixture;
mod group;
mod leases;
mod listing;
mod migrate;
mod opendal;
mod postgres;
mod records;
mod snapshot;
mod suite;
mod versions;
mod workload;

// ---------------------------------------------------------------- helpers

fn bucket(name: &str) -> BucketRecord {
    BucketRecord {
        name: name.to_owned(),
        owner: "owner".to_owned(),
        created_ms: 1,
        acl: BucketAcl::Private,
        storage_class: StorageClass::Standard,
        region: "oss-test".to_owned(),
        configs: BTreeMap::new(),
    }
}

thread_local! {
    /// Whether `write_blob` on this thread writes inline blobs (see `inline_mode`).
    static INLINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with `write_blob` writing inline blobs (their size is known up front).
fn inline_mode<R>(f: impl FnOnce() -> R) -> R {
    INLINE.with(|c| c.set(true));
    let out = f();
    INLINE.with(|c| c.set(false));
    out
}

/// A blob file, or on a thread in `inline_mode` an inline blob.
fn write_blob(store: &Store, data: &[u8]) -> Blob {
    let mut w = if INLINE.with(std::cell::Cell::get) {
        store.blob_writer_for(Some(data.len() as u64)).unwrap()
    } else {
        store.blob_writer().unwrap()
    };
    // Several writes, so the incremental digests are exercised.
    for chunk in data.chunks(7) {
        w.write_all(chunk).unwrap();
    }
    w.finish().unwrap()
}

fn record(key: &str, blobs: &[&Blob]) -> ObjectRecord {
    let mut crc = 0;
    let mut size = 0;
    for b in blobs {
        crc = crc64::combine(crc, b.crc64, b.size);
        size += b.size;
    }
    ObjectRecord {
        key: key.to_owned(),
        size,
        etag: "\"etag\"".to_owned(),
        last_modified_ms: 5,
        acl: ObjectAcl::Default,
        storage_class: StorageClass::Standard,
        object_type: ObjectType::Normal,
        crc64: crc,
        segments: blobs.iter().map(|b| Segment { blob: b.id.clone(), len: b.size }).collect(),
        ..Default::default()
    }
}

fn put(store: &Store, b: &str, key: &str, data: &[u8]) -> ObjectRecord {
    let blob = write_blob(store, data);
    let rec = record(key, &[&blob]);
    store.put_new_object(b, rec.clone(), vec![blob]).unwrap();
    rec
}

fn read_range(store: &Store, rec: &ObjectRecord, start: u64, end: u64) -> Vec<u8> {
    let mut out = Vec::new();
    store.open_object(rec, start, end).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn read_all(store: &Store, b: &str, key: &str) -> Vec<u8> {
    let rec = store.get_object(b, key).unwrap().unwrap();
    read_range(store, &rec, 0, rec.size)
}

/// Every file under `root`, at any depth.
fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// Blob files under `dir/blobs`, by file name.
fn blob_files(dir: &Path) -> BTreeSet<String> {
    files_under(&dir.join("blobs"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Ids of the inline blobs stored in the database.
fn inline_ids(store: &Store) -> BTreeSet<String> {
    let txn = store.db().begin_read().unwrap();
    let table = txn.open_table(INLINE_BLOBS).unwrap();
    table
        .iter()
        .unwrap()
        .map(|e| String::from_utf8(e.unwrap().0.value().to_vec()).unwrap())
        .collect()
}

/// Every blob id referenced by an object or a part, found through the public API.
fn referenced(store: &Store) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for b in store.list_buckets().unwrap() {
        let q = ListQuery { max_keys: usize::MAX, ..Default::default() };
        for o in store.list_objects(&b.name, &q).unwrap().objects {
            out.extend(o.segments.iter().map(|s| s.blob.to_string()));
        }
        let uq = ListUploadsQuery { max_uploads: usize::MAX, ..Default::default() };
        for u in store.list_uploads(&b.name, &uq).unwrap().uploads {
            for p in store.all_parts(&b.name, &u.upload_id).unwrap() {
                out.insert(p.blob.id.to_string());
            }
        }
    }
    out
}

/// The `blob_refs` table as a map.
fn ref_counts(store: &Store) -> BTreeMap<String, u64> {
    use redb::ReadableTable;
    let txn = store.db().begin_read().unwrap();
    let table = txn.open_table(BLOB_REFS).unwrap();
    table
        .iter()
        .unwrap()
        .map(|e| e.unwrap())
        .map(|(k, v)| (k.value().to_owned(), v.value()))
        .collect()
}
