//! Encryption at rest: encrypted blobs read back (whole and by range, inline and in files),
//! nothing of the plaintext reaches the disk, tampering is detected, the key file is private,
//! and a rotated key file still reads blobs wrapped by the old key.

use super::*;
use crate::crypt::{CHUNK, Keyring, encrypted_len};

fn put_sse(store: &Store, b: &str, key: &str, data: &[u8], inline: bool) -> ObjectRecord {
    let size = inline.then_some(data.len() as u64);
    let mut w = store.blob_writer_with(size, true).unwrap();
    for chunk in data.chunks(10_000) {
        w.write_all(chunk).unwrap();
    }
    let blob = w.finish().unwrap();
    assert_eq!((blob.size, blob.id.is_inline()), (data.len() as u64, inline));
    assert_eq!(blob.md5, <[u8; 16]>::from(md5::Md5::digest(data)), "digests are of the plaintext");
    let mut rec = record(key, &[&blob]);
    rec.server_side_encryption = Some(ServerSideEncryption::Aes256);
    store.put_new_object(b, rec.clone(), vec![blob]).unwrap();
    rec
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

use md5::Digest;

#[test]
fn encrypted_objects_read_back_whole_and_by_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    for n in [0, 1, 100, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
        let data = pattern(n);
        let rec = put_sse(&store, "b", &format!("k{n}"), &data, false);
        assert_eq!(read_all(&store, "b", &rec.key), data, "{n}");
        let file = blob_path(dir.path(), &rec.segments[0].blob);
        assert_eq!(std::fs::metadata(file).unwrap().len(), encrypted_len(n as u64));
        for (s, e) in [(0, n), (n / 2, n), (n.saturating_sub(1), n), (n / 3, n / 3 * 2)] {
            assert_eq!(read_range(&store, &rec, s as u64, e as u64), data[s..e], "{n} {s}..{e}");
        }
        if n > CHUNK {
            let (s, e) = (CHUNK - 3, CHUNK + 1);
            assert_eq!(read_range(&store, &rec, s as u64, e as u64), data[s..e]);
        }
    }
    // Inline: bytes in the database, encrypted too, through both read paths.
    for n in [0, 5, 4000] {
        let data = pattern(n);
        let rec = put_sse(&store, "b", &format!("i{n}"), &data, true);
        assert_eq!(read_all(&store, "b", &rec.key), data);
        let found = store.get_object_with_bytes("b", &rec.key, 1 << 20).unwrap().unwrap();
        assert_eq!(found.bytes.unwrap(), data);
    }
}

fn blob_path(dir: &Path, id: &BlobId) -> std::path::PathBuf {
    let found = files_under(&dir.join("blobs"));
    found.into_iter().find(|p| p.file_name().is_some_and(|n| n == id.as_str())).unwrap()
}

/// Whether any file under `dir` (the database included) contains `needle`.
fn found_on_disk(dir: &Path, needle: &[u8]) -> bool {
    files_under(dir)
        .iter()
        .any(|p| std::fs::read(p).unwrap().windows(needle.len()).any(|w| w == needle))
}

#[test]
fn no_plaintext_of_an_encrypted_object_reaches_the_disk() {
    for inline in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        let secret = format!("MARKER-{:032x}-SECRET", rand::random::<u128>());
        let plain = format!("PLAIN-{:032x}-VISIBLE", rand::random::<u128>());
        let body = |m: &str| m.repeat(if inline { 20 } else { 5000 }).into_bytes();
        put_sse(&store, "b", "enc", &body(&secret), inline);
        let blob = if inline {
            store.blob_writer_for(Some(body(&plain).len() as u64)).unwrap()
        } else {
            store.blob_writer().unwrap()
        };
        let mut w = blob;
        w.write_all(&body(&plain)).unwrap();
        let blob = w.finish().unwrap();
        store.put_new_object("b", record("plain", &[&blob]), vec![blob]).unwrap();
        drop(store);
        assert!(!found_on_disk(dir.path(), secret.as_bytes()), "inline={inline}");
        assert!(found_on_disk(dir.path(), plain.as_bytes()), "the search works (inline={inline})");
    }
}

#[test]
fn tampered_or_truncated_blobs_and_a_wrong_master_key_fail() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(2 * CHUNK + 10);
    let rec = {
        let store = Store::open(dir.path()).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        put_sse(&store, "b", "k", &data, false)
    };
    let path = blob_path(dir.path(), &rec.segments[0].blob);
    let good = std::fs::read(&path).unwrap();
    let store = Store::open(dir.path()).unwrap();
    let read = |store: &Store| {
        let mut out = Vec::new();
        store.open_object(&rec, 0, rec.size).and_then(|mut r| Ok(r.read_to_end(&mut out)?))
    };
    assert!(read(&store).is_ok());
    let mut bad = good.clone();
    bad[crate::crypt::HEADER + CHUNK + 100] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    assert!(read(&store).is_err(), "a flipped bit");
    std::fs::write(&path, &good[..good.len() - (CHUNK / 2)]).unwrap();
    assert!(read(&store).is_err(), "a truncated blob");
    std::fs::write(&path, &good[..crate::crypt::HEADER + CHUNK + 16]).unwrap();
    assert!(read(&store).is_err(), "a blob cut at a chunk boundary");
    std::fs::write(&path, &good).unwrap();
    drop(store);
    // Another master key cannot unwrap the data key.
    std::fs::remove_file(dir.path().join(MASTER_KEY_FILE)).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(read(&store).is_err(), "a new master key");
}

#[test]
fn the_key_file_is_private_and_rotation_keeps_old_blobs_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join(MASTER_KEY_FILE);
    let old = {
        let store = Store::open(dir.path()).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        put_sse(&store, "b", "old", b"under key one", false)
    };
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(Keyring::rotate_file(&key_file).unwrap(), 2);
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    let store = Store::open(dir.path()).unwrap();
    let new = put_sse(&store, "b", "new", b"under key two", false);
    assert_eq!(read_all(&store, "b", "old"), b"under key one");
    assert_eq!(read_all(&store, "b", "new"), b"under key two");
    let key_id = |rec: &ObjectRecord| {
        let bytes = std::fs::read(blob_path(dir.path(), &rec.segments[0].blob)).unwrap();
        u32::from_be_bytes(bytes[8..12].try_into().unwrap())
    };
    assert_eq!((key_id(&old), key_id(&new)), (1, 2));
    // A configured key file elsewhere is used (and created) instead.
    let elsewhere = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        master_key_file: Some(elsewhere.path().join("k.json")),
        ..StoreOptions::default()
    };
    drop(store);
    let store = Store::open_with(dir.path(), &opts).unwrap();
    assert!(elsewhere.path().join("k.json").exists());
    let mut out = Vec::new();
    let reader = store.open_object(&old, 0, old.size);
    assert!(reader.and_then(|mut r| Ok(r.read_to_end(&mut out)?)).is_err());
}
