//! The behaviour every blob backend must show, run on files and in memory, with and without inline blobs.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::*;

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
