//! Reads racing overwrites and deletes: a read sees the old bytes, the new bytes, or nothing,
//! never an error.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ossd_store::Store;

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
