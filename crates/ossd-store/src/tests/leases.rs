//! Read leases: readers outlive overwrites.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::*;

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
