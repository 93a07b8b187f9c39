//! Criterion bench: durable 4 KiB PutObject through the store (blob write, fsync, rename, dir
//! fsync, redb commit) against a bare write+fsync+rename+dir-fsync loop on the same disk, plus
//! CRC-64 throughput.

#![allow(missing_docs, reason = "criterion_group! generates an undocumented pub fn")]

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ossd_store::{BucketRecord, ObjectRecord, Segment, Store, StoreOptions, crc64};

const SIZE: usize = 4096;

fn put_4k(store: &Store, key: &str, data: &[u8]) {
    let mut w = store.blob_writer().expect("blob writer");
    w.write_all(data).expect("write");
    let blob = w.finish().expect("finish");
    let rec = ObjectRecord {
        key: key.to_owned(),
        size: blob.size,
        crc64: blob.crc64,
        object_type: ossd_store::ObjectType::Normal,
        segments: vec![Segment { blob: blob.id, len: blob.size }],
        ..Default::default()
    };
    store.put_object("bench", rec).expect("put");
}

fn baseline(dir: &Path, i: u64, data: &[u8]) {
    let tmp = dir.join("tmp").join(format!("{i}.tmp"));
    let mut f = File::create(&tmp).expect("create");
    f.write_all(data).expect("write");
    f.sync_data().expect("fsync");
    drop(f);
    let shard = dir.join("blobs").join(format!("{:02x}", i % 256));
    fs::create_dir_all(&shard).expect("mkdir");
    fs::rename(&tmp, shard.join(i.to_string())).expect("rename");
    File::open(&shard).and_then(|d| d.sync_all()).expect("dir fsync");
}

fn bench(c: &mut Criterion) {
    let data = vec![0x5au8; SIZE];
    let mut group = c.benchmark_group("put_4k");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));

    let base_dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(base_dir.path().join("tmp")).expect("mkdir");
    let mut i = 0u64;
    group.bench_function("baseline_write_fsync_rename", |b| {
        b.iter(|| {
            i += 1;
            baseline(base_dir.path(), i, &data);
        })
    });

    for (name, quick_repair) in
        [("store_put_object", true), ("store_put_object_no_quick_repair", false)]
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            Store::open_with(dir.path(), &StoreOptions { quick_repair, ..StoreOptions::default() })
                .expect("open");
        store
            .create_bucket(&BucketRecord { name: "bench".into(), ..Default::default() })
            .expect("bucket");
        let mut n = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                put_4k(&store, &format!("obj/{n:08}"), &data);
            })
        });
    }
    group.finish();

    let mib = vec![0xa5u8; 1 << 20];
    let mut group = c.benchmark_group("crc64");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Bytes(mib.len() as u64));
    group.bench_function("checksum_1mib", |b| {
        b.iter(|| crc64::checksum(std::hint::black_box(&mib)))
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("combine_5mib_part", |b| {
        b.iter(|| crc64::combine(std::hint::black_box(1), 2, 5 << 20))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
