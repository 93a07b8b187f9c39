//! Criterion bench: the cost of encryption at rest. Writing a blob (MD5, CRC-64, and with
//! encryption AES-256-GCM in 64 KiB chunks) and reading an object back, 4 KiB and 1 MiB, plain
//! and encrypted, on the in-memory store (no disk: the CPU cost alone).

#![allow(missing_docs, reason = "criterion_group! generates an undocumented pub fn")]

use std::io::{Read, Write};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ossd_store::{BucketRecord, ObjectRecord, Segment, ServerSideEncryption, Store};

fn bench(c: &mut Criterion) {
    let store = Store::open_in_memory().expect("store");
    store
        .create_bucket(&BucketRecord { name: "bench".into(), ..Default::default() })
        .expect("bucket");
    let mut write = c.benchmark_group("blob_write");
    write
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for size in [4096usize, 1 << 20] {
        let data = vec![0x5au8; size];
        write.throughput(Throughput::Bytes(size as u64));
        for encrypted in [false, true] {
            let name = if encrypted { "aes256" } else { "plain" };
            write.bench_with_input(BenchmarkId::new(name, size), &data, |b, data| {
                b.iter(|| {
                    // A file-sized write (not inline) on the memory backend.
                    let mut w = store.blob_writer_with(None, encrypted).expect("writer");
                    w.write_all(data).expect("write");
                    w.finish().expect("finish")
                })
            });
        }
    }
    write.finish();

    let mut read = c.benchmark_group("object_read");
    read.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for size in [4096usize, 1 << 20] {
        read.throughput(Throughput::Bytes(size as u64));
        for encrypted in [false, true] {
            let mut w = store.blob_writer_with(None, encrypted).expect("writer");
            w.write_all(&vec![0x5au8; size]).expect("write");
            let blob = w.finish().expect("finish");
            let key = format!("{size}-{encrypted}");
            let rec = ObjectRecord {
                key: key.clone(),
                size: blob.size,
                crc64: blob.crc64,
                segments: vec![Segment { blob: blob.id.clone(), len: blob.size }],
                server_side_encryption: encrypted.then_some(ServerSideEncryption::Aes256),
                ..Default::default()
            };
            store.put_new_object("bench", rec.clone(), vec![blob]).expect("put");
            let name = if encrypted { "aes256" } else { "plain" };
            read.bench_function(BenchmarkId::new(name, size), |b| {
                let mut out = Vec::with_capacity(size);
                b.iter(|| {
                    out.clear();
                    let mut r = store.open_object(&rec, 0, rec.size).expect("open");
                    r.read_to_end(&mut out).expect("read");
                })
            });
        }
    }
    read.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
