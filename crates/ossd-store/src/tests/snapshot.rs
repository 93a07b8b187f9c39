//! The shared read snapshot.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::group::block_on;
use super::*;

#[test]
fn small_reads_see_every_acknowledged_write() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let bytes_of = |store: &Store, key: &str| {
        store.get_object_with_bytes("b", key, 64).unwrap().map(|r| r.bytes.unwrap())
    };
    inline_mode(|| put(&store, "b", "k", b"one"));
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"one"[..]));
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"one"[..]), "from the shared snapshot");
    inline_mode(|| put(&store, "b", "k", b"two"));
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"two"[..]));
    store.delete_object("b", "k").unwrap();
    assert_eq!(bytes_of(&store, "k"), None);
    block_on(store.delete_object_async("b", "k")).unwrap();
    let blob = inline_mode(|| write_blob(&store, b"three"));
    block_on(store.put_new_object_async("b", record("k", &[&blob]), vec![blob], Overwrite::Allow))
        .unwrap();
    assert_eq!(bytes_of(&store, "k").as_deref(), Some(&b"three"[..]));
    // get_object reads the same snapshot, bucket check included.
    assert_eq!(store.get_object("b", "k").unwrap().unwrap().size, 5);
    store.create_bucket(&bucket("c")).unwrap();
    assert_eq!(store.get_object("c", "k").unwrap(), None);
    store.delete_bucket("c").unwrap();
    assert!(matches!(store.get_object("c", "k"), Err(StoreError::NoSuchBucket)));

    // Concurrent: once a write is acknowledged, no read that starts later sees an older value.
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, acked, stop) = (store.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let floor = acked.load(std::sync::atomic::Ordering::SeqCst);
                    let seen = store.get_object_with_bytes("b", "n", 64).unwrap();
                    let seen = seen.map_or(0, |r| {
                        u64::from_le_bytes(r.bytes.unwrap().as_slice().try_into().unwrap())
                    });
                    assert!(seen >= floor, "read {seen} after {floor} was acknowledged");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for n in 1..=300u64 {
        inline_mode(|| put(&store, "b", "n", &n.to_le_bytes()));
        acked.store(n, std::sync::atomic::Ordering::SeqCst);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(reads > 0);
    assert_eq!(bytes_of(&store, "n").as_deref(), Some(&300u64.to_le_bytes()[..]));
}
