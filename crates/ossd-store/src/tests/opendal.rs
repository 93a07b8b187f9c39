//! The OpenDAL blob backend against real services: OpenDAL's `fs` on a temp directory, and `s3`
//! on the S3 server `scripts/test.sh` starts (s3proxy, `tests/lib/s3proxy.sh`); and the
//! grace-period collection over it (`gc.rs`).

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::*;

/// Where the test S3 server is, from `tests/lib/s3proxy.sh`. Without it the s3 tests are skipped
/// loudly, unless `OSSD_REQUIRE_S3=1` (CI), where they fail.
fn s3_location(prefix: &str) -> Option<BlobLocation> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(endpoint) = var("OSSD_TEST_S3_ENDPOINT") else {
        assert!(
            var("OSSD_REQUIRE_S3").as_deref() != Some("1"),
            "OSSD_REQUIRE_S3=1 but OSSD_TEST_S3_ENDPOINT is not set (source tests/lib/s3proxy.sh)"
        );
        eprintln!(
            "SKIPPED: no S3 server (OSSD_TEST_S3_ENDPOINT unset; `source tests/lib/s3proxy.sh && s3proxy_start`)"
        );
        return None;
    };
    let bucket = var("OSSD_TEST_S3_BUCKET").unwrap_or_else(|| "ossd-blobs".to_owned());
    let mut loc =
        BlobLocation::parse(&format!("s3://{bucket}/{prefix}?endpoint={endpoint}")).unwrap();
    loc.credentials = Some(BlobCredentials {
        access_key_id: var("OSSD_TEST_S3_ACCESS_KEY_ID").unwrap_or_default(),
        secret_access_key: var("OSSD_TEST_S3_SECRET_ACCESS_KEY").unwrap_or_default(),
    });
    Some(loc)
}

/// A prefix of its own for each test run, so runs against one server do not meet.
fn unique(name: &str) -> String {
    format!("{name}-{:016x}", rand::random::<u64>())
}

fn fs_location(dir: &Path) -> BlobLocation {
    BlobLocation::parse(&format!("fs://{}", dir.join("blobs").display())).unwrap()
}

fn id(n: u8) -> BlobId {
    BlobId::parse(&format!("3-{n:02x}{:030x}", rand::random::<u128>() >> 8)).unwrap()
}

fn read_from(b: &dyn BlobBackend, id: &BlobId, offset: u64) -> Vec<u8> {
    let mut out = Vec::new();
    b.open(id, offset).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn listed(b: &dyn BlobBackend) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    b.for_each(&mut |id| {
        ids.insert(id.to_string());
        Ok(())
    })
    .unwrap();
    ids
}

/// The `BlobBackend` contract, as `FsBlobs` keeps it.
fn contract(b: &dyn BlobBackend) {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let a = id(0xa1);
    let mut sink = b.create(&a).unwrap();
    for chunk in data.chunks(4096) {
        sink.write_all(chunk).unwrap();
    }
    // Staged, not committed: invisible.
    assert!(!b.exists(&a).unwrap());
    assert!(!listed(b).contains(a.as_str()));
    assert_eq!(b.open(&a, 0).err().map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
    sink.commit().unwrap();
    assert!(b.exists(&a).unwrap());
    assert_eq!(read_from(b, &a, 0), data);
    assert_eq!(read_from(b, &a, 12_345), data[12_345..]);
    assert_eq!(read_from(b, &a, 99_999), data[99_999..]);

    // A sink dropped without its commit leaves nothing.
    let gone = id(0xb2);
    let mut sink = b.create(&gone).unwrap();
    sink.write_all(b"never committed").unwrap();
    drop(sink);
    assert!(!b.exists(&gone).unwrap());

    // An empty blob.
    let empty = id(0xc3);
    b.create(&empty).unwrap().commit().unwrap();
    assert!(b.exists(&empty).unwrap());
    assert_eq!(read_from(b, &empty, 0), b"");

    assert_eq!(listed(b), BTreeSet::from([a.to_string(), empty.to_string()]));
    b.remove(&a).unwrap();
    b.remove(&a).unwrap(); // missing: not an error
    assert!(!b.exists(&a).unwrap());
    assert_eq!(listed(b), BTreeSet::from([empty.to_string()]));

    // Deletion marks, with the time they were set.
    let before = SystemTime::now() - Duration::from_secs(5);
    b.mark(&empty).unwrap();
    let mut marks = Vec::new();
    b.for_each_mark(&mut |id, at| {
        marks.push((id.to_string(), at));
        Ok(())
    })
    .unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].0, empty.to_string());
    assert!(marks[0].1 >= before, "mark time {:?} before {before:?}", marks[0].1);
    b.unmark(&empty).unwrap();
    b.unmark(&empty).unwrap();
    let mut n = 0;
    b.for_each_mark(&mut |_, _| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 0);
    let mut dated = 0;
    b.for_each_dated(&mut |_, at| {
        assert!(at >= before);
        dated += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(dated, 1);
    b.remove(&empty).unwrap();
}

/// Writes `len` bytes of a pattern in 64 KiB writes, as the server does, and reads them back in
/// full and from an offset in the last part.
fn large_blob(b: &dyn BlobBackend, len: usize) {
    let big = id(0xd4);
    let pattern = |i: usize| (i.wrapping_mul(31) % 253) as u8;
    let mut sink = b.create(&big).unwrap();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut written = 0;
    while written < len {
        let n = chunk.len().min(len - written);
        for (k, byte) in chunk[..n].iter_mut().enumerate() {
            *byte = pattern(written + k);
        }
        sink.write_all(&chunk[..n]).unwrap();
        written += n;
    }
    assert!(!b.exists(&big).unwrap(), "a multipart blob is invisible before its commit");
    sink.commit().unwrap();
    let mut reader = b.open(&big, 0).unwrap();
    let mut pos = 0;
    let mut buf = vec![0u8; 100_000];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().enumerate().all(|(k, v)| *v == pattern(pos + k)), "at {pos}");
        pos += n;
    }
    assert_eq!(pos, len);
    let tail = read_from(b, &big, (len - 1000) as u64);
    assert_eq!(tail, (len - 1000..len).map(pattern).collect::<Vec<_>>());
    b.remove(&big).unwrap();
}

#[test]
fn opendal_fs_keeps_the_backend_contract() {
    let dir = tempfile::tempdir().unwrap();
    let b = OpendalBlobs::open(&fs_location(dir.path())).unwrap();
    b.check().unwrap();
    contract(&b);
    // The layout is FsBlobs's: blobs/<aa>/<bb>/<id>.
    let id = id(0x5e);
    b.create(&id).unwrap().commit().unwrap();
    let r = id.as_str().split_once('-').unwrap().1;
    assert!(
        dir.path().join("blobs/blobs").join(&r[0..2]).join(&r[2..4]).join(id.as_str()).is_file()
    );
}

#[test]
fn opendal_fs_streams_a_blob_of_several_parts() {
    let dir = tempfile::tempdir().unwrap();
    large_blob(&OpendalBlobs::open(&fs_location(dir.path())).unwrap(), 20 * 1024 * 1024 + 17);
}

#[test]
fn s3_keeps_the_backend_contract() {
    let Some(loc) = s3_location(&unique("contract")) else { return };
    let b = OpendalBlobs::open(&loc).unwrap();
    b.check().unwrap();
    contract(&b);
}

#[test]
fn s3_streams_a_blob_of_several_parts() {
    let Some(loc) = s3_location(&unique("large")) else { return };
    large_blob(&OpendalBlobs::open(&loc).unwrap(), 20 * 1024 * 1024 + 17);
}

#[test]
fn s3_with_a_wrong_secret_fails_the_check() {
    let Some(mut loc) = s3_location(&unique("auth")) else { return };
    if let Some(c) = &mut loc.credentials {
        c.secret_access_key.push('x');
    }
    let b = OpendalBlobs::open(&loc).unwrap();
    assert!(b.check().is_err());
}

/// A store over `loc` whose unreferenced blobs wait `grace`.
fn store_over(dir: &Path, loc: &BlobLocation, grace: Duration) -> Store {
    let blobs = Arc::new(OpendalBlobs::open(loc).unwrap());
    let opts = StoreOptions {
        quick_repair: false,
        blob_grace: Some(grace),
        master_key_file: Some(dir.join("master-key.json")),
        ..StoreOptions::default()
    };
    let store = Store::open_with_backend(&dir.join("meta.redb"), blobs, &opts).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    store
}

/// A deleted object's blob stays readable through the grace period and goes after it; an orphan
/// (written, never referenced) is marked once older than the grace period and deleted a period
/// after that.
fn grace_period(loc: &BlobLocation) {
    let dir = tempfile::tempdir().unwrap();
    let grace = Duration::from_secs(3600);
    let store = store_over(dir.path(), loc, grace);
    let b = &store.inner.blobs;
    let data: Vec<u8> = (0..50_000u32).map(|i| i as u8).collect();
    let rec = put(&store, "b", "k", &data);
    let blob = rec.segments[0].blob.clone();
    assert!(!blob.is_inline());
    // A reader that fetched the record before the delete.
    let mut reader = store.open_object(&rec, 0, rec.size).unwrap();
    store.delete_object("b", "k").unwrap();
    assert!(b.exists(&blob).unwrap(), "deleted at once despite the grace period");

    let now = SystemTime::now();
    let report = store.collect_garbage(now).unwrap();
    assert_eq!(report, GcReport::default(), "nothing is due yet");
    let report = store.collect_garbage(now + grace / 2).unwrap();
    assert_eq!(report.removed, 0);
    let mut got = Vec::new();
    reader.read_to_end(&mut got).unwrap();
    assert_eq!(got, data, "the reader still reads the deleted object's bytes");
    assert!(b.exists(&blob).unwrap());

    // An orphan: a blob written by an upload that never committed.
    let orphan = write_blob(&store, &data).id;
    assert_eq!(store.collect_garbage(now + grace / 2).unwrap().marked, 0, "too young to mark");

    // After the grace period: the deleted object's blob goes, the orphan gets its mark.
    let later = now + grace + Duration::from_secs(60);
    let report = store.collect_garbage(later).unwrap();
    assert_eq!(report, GcReport { marked: 1, removed: 1, ..GcReport::default() });
    assert!(!b.exists(&blob).unwrap());
    assert!(b.exists(&orphan).unwrap(), "an orphan waits a grace period after its mark");
    let report = store.collect_garbage(SystemTime::now()).unwrap();
    assert_eq!(report.removed, 0, "its mark was set just now");
    let report = store.collect_garbage(later + Duration::from_secs(60)).unwrap();
    assert_eq!(report.removed, 1, "a grace period after its mark");
    assert!(!b.exists(&orphan).unwrap());

    // A live object's blob is never marked, however old; a mark on a blob that is referenced
    // again (a copy sharing it) is dropped, not acted on.
    let live = put(&store, "b", "live", &data);
    let live_blob = live.segments[0].blob.clone();
    b.mark(&live_blob).unwrap();
    let report = store.collect_garbage(later + grace * 10).unwrap();
    assert_eq!(report, GcReport { unmarked: 1, ..GcReport::default() });
    assert_eq!(read_all(&store, "b", "live"), data);
}

#[test]
fn opendal_fs_deletes_unreferenced_blobs_after_the_grace_period() {
    let blobs = tempfile::tempdir().unwrap();
    grace_period(&fs_location(blobs.path()));
}

#[test]
fn s3_deletes_unreferenced_blobs_after_the_grace_period() {
    let Some(loc) = s3_location(&unique("grace")) else { return };
    grace_period(&loc);
}

/// Encryption at rest and inline blobs sit above the backend: both work unchanged over S3.
#[test]
fn s3_keeps_encrypted_and_inline_objects() {
    let Some(loc) = s3_location(&unique("crypt")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store_over(dir.path(), &loc, Duration::from_secs(3600));
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
    let mut w = store.blob_writer_with(None, true).unwrap();
    w.write_all(&data).unwrap();
    let blob = w.finish().unwrap();
    let mut rec = record("secret", &[&blob]);
    rec.server_side_encryption = Some(ServerSideEncryption::Aes256);
    store.put_new_object("b", rec, vec![blob.clone()]).unwrap();
    assert_eq!(read_all(&store, "b", "secret"), data);
    let rec = store.get_object("b", "secret").unwrap().unwrap();
    assert_eq!(read_range(&store, &rec, 150_000, 150_100), data[150_000..150_100]);
    // The stored bytes are not the plaintext.
    let mut stored = Vec::new();
    store.inner.blobs.open(&blob.id, 0).unwrap().read_to_end(&mut stored).unwrap();
    assert!(!stored.windows(64).any(|w| w == &data[1000..1064]));

    inline_mode(|| put(&store, "b", "small", b"tiny"));
    assert!(store.get_object("b", "small").unwrap().unwrap().segments[0].blob.is_inline());
    assert_eq!(read_all(&store, "b", "small"), b"tiny");
}

/// A crashed writer's staging file (OpenDAL's `fs` writes to `staging/` and renames) goes once it
/// is a grace period old; a live writer's stays.
#[test]
fn opendal_fs_staging_leftovers_go_after_the_grace_period() {
    let blobs = tempfile::tempdir().unwrap();
    let meta = tempfile::tempdir().unwrap();
    let grace = Duration::from_secs(3600);
    let store = store_over(meta.path(), &fs_location(blobs.path()), grace);
    let staging = blobs.path().join("blobs/staging");
    // A live writer, past its first part (so its temp file exists).
    let mut live = store.blob_writer().unwrap();
    live.write_all(&vec![7u8; 2 * crate::blob::WRITE_CHUNK + 1]).unwrap();
    let live_files: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert_eq!(live_files.len(), 1, "the writer stages its first part");
    // A crashed writer's leftover, last written two hours ago.
    let dead = staging.join("1-00000000000000000000000000000000.deadbeef");
    let f = std::fs::File::create(&dead).unwrap();
    f.set_modified(SystemTime::now() - 2 * grace).unwrap();
    drop(f);
    let report = store.collect_garbage(SystemTime::now()).unwrap();
    assert_eq!(report.staging, 1);
    assert!(!dead.exists());
    let blob = live.finish().unwrap();
    assert!(store.inner.blobs.exists(&blob.id).unwrap(), "the live writer was left alone");
}
