//! Records written by earlier code read back unchanged: `tests/fixtures/store-format-2/tables.tsv`
//! holds every table entry of a store (layout format 2) written with record format version 1 by
//! the code that still kept the value types (object type, ACLs, storage class) as `String`s
//! (commit e0cb91e), one line per entry: table name, key parts, then the value (records and
//! inline bytes as hex, counts as decimal). The test writes them into a fresh store's tables,
//! opens it, reads everything back through the public API, and checks that every record
//! re-encodes as record version 2 to the bytes that version-1 record implies: the same body, plus
//! the three empty fields version 2 appends to an object record (tags, symlink target,
//! encryption) for object and upload records.

use std::collections::BTreeSet;
use std::path::Path;

use redb::TableDefinition;

use crate::codec::{decode, encode};
use crate::meta::redb::schema::{BLOB_REFS, INLINE_BLOBS, OBJECTS};
use crate::*;

const FIXTURE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-format-2/tables.tsv"));

const CLASSES: [StorageClass; 5] = [
    StorageClass::Standard,
    StorageClass::IA,
    StorageClass::Archive,
    StorageClass::ColdArchive,
    StorageClass::DeepColdArchive,
];
const BUCKET_ACLS: [BucketAcl; 3] =
    [BucketAcl::Private, BucketAcl::PublicRead, BucketAcl::PublicReadWrite];
const OBJECT_ACLS: [ObjectAcl; 4] =
    [ObjectAcl::Default, ObjectAcl::Private, ObjectAcl::PublicRead, ObjectAcl::PublicReadWrite];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The fixture's lines as (table, key parts, value).
fn rows() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    FIXTURE
        .lines()
        .map(|line| {
            let mut f: Vec<&str> = line.split('\t').collect();
            let value = f.pop().unwrap();
            let table = f.remove(0);
            (table, f, value)
        })
        .collect()
}

/// Writes the fixture's entries into the tables of the store at `dir` (as the old code left them).
fn write_fixture(dir: &Path) {
    let store = Store::open(dir).unwrap();
    let txn = store.db().begin_write().unwrap();
    {
        let strs = |name| TableDefinition::<&str, &[u8]>::new(name);
        let mut buckets = txn.open_table(strs("buckets")).unwrap();
        let mut stats = txn.open_table(strs("bucket_stats")).unwrap();
        let mut objects = txn.open_table(OBJECTS).unwrap();
        let mut uploads = txn
            .open_table(TableDefinition::<crate::meta::redb::list::UploadKey, &[u8]>::new(
                "uploads",
            ))
            .unwrap();
        let mut upload_ids =
            txn.open_table(TableDefinition::<(&str, &str), &[u8]>::new("upload_ids")).unwrap();
        let mut parts =
            txn.open_table(TableDefinition::<(&str, &str, u32), &[u8]>::new("parts")).unwrap();
        let mut refs = txn.open_table(BLOB_REFS).unwrap();
        let mut inline = txn.open_table(INLINE_BLOBS).unwrap();
        for (table, k, v) in rows() {
            let bytes = if table == "blob_refs" { Vec::new() } else { unhex(v) };
            match table {
                "buckets" => drop(buckets.insert(k[0], bytes.as_slice()).unwrap()),
                "bucket_stats" => drop(stats.insert(k[0], bytes.as_slice()).unwrap()),
                "objects" => {
                    drop(objects.insert((k[0], k[1].as_bytes()), bytes.as_slice()).unwrap())
                }
                "uploads" => {
                    drop(uploads.insert((k[0], k[1].as_bytes(), k[2]), bytes.as_slice()).unwrap());
                }
                "upload_ids" => drop(upload_ids.insert((k[0], k[1]), bytes.as_slice()).unwrap()),
                "parts" => {
                    let n: u32 = k[2].parse().unwrap();
                    drop(parts.insert((k[0], k[1], n), bytes.as_slice()).unwrap());
                }
                "blob_refs" => drop(refs.insert(k[0], v.parse::<u64>().unwrap()).unwrap()),
                "inline_blobs" => drop(inline.insert(k[0].as_bytes(), bytes.as_slice()).unwrap()),
                other => panic!("unknown table {other}"),
            }
        }
    }
    txn.commit().unwrap();
}

fn read(store: &Store, bucket: &str, key: &str) -> Vec<u8> {
    let found = store.get_object_with_bytes(bucket, key, 1 << 20).unwrap().unwrap();
    found.bytes.unwrap()
}

#[test]
fn a_store_written_with_string_values_and_record_version_1_reads_back_typed_and_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let store = Store::open(dir.path()).unwrap();

    let buckets = store.list_buckets().unwrap();
    assert_eq!(buckets.len(), 5);
    for (i, b) in buckets.iter().enumerate() {
        assert_eq!(b.name, format!("bucket-{i}"));
        assert_eq!((b.acl, b.storage_class), (BUCKET_ACLS[i % 3], CLASSES[i]));
    }
    assert_eq!(buckets[0].configs["cors"], "<CORSConfiguration/>");

    let all = ListQuery { max_keys: 1000, ..ListQuery::default() };
    let mut seen = BTreeSet::new();
    for n in 0..20 {
        let bucket = format!("bucket-{}", n / 4 % 2);
        let rec = store.get_object(&bucket, &format!("obj-{n}")).unwrap().unwrap();
        assert_eq!(
            (rec.acl, rec.storage_class, rec.object_type),
            (OBJECT_ACLS[n % 4], CLASSES[n / 4], ObjectType::Normal)
        );
        assert_eq!(read(&store, &bucket, &rec.key), format!("body {n}").as_bytes());
        seen.insert(rec.key);
    }
    let listed: BTreeSet<String> = ["bucket-0", "bucket-1"]
        .iter()
        .flat_map(|b| store.list_objects(b, &all).unwrap().objects)
        .map(|r| r.key)
        .filter(|k| k.starts_with("obj-"))
        .collect();
    assert_eq!(listed, seen);
    let app = store.get_object("bucket-1", "app").unwrap().unwrap();
    assert_eq!(
        (app.acl, app.storage_class, app.object_type),
        (ObjectAcl::PublicRead, StorageClass::IA, ObjectType::Appendable)
    );
    assert_eq!(read(&store, "bucket-1", "app"), b"app");
    let mp = store.get_object("bucket-1", "mp").unwrap().unwrap();
    assert_eq!(
        (mp.storage_class, mp.object_type),
        (StorageClass::ColdArchive, ObjectType::Multipart)
    );
    assert_eq!(read(&store, "bucket-1", "mp"), b"part onepart two");

    let up = store.get_upload("bucket-2", "u2").unwrap().unwrap();
    assert_eq!(up.template.storage_class, StorageClass::DeepColdArchive);
    let parts = store.all_parts("bucket-2", "u2").unwrap();
    assert_eq!(parts.iter().map(|p| p.number).collect::<Vec<_>>(), [3]);

    // The counters are keyed by the typed class, in the order of the spellings.
    let classes = |b: &str| {
        let stats = store.bucket_stats(b).unwrap();
        (stats.object_count, stats.by_storage_class.keys().map(|c| c.as_str()).collect::<Vec<_>>())
    };
    assert_eq!(classes("bucket-0"), (12, vec!["Archive", "DeepColdArchive", "Standard"]));
    assert_eq!(classes("bucket-1"), (10, vec!["ColdArchive", "IA"]));
    assert_eq!(store.bucket_stats("bucket-2").unwrap().part_count, 1);

    // Every record decodes to the typed record and encodes back to the same bytes, as version 3.
    let mut checked = 0;
    for (table, _, v) in rows().into_iter().filter(|(t, _, _)| *t != "blob_refs") {
        let bytes = unhex(v);
        let again = match table {
            "buckets" => encode(&decode::<BucketRecord>("bucket", &bytes).unwrap()),
            "bucket_stats" => encode(&decode::<BucketStats>("stats", &bytes).unwrap()),
            "objects" => encode(&decode::<ObjectRecord>("object", &bytes).unwrap()),
            "uploads" => encode(&decode::<UploadRecord>("upload", &bytes).unwrap()),
            "parts" => encode(&decode::<PartRecord>("part", &bytes).unwrap()),
            _ => continue,
        };
        assert_eq!(bytes[0], 1, "the fixture holds version-1 records");
        let mut expected = bytes.clone();
        expected[0] = 3;
        if matches!(table, "objects" | "uploads") {
            // Empty tags, no symlink target, no encryption, no version id, no delete marker,
            // sequence 0: postcard writes one 0 byte each.
            expected.extend([0, 0, 0, 0, 0, 0]);
        }
        if table == "bucket_stats" {
            // No delete markers.
            expected.push(0);
        }
        assert_eq!(again.unwrap(), expected, "{table} record re-encodes differently");
        checked += 1;
    }
    assert_eq!(checked, 5 + 5 + 22 + 1 + 1);

    // The migration is lazy: a version-1 object record is rewritten as version 3 when it is next
    // written, and reads back the same apart from the change.
    let raw = |key: &str| {
        let txn = store.db().begin_read().unwrap();
        let table = txn.open_table(OBJECTS).unwrap();
        table.get(("bucket-1", key.as_bytes())).unwrap().unwrap().value().to_vec()
    };
    assert_eq!(raw("app")[0], 1);
    let mut updated = store
        .update_object("bucket-1", "app", &mut |r| r.tags = vec![("k".into(), "v".into())])
        .unwrap();
    assert_eq!(raw("app")[0], 3);
    assert_eq!(store.get_object("bucket-1", "app").unwrap().unwrap(), updated);
    updated.tags.clear();
    assert_eq!(updated, app);
}

#[test]
fn version_2_object_records_keep_tags_symlink_target_and_encryption() {
    let rec = ObjectRecord {
        key: "link".into(),
        object_type: ObjectType::Symlink,
        tags: vec![("a".into(), "1".into()), ("b".into(), String::new())],
        symlink_target: Some("dir/target object".into()),
        server_side_encryption: Some(ServerSideEncryption::Aes256),
        ..ObjectRecord::default()
    };
    let bytes = encode(&rec).unwrap();
    assert_eq!(bytes[0], 3);
    assert_eq!(decode::<ObjectRecord>("object", &bytes).unwrap(), rec);
    // The same record as version 2 wrote it: without the three version fields at the end.
    let mut v2 = bytes[..bytes.len() - 3].to_vec();
    v2[0] = 2;
    assert_eq!(decode::<ObjectRecord>("object", &v2).unwrap(), rec);
    let upload = UploadRecord { upload_id: "u".into(), template: rec, ..UploadRecord::default() };
    let bytes = encode(&upload).unwrap();
    assert_eq!(decode::<UploadRecord>("upload", &bytes).unwrap(), upload);
    let mut v2 = bytes[..bytes.len() - 3].to_vec();
    v2[0] = 2;
    assert_eq!(decode::<UploadRecord>("upload", &v2).unwrap(), upload);
    // The algorithm is stored as OSS spells it (before the three version fields).
    let spelled = postcard::to_allocvec(&Some("AES256")).unwrap();
    assert!(bytes[..bytes.len() - 3].ends_with(&spelled));
}

#[test]
fn values_parse_their_spellings_and_refuse_others_with_a_typed_error() {
    fn check<T>(all: &[T], kind: &'static str)
    where
        T: Copy
            + std::fmt::Debug
            + PartialEq
            + Ord
            + std::str::FromStr<Err = InvalidValue>
            + std::fmt::Display
            + serde::Serialize,
    {
        for v in all {
            let s = v.to_string();
            assert_eq!(s.parse::<T>().unwrap(), *v);
            // Encoded as the bare spelling, the way the `String` field it replaces was.
            assert_eq!(postcard::to_allocvec(v).unwrap(), postcard::to_allocvec(&s).unwrap());
            let err = format!("{s} ").parse::<T>().unwrap_err();
            assert_eq!(err, InvalidValue { kind, value: format!("{s} ") });
        }
        let mut by_order = all.to_vec();
        by_order.sort();
        let mut by_text: Vec<String> = all.iter().map(ToString::to_string).collect();
        by_text.sort();
        assert_eq!(by_order.iter().map(ToString::to_string).collect::<Vec<_>>(), by_text);
        assert!("".parse::<T>().is_err());
    }
    check(ObjectType::ALL, "object type");
    check(ObjectAcl::ALL, "object ACL");
    check(BucketAcl::ALL, "bucket ACL");
    check(StorageClass::ALL, "storage class");
    check(ServerSideEncryption::ALL, "server-side encryption algorithm");
    assert_eq!(
        ObjectType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        ["Normal", "Appendable", "Multipart", "Symlink"]
    );
    assert_eq!(
        ObjectAcl::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        ["default", "private", "public-read", "public-read-write"]
    );
    assert_eq!(
        StorageClass::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        ["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"]
    );
    assert_eq!("Private".parse::<BucketAcl>().unwrap_err().kind, "bucket ACL");
    assert_eq!(StorageClass::parse_ignore_case("coldarchive"), Ok(StorageClass::ColdArchive));
    assert!(StorageClass::parse_ignore_case("Cold Storage").is_err());
    // An unknown spelling in a record is corruption, not a default.
    let mut bytes = encode(&"Weird").unwrap();
    bytes.remove(0);
    assert!(postcard::from_bytes::<StorageClass>(&bytes).is_err());
}

#[test]
fn version_3_records_keep_version_fields_and_version_2_counters_read_with_no_markers() {
    let rec = ObjectRecord {
        key: "k".into(),
        version_id: Some("null".into()),
        delete_marker: true,
        seq: 1_700_000_000_000_000,
        ..ObjectRecord::default()
    };
    let bytes = encode(&rec).unwrap();
    assert_eq!(decode::<ObjectRecord>("object", &bytes).unwrap(), rec);
    let stats = BucketStats { object_count: 7, delete_marker_count: 2, ..BucketStats::default() };
    let bytes = encode(&stats).unwrap();
    assert_eq!(decode::<BucketStats>("stats", &bytes).unwrap(), stats);
    // Version 2 counters end before the delete-marker count.
    let mut v2 = bytes[..bytes.len() - 1].to_vec();
    v2[0] = 2;
    let old = decode::<BucketStats>("stats", &v2).unwrap();
    assert_eq!((old.object_count, old.delete_marker_count), (7, 0));
}
