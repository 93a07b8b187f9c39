//! Unit tests: CRC-64, record versioning, the shared `test_suite` run against both backends,
//! listing against a naive reference, multipart, append, and blob bookkeeping.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redb::ReadableTable;

use crate::store::{BLOB_REFS, INLINE_BLOBS, META, OBJECTS, Op, OpOutput};
use crate::*;

mod format_fixture;

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

/// Blob files under `dir/blobs`, by file name.
fn blob_files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.join("blobs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out
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

// ---------------------------------------------------------------- crc64

/// Bit-at-a-time reference implementation of CRC-64/XZ.
fn crc64_bitwise(data: &[u8]) -> u64 {
    let mut c = u64::MAX;
    for &b in data {
        c ^= u64::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 { (c >> 1) ^ 0xC96C_5795_D787_0F42 } else { c >> 1 };
        }
    }
    !c
}

#[test]
fn crc64_check_value() {
    assert_eq!(crc64::checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
    assert_eq!(crc64::checksum(b""), 0);
    assert_eq!(crc64_bitwise(b"123456789"), 0x995D_C9BB_DF19_39FA);
}

#[test]
fn crc64_slice_by_8_matches_bitwise_and_is_incremental() {
    let mut rng = StdRng::seed_from_u64(1);
    for len in (0..100).chain([255, 256, 1000, 4097]) {
        let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let whole = crc64::checksum(&data);
        assert_eq!(whole, crc64_bitwise(&data), "len {len}");
        let cut = if len == 0 { 0 } else { rng.random_range(0..len) };
        assert_eq!(crc64::update(crc64::checksum(&data[..cut]), &data[cut..]), whole);
    }
}

#[test]
fn crc64_hasher_matches_the_tables_whatever_the_pieces() {
    let mut rng = StdRng::seed_from_u64(7);
    // Lengths around the SIMD block sizes and large ones; each fed whole and in random pieces.
    let lens = (0..300).chain([511, 512, 513, 4095, 4096, 65_537, 262_144, 1_000_003]);
    for len in lens {
        let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let table = crc64::update(0, &data);
        assert_eq!(crc64::checksum(&data), table, "len {len}");
        let mut h = crc64::Hasher::new();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = rng.random_range(1..=rest.len().min(70_000));
            h.update(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(h.finish(), table, "len {len} in pieces");
    }
}

#[test]
fn crc64_combine_equals_crc_of_concatenation() {
    let mut rng = StdRng::seed_from_u64(2);
    for _ in 0..200 {
        let la = rng.random_range(0..300);
        let lb = rng.random_range(0..300);
        let a: Vec<u8> = (0..la).map(|_| rng.random()).collect();
        let b: Vec<u8> = (0..lb).map(|_| rng.random()).collect();
        let ab: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
        assert_eq!(
            crc64::combine(crc64::checksum(&a), crc64::checksum(&b), lb as u64),
            crc64::checksum(&ab)
        );
    }
    // Lengths far beyond what can be materialised compose consistently:
    // combine(combine(a, b, lb), c, lc) == combine(a, combine(b, c, lc), lb + lc).
    for _ in 0..200 {
        let (a, b, c): (u64, u64, u64) = (rng.random(), rng.random(), rng.random());
        let lb = rng.random_range(0..1u64 << 40);
        let lc = rng.random_range(0..1u64 << 40);
        assert_eq!(
            crc64::combine(crc64::combine(a, b, lb), c, lc),
            crc64::combine(a, crc64::combine(b, c, lc), lb + lc)
        );
    }
    // A large length, checked against streaming zeros.
    let zeros = vec![0u8; 1 << 20];
    let a = crc64::checksum(b"head");
    assert_eq!(
        crc64::combine(a, crc64::checksum(&zeros), zeros.len() as u64),
        crc64::update(a, &zeros)
    );
}

// ---------------------------------------------------------------- records

#[test]
fn blob_id_parse_rejects_anything_path_like() {
    let good = "12-0123456789abcdef0123456789abcdef";
    assert_eq!(BlobId::parse(good).unwrap().generation(), 12);
    for bad in [
        "",
        "12",
        "-0123456789abcdef0123456789abcdef",
        "x-0123456789abcdef0123456789abcdef",
        "12-0123456789ABCDEF0123456789abcdef",
        "12-0123456789abcdef0123456789abcde",
        "12-../../../../etc/passwd/aaaaaaaaa",
        "12-0123456789abcdef0123456789abcdef/",
        "99999999999999999999999-0123456789abcdef0123456789abcdef",
    ] {
        assert!(BlobId::parse(bad).is_none(), "{bad:?}");
    }
    // A record holding a malformed blob id does not decode.
    let mut bytes = codec_encode_segment("7-0123456789abcdef0123456789abcdef");
    assert!(crate::codec::decode::<Segment>("segment", &bytes).is_ok());
    bytes = codec_encode_segment("7-../0123456789abcdef0123456789ab");
    assert!(matches!(
        crate::codec::decode::<Segment>("segment", &bytes),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn blob_id_validation_equals_the_split_and_parse_rules() {
    // The rules as first written: split at the first `-`, then check each part.
    fn reference(s: &str) -> bool {
        let Some((generation, random)) = s.strip_prefix('i').unwrap_or(s).split_once('-') else {
            return false;
        };
        !generation.is_empty()
            && generation.len() <= 20
            && generation.bytes().all(|b| b.is_ascii_digit())
            && generation.parse::<u64>().is_ok()
            && random.len() == 32
            && random.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
    let hex = "0123456789abcdef0123456789abcdef";
    let mut ids: Vec<String> = Vec::new();
    for generation in [
        "",
        "0",
        "7",
        "12",
        "007",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "000000000000000000001",
        "1a",
        "-1",
        "1-2",
        "+1",
        " 1",
        "١",
    ] {
        for prefix in ["", "i", "ii", "I"] {
            for random in [
                hex,
                &hex[1..],
                "0123456789abcdef0123456789abcdeF",
                "0123456789abcdef0123456789abcde-",
                "0123456789abcdef0123456789abcdefa",
                "-0123456789abcdef0123456789abcde",
                "0123456789abcdef01234567é9abcd",
            ] {
                for dash in ["-", "--", "", "_"] {
                    ids.push(format!("{prefix}{generation}{dash}{random}"));
                }
            }
        }
    }
    for id in &ids {
        assert_eq!(BlobId::is_valid(id), reference(id), "{id:?}");
        assert_eq!(BlobId::parse(id).is_some(), reference(id), "{id:?}");
    }
    assert!(ids.iter().filter(|id| reference(id)).count() > 10);
}

/// Encodes a segment whose blob id is an arbitrary string (bypassing `BlobId` validation).
fn codec_encode_segment(id: &str) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct RawSegment<'a> {
        blob: &'a str,
        len: u64,
    }
    crate::codec::encode(&RawSegment { blob: id, len: 3 }).unwrap()
}

#[test]
fn records_round_trip_and_unknown_versions_are_refused() {
    let rec = ObjectRecord {
        key: "k".into(),
        user_meta: vec![("x-oss-meta-a".into(), "b".into())],
        ..Default::default()
    };
    let mut bytes = crate::codec::encode(&rec).unwrap();
    assert_eq!(crate::codec::decode::<ObjectRecord>("object", &bytes).unwrap(), rec);
    bytes[0] = 99;
    let err = crate::codec::decode::<ObjectRecord>("object", &bytes).unwrap_err();
    assert!(matches!(&err, StoreError::Corrupt(m) if m.contains("version 99")), "{err}");
    let mut trailing = crate::codec::encode(&rec).unwrap();
    trailing.push(0);
    assert!(matches!(
        crate::codec::decode::<ObjectRecord>("object", &trailing),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn store_refuses_object_record_of_unknown_version() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let mut value = crate::codec::encode(&ObjectRecord::default()).unwrap();
    value[0] = 2;
    let txn = store.db().begin_write().unwrap();
    txn.open_table(OBJECTS).unwrap().insert(("b", b"k".as_slice()), value.as_slice()).unwrap();
    txn.commit().unwrap();
    assert!(matches!(store.get_object("b", "k"), Err(StoreError::Corrupt(_))));
    let q = ListQuery { max_keys: 10, ..Default::default() };
    assert!(matches!(store.list_objects("b", &q), Err(StoreError::Corrupt(_))));
}

#[test]
fn store_of_unknown_layout_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let txn = store.db().begin_write().unwrap();
        txn.open_table(META).unwrap().insert("format", 99).unwrap();
        txn.commit().unwrap();
    }
    assert!(matches!(Store::open(dir.path()), Err(StoreError::Corrupt(_))));
}

// ---------------------------------------------------------------- the shared suite

/// Behaviour every backend must show; run against the file system and memory backends.
fn test_suite(store: &Store) {
    // Buckets.
    store.create_bucket(&bucket("b2")).unwrap();
    store.create_bucket(&bucket("b1")).unwrap();
    assert!(matches!(store.create_bucket(&bucket("b1")), Err(StoreError::BucketExists)));
    let names: Vec<String> = store.list_buckets().unwrap().into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["b1", "b2"]);
    let mut b1 = bucket("b1");
    b1.configs.insert("cors".into(), "<CORSConfiguration/>".into());
    store.update_bucket(&b1).unwrap();
    assert_eq!(store.get_bucket("b1").unwrap().unwrap(), b1);
    assert!(matches!(store.update_bucket(&bucket("nope")), Err(StoreError::NoSuchBucket)));
    assert_eq!(store.get_bucket("nope").unwrap(), None);
    assert!(matches!(store.get_object("nope", "k"), Err(StoreError::NoSuchBucket)));

    // Objects: put, get, read, overwrite, delete.
    let rec = put(store, "b1", "dir/a.txt", b"hello world");
    let got = store.get_object("b1", "dir/a.txt").unwrap().unwrap();
    assert_eq!(got, rec);
    assert_eq!(got.crc64, crc64::checksum(b"hello world"));
    assert_eq!(read_all(store, "b1", "dir/a.txt"), b"hello world");
    assert_eq!(read_range(store, &got, 6, 11), b"world");
    assert_eq!(read_range(store, &got, 3, 3), b"");
    assert!(store.open_object(&got, 5, 12).is_err());

    let second = write_blob(store, b"bye");
    let replaced =
        store.put_new_object("b1", record("dir/a.txt", &[&second]), vec![second.clone()]).unwrap();
    assert_eq!(replaced, Some(rec.clone()));
    assert_eq!(read_all(store, "b1", "dir/a.txt"), b"bye");
    // The replaced bytes are gone.
    assert!(store.open_object(&rec, 0, rec.size).is_err());

    let stats = store.bucket_stats("b1").unwrap();
    assert_eq!((stats.object_count, stats.storage_bytes), (1, 3));
    assert_eq!(
        stats.by_storage_class[&StorageClass::Standard],
        ClassStats { object_count: 1, storage_bytes: 3 }
    );

    assert!(matches!(store.delete_bucket("b1"), Err(StoreError::BucketNotEmpty)));
    let deleted = store.delete_object("b1", "dir/a.txt").unwrap().unwrap();
    assert_eq!(deleted.size, 3);
    assert!(store.open_object(&deleted, 0, 3).is_err());
    assert_eq!(store.delete_object("b1", "dir/a.txt").unwrap(), None);
    assert_eq!(store.get_object("b1", "dir/a.txt").unwrap(), None);
    let stats = store.bucket_stats("b1").unwrap();
    assert_eq!((stats.object_count, stats.storage_bytes), (0, 0));
    assert!(stats.by_storage_class.is_empty());

    // Metadata update keeps the bytes.
    put(store, "b1", "m", b"meta");
    let updated = store
        .update_object("b1", "m", &mut |r| {
            r.acl = ObjectAcl::PublicRead;
            r.user_meta = vec![("x-oss-meta-x".into(), "1".into())];
            r.size = 999;
            r.segments.clear();
            r.storage_class = StorageClass::IA;
        })
        .unwrap();
    assert_eq!((updated.acl.as_str(), updated.size), ("public-read", 4));
    assert_eq!(store.get_object("b1", "m").unwrap().unwrap(), updated);
    assert_eq!(read_all(store, "b1", "m"), b"meta");
    let stats = store.bucket_stats("b1").unwrap();
    assert_eq!(stats.by_storage_class.keys().collect::<Vec<_>>(), [&StorageClass::IA]);
    assert!(matches!(store.update_object("b1", "zz", &mut |_| {}), Err(StoreError::NoSuchKey)));

    // Delete several in one go.
    put(store, "b1", "x", b"1");
    let res = store.delete_objects("b1", &["m".to_owned(), "nope".to_owned(), "x".to_owned()]);
    let res = res.unwrap();
    assert_eq!(res.iter().map(Option::is_some).collect::<Vec<_>>(), [true, false, true]);
    assert!(matches!(
        store.delete_objects("nope", &["a".to_owned()]),
        Err(StoreError::NoSuchBucket)
    ));

    // Empty objects have no segments.
    store.put_object("b1", record("empty", &[])).unwrap();
    assert_eq!(read_all(store, "b1", "empty"), b"");

    // Multi-segment read across boundaries.
    let (p1, p2, p3) =
        (write_blob(store, b"abc"), write_blob(store, b""), write_blob(store, b"defgh"));
    let multi = record("multi", &[&p1, &p2, &p3]);
    store.put_new_object("b1", multi.clone(), vec![p1.clone(), p2.clone(), p3.clone()]).unwrap();
    assert_eq!(read_range(store, &multi, 0, 8), b"abcdefgh");
    assert_eq!(read_range(store, &multi, 2, 5), b"cde");
    assert_eq!(read_range(store, &multi, 3, 8), b"defgh");
    assert_eq!(multi.crc64, crc64::checksum(b"abcdefgh"));

    // Append.
    let template = ObjectRecord {
        etag: "\"e1\"".into(),
        content_type: Some("text/plain".into()),
        ..Default::default()
    };
    let a1 = write_blob(store, b"foo");
    let r = store.append_object("b1", "log", 0, a1, template.clone()).unwrap();
    assert_eq!(
        (r.size, r.object_type.as_str(), r.content_type.as_deref()),
        (3, "Appendable", Some("text/plain"))
    );
    let a2 = write_blob(store, b"bar");
    let err = store.append_object("b1", "log", 2, a2.clone(), template.clone()).unwrap_err();
    assert!(matches!(err, StoreError::PositionNotEqualToLength { current: 3 }));
    // The refused blob was cleaned up.
    assert!(store.open_object(&record("t", &[&a2]), 0, 3).is_err());
    let a2 = write_blob(store, b"bar");
    let t2 = ObjectRecord {
        etag: "\"e2\"".into(),
        content_type: Some("ignored".into()),
        ..Default::default()
    };
    let r = store.append_object("b1", "log", 3, a2, t2).unwrap();
    assert_eq!(
        (r.size, r.etag.as_str(), r.content_type.as_deref()),
        (6, "\"e2\"", Some("text/plain"))
    );
    assert_eq!(r.crc64, crc64::checksum(b"foobar"));
    let empty = write_blob(store, b"");
    let r = store.append_object("b1", "log", 6, empty, template.clone()).unwrap();
    assert_eq!((r.size, r.segments.len()), (6, 2));
    assert_eq!(read_all(store, "b1", "log"), b"foobar");
    let a3 = write_blob(store, b"x");
    assert!(matches!(
        store.append_object("b1", "multi", 8, a3, template.clone()),
        Err(StoreError::ObjectNotAppendable)
    ));
    let a4 = write_blob(store, b"x");
    assert!(matches!(
        store.append_object("b1", "new", 5, a4, template),
        Err(StoreError::PositionNotEqualToLength { current: 0 })
    ));

    // Multipart.
    let up = UploadRecord {
        upload_id: "u1".into(),
        key: "big".into(),
        initiated_ms: 9,
        template: ObjectRecord { content_type: Some("app/x".into()), ..Default::default() },
    };
    store.create_upload("b1", up.clone(), Overwrite::Allow).unwrap();
    assert_eq!(store.get_upload("b1", "u1").unwrap(), Some(up.clone()));
    assert_eq!(store.get_upload("b1", "u2").unwrap(), None);
    let part = |n: u32, data: &[u8]| PartRecord {
        number: n,
        blob: write_blob(store, data),
        etag: format!("\"p{n}\""),
        last_modified_ms: 1,
    };
    let p1 = part(1, b"11");
    store.put_part("b1", "u1", p1.clone()).unwrap();
    let p1b = part(1, b"one");
    store.put_part("b1", "u1", p1b.clone()).unwrap();
    // The replaced part's bytes are gone.
    assert!(store.open_object(&record("t", &[&p1.blob]), 0, 2).is_err());
    let p2 = part(2, b"two");
    let p3 = part(3, b"three");
    store.put_part("b1", "u1", p2.clone()).unwrap();
    store.put_part("b1", "u1", p3.clone()).unwrap();
    let stats = store.bucket_stats("b1").unwrap();
    assert_eq!((stats.multipart_upload_count, stats.part_count, stats.part_bytes), (1, 3, 11));
    let page = store.list_parts("b1", "u1", 0, 2).unwrap();
    assert_eq!(page.parts, vec![p1b.clone(), p2.clone()]);
    assert_eq!((page.is_truncated, page.next_marker), (true, Some(2)));
    let page = store.list_parts("b1", "u1", 2, 2).unwrap();
    assert_eq!((page.parts.len(), page.is_truncated, page.next_marker), (1, false, None));
    assert_eq!(store.all_parts("b1", "u1").unwrap().len(), 3);
    assert!(matches!(store.put_part("b1", "nope", part(1, b"z")), Err(StoreError::NoSuchUpload)));
    assert!(matches!(store.list_parts("b1", "nope", 0, 5), Err(StoreError::NoSuchUpload)));
    assert!(matches!(store.delete_bucket("b1"), Err(StoreError::BucketNotEmpty)));

    // Complete with parts 1 and 3; part 2's bytes must go.
    let mut fin = record("ignored-key", &[&p1b.blob, &p3.blob]);
    fin.object_type = ObjectType::Multipart;
    assert_eq!(store.complete_upload("b1", "u1", fin, Overwrite::Allow).unwrap(), None);
    assert_eq!(read_all(store, "b1", "big"), b"onethree");
    assert!(store.open_object(&record("t", &[&p2.blob]), 0, 3).is_err());
    assert_eq!(store.get_upload("b1", "u1").unwrap(), None);
    let stats = store.bucket_stats("b1").unwrap();
    assert_eq!((stats.multipart_upload_count, stats.part_count, stats.part_bytes), (0, 0, 0));
    assert!(matches!(
        store.complete_upload("b1", "u1", record("big", &[]), Overwrite::Allow),
        Err(StoreError::NoSuchUpload)
    ));

    // Abort cleans everything.
    store
        .create_upload(
            "b1",
            UploadRecord { upload_id: "u2".into(), key: "k2".into(), ..Default::default() },
            Overwrite::Allow,
        )
        .unwrap();
    let q = part(1, b"qq");
    store.put_part("b1", "u2", q.clone()).unwrap();
    store.abort_upload("b1", "u2").unwrap();
    assert!(store.open_object(&record("t", &[&q.blob]), 0, 2).is_err());
    assert!(matches!(store.abort_upload("b1", "u2"), Err(StoreError::NoSuchUpload)));

    // Counters match a recount.
    let stats = store.bucket_stats("b1").unwrap();
    let all =
        store.list_objects("b1", &ListQuery { max_keys: 1000, ..Default::default() }).unwrap();
    assert_eq!(stats.object_count, all.objects.len() as u64);
    assert_eq!(stats.storage_bytes, all.objects.iter().map(|o| o.size).sum::<u64>());

    // Bucket deletion once empty.
    for o in &all.objects {
        store.delete_object("b1", &o.key).unwrap();
    }
    store.delete_bucket("b1").unwrap();
    assert!(matches!(store.delete_bucket("b1"), Err(StoreError::NoSuchBucket)));
    assert!(matches!(store.bucket_stats("b1"), Err(StoreError::NoSuchBucket)));
    store.delete_bucket("b2").unwrap();
    assert!(store.list_buckets().unwrap().is_empty());
}

#[test]
fn suite_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    test_suite(&store);
    // Everything was deleted, so no blob file may remain.
    assert_eq!(blob_files(dir.path()), BTreeSet::new());
}

#[test]
fn suite_in_memory() {
    test_suite(&Store::open_in_memory().unwrap());
}

#[test]
fn suite_on_files_with_inline_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    inline_mode(|| test_suite(&store));
    assert_eq!(blob_files(dir.path()), BTreeSet::new(), "inline blobs never become files");
    assert_eq!(inline_ids(&store), BTreeSet::new(), "everything was deleted");
}

#[test]
fn suite_in_memory_with_inline_blobs() {
    let store = Store::open_in_memory().unwrap();
    inline_mode(|| test_suite(&store));
    assert_eq!(inline_ids(&store), BTreeSet::new());
}

#[test]
fn store_and_reader_are_thread_safe() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    fn check_reader<T: Read + Send + 'static>() {}
    check::<Store>();
    check_reader::<ObjectReader>();
}

// ---------------------------------------------------------------- blobs on disk

#[test]
fn overwrite_keeps_exactly_one_blob_and_delete_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    for i in 0..5 {
        let rec = put(&store, "b", "k", format!("version {i}").as_bytes());
        assert_eq!(blob_files(dir.path()), BTreeSet::from([rec.segments[0].blob.to_string()]));
    }
    store.delete_object("b", "k").unwrap();
    assert!(blob_files(dir.path()).is_empty());
}

#[test]
fn shared_segments_are_reference_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let src = put(&store, "b", "src", b"shared bytes");
    // A copy that reuses the source's blob instead of copying bytes.
    let mut copy = src.clone();
    copy.key = "copy".into();
    store.put_object("b", copy).unwrap();
    store.delete_object("b", "src").unwrap();
    assert_eq!(read_all(&store, "b", "copy"), b"shared bytes");
    store.delete_object("b", "copy").unwrap();
    assert!(blob_files(dir.path()).is_empty());
}

#[test]
fn refused_put_deletes_the_new_blob_and_missing_blobs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let blob = write_blob(&store, b"data");
    assert_eq!(blob_files(dir.path()).len(), 1);
    assert!(matches!(
        store.put_object("nope", record("k", &[&blob])),
        Err(StoreError::NoSuchBucket)
    ));
    assert!(blob_files(dir.path()).is_empty());
    // Referencing the now-missing blob is refused instead of creating a dangling record.
    store.create_bucket(&bucket("b")).unwrap();
    let err = store.put_object("b", record("k", &[&blob])).unwrap_err();
    assert!(matches!(&err, StoreError::Io(e) if e.kind() == std::io::ErrorKind::NotFound), "{err}");
    assert_eq!(store.get_object("b", "k").unwrap(), None);
    // A size that disagrees with the segments is refused.
    let blob = write_blob(&store, b"data");
    let mut bad = record("k", &[&blob]);
    bad.size = 3;
    assert!(matches!(store.put_object("b", bad), Err(StoreError::Internal(_))));
}

// ---------------------------------------------------------------- inline blobs

#[test]
fn small_blobs_of_known_size_are_inline_and_stored_by_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let data = vec![7u8; 4096];
    let key_blob;
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.inline_max(), DEFAULT_INLINE_MAX);
        store.create_bucket(&bucket("b")).unwrap();
        // Unknown size, or above the limit: a file.
        assert!(!store.blob_writer_for(None).unwrap().id().is_inline());
        assert!(!store.blob_writer_for(Some(DEFAULT_INLINE_MAX + 1)).unwrap().id().is_inline());
        assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        let mut w = store.blob_writer_for(Some(4096)).unwrap();
        assert!(w.id().is_inline());
        // Nothing touches the disk before the commit.
        assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        w.write_all(&data).unwrap();
        let blob = w.finish().unwrap();
        assert_eq!((blob.size, blob.crc64), (4096, crc64::checksum(&data)));
        key_blob = blob.id.to_string();
        assert_eq!(inline_ids(&store), BTreeSet::new(), "not stored before the commit");
        let commits = store.commit_count();
        store.put_new_object("b", record("k", &[&blob]), vec![blob.clone()]).unwrap();
        assert_eq!(store.commit_count(), commits + 1, "bytes and record in one commit");
        assert_eq!(inline_ids(&store), BTreeSet::from([key_blob.clone()]));
        assert!(blob_files(dir.path()).is_empty());
        assert_eq!(read_all(&store, "b", "k"), data);
        let rec = store.get_object("b", "k").unwrap().unwrap();
        assert_eq!(read_range(&store, &rec, 4000, 4096), &data[4000..]);
    }
    // Durable: the bytes come back after a reopen.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(read_all(&store, "b", "k"), data);
    // A copy shares the inline blob; each reference is counted.
    let src = store.get_object("b", "k").unwrap().unwrap();
    let mut copy = src.clone();
    copy.key = "copy".into();
    store.put_object("b", copy).unwrap();
    assert_eq!(ref_counts(&store).get(&key_blob), Some(&2));
    // Overwriting the source keeps the shared bytes for the copy.
    inline_mode(|| put(&store, "b", "k", b"new"));
    assert_eq!(inline_ids(&store).len(), 2);
    assert_eq!(read_all(&store, "b", "copy"), data);
    store.delete_object("b", "copy").unwrap();
    assert!(!inline_ids(&store).contains(&key_blob), "the last reference takes the bytes along");
    store.delete_object("b", "k").unwrap();
    assert_eq!(inline_ids(&store), BTreeSet::new());
    assert!(ref_counts(&store).is_empty());
}

#[test]
fn inline_blobs_must_be_handed_over_and_refused_ops_store_nothing() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let blob = inline_mode(|| write_blob(&store, b"small"));
    assert!(blob.id.is_inline());
    // A record naming an inline blob whose bytes were not handed over is refused.
    let err = store.put_object("b", record("k", &[&blob])).unwrap_err();
    assert!(matches!(&err, StoreError::Io(e) if e.kind() == std::io::ErrorKind::NotFound), "{err}");
    // A logical failure stores nothing.
    let refused = store.put_new_object("nope", record("k", &[&blob]), vec![blob.clone()]);
    assert!(matches!(refused, Err(StoreError::NoSuchBucket)));
    assert_eq!(inline_ids(&store), BTreeSet::new());
    assert_eq!(store.get_object("b", "k").unwrap(), None);
    // An inline writer holds the size it was given and no more.
    let mut w = store.blob_writer_for(Some(4)).unwrap();
    w.write_all(b"four").unwrap();
    assert_eq!(w.write_all(b"!").unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    // Record and bytes from one snapshot: only for objects whose bytes are all inline and
    // that fit the limit.
    let (x, y) = inline_mode(|| (write_blob(&store, b"x1"), write_blob(&store, b"y22")));
    store.put_new_object("b", record("xy", &[&x, &y]), vec![x.clone(), y.clone()]).unwrap();
    let read = store.get_object_with_bytes("b", "xy", 5).unwrap().unwrap();
    assert_eq!((read.rec.size, read.bytes.as_deref()), (5, Some(&b"x1y22"[..])));
    let read = store.get_object_with_bytes("b", "xy", 4).unwrap().unwrap();
    assert_eq!(read.bytes, None);
    // Too long to be copied out, the bytes are still read from the same snapshot.
    let mut out = Vec::new();
    read.pin.open(&read.rec, 1, 5).unwrap().read_to_end(&mut out).unwrap();
    assert_eq!(out, b"1y22");
    put(&store, "b", "file", b"on disk");
    let read = store.get_object_with_bytes("b", "file", 1 << 20).unwrap().unwrap();
    assert_eq!((read.rec.size, &read.bytes), (7, &None));
    let mut out = Vec::new();
    read.pin.open(&read.rec, 0, 7).unwrap().read_to_end(&mut out).unwrap();
    assert_eq!(out, b"on disk");
    assert!(store.get_object_with_bytes("b", "absent", 10).unwrap().is_none());
    // An append and a part carry their blob, inline or not.
    let a = inline_mode(|| write_blob(&store, b"ab"));
    store.append_object("b", "log", 0, a, record("log", &[])).unwrap();
    let up = UploadRecord { upload_id: "u".into(), key: "mp".into(), ..Default::default() };
    store.create_upload("b", up, Overwrite::Allow).unwrap();
    let part = inline_mode(|| write_blob(&store, b"part"));
    let p = PartRecord { number: 1, blob: part.clone(), etag: String::new(), last_modified_ms: 0 };
    store.put_part("b", "u", p).unwrap();
    assert_eq!(inline_ids(&store).len(), 4, "x, y, the append and the part");
    store.complete_upload("b", "u", record("mp", &[&part]), Overwrite::Allow).unwrap();
    assert_eq!(read_all(&store, "b", "mp"), b"part");
    assert_eq!(read_all(&store, "b", "log"), b"ab");
}

#[test]
fn inline_blobs_can_be_turned_off_and_a_format_1_store_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let off = StoreOptions { inline_max: 0, ..StoreOptions::default() };
    {
        let store = Store::open_with(dir.path(), &off).unwrap();
        assert!(!store.blob_writer_for(Some(1)).unwrap().id().is_inline());
        // Pretend this store was written by the previous layout.
        let txn = store.db().begin_write().unwrap();
        txn.open_table(META).unwrap().insert("format", 1).unwrap();
        txn.commit().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let txn = store.db().begin_read().unwrap();
    assert_eq!(txn.open_table(META).unwrap().get("format").unwrap().unwrap().value(), 2);
    drop(txn);
    store.create_bucket(&bucket("b")).unwrap();
    inline_mode(|| put(&store, "b", "k", b"v"));
    assert_eq!(inline_ids(&store).len(), 1);
}

#[test]
fn dropped_blob_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut w = store.blob_writer().unwrap();
    w.write_all(b"partial").unwrap();
    assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 1);
    drop(w);
    assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    assert!(blob_files(dir.path()).is_empty());
}

#[test]
fn blob_digests_are_computed_while_writing() {
    let store = Store::open_in_memory().unwrap();
    let blob = write_blob(&store, b"The quick brown fox jumps over the lazy dog");
    assert_eq!(blob.size, 43);
    // Well-known MD5 of that sentence.
    let hex: String = blob.md5.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "9e107d9d372bb6826bd81d3542a419d6");
    assert_eq!(blob.crc64, crc64::checksum(b"The quick brown fox jumps over the lazy dog"));
    assert_eq!(blob.id.generation(), store.generation());
}

#[test]
fn hostile_keys_never_become_paths() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let keys = ["../../etc/passwd", "/abs/path", "..", "a\\b", "nul\0byte", "tmp/x", "blobs/y"];
    for k in keys {
        put(&store, "b", k, k.as_bytes());
    }
    for k in keys {
        assert_eq!(read_all(&store, "b", k), k.as_bytes());
    }
    let mut top: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["blobs", "meta.redb", "space-reserve", "tmp"]);
    assert!(!dir.path().parent().unwrap().join("etc").exists());
    assert_eq!(blob_files(dir.path()).len(), keys.len());
    assert!(blob_files(dir.path()).iter().all(|f| BlobId::parse(f).is_some()));
}

// ---------------------------------------------------------------- listing

/// What a page should be, computed naively from the sorted key set.
fn naive_list(
    keys: &BTreeSet<String>,
    q: &ListQuery,
) -> (Vec<String>, Vec<String>, bool, Option<String>) {
    #[derive(PartialEq)]
    enum E {
        Key(String),
        Prefix(String),
    }
    let mut entries: Vec<E> = Vec::new();
    if q.max_keys == 0 {
        return (vec![], vec![], false, None);
    }
    for k in keys {
        if !k.starts_with(&q.prefix) || k.as_str() <= q.marker.as_str() {
            continue;
        }
        let rest = &k[q.prefix.len()..];
        match (!q.delimiter.is_empty()).then(|| rest.find(&q.delimiter)).flatten() {
            Some(i) => {
                let cp = k[..q.prefix.len() + i + q.delimiter.len()].to_owned();
                if cp.as_str() <= q.marker.as_str()
                    || entries.last() == Some(&E::Prefix(cp.clone()))
                {
                    continue;
                }
                entries.push(E::Prefix(cp));
            }
            None => entries.push(E::Key(k.clone())),
        }
    }
    let truncated = entries.len() > q.max_keys;
    entries.truncate(q.max_keys);
    let mut objects = vec![];
    let mut prefixes = vec![];
    let mut last = None;
    for e in entries {
        match e {
            E::Key(k) => {
                last = Some(k.clone());
                objects.push(k);
            }
            E::Prefix(p) => {
                last = Some(p.clone());
                prefixes.push(p);
            }
        }
    }
    (objects, prefixes, truncated, if truncated { last } else { None })
}

fn check_list(store: &Store, keys: &BTreeSet<String>, q: &ListQuery) {
    let page = store.list_objects("b", q).unwrap();
    let got = (
        page.objects.iter().map(|o| o.key.clone()).collect::<Vec<_>>(),
        page.common_prefixes.clone(),
        page.is_truncated,
        page.next_marker.clone(),
    );
    assert_eq!(got, naive_list(keys, q), "query {q:?}");
}

/// Inserts empty objects for `keys` in one transaction.
fn bulk_put(store: &Store, keys: impl IntoIterator<Item = String>) {
    let ops = keys
        .into_iter()
        .map(|k| Op::PutObject {
            bucket: "b".into(),
            rec: record(&k, &[]),
            new: Vec::new(),
            overwrite: Overwrite::Allow,
        })
        .collect();
    for r in store.commit_batch(ops).unwrap() {
        assert!(r.is_ok());
    }
}

#[test]
fn listing_edge_cases() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    store.create_bucket(&bucket("a")).unwrap();
    store.create_bucket(&bucket("c")).unwrap();
    let keys: BTreeSet<String> = [
        "a",
        "a/",
        "a/b",
        "a/b/c",
        "a/c",
        "a//d",
        "ab",
        "b",
        "b/x%20y",
        "b/x+y",
        "b/x y",
        "é/1",
        "é/2",
        "中文/文件",
        "z",
        "zz/",
        "a+b/c",
        "100%/x",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    bulk_put(&store, keys.clone());
    // Neighbouring buckets must not leak into "b"'s listing.
    put(&store, "a", "zzz", b"");
    put(&store, "c", "0", b"");

    let q = |prefix: &str, delimiter: &str, marker: &str, max_keys: usize| ListQuery {
        prefix: prefix.into(),
        delimiter: delimiter.into(),
        marker: marker.into(),
        max_keys,
    };
    let page = store.list_objects("b", &q("", "/", "", 100)).unwrap();
    assert_eq!(
        page.common_prefixes,
        ["100%/", "a+b/", "a/", "b/", "zz/", "é/", "中文/"],
        "prefixes sort in byte order"
    );
    assert_eq!(
        page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        ["a", "ab", "b", "z"]
    );
    // Marker equal to a common prefix, and inside one: skip everything under it.
    let page = store.list_objects("b", &q("", "/", "a/", 3)).unwrap();
    assert_eq!(page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["ab", "b"]);
    assert_eq!(page.common_prefixes, ["b/"]);
    assert_eq!((page.is_truncated, page.next_marker.as_deref()), (true, Some("b/")));
    let page = store.list_objects("b", &q("", "/", "a/b/c", 1)).unwrap();
    assert_eq!(page.objects[0].key, "ab");
    // max_keys 0: empty and not truncated (S3).
    let page = store.list_objects("b", &q("", "", "", 0)).unwrap();
    assert_eq!(page, ListPage::default());
    // Exactly as many as max_keys: not truncated.
    let page = store.list_objects("b", &q("b/", "", "", 3)).unwrap();
    assert_eq!((page.objects.len(), page.is_truncated), (3, false));
    let page = store.list_objects("b", &q("b/", "", "", 2)).unwrap();
    assert_eq!(
        (page.objects.len(), page.is_truncated, page.next_marker.as_deref()),
        (2, true, Some("b/x%20y"))
    );
    // Multi-character delimiter.
    let page = store.list_objects("b", &q("a", "/b", "", 100)).unwrap();
    assert_eq!(page.common_prefixes, ["a/b"]);
    // Delimiter found only after the prefix counts.
    let page = store.list_objects("b", &q("a/", "/", "", 100)).unwrap();
    assert_eq!(page.common_prefixes, ["a//", "a/b/"]);
    assert_eq!(
        page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        ["a/", "a/b", "a/c"]
    );
    assert!(matches!(store.list_objects("nope", &q("", "", "", 1)), Err(StoreError::NoSuchBucket)));

    for (p, d, m, n) in [
        ("", "", "", 1000),
        ("", "/", "", 3),
        ("", "/", "a", 3),
        ("", "/", "zz/", 3),
        ("", "/", "é/1", 3),
        ("a", "/", "a/", 10),
        ("a/", "/", "a/b/", 10),
        ("é", "", "", 10),
        ("", "é", "", 10),
        ("", "x", "b/x", 10),
        ("zzz", "/", "", 10),
        ("", "", "\u{10FFFF}", 10),
        ("a", "", "a", 10),
        ("a/", "/", "a/", 10),
    ] {
        check_list(&store, &keys, &q(p, d, m, n));
    }
}

#[test]
fn listing_matches_naive_model_and_pages_cover_everything() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let pieces = ["a", "b", "/", "//", "%", "+", " ", "é", "中", "a/", "x"];
    let mut keys = BTreeSet::new();
    for _ in 0..400 {
        let n = rng.random_range(1..6);
        let k: String = (0..n).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
        keys.insert(k);
    }
    bulk_put(&store, keys.clone());
    let key_list: Vec<&String> = keys.iter().collect();
    let pick = |rng: &mut StdRng| -> String {
        let k = key_list[rng.random_range(0..key_list.len())];
        let cut = rng.random_range(0..=k.chars().count());
        k.chars().take(cut).collect()
    };
    for _ in 0..600 {
        let prefix = if rng.random_bool(0.5) { pick(&mut rng) } else { String::new() };
        let delimiter = ["", "/", "//", "a/", "é", "+"][rng.random_range(0..6)].to_owned();
        let marker = if rng.random_bool(0.5) { pick(&mut rng) } else { String::new() };
        let max_keys = rng.random_range(0..12);
        let q = ListQuery { prefix, delimiter, marker, max_keys };
        check_list(&store, &keys, &q);
        // Paging with next_marker yields the unpaged result.
        if max_keys > 0 {
            let full = naive_list(&keys, &ListQuery { max_keys: usize::MAX, ..q.clone() });
            let (mut objs, mut cps) = (vec![], vec![]);
            let mut cur = q.clone();
            loop {
                let page = store.list_objects("b", &cur).unwrap();
                objs.extend(page.objects.into_iter().map(|o| o.key));
                cps.extend(page.common_prefixes);
                match page.next_marker {
                    Some(m) if page.is_truncated => {
                        assert!(m > cur.marker, "marker must advance: {m:?} after {cur:?}");
                        cur.marker = m;
                    }
                    _ => break,
                }
            }
            assert_eq!((objs, cps), (full.0, full.1), "paging {q:?}");
        }
    }
}

#[test]
fn listing_seeks_past_rolled_up_prefixes() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let mut keys: Vec<String> = (0..3000).map(|i| format!("dir/{i:05}")).collect();
    keys.extend((0..3000).map(|i| format!("other/{i:05}")));
    keys.extend(["a".to_owned(), "z".to_owned()]);
    bulk_put(&store, keys);
    let q = ListQuery { delimiter: "/".into(), max_keys: 1000, ..Default::default() };
    let (page, visited) = store.list_objects_counted("b", &q).unwrap();
    assert_eq!(page.common_prefixes, ["dir/", "other/"]);
    assert_eq!(page.objects.len(), 2);
    assert!(visited <= 6, "visited {visited} entries");
    // Marker inside a huge rolled-up prefix: also a seek, not a walk.
    let q = ListQuery { marker: "dir/01234".into(), ..q };
    let (page, visited) = store.list_objects_counted("b", &q).unwrap();
    assert_eq!(page.common_prefixes, ["other/"]);
    assert!(visited <= 4, "visited {visited} entries");
    // Without a delimiter a page reads only max_keys + 1 entries.
    let q = ListQuery { max_keys: 10, ..Default::default() };
    let (page, visited) = store.list_objects_counted("b", &q).unwrap();
    assert_eq!((page.objects.len(), visited), (10, 11));
}

#[test]
fn list_uploads_orders_by_key_then_id_and_honours_markers() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    for (key, id) in
        [("k1", "u2"), ("k1", "u1"), ("k2", "u3"), ("d/x", "u4"), ("d/y", "u5"), ("k10", "u6")]
    {
        let rec = UploadRecord { upload_id: id.into(), key: key.into(), ..Default::default() };
        store.create_upload("b", rec, Overwrite::Allow).unwrap();
    }
    let list = |q: ListUploadsQuery| {
        let p = store.list_uploads("b", &q).unwrap();
        let ids: Vec<String> =
            p.uploads.iter().map(|u| format!("{}:{}", u.key, u.upload_id)).collect();
        (ids, p.common_prefixes, p.is_truncated, p.next_key_marker, p.next_upload_id_marker)
    };
    let q = |delimiter: &str, km: &str, uim: &str, max: usize| ListUploadsQuery {
        prefix: String::new(),
        delimiter: delimiter.into(),
        key_marker: km.into(),
        upload_id_marker: uim.into(),
        max_uploads: max,
    };
    let (ids, cps, trunc, nk, nu) = list(q("", "", "", 100));
    assert_eq!(ids, ["d/x:u4", "d/y:u5", "k1:u1", "k1:u2", "k10:u6", "k2:u3"]);
    assert_eq!((cps.len(), trunc, nk, nu), (0, false, None, None));
    let (ids, cps, trunc, nk, nu) = list(q("/", "", "", 2));
    assert_eq!((ids, cps), (vec!["k1:u1".to_owned()], vec!["d/".to_owned()]));
    assert_eq!((trunc, nk.as_deref(), nu.as_deref()), (true, Some("k1"), Some("u1")));
    let (ids, ..) = list(q("/", "k1", "u1", 10));
    assert_eq!(ids, ["k1:u2", "k10:u6", "k2:u3"]);
    let (ids, ..) = list(q("/", "k1", "", 10));
    assert_eq!(ids, ["k10:u6", "k2:u3"]);
    let (ids, cps, ..) = list(q("/", "d/", "", 10));
    assert_eq!((ids.len(), cps.len()), (4, 0));
    let (ids, cps, trunc, nk, nu) = list(q("/", "", "", 1));
    assert_eq!(
        (ids.len(), cps, trunc, nk.as_deref(), nu),
        (0, vec!["d/".to_owned()], true, Some("d/"), None)
    );
    let mut prefixed = q("", "", "", 10);
    prefixed.prefix = "k1".into();
    assert_eq!(list(prefixed).0, ["k1:u1", "k1:u2", "k10:u6"]);
    assert_eq!(list(q("", "", "", 0)).0.len(), 0);
}

// ---------------------------------------------------------------- randomized workload

#[test]
fn randomized_workload_matches_model_and_blob_dir_matches_references() {
    let dir = tempfile::tempdir().unwrap();
    // Quick-repair only changes crash recovery; without it this debug-build test runs 20x faster.
    let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
    let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut rng = StdRng::seed_from_u64(42);
    // Half of the blobs are inline, so every operation meets both kinds, mixed.
    let mut mode_rng = StdRng::seed_from_u64(7);
    let mut new_blob = |store: &Store, data: &[u8]| {
        if mode_rng.random_bool(0.5) {
            inline_mode(|| write_blob(store, data))
        } else {
            write_blob(store, data)
        }
    };
    let keys: Vec<String> =
        (0..40).map(|i| format!("{}/{}", ["p", "q", "p/r"][i % 3], i)).collect();
    {
        let store = Store::open_with(dir.path(), &opts).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        for step in 0..400 {
            let key = &keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..10) {
                0..=4 => {
                    let len = rng.random_range(0..64);
                    let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                    let blob = new_blob(&store, &data);
                    store.put_new_object("b", record(key, &[&blob]), vec![blob]).unwrap();
                    model.insert(key.clone(), data);
                }
                5..=6 => {
                    let had = store.delete_object("b", key).unwrap().is_some();
                    assert_eq!(had, model.remove(key).is_some());
                }
                7 => {
                    // Append, or a refused append on a normal object.
                    let data: Vec<u8> =
                        (0..rng.random_range(0..16)).map(|_| rng.random()).collect();
                    let blob = new_blob(&store, &data);
                    let pos = store.get_object("b", key).unwrap().map_or(0, |r| r.size);
                    match store.append_object("b", key, pos, blob, record(key, &[])) {
                        Ok(r) => {
                            let m = model.entry(key.clone()).or_default();
                            m.extend_from_slice(&data);
                            assert_eq!(r.crc64, crc64::checksum(m));
                        }
                        Err(StoreError::ObjectNotAppendable) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                8 => {
                    // Multipart: three parts, one replaced, complete with two of them.
                    let id = format!("up{step}");
                    let rec = UploadRecord {
                        upload_id: id.clone(),
                        key: key.clone(),
                        ..Default::default()
                    };
                    store.create_upload("b", rec, Overwrite::Allow).unwrap();
                    let mut parts = Vec::new();
                    for n in [1, 2, 3, 2] {
                        let data: Vec<u8> =
                            (0..rng.random_range(1..20)).map(|_| rng.random()).collect();
                        let blob = new_blob(&store, &data);
                        let p = PartRecord {
                            number: n,
                            blob,
                            etag: String::new(),
                            last_modified_ms: 0,
                        };
                        store.put_part("b", &id, p).unwrap();
                        parts.retain(|(m, _, _)| *m != n);
                        parts.push((n, data, store.all_parts("b", &id).unwrap()));
                    }
                    let all = store.all_parts("b", &id).unwrap();
                    if rng.random_bool(0.3) {
                        store.abort_upload("b", &id).unwrap();
                    } else {
                        let chosen = [&all[0].blob, &all[2].blob];
                        store
                            .complete_upload("b", &id, record(key, &chosen), Overwrite::Allow)
                            .unwrap();
                        let one = parts.iter().find(|p| p.0 == 1).unwrap().1.clone();
                        let three = parts.iter().find(|p| p.0 == 3).unwrap().1.clone();
                        model.insert(key.clone(), [one, three].concat());
                    }
                }
                _ => {
                    // A blob written and then abandoned before any commit ("crash").
                    let _ = write_blob(&store, b"abandoned");
                }
            }
            if step % 50 == 0 {
                let q = ListQuery { max_keys: 1000, ..Default::default() };
                let listed: Vec<String> = store
                    .list_objects("b", &q)
                    .unwrap()
                    .objects
                    .into_iter()
                    .map(|o| o.key)
                    .collect();
                assert_eq!(listed, model.keys().cloned().collect::<Vec<_>>());
            }
        }
        for (k, v) in &model {
            assert_eq!(&read_all(&store, "b", k), v, "{k}");
        }
        let stats = store.bucket_stats("b").unwrap();
        assert_eq!(stats.object_count, model.len() as u64);
        assert_eq!(stats.storage_bytes, model.values().map(|v| v.len() as u64).sum::<u64>());
        // Only the abandoned blobs are extra; this process does not sweep its own generation.
        let (inline, refs): (BTreeSet<String>, BTreeSet<String>) =
            referenced(&store).into_iter().partition(|id| id.starts_with('i'));
        assert!(!inline.is_empty() && !refs.is_empty());
        assert!(refs.is_subset(&blob_files(dir.path())));
        assert_eq!(inline, inline_ids(&store), "inline bytes are stored iff referenced");
        assert_eq!(store.sweep_orphans().unwrap(), 0);
    }
    let store = Store::open_with(dir.path(), &opts).unwrap();
    let before = blob_files(dir.path());
    let (inline, refs): (BTreeSet<String>, BTreeSet<String>) =
        referenced(&store).into_iter().partition(|id| id.starts_with('i'));
    assert_eq!(inline, inline_ids(&store));
    let swept = store.sweep_orphans().unwrap();
    assert_eq!(swept, before.len() - refs.len());
    assert!(swept > 0);
    assert_eq!(blob_files(dir.path()), refs);
    for (k, v) in &model {
        assert_eq!(&read_all(&store, "b", k), v, "{k}");
    }
}

// ---------------------------------------------------------------- slow: start-up at scale

/// Child half of `slow_startup_after_crash`: fills a store, times single commits, and dies
/// without closing the database (as a crash would).
#[test]
#[ignore = "run by slow_startup_after_crash in a child process"]
fn slow_startup_child() {
    let Ok(dir) = std::env::var("OSSD_STORE_CHILD_DIR") else {
        return;
    };
    let n: usize =
        std::env::var("OSSD_SLOW_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let quick_repair = std::env::var("OSSD_QUICK_REPAIR").as_deref() == Ok("1");
    let store = Store::open_with(
        Path::new(&dir),
        &StoreOptions { quick_repair, ..StoreOptions::default() },
    )
    .unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let t = std::time::Instant::now();
    for start in (0..n).step_by(50_000) {
        bulk_put(
            &store,
            (start..(start + 50_000).min(n)).map(|i| format!("dir{:03}/obj{i:08}", i % 100)),
        );
    }
    eprintln!("child: inserted {n} objects in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for i in 0..50 {
        put(&store, "b", &format!("late/{i}"), &[7u8; 4096]);
    }
    eprintln!("child: 4 KiB put_object at {n} objects: {:?} each", t.elapsed() / 50);
    std::process::abort();
}

/// Start-up time after a crash with a large store, with and without quick-repair.
/// Gated: `OSSD_SLOW_TESTS=1 cargo test --release -p ossd-store --lib slow_startup -- --nocapture`.
#[test]
fn slow_startup_after_crash() {
    if std::env::var_os("OSSD_SLOW_TESTS").is_none() {
        return;
    }
    let n: usize =
        std::env::var("OSSD_SLOW_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    for quick_repair in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "tests::slow_startup_child", "--nocapture"])
            .env("OSSD_STORE_CHILD_DIR", dir.path())
            .env("OSSD_SLOW_N", n.to_string())
            .env("OSSD_QUICK_REPAIR", if quick_repair { "1" } else { "0" })
            .status()
            .unwrap();
        assert!(!status.success(), "the child must have aborted");
        let opts = StoreOptions { quick_repair, ..StoreOptions::default() };
        let t = std::time::Instant::now();
        let store = Store::open_with(dir.path(), &opts).unwrap();
        let after_crash = t.elapsed();
        assert_eq!(store.bucket_stats("b").unwrap().object_count, n as u64 + 50);
        let t = std::time::Instant::now();
        let q = ListQuery { delimiter: "/".into(), max_keys: 1000, ..Default::default() };
        assert_eq!(store.list_objects("b", &q).unwrap().common_prefixes.len(), 101);
        let q = ListQuery { prefix: "dir042/".into(), max_keys: 1000, ..Default::default() };
        assert_eq!(store.list_objects("b", &q).unwrap().objects.len(), 1000);
        let listing = t.elapsed();
        let t = std::time::Instant::now();
        assert_eq!(store.sweep_orphans().unwrap(), 0);
        let sweep = t.elapsed();
        drop(store);
        let t = std::time::Instant::now();
        drop(Store::open_with(dir.path(), &opts).unwrap());
        let clean = t.elapsed();
        eprintln!(
            "quick_repair={quick_repair} n={n}: open after crash {after_crash:?}, after clean close {clean:?}, \
             two 1000-entry listings {listing:?}, sweep {sweep:?}"
        );
    }
}

// ---------------------------------------------------------------- concurrency

#[test]
fn concurrent_appends_and_overwrites_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(
        dir.path(),
        &StoreOptions { quick_repair: false, ..StoreOptions::default() },
    )
    .unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..15u8 {
                    // Append one byte, retrying at the position the store reports.
                    let mut pos = 0;
                    loop {
                        let blob = write_blob(&store, &[t]);
                        match store.append_object("b", "shared", pos, blob, ObjectRecord::default())
                        {
                            Ok(_) => break,
                            Err(StoreError::PositionNotEqualToLength { current }) => pos = current,
                            Err(e) => panic!("{e}"),
                        }
                    }
                    // Overwrite a contended key and read whatever version is there.
                    put(&store, "b", "hot", &[t, i]);
                    if let Some(rec) = store.get_object("b", "hot").unwrap() {
                        // The version read may be replaced (and its blob deleted) meanwhile.
                        if let Ok(mut r) = store.open_object(&rec, 0, rec.size) {
                            let mut buf = Vec::new();
                            r.read_to_end(&mut buf).unwrap();
                            assert_eq!(buf.len(), 2);
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let data = read_all(&store, "b", "shared");
    assert_eq!(data.len(), 60);
    for t in 0..4u8 {
        assert_eq!(data.iter().filter(|&&b| b == t).count(), 15);
    }
    let rec = store.get_object("b", "shared").unwrap().unwrap();
    assert_eq!(rec.crc64, crc64::checksum(&data));
    // Exactly the referenced blobs are left: every refused append's blob was deleted.
    assert_eq!(blob_files(dir.path()), referenced(&store));
}

// ---------------------------------------------------------------- group commit

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

/// The blob id of a single-segment object, or "-" for an absent one.
fn version(rec: &Option<ObjectRecord>) -> String {
    rec.as_ref().map_or("-".to_owned(), |r| r.segments[0].blob.to_string())
}

#[test]
fn concurrent_group_commits_equal_a_sequential_history() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
    const THREADS: usize = 16;
    const KEYS: usize = 6;
    // Per key: (version replaced, version written) of every successful put or delete.
    type Events = Vec<(String, String)>;
    let mut events: BTreeMap<String, Events> = BTreeMap::new();
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let ops_done;
    {
        let store = Store::open_with(dir.path(), &opts).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        let before = store.commit_count();
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut rng = StdRng::seed_from_u64(t as u64);
                    let mut out = Vec::new();
                    for i in 0..25 {
                        let key = format!("k{}", rng.random_range(0..KEYS));
                        if rng.random_range(0..4) == 0 {
                            let old = store.delete_object("b", &key).unwrap();
                            out.push((key, version(&old), "-".to_owned(), Vec::new()));
                        } else {
                            let data = format!("{t}/{i}").into_bytes();
                            let blob = write_blob(&store, &data);
                            let rec = record(&key, &[&blob]);
                            let old = store.put_object("b", rec).unwrap();
                            out.push((key, version(&old), blob.id.to_string(), data));
                        }
                    }
                    out
                })
            })
            .collect();
        let mut n = 0;
        for h in handles {
            for (key, old, new, data) in h.join().unwrap() {
                n += 1;
                if new != "-" {
                    contents.insert(new.clone(), data);
                }
                events.entry(key).or_default().push((old, new));
            }
        }
        ops_done = n;
        let commits = store.commit_count() - before;
        // Deletes of absent keys commit nothing, so commits <= ops even without grouping;
        // grouping shows as clearly fewer commits than ops with 16 writers.
        eprintln!("{ops_done} ops in {commits} commits");
        assert!(commits < ops_done as u64, "no group formed: {commits} commits for {ops_done} ops");

        // The events of each key must chain into one sequential history: every version is
        // replaced at most once, and the final record is the one version never replaced.
        let mut live_bytes = 0u64;
        let mut live = 0u64;
        let mut final_blobs = BTreeSet::new();
        for (key, evs) in &events {
            let mut replaced: BTreeMap<&str, usize> = BTreeMap::new();
            for (old, _) in evs {
                if old != "-" {
                    *replaced.entry(old.as_str()).or_default() += 1;
                }
            }
            assert!(replaced.values().all(|&n| n == 1), "{key}: a version replaced twice");
            let unreplaced: Vec<&str> = evs
                .iter()
                .map(|(_, new)| new.as_str())
                .filter(|new| *new != "-" && !replaced.contains_key(new))
                .collect();
            // A sequential history starting from "absent": the versions written and the
            // deletes that found something form one chain, so at most one version is left.
            assert!(unreplaced.len() <= 1, "{key}: {unreplaced:?} all survived");
            let current = store.get_object("b", key).unwrap();
            assert_eq!(unreplaced.first().copied().unwrap_or("-"), version(&current), "{key}");
            if let Some(rec) = current {
                assert_eq!(read_all(&store, "b", key), contents[&version(&Some(rec.clone()))]);
                live += 1;
                live_bytes += rec.size;
                final_blobs.insert(rec.segments[0].blob.to_string());
            }
        }
        let stats = store.bucket_stats("b").unwrap();
        assert_eq!((stats.object_count, stats.storage_bytes), (live, live_bytes));
        // Reference counts are exact: one per live object, nothing else.
        let refs = ref_counts(&store);
        assert_eq!(refs.keys().cloned().collect::<BTreeSet<_>>(), final_blobs);
        assert!(refs.values().all(|&n| n == 1));
        // Replaced and deleted blobs were removed after their commits.
        assert_eq!(blob_files(dir.path()), final_blobs);
    }
    let store = Store::open_with(dir.path(), &opts).unwrap();
    assert_eq!(store.sweep_orphans().unwrap(), 0);
    assert_eq!(blob_files(dir.path()), referenced(&store));
    assert_eq!(referenced(&store).len() as u64, store.bucket_stats("b").unwrap().object_count);
}

#[test]
fn a_failing_op_in_a_group_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(
        dir.path(),
        &StoreOptions { quick_repair: false, ..StoreOptions::default() },
    )
    .unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    put(&store, "b", "gone", b"old");
    let good = write_blob(&store, b"good");
    let lost = write_blob(&store, b"lost");
    let before = store.commit_count();
    // Four requests in one group: two succeed, one fails logically (missing bucket).
    let requests = vec![
        vec![Op::PutObject {
            bucket: "b".into(),
            rec: record("a", &[&good]),
            new: Vec::new(),
            overwrite: Overwrite::Allow,
        }],
        vec![Op::PutObject {
            bucket: "nope".into(),
            rec: record("x", &[&lost]),
            new: Vec::new(),
            overwrite: Overwrite::Allow,
        }],
        vec![
            Op::DeleteObject { bucket: "b".into(), key: "gone".into() },
            Op::DeleteObject { bucket: "nope".into(), key: "y".into() },
        ],
        vec![Op::CreateUpload {
            bucket: "b".into(),
            rec: UploadRecord::default(),
            overwrite: Overwrite::Allow,
        }],
    ];
    let out = store.run_group(&requests);
    assert_eq!(store.commit_count() - before, 1, "one transaction for the whole group");
    assert!(matches!(&out[0], Ok(r) if matches!(r[..], [Ok(OpOutput::Replaced(None))])));
    assert!(matches!(&out[1], Ok(r) if matches!(r[..], [Err(StoreError::NoSuchBucket)])));
    assert!(matches!(
        &out[2],
        Ok(r) if matches!(r[..], [Ok(OpOutput::Replaced(Some(_))), Err(StoreError::NoSuchBucket)])
    ));
    assert!(matches!(&out[3], Ok(r) if matches!(r[..], [Ok(OpOutput::Done)])));
    assert_eq!(read_all(&store, "b", "a"), b"good");
    assert!(store.get_object("b", "gone").unwrap().is_none());
    // The refused put's blob and the deleted object's blob went after the commit.
    assert_eq!(blob_files(dir.path()), BTreeSet::from([good.id.to_string()]));

    // A non-logical failure (a record whose size disagrees with its segments) aborts the
    // joint transaction; the group is then committed request by request, so only the faulty
    // request fails and the others still take effect.
    let next = write_blob(&store, b"next");
    let mut bad = record("bad", &[&good]);
    bad.size += 1;
    let before = store.commit_count();
    let out = store.run_group(&[
        vec![Op::PutObject {
            bucket: "b".into(),
            rec: bad,
            new: Vec::new(),
            overwrite: Overwrite::Allow,
        }],
        vec![Op::PutObject {
            bucket: "b".into(),
            rec: record("n", &[&next]),
            new: Vec::new(),
            overwrite: Overwrite::Allow,
        }],
        vec![Op::PutObject {
            bucket: "nope".into(),
            rec: record("z", &[&next]),
            new: Vec::new(),
            overwrite: Overwrite::Allow,
        }],
    ]);
    assert!(matches!(&out[0], Err(StoreError::Internal(_))));
    assert!(matches!(&out[1], Ok(r) if matches!(r[..], [Ok(OpOutput::Replaced(None))])));
    // Committed alone after "n", the refused request's blob is referenced and so survives.
    assert!(matches!(&out[2], Ok(r) if matches!(r[..], [Err(StoreError::NoSuchBucket)])));
    assert_eq!(store.commit_count() - before, 1);
    assert_eq!(read_all(&store, "b", "n"), b"next");
    assert!(store.get_object("b", "bad").unwrap().is_none());
    assert_eq!(ref_counts(&store).get(good.id.as_str()), Some(&1));
    assert_eq!(ref_counts(&store).get(next.id.as_str()), Some(&1));
    assert_eq!(blob_files(dir.path()), referenced(&store));
}

#[test]
fn concurrent_callers_get_their_own_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(
        dir.path(),
        &StoreOptions { quick_repair: false, ..StoreOptions::default() },
    )
    .unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let handles: Vec<_> = (0..12)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let blob = write_blob(&store, &[t, i]);
                    let key = format!("{t}-{i}");
                    let target = if (t + i) % 3 == 0 { "missing" } else { "b" };
                    let r = store.put_object(target, record(&key, &[&blob]));
                    if target == "b" {
                        assert!(r.unwrap().is_none());
                    } else {
                        assert!(matches!(r, Err(StoreError::NoSuchBucket)));
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let listed = store.list_objects("b", &ListQuery { max_keys: 1000, ..Default::default() });
    let expected =
        (0..12u8).flat_map(|t| (0..10u8).map(move |i| (t, i))).filter(|(t, i)| (t + i) % 3 != 0);
    assert_eq!(listed.unwrap().objects.len(), expected.clone().count());
    for (t, i) in expected {
        assert_eq!(read_all(&store, "b", &format!("{t}-{i}")), [t, i]);
    }
    // Every refused put's blob was deleted; nothing else was.
    assert_eq!(blob_files(dir.path()), referenced(&store));
}

/// The body of the `i`-th version of `key` in the crash test: 4 KiB that name their key.
fn crash_body(key: &str, i: u32) -> Vec<u8> {
    let head = format!("{key}#{i}#");
    head.bytes().cycle().take(4096).collect()
}

/// Child half of `crash_during_group_commits_leaves_whole_objects`: 16 threads put and
/// overwrite objects until the main thread aborts the process mid-flight.
#[test]
#[ignore = "run by crash_during_group_commits_leaves_whole_objects in a child process"]
fn group_crash_child() {
    let Ok(dir) = std::env::var("OSSD_STORE_CHILD_DIR") else {
        return;
    };
    let store = Store::open_with(
        Path::new(&dir),
        &StoreOptions { quick_repair: false, ..StoreOptions::default() },
    )
    .unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    for t in 0..16u32 {
        let store = store.clone();
        std::thread::spawn(move || {
            for i in 0.. {
                let key = format!("t{t}/k{}", i % 8);
                // Even threads write inline blobs, odd ones blob files.
                let body = crash_body(&key, i);
                let blob = if t % 2 == 0 {
                    inline_mode(|| write_blob(&store, &body))
                } else {
                    write_blob(&store, &body)
                };
                store.put_new_object("b", record(&key, &[&blob]), vec![blob]).unwrap();
                if i % 5 == 4 {
                    store.delete_object("b", &format!("t{t}/k{}", (i + 3) % 8)).unwrap();
                }
            }
        });
    }
    std::thread::sleep(std::time::Duration::from_millis(700));
    std::process::abort();
}

#[test]
fn crash_during_group_commits_leaves_whole_objects() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "tests::group_crash_child", "--nocapture"])
        .env("OSSD_STORE_CHILD_DIR", dir.path())
        .status()
        .unwrap();
    assert!(!status.success(), "the child must have aborted");
    let store = Store::open_with(
        dir.path(),
        &StoreOptions { quick_repair: false, ..StoreOptions::default() },
    )
    .unwrap();
    let q = ListQuery { max_keys: usize::MAX, ..Default::default() };
    let objects = store.list_objects("b", &q).unwrap().objects;
    assert!(!objects.is_empty(), "the child committed nothing before the crash");
    let mut bytes = 0;
    for rec in &objects {
        // Whole: 4 KiB that belong to this key, with the CRC the record promises.
        let data = read_all(&store, "b", &rec.key);
        let version: u32 = std::str::from_utf8(&data[rec.key.len() + 1..])
            .unwrap_or("")
            .split('#')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{}: foreign bytes", rec.key));
        assert_eq!(data, crash_body(&rec.key, version), "{}", rec.key);
        assert_eq!(rec.crc64, crc64::checksum(&data));
        bytes += rec.size;
    }
    let stats = store.bucket_stats("b").unwrap();
    assert_eq!((stats.object_count, stats.storage_bytes), (objects.len() as u64, bytes));
    let refs = ref_counts(&store);
    assert_eq!(refs.len(), objects.len());
    assert!(refs.values().all(|&n| n == 1));
    // Orphans (renamed, never committed; or replaced, not yet deleted) go with the sweep.
    store.sweep_orphans().unwrap();
    let (inline, files): (BTreeSet<String>, BTreeSet<String>) =
        referenced(&store).into_iter().partition(|id| id.starts_with('i'));
    assert!(!inline.is_empty() && !files.is_empty(), "both kinds committed before the crash");
    assert_eq!(inline, inline_ids(&store), "no inline bytes without a reference");
    assert_eq!(blob_files(dir.path()), files);
    assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    eprintln!("{} whole objects after the crash", objects.len());
}

// ---------------------------------------------------------------- async callers

/// Drives a future on this thread (the store has no runtime; a parked thread is enough).
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn async_and_blocking_callers_share_group_commits() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
    let store = Store::open_with(dir.path(), &opts).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let before = store.commit_count();
    let threads: Vec<_> = (0..12u8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..20u8 {
                    let key = format!("{t}-{i}");
                    let blob = if t % 2 == 0 {
                        inline_mode(|| write_blob(&store, &[t, i]))
                    } else {
                        write_blob(&store, &[t, i])
                    };
                    let rec = record(&key, &[&blob]);
                    if t % 3 == 0 {
                        // A blocking caller among the async ones.
                        store.put_new_object("b", rec, vec![blob]).unwrap();
                    } else {
                        block_on(store.put_new_object_async(
                            "b",
                            rec,
                            vec![blob],
                            Overwrite::Allow,
                        ))
                        .unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for t in 0..12u8 {
        for i in 0..20u8 {
            assert_eq!(read_all(&store, "b", &format!("{t}-{i}")), [t, i]);
        }
    }
    let commits = store.commit_count() - before;
    assert!(commits < 240, "240 puts took {commits} commits: no groups formed");
    assert_eq!(store.bucket_stats("b").unwrap().object_count, 240);
    // Async deletes and parts, and an async failure that is reported to its caller alone.
    assert!(block_on(store.delete_object_async("b", "0-0")).unwrap().is_some());
    assert!(block_on(store.delete_object_async("b", "0-0")).unwrap().is_none());
    let lost = inline_mode(|| write_blob(&store, b"lost"));
    let refused = block_on(store.put_new_object_async(
        "nope",
        record("k", &[&lost]),
        vec![lost],
        Overwrite::Allow,
    ));
    assert!(matches!(refused, Err(StoreError::NoSuchBucket)));
    let up = UploadRecord { upload_id: "u".into(), key: "mp".into(), ..Default::default() };
    store.create_upload("b", up, Overwrite::Allow).unwrap();
    let part = inline_mode(|| write_blob(&store, b"part"));
    let p = PartRecord { number: 1, blob: part, etag: String::new(), last_modified_ms: 0 };
    block_on(store.put_part_async("b", "u", p)).unwrap();
    assert_eq!(store.all_parts("b", "u").unwrap().len(), 1);
    let missing = PartRecord {
        number: 2,
        blob: inline_mode(|| write_blob(&store, b"x")),
        etag: String::new(),
        last_modified_ms: 0,
    };
    assert!(matches!(
        block_on(store.put_part_async("b", "nope", missing)),
        Err(StoreError::NoSuchUpload)
    ));
}

#[test]
fn the_committer_thread_does_not_keep_the_store_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        let blob = inline_mode(|| write_blob(&store, b"v"));
        block_on(store.put_new_object_async(
            "b",
            record("k", &[&blob]),
            vec![blob],
            Overwrite::Allow,
        ))
        .unwrap();
    }
    // The database lock is free again once the committer thread has let go of the store (it
    // holds it only while it leads a commit, which may end just after our result arrived).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let store = loop {
        match Store::open(dir.path()) {
            Ok(store) => break store,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => panic!("the store stayed open: {e}"),
        }
    };
    assert_eq!(read_all(&store, "b", "k"), b"v");
}

/// In-memory blobs whose `exists` first runs a test's hook (to stall or break a commit).
struct HookedBlobs {
    inner: crate::blob::MemBlobs,
    hook: Box<dyn Fn() + Send + Sync>,
}

impl crate::blob::BlobBackend for HookedBlobs {
    fn clear_staging(&self) -> std::io::Result<usize> {
        self.inner.clear_staging()
    }
    fn create(&self, id: &BlobId) -> std::io::Result<Box<dyn crate::blob::BlobSink>> {
        self.inner.create(id)
    }
    fn open(&self, id: &BlobId, offset: u64) -> std::io::Result<Box<dyn Read + Send>> {
        self.inner.open(id, offset)
    }
    fn exists(&self, id: &BlobId) -> std::io::Result<bool> {
        (self.hook)();
        self.inner.exists(id)
    }
    fn remove(&self, id: &BlobId) -> std::io::Result<()> {
        self.inner.remove(id)
    }
    fn for_each(
        &self,
        visit: &mut dyn FnMut(BlobId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.inner.for_each(visit)
    }
}

fn hooked_store(dir: &Path, hook: impl Fn() + Send + Sync + 'static) -> Store {
    let blobs = HookedBlobs { inner: crate::blob::MemBlobs::default(), hook: Box::new(hook) };
    let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
    Store::open_with_backend(&dir.join("meta.redb"), std::sync::Arc::new(blobs), &opts).unwrap()
}

/// Waits for `fut` on another thread, failing the test if it has not resolved in 10 s.
fn resolves<T: Send + 'static>(fut: impl std::future::Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(block_on(fut));
    });
    rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the async request never resolved")
}

#[test]
fn a_panicking_commit_fails_its_requests_and_later_ones_still_commit() {
    let dir = tempfile::tempdir().unwrap();
    let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trigger = std::sync::Arc::clone(&armed);
    let store = hooked_store(dir.path(), move || {
        if trigger.swap(false, std::sync::atomic::Ordering::SeqCst) {
            panic!("backend failure injected by the test");
        }
    });
    store.create_bucket(&bucket("b")).unwrap();
    // A file blob (not inline): committing it asks the backend whether it exists.
    let blob = write_blob(&store, b"first");
    armed.store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = resolves(store.put_new_object_async(
        "b",
        record("a", &[&blob]),
        vec![blob],
        Overwrite::Allow,
    ));
    assert!(failed.is_err(), "the request of the panicked commit gets an error");
    assert!(store.get_object("b", "a").unwrap().is_none());
    // The committer thread survived: async writes still commit.
    let blob = write_blob(&store, b"second");
    resolves(store.put_new_object_async("b", record("k", &[&blob]), vec![blob], Overwrite::Allow))
        .unwrap();
    assert_eq!(read_all(&store, "b", "k"), b"second");
    let inline = inline_mode(|| write_blob(&store, b"third"));
    resolves(store.put_new_object_async(
        "b",
        record("i", &[&inline]),
        vec![inline],
        Overwrite::Allow,
    ))
    .unwrap();
    assert_eq!(read_all(&store, "b", "i"), b"third");
}

#[test]
fn requests_queued_when_the_store_is_dropped_fail_instead_of_waiting_forever() {
    let dir = tempfile::tempdir().unwrap();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let (entered_tx, entered) = std::sync::mpsc::channel::<()>();
    let gate = std::sync::Mutex::new(Some((gate, entered_tx)));
    // The first existence check stalls the committer thread inside a commit until released.
    let store = hooked_store(dir.path(), move || {
        if let Some((gate, entered)) = gate.lock().unwrap().take() {
            let _ = entered.send(());
            let _ = gate.recv();
        }
    });
    store.create_bucket(&bucket("b")).unwrap();
    let first = write_blob(&store, b"first");
    let first =
        store.put_new_object_async("b", record("a", &[&first]), vec![first], Overwrite::Allow);
    entered.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    // Queued behind the stalled commit; then the last handle goes away.
    let second = inline_mode(|| write_blob(&store, b"second"));
    let second =
        store.put_new_object_async("b", record("k", &[&second]), vec![second], Overwrite::Allow);
    drop(store);
    release.send(()).unwrap();
    resolves(first).unwrap();
    let refused = resolves(second);
    assert!(matches!(refused, Err(StoreError::Io(_))), "queued request fails: {refused:?}");
}

// ---------------------------------------------------------------- the shared read snapshot

#[test]
fn small_reads_see_every_acknowledged_write() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let bytes_of = |store: &Store, key: &str| {
        store.get_object_with_bytes("b", key, 64).unwrap().map(|r| r.bytes.unwrap())
    };
    inline_mode(|| put(&store, "b", "k", b"one"));
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"one"[..]));
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"one"[..]), "from the shared snapshot");
    inline_mode(|| put(&store, "b", "k", b"two"));
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"two"[..]));
    store.delete_object("b", "k").unwrap();
    assert_eq!(bytes_of(&store, "k"), None);
    block_on(store.delete_object_async("b", "k")).unwrap();
    let blob = inline_mode(|| write_blob(&store, b"three"));
    block_on(store.put_new_object_async("b", record("k", &[&blob]), vec![blob], Overwrite::Allow))
        .unwrap();
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"three"[..]));
    // get_object reads the same snapshot, bucket check included.
    assert_eq!(store.get_object("b", "k").unwrap().unwrap().size, 5);
    store.create_bucket(&bucket("c")).unwrap();
    assert_eq!(store.get_object("c", "k").unwrap(), None);
    store.delete_bucket("c").unwrap();
    assert!(matches!(store.get_object("c", "k"), Err(StoreError::NoSuchBucket)));

    // Concurrent: once a write is acknowledged, no read that starts later sees an older value.
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, acked, stop) = (store.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let floor = acked.load(std::sync::atomic::Ordering::SeqCst);
                    let seen = store.get_object_with_bytes("b", "n", 64).unwrap();
                    let seen = seen.map_or(0, |r| {
                        u64::from_le_bytes(r.bytes.unwrap().as_slice().try_into().unwrap())
                    });
                    assert!(seen >= floor, "read {seen} after {floor} was acknowledged");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for n in 1..=300u64 {
        inline_mode(|| put(&store, "b", "n", &n.to_le_bytes()));
        acked.store(n, std::sync::atomic::Ordering::SeqCst);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(reads > 0);
    assert_eq!(bytes_of(&store, "n").as_deref(), Some(&300u64.to_le_bytes()[..]));
}

// ---------------------------------------------------------------- readers outlive overwrites

/// An object of `n` segments of 100 bytes each (file blobs, or inline ones in `inline_mode`).
fn many_segments(store: &Store, key: &str, n: u8, inline: bool) -> (ObjectRecord, Vec<u8>) {
    let blobs: Vec<Blob> = (0..n)
        .map(|i| {
            let data = vec![i; 100];
            if inline { inline_mode(|| write_blob(store, &data)) } else { write_blob(store, &data) }
        })
        .collect();
    let rec = record(key, &blobs.iter().collect::<Vec<_>>());
    let content: Vec<u8> = (0..n).flat_map(|i| vec![i; 100]).collect();
    store.put_new_object("b", rec.clone(), blobs).unwrap();
    (rec, content)
}

#[test]
fn a_running_read_survives_an_overwrite_and_its_blobs_go_when_it_ends() {
    for inline in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        // More segments than the reader opens up front.
        let (rec, content) = many_segments(&store, "big", 40, inline);
        let mut reader = store.open_object(&rec, 0, rec.size).unwrap();
        let mut got = vec![0u8; 150];
        reader.read_exact(&mut got).unwrap();
        // Overwritten and then deleted while the read goes on.
        put(&store, "b", "big", b"new");
        store.delete_object("b", "big").unwrap();
        reader.read_to_end(&mut got).unwrap();
        assert_eq!(got, content, "inline {inline}: the read saw the object it started on");
        if !inline {
            // The 40 it reads, and the overwriting object's, deleted after the reader started.
            assert_eq!(blob_files(dir.path()).len(), 41, "kept while the reader runs");
        }
        drop(reader);
        assert_eq!(blob_files(dir.path()), BTreeSet::new(), "inline {inline}: gone after it");
        assert!(inline_ids(&store).is_empty());
        // No reader running: an overwrite unlinks at once, and a stale record is refused
        // before any byte is read.
        let (rec, _) = many_segments(&store, "k", 20, inline);
        put(&store, "b", "k", b"v2");
        assert!(matches!(store.open_object(&rec, 0, rec.size), Err(StoreError::Io(_))));
        let files = blob_files(dir.path());
        assert_eq!(files.len(), 1, "only the new object's blob (a file): {files:?}");
    }
}

#[test]
fn a_blob_referenced_again_while_it_waits_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let (old, content) = many_segments(&store, "a", 3, false);
    let reader = store.open_object(&old, 0, old.size).unwrap();
    store.delete_object("b", "a").unwrap();
    // While the blobs wait for the reader, a record takes one of them up again (as a
    // CopyObject holding the old record would).
    let mut copy = record("c", &[]);
    copy.segments = vec![old.segments[1].clone()];
    copy.size = 100;
    store.put_object("b", copy).unwrap();
    drop(reader);
    assert_eq!(read_all(&store, "b", "c"), &content[100..200]);
    assert_eq!(blob_files(dir.path()), BTreeSet::from([old.segments[1].blob.to_string()]));
    // Several readers from different epochs: blobs go when the last that needs them ends.
    let (rec, _) = many_segments(&store, "d", 2, false);
    let first = store.open_object(&rec, 0, rec.size).unwrap();
    store.delete_object("b", "c").unwrap();
    let second = store.open_object(&rec, 0, rec.size).unwrap();
    store.delete_object("b", "d").unwrap();
    drop(first);
    assert_eq!(blob_files(dir.path()).len(), 2, "d's blobs wait for the second reader");
    drop(second);
    assert_eq!(blob_files(dir.path()), BTreeSet::new());
}
