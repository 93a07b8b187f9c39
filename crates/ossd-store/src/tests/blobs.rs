//! Blobs: files on disk, reference counts, inline blobs.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::*;

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
    assert_eq!(txn.open_table(META).unwrap().get("format").unwrap().unwrap().value(), 4);
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
    assert_eq!(top, ["blobs", "master-key.json", "meta.redb", "space-reserve", "tmp"]);
    assert!(!dir.path().parent().unwrap().join("etc").exists());
    assert_eq!(blob_files(dir.path()).len(), keys.len());
    assert!(blob_files(dir.path()).iter().all(|f| BlobId::parse(f).is_some()));
}
