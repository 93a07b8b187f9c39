//! A large blob through the OpenDAL backend with bounded memory, both ways. Its own test binary
//! (one test), so that the process's peak resident size (`VmHWM`) is this test's alone.
//!
//! Over s3 when `tests/lib/s3proxy.sh` started a server (required with `OSSD_REQUIRE_S3=1`),
//! over OpenDAL's `fs` service otherwise as well.

#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use std::io::{Read, Write};

use ossd_store::{BlobBackend, BlobCredentials, BlobId, BlobLocation, OpendalBlobs};

/// The blob: 384 MiB, written in 64 KiB pieces as the server writes request bodies.
const SIZE: usize = 384 * 1024 * 1024;
/// What the process may hold at its peak: the test binary, the runtime and a few 8 MiB parts.
const PEAK_LIMIT: u64 = 160 * 1024 * 1024;

/// The process's peak resident set size in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(7) % 251) as u8
}

fn round_trip(b: &OpendalBlobs, what: &str) {
    let id = BlobId::parse(&format!("1-{:032x}", rand_id())).unwrap();
    let mut sink = b.create(&id).unwrap();
    let mut piece = vec![0u8; 64 * 1024];
    let mut written = 0;
    while written < SIZE {
        for (k, byte) in piece.iter_mut().enumerate() {
            *byte = pattern(written + k);
        }
        sink.write_all(&piece).unwrap();
        written += piece.len();
    }
    sink.commit().unwrap();
    let after_write = peak_rss();
    let mut reader = b.open(&id, 0).unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut pos = 0;
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(
            buf[..n].iter().enumerate().all(|(k, v)| *v == pattern(pos + k)),
            "{what} at {pos}"
        );
        pos += n;
    }
    assert_eq!(pos, SIZE, "{what}");
    drop(reader);
    b.remove(&id).unwrap();
    let peak = peak_rss();
    eprintln!(
        "{what}: peak RSS {} MiB after the write, {} MiB after the read",
        after_write >> 20,
        peak >> 20
    );
    assert!(peak < PEAK_LIMIT, "{what}: peak RSS {peak} bytes for a {SIZE}-byte blob");
}

fn rand_id() -> u128 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    t.as_nanos() ^ (u128::from(std::process::id()) << 64)
}

#[test]
fn a_large_blob_streams_both_ways_in_bounded_memory() {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match var("OSSD_TEST_S3_ENDPOINT") {
        Some(endpoint) => {
            let bucket = var("OSSD_TEST_S3_BUCKET").unwrap_or_else(|| "ossd-blobs".to_owned());
            let mut loc =
                BlobLocation::parse(&format!("s3://{bucket}/memory?endpoint={endpoint}")).unwrap();
            loc.credentials = Some(BlobCredentials {
                access_key_id: var("OSSD_TEST_S3_ACCESS_KEY_ID").unwrap_or_default(),
                secret_access_key: var("OSSD_TEST_S3_SECRET_ACCESS_KEY").unwrap_or_default(),
            });
            round_trip(&OpendalBlobs::open(&loc).unwrap(), "s3");
        }
        None => {
            assert!(
                var("OSSD_REQUIRE_S3").as_deref() != Some("1"),
                "OSSD_REQUIRE_S3=1 but OSSD_TEST_S3_ENDPOINT is not set"
            );
            eprintln!("SKIPPED the s3 half: no S3 server (OSSD_TEST_S3_ENDPOINT unset)");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let loc = BlobLocation::parse(&format!("fs://{}", dir.path().display())).unwrap();
    round_trip(&OpendalBlobs::open(&loc).unwrap(), "fs");
}
