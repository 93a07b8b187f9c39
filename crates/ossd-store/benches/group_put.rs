//! Durable 4 KiB PutObject throughput at several thread counts (group commit), against a bare
//! write+fsync+rename loop run by the same number of threads in the same run.
//!
//! `OSSD_BENCH_SECS` (default 3) sets the length of each measurement and `OSSD_BENCH_THREADS`
//! (default `1,16,64`) the thread counts. Output is a Markdown table.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a bench may unwrap")]

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ossd_store::{BucketRecord, ObjectRecord, Segment, Store, StoreOptions};

const SIZE: usize = 4096;

/// Runs `work(thread, i)` on `threads` threads for `secs`; returns operations per second.
fn run(threads: usize, secs: f64, work: Arc<dyn Fn(usize, u64) + Send + Sync>) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(threads + 1));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (count, barrier, stop, work) =
                (Arc::clone(&count), Arc::clone(&barrier), Arc::clone(&stop), Arc::clone(&work));
            std::thread::spawn(move || {
                barrier.wait();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    work(t, i);
                    i += 1;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let done = count.load(Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    done as f64 / elapsed
}

/// write + fdatasync + rename into one of 256 pre-made directories (+ fsync of it if `dir_sync`).
fn baseline(dir: &Path, t: usize, i: u64, data: &[u8], dir_sync: bool) {
    let tmp = dir.join("tmp").join(format!("{t}-{i}.tmp"));
    let mut f = File::create(&tmp).unwrap();
    f.write_all(data).unwrap();
    f.sync_data().unwrap();
    drop(f);
    let shard = dir.join(format!("{:02x}", (i as usize * 64 + t) % 256));
    fs::rename(&tmp, shard.join(format!("{t}-{i}"))).unwrap();
    if dir_sync {
        File::open(&shard).and_then(|d| d.sync_all()).unwrap();
    }
}

fn put_4k(store: &Store, key: &str, data: &[u8]) {
    let mut w = store.blob_writer().unwrap();
    w.write_all(data).unwrap();
    let blob = w.finish().unwrap();
    let rec = ObjectRecord {
        key: key.to_owned(),
        size: blob.size,
        crc64: blob.crc64,
        object_type: ossd_store::ObjectType::Normal,
        segments: vec![Segment { blob: blob.id, len: blob.size }],
        ..Default::default()
    };
    store.put_object("bench", rec).unwrap();
}

fn main() {
    let secs: f64 =
        std::env::var("OSSD_BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(3.0);
    let threads: Vec<usize> = std::env::var("OSSD_BENCH_THREADS")
        .unwrap_or_else(|_| "1,16,64".to_owned())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let data: Arc<Vec<u8>> = Arc::new(vec![0x5a; SIZE]);
    println!(
        "| threads | write+fsync+rename files/s | + dir fsync files/s | store put_object/s (fresh store, quick_repair off) | store / baseline | store / baseline+dir fsync |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for &n in &threads {
        let mut base = [0.0; 2];
        for (slot, dir_sync) in base.iter_mut().zip([false, true]) {
            let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
            fs::create_dir(dir.path().join("tmp")).unwrap();
            for a in 0..256 {
                fs::create_dir(dir.path().join(format!("{a:02x}"))).unwrap();
            }
            let root = dir.path().to_owned();
            let data = Arc::clone(&data);
            *slot = run(n, secs, Arc::new(move |t, i| baseline(&root, t, i, &data, dir_sync)));
        }
        let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
        let store = Store::open_with(
            dir.path(),
            &StoreOptions { quick_repair: false, ..StoreOptions::default() },
        )
        .unwrap();
        store.create_bucket(&BucketRecord { name: "bench".into(), ..Default::default() }).unwrap();
        let s = store.clone();
        let data2 = Arc::clone(&data);
        let puts = run(n, secs, Arc::new(move |t, i| put_4k(&s, &format!("t{t}/{i:08}"), &data2)));
        drop(store);
        println!(
            "| {n} | {:.0} | {:.0} | {puts:.0} | {:.2} | {:.2} |",
            base[0],
            base[1],
            puts / base[0],
            puts / base[1]
        );
    }
}
