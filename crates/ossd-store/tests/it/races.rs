//! Reads racing overwrites and deletes: a read sees the old bytes, the new bytes, or nothing,
//! never an error.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ossd_store::{Overwrite, PartRecord, Store, StoreError, UploadRecord};

use super::{bucket, record, write_blob};

/// Larger than the inline limit, so the bytes live in blob files.
const SIZE: usize = 64 * 1024;

fn body(tag: u8) -> Vec<u8> {
    vec![tag; SIZE]
}

#[test]
fn get_racing_overwrite_and_delete_never_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    store.put_object("b", record("k", &write_blob(&store, &body(0)))).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3u8)
        .map(|t| {
            let (store, stop) = (store.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    if i.is_multiple_of(3) {
                        store.delete_object("b", "k").unwrap();
                    } else {
                        let blob = write_blob(&store, &body(1 + t));
                        store.put_object("b", record("k", &blob)).unwrap();
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(2);
    let (mut reads, mut found) = (0u32, 0u32);
    let mut failures = Vec::new();
    while Instant::now() < deadline && failures.len() < 5 {
        reads += 1;
        match read_once(&store) {
            Ok(Some(bytes)) => {
                found += 1;
                assert_eq!(bytes.len(), SIZE);
                assert!(bytes.iter().all(|b| *b == bytes[0]), "bytes of two versions mixed");
            }
            Ok(None) => {}
            Err(e) => failures.push(e),
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    assert!(failures.is_empty(), "{} of {reads} reads failed: {failures:?}", failures.len());
    assert!(found > 0, "no read found the object in {reads} reads");
}

/// What the server does for a GET: the record (and inline bytes) from one call, then a reader.
fn read_once(store: &Store) -> Result<Option<Vec<u8>>, String> {
    let found = store.get_object_with_bytes("b", "k", 16 * 1024).map_err(|e| e.to_string())?;
    let Some(read) = found else {
        return Ok(None);
    };
    if let Some(bytes) = read.bytes {
        return Ok(Some(bytes));
    }
    let mut reader = read.pin.open(&read.rec, 0, read.rec.size).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).map_err(|e| e.to_string())?;
    Ok(Some(out))
}

#[test]
fn forbid_overwrite_lets_exactly_one_of_concurrent_creates_win() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    for round in 0..20 {
        let key = format!("k{round}");
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                let (store, barrier, key) = (store.clone(), Arc::clone(&barrier), key.clone());
                std::thread::spawn(move || {
                    let blob = write_blob(&store, &[t; 100]);
                    barrier.wait();
                    store.put_object_with("b", record(&key, &blob), Vec::new(), Overwrite::Forbid)
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "round {round}: {results:?}");
        assert!(
            results.iter().all(|r| r.is_ok() || matches!(r, Err(StoreError::ObjectExists))),
            "{results:?}"
        );
    }
    // The losers' blobs were deleted (Rule 4): one blob per key remains.
    assert_eq!(super::blob_files(dir.path()).len(), 20);
}

#[test]
fn forbid_overwrite_is_checked_by_multipart_initiate_and_complete() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let up =
        |id: &str| UploadRecord { upload_id: id.into(), key: "mp".into(), ..Default::default() };
    store.create_upload("b", up("u1"), Overwrite::Forbid).unwrap();
    store.create_upload("b", up("u2"), Overwrite::Allow).unwrap();
    let part = write_blob(&store, b"part");
    let p = PartRecord { number: 1, blob: part.clone(), etag: String::new(), last_modified_ms: 0 };
    store.put_part("b", "u1", p.clone()).unwrap();
    store.put_part("b", "u2", p).unwrap();
    store.complete_upload("b", "u1", record("mp", &part), Overwrite::Forbid).unwrap();
    // Now the key exists: a forbidding initiate or complete is refused and changes nothing.
    let err = store.create_upload("b", up("u3"), Overwrite::Forbid).unwrap_err();
    assert!(matches!(err, StoreError::ObjectExists), "{err}");
    assert!(store.get_upload("b", "u3").unwrap().is_none());
    let err = store.complete_upload("b", "u2", record("mp", &part), Overwrite::Forbid).unwrap_err();
    assert!(matches!(err, StoreError::ObjectExists), "{err}");
    assert!(store.get_upload("b", "u2").unwrap().is_some(), "the upload stays for a retry");
    store.complete_upload("b", "u2", record("mp", &part), Overwrite::Allow).unwrap();
}
