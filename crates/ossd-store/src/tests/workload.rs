//! A randomized workload against a model, and start-up at scale.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::listing::bulk_put;
use super::*;

#[test]
fn randomized_workload_matches_model_and_blob_dir_matches_references() {
    let dir = tempfile::tempdir().unwrap();
    // Quick-repair only changes crash recovery; without it this debug-build test runs 20x faster.
    let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
    let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut rng = StdRng::seed_from_u64(42);
    // Half of the blobs are inline, so every operation meets both kinds, mixed.
    let mut mode_rng = StdRng::seed_from_u64(7);
    let mut new_blob = |store: &Store, data: &[u8]| {
        if mode_rng.random_bool(0.5) {
            inline_mode(|| write_blob(store, data))
        } else {
            write_blob(store, data)
        }
    };
    let keys: Vec<String> =
        (0..40).map(|i| format!("{}/{}", ["p", "q", "p/r"][i % 3], i)).collect();
    {
        let store = Store::open_with(dir.path(), &opts).unwrap();
        store.create_bucket(&bucket("b")).unwrap();
        for step in 0..400 {
            let key = &keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..10) {
                0..=4 => {
                    let len = rng.random_range(0..64);
                    let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                    let blob = new_blob(&store, &data);
                    store.put_new_object("b", record(key, &[&blob]), vec![blob]).unwrap();
                    model.insert(key.clone(), data);
                }
                5..=6 => {
                    let had = store.delete_object("b", key).unwrap().is_some();
                    assert_eq!(had, model.remove(key).is_some());
                }
                7 => {
                    // Append, or a refused append on a normal object.
                    let data: Vec<u8> =
                        (0..rng.random_range(0..16)).map(|_| rng.random()).collect();
                    let blob = new_blob(&store, &data);
                    let pos = store.get_object("b", key).unwrap().map_or(0, |r| r.size);
                    match store.append_object("b", key, pos, blob, record(key, &[])) {
                        Ok(r) => {
                            let m = model.entry(key.clone()).or_default();
                            m.extend_from_slice(&data);
                            assert_eq!(r.crc64, crc64::checksum(m));
                        }
                        Err(StoreError::ObjectNotAppendable) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                8 => {
                    // Multipart: three parts, one replaced, complete with two of them.
                    let id = format!("up{step}");
                    let rec = UploadRecord {
                        upload_id: id.clone(),
                        key: key.clone(),
                        ..Default::default()
                    };
                    store.create_upload("b", rec, Overwrite::Allow).unwrap();
                    let mut parts = Vec::new();
                    for n in [1, 2, 3, 2] {
                        let data: Vec<u8> =
                            (0..rng.random_range(1..20)).map(|_| rng.random()).collect();
                        let blob = new_blob(&store, &data);
                        let p = PartRecord {
                            number: n,
                            blob,
                            etag: String::new(),
                            last_modified_ms: 0,
                        };
                        store.put_part("b", &id, p).unwrap();
                        parts.retain(|(m, _, _)| *m != n);
                        parts.push((n, data, store.all_parts("b", &id).unwrap()));
                    }
                    let all = store.all_parts("b", &id).unwrap();
                    if rng.random_bool(0.3) {
                        store.abort_upload("b", &id).unwrap();
                    } else {
                        let chosen = [&all[0].blob, &all[2].blob];
                        store
                            .complete_upload("b", &id, record(key, &chosen), Overwrite::Allow)
                            .unwrap();
                        let one = parts.iter().find(|p| p.0 == 1).unwrap().1.clone();
                        let three = parts.iter().find(|p| p.0 == 3).unwrap().1.clone();
                        model.insert(key.clone(), [one, three].concat());
                    }
                }
                _ => {
                    // A blob written and then abandoned before any commit ("crash").
                    let _ = write_blob(&store, b"abandoned");
                }
            }
            if step % 50 == 0 {
                let q = ListQuery { max_keys: 1000, ..Default::default() };
                let listed: Vec<String> = store
                    .list_objects("b", &q)
                    .unwrap()
                    .objects
                    .into_iter()
                    .map(|o| o.key)
                    .collect();
                assert_eq!(listed, model.keys().cloned().collect::<Vec<_>>());
            }
        }
        for (k, v) in &model {
            assert_eq!(&read_all(&store, "b", k), v, "{k}");
        }
        let stats = store.bucket_stats("b").unwrap();
        assert_eq!(stats.object_count, model.len() as u64);
        assert_eq!(stats.storage_bytes, model.values().map(|v| v.len() as u64).sum::<u64>());
        // Only the abandoned blobs are extra; this process does not sweep its own generation.
        let (inline, refs): (BTreeSet<String>, BTreeSet<String>) =
            referenced(&store).into_iter().partition(|id| id.starts_with('i'));
        assert!(!inline.is_empty() && !refs.is_empty());
        assert!(refs.is_subset(&blob_files(dir.path())));
        assert_eq!(inline, inline_ids(&store), "inline bytes are stored iff referenced");
        assert_eq!(store.sweep_orphans().unwrap(), 0);
    }
    let store = Store::open_with(dir.path(), &opts).unwrap();
    let before = blob_files(dir.path());
    let (inline, refs): (BTreeSet<String>, BTreeSet<String>) =
        referenced(&store).into_iter().partition(|id| id.starts_with('i'));
    assert_eq!(inline, inline_ids(&store));
    let swept = store.sweep_orphans().unwrap();
    assert_eq!(swept, before.len() - refs.len());
    assert!(swept > 0);
    assert_eq!(blob_files(dir.path()), refs);
    for (k, v) in &model {
        assert_eq!(&read_all(&store, "b", k), v, "{k}");
    }
}

// ---------------------------------------------------------------- slow: start-up at scale

/// Child half of `slow_startup_after_crash`: fills a store, times single commits, and dies
/// without closing the database (as a crash would).
#[test]
#[ignore = "run by slow_startup_after_crash in a child process"]
fn slow_startup_child() {
    let Ok(dir) = std::env::var("OSSD_STORE_CHILD_DIR") else {
        return;
    };
    let n: usize =
        std::env::var("OSSD_SLOW_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let quick_repair = std::env::var("OSSD_QUICK_REPAIR").as_deref() == Ok("1");
    let store = Store::open_with(
        Path::new(&dir),
        &StoreOptions { quick_repair, ..StoreOptions::default() },
    )
    .unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let t = std::time::Instant::now();
    for start in (0..n).step_by(50_000) {
        bulk_put(
            &store,
            (start..(start + 50_000).min(n)).map(|i| format!("dir{:03}/obj{i:08}", i % 100)),
        );
    }
    eprintln!("child: inserted {n} objects in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for i in 0..50 {
        put(&store, "b", &format!("late/{i}"), &[7u8; 4096]);
    }
    eprintln!("child: 4 KiB put_object at {n} objects: {:?} each", t.elapsed() / 50);
    std::process::abort();
}

/// Start-up time after a crash with a large store, with and without quick-repair.
/// Gated: `OSSD_SLOW_TESTS=1 cargo test --release -p ossd-store --lib slow_startup -- --nocapture`.
#[test]
fn slow_startup_after_crash() {
    if std::env::var_os("OSSD_SLOW_TESTS").is_none() {
        return;
    }
    let n: usize =
        std::env::var("OSSD_SLOW_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    for quick_repair in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "tests::workload::slow_startup_child", "--nocapture"])
            .env("OSSD_STORE_CHILD_DIR", dir.path())
            .env("OSSD_SLOW_N", n.to_string())
            .env("OSSD_QUICK_REPAIR", if quick_repair { "1" } else { "0" })
            .status()
            .unwrap();
        assert!(!status.success(), "the child must have aborted");
        let opts = StoreOptions { quick_repair, ..StoreOptions::default() };
        let t = std::time::Instant::now();
        let store = Store::open_with(dir.path(), &opts).unwrap();
        let after_crash = t.elapsed();
        assert_eq!(store.bucket_stats("b").unwrap().object_count, n as u64 + 50);
        let t = std::time::Instant::now();
        let q = ListQuery { delimiter: "/".into(), max_keys: 1000, ..Default::default() };
        assert_eq!(store.list_objects("b", &q).unwrap().common_prefixes.len(), 101);
        let q = ListQuery { prefix: "dir042/".into(), max_keys: 1000, ..Default::default() };
        assert_eq!(store.list_objects("b", &q).unwrap().objects.len(), 1000);
        let listing = t.elapsed();
        let t = std::time::Instant::now();
        assert_eq!(store.sweep_orphans().unwrap(), 0);
        let sweep = t.elapsed();
        drop(store);
        let t = std::time::Instant::now();
        drop(Store::open_with(dir.path(), &opts).unwrap());
        let clean = t.elapsed();
        eprintln!(
            "quick_repair={quick_repair} n={n}: open after crash {after_crash:?}, after clean close {clean:?}, \
             two 1000-entry listings {listing:?}, sweep {sweep:?}"
        );
    }
}
