//! `ossd migrate` at the store level: every bucket record and version (noncurrent ones and
//! delete markers with their ids, order and times), inline, file, multi-segment, shared and
//! encrypted blobs, tags and symlinks reach a store in another directory; the counters agree;
//! a second run adds nothing; unfinished uploads are listed; a damaged blob fails verification.

use super::*;
use crate::migrate::migrate;
use crate::verify::verify;
use crate::version::VERSIONING_CONFIG;

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8 ^ seed).collect()
}

fn put_versioned(store: &Store, b: &str, rec: ObjectRecord, new: Vec<Blob>) -> String {
    store.put_versioned(b, rec, new, Overwrite::Allow).unwrap().version_id.unwrap()
}

/// A source with a plain bucket and a versioned one holding every kind of record.
fn fill(src: &Store) {
    let mut plain = bucket("plain");
    plain.configs.insert("cors".to_owned(), "<CORSConfiguration/>".to_owned());
    plain.acl = BucketAcl::PublicRead;
    src.create_bucket(&plain).unwrap();
    put(src, "plain", "file", &pattern(100_000, 1));
    inline_mode(|| put(src, "plain", "small", b"tiny"));
    // Two segments (a completed multipart upload), one blob shared with another object.
    let (a, b) = (write_blob(src, &pattern(70_000, 2)), write_blob(src, &pattern(5_000, 3)));
    src.put_new_object("plain", record("multi", &[&a, &b]), vec![a.clone(), b.clone()]).unwrap();
    src.put_new_object("plain", record("shares", &[&a]), Vec::new()).unwrap();
    let mut tagged = record("tagged", &[]);
    tagged.tags = vec![("k".to_owned(), "v".to_owned())];
    tagged.user_meta = vec![("x-oss-meta-a".to_owned(), "1".to_owned())];
    src.put_new_object("plain", tagged, Vec::new()).unwrap();
    let link = ObjectRecord {
        key: "link".to_owned(),
        object_type: ObjectType::Symlink,
        symlink_target: Some("file".to_owned()),
        ..ObjectRecord::default()
    };
    src.put_new_object("plain", link, Vec::new()).unwrap();
    for (key, inline) in [("enc-file", false), ("enc-inline", true)] {
        let data = pattern(40_000, 4);
        let size = inline.then_some(data.len() as u64);
        let mut w = src.blob_writer_with(size, true).unwrap();
        w.write_all(&data).unwrap();
        let blob = w.finish().unwrap();
        let mut rec = record(key, &[&blob]);
        rec.server_side_encryption = Some(ServerSideEncryption::Aes256);
        src.put_new_object("plain", rec, vec![blob]).unwrap();
    }
    let upload = UploadRecord {
        upload_id: "u1".to_owned(),
        key: "unfinished".to_owned(),
        initiated_ms: 3,
        template: ObjectRecord { key: "unfinished".to_owned(), ..ObjectRecord::default() },
    };
    src.create_upload("plain", upload, Overwrite::Allow).unwrap();

    src.create_bucket(&bucket("ver")).unwrap();
    // A null version written before versioning, then versions and a delete marker.
    put(src, "ver", "k", b"before versioning");
    let mut rec = bucket("ver");
    rec.configs.insert(VERSIONING_CONFIG.to_owned(), "Enabled".to_owned());
    src.update_bucket(&rec).unwrap();
    for i in 0..3u8 {
        let blob = write_blob(src, &pattern(20_000 + usize::from(i), i));
        put_versioned(src, "ver", record("k", &[&blob]), vec![blob]);
    }
    src.delete_versions("ver", &[("k".to_owned(), None)]).unwrap();
    let blob = inline_mode(|| write_blob(src, b"other"));
    put_versioned(src, "ver", record("other", &[&blob]), vec![blob]);
}

fn all_versions(store: &Store, b: &str) -> Vec<(ObjectRecord, bool)> {
    let mut walk = VersionWalk::new(store, b);
    let mut out = Vec::new();
    loop {
        let page = walk.next_page().unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

#[test]
fn migrate_copies_everything_verifies_and_is_restartable() {
    let dir = tempfile::tempdir().unwrap();
    let (src_dir, dst_dir) = (dir.path().join("src"), dir.path().join("dst"));
    let src = Store::open(&src_dir).unwrap();
    fill(&src);
    // The destination shares the source's master key file.
    let opts = StoreOptions {
        master_key_file: Some(src_dir.join(MASTER_KEY_FILE)),
        ..StoreOptions::default()
    };
    let dst = Store::open_with(&dst_dir, &opts).unwrap();

    let mut seen = Vec::new();
    let report = migrate(&src, &dst, &mut |b, _| seen.push(b.to_owned())).unwrap();
    assert_eq!(seen, ["plain", "ver"]);
    assert_eq!(report.buckets, 2);
    let versions: usize = ["plain", "ver"].iter().map(|b| all_versions(&src, b).len()).sum();
    assert_eq!(versions, 8 + 6, "8 objects in plain; 4 versions + a marker of k, 1 of other");
    assert_eq!((report.added, report.already_there), (versions as u64, 0));
    assert_eq!(report.skipped_uploads.len(), 1);
    assert_eq!(report.skipped_uploads[0].upload_id, "u1");

    for b in ["plain", "ver"] {
        assert_eq!(dst.get_bucket(b).unwrap(), src.get_bucket(b).unwrap());
        assert_eq!(all_versions(&dst, b), all_versions(&src, b), "records identical, in order");
        let (s, d) = (src.bucket_stats(b).unwrap(), dst.bucket_stats(b).unwrap());
        assert_eq!(
            (d.object_count, d.storage_bytes, d.delete_marker_count),
            (s.object_count, s.storage_bytes, s.delete_marker_count)
        );
        for (rec, _) in all_versions(&src, b).iter().filter(|(r, _)| !r.delete_marker) {
            assert_eq!(read_range(&dst, rec, 0, rec.size), read_range(&src, rec, 0, rec.size));
        }
    }
    // The shared blob is one file with two references, as in the source.
    assert_eq!(blob_files(&dst_dir), blob_files(&src_dir));
    let checks = verify(&src, &dst).unwrap();
    assert!(checks.iter().all(|c| c.mismatches.is_empty()), "{checks:?}");
    let plain = &checks[0];
    assert_eq!((plain.source.objects, plain.source.versions), (8, 8));
    assert_eq!(plain.bytes_checked, 8);
    assert_eq!((checks[1].source.versions, checks[1].source.delete_markers), (6, 1));

    // A second run (as after an interruption) finds everything there and changes nothing.
    let again = migrate(&src, &dst, &mut |_, _| {}).unwrap();
    assert_eq!((again.added, again.already_there), (0, versions as u64));
    assert!(verify(&src, &dst).unwrap().iter().all(|c| c.mismatches.is_empty()));

    // A damaged blob in the destination fails verification, naming the object.
    let rec = dst.get_object("plain", "file").unwrap().unwrap();
    let path = files_under(&dst_dir.join("blobs"))
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy() == rec.segments[0].blob.as_str())
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let checks = verify(&src, &dst).unwrap();
    assert_eq!(checks[0].mismatches.len(), 1, "{checks:?}");
    assert!(checks[0].mismatches[0].contains("\"file\""), "{checks:?}");
    assert!(checks[1].mismatches.is_empty());
}

#[test]
fn a_partial_run_is_completed_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let src = Store::open(&dir.path().join("src")).unwrap();
    fill(&src);
    let dst = Store::open_with(
        &dir.path().join("dst"),
        &StoreOptions {
            master_key_file: Some(dir.path().join("src").join(MASTER_KEY_FILE)),
            ..StoreOptions::default()
        },
    )
    .unwrap();
    // Half of the versioned bucket imported by hand, as a stopped run leaves it.
    dst.import_bucket(&src.get_bucket("ver").unwrap().unwrap()).unwrap();
    let ver = all_versions(&src, "ver");
    for (rec, current) in &ver[..3] {
        assert_eq!(dst.import_version(&src, "ver", rec, *current).unwrap(), Imported::Added);
    }
    assert!(!verify(&src, &dst).unwrap().iter().all(|c| c.mismatches.is_empty()));
    let report = migrate(&src, &dst, &mut |_, _| {}).unwrap();
    assert_eq!(report.already_there, 3);
    assert!(verify(&src, &dst).unwrap().iter().all(|c| c.mismatches.is_empty()));
    // A destination whose current version of a key is another one is refused, also in a
    // bucket never versioned (where every record has version id None and sequence 0).
    let unrelated = Store::open_in_memory().unwrap();
    unrelated.create_bucket(&bucket("plain")).unwrap();
    put(&unrelated, "plain", "file", b"unrelated");
    let file = src.get_object("plain", "file").unwrap().unwrap();
    assert!(matches!(
        unrelated.import_version(&src, "plain", &file, true),
        Err(StoreError::ObjectExists)
    ));
    let other = Store::open_in_memory().unwrap();
    other.create_bucket(&bucket("ver")).unwrap();
    put(&other, "ver", "k", b"unrelated");
    let (cur, _) = ver.iter().find(|(r, c)| *c && r.key == "k").unwrap();
    assert!(matches!(other.import_version(&src, "ver", cur, true), Err(StoreError::ObjectExists)));
}
