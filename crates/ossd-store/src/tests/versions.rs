//! ListObjectVersions over the store: order (keys, then versions newest first), delete markers
//! interleaved, common prefixes, and paging by (key marker, version id marker) that returns
//! every entry exactly once.

use super::*;
use crate::version::{VERSIONING_CONFIG, VersionSel};

fn versioned(store: &Store, name: &str) {
    let mut rec = bucket(name);
    rec.configs.insert(VERSIONING_CONFIG.to_owned(), "Enabled".to_owned());
    store.create_bucket(&bucket(name)).unwrap();
    store.update_bucket(&rec).unwrap();
}

fn put_version(store: &Store, b: &str, key: &str) -> String {
    let rec = ObjectRecord { key: key.to_owned(), ..ObjectRecord::default() };
    store.put_versioned(b, rec, Vec::new(), Overwrite::Allow).unwrap().version_id.unwrap()
}

fn label(e: &VersionsEntry) -> String {
    match e {
        VersionsEntry::Version(r, latest) => {
            format!("{}:{}{}", r.key, if r.delete_marker { "m" } else { "v" }, u8::from(*latest))
        }
        VersionsEntry::Prefix(p) => format!("{p}*"),
    }
}

#[test]
fn versions_list_in_order_and_page_exactly_once() {
    let store = Store::open_in_memory().unwrap();
    versioned(&store, "b");
    for _ in 0..3 {
        put_version(&store, "b", "a");
    }
    let w = store.delete_versions("b", &[("a".to_owned(), None)]).unwrap();
    assert!(w[0].delete_marker);
    put_version(&store, "b", "d/x");
    put_version(&store, "b", "d/y");
    put_version(&store, "b", "z");
    let all = store
        .list_versions("b", &VersionsQuery { max_keys: 1000, ..VersionsQuery::default() })
        .unwrap();
    let labels: Vec<String> = all.entries.iter().map(label).collect();
    assert_eq!(labels, ["a:m1", "a:v0", "a:v0", "a:v0", "d/x:v1", "d/y:v1", "z:v1"]);
    assert!(!all.is_truncated);
    // With a delimiter the two keys under d/ are one entry.
    let q = VersionsQuery { delimiter: "/".into(), max_keys: 1000, ..VersionsQuery::default() };
    let rolled: Vec<String> =
        store.list_versions("b", &q).unwrap().entries.iter().map(label).collect();
    assert_eq!(rolled, ["a:m1", "a:v0", "a:v0", "a:v0", "d/*", "z:v1"]);
    // Pages of every size give the same sequence, each entry once.
    for delimiter in ["", "/"] {
        for max in 1..=7 {
            let mut q = VersionsQuery {
                delimiter: delimiter.into(),
                max_keys: max,
                ..VersionsQuery::default()
            };
            let mut seen = Vec::new();
            loop {
                let page = store.list_versions("b", &q).unwrap();
                assert!(page.entries.len() <= max);
                seen.extend(page.entries.iter().map(label));
                if !page.is_truncated {
                    break;
                }
                q.key_marker = page.next_key_marker.unwrap();
                let v = page.next_version_id_marker.unwrap();
                q.version_id_marker = if v.is_empty() { None } else { VersionSel::parse(&v) };
            }
            let want = if delimiter.is_empty() { &labels } else { &rolled };
            assert_eq!(&seen, want, "max-keys {max}, delimiter {delimiter:?}");
        }
    }
}

/// Paging through every version of a large versioned bucket against paging ListObjects over the
/// same keys, 1,000 entries a page. Gated:
/// `OSSD_SLOW_TESTS=1 cargo test --release -p ossd-store --lib slow_list_versions -- --nocapture`
/// (`OSSD_SLOW_N` keys, 1,000,000 by default; every tenth key has a second version).
#[test]
fn slow_list_versions_at_scale() {
    if std::env::var_os("OSSD_SLOW_TESTS").is_none() {
        return;
    }
    let n: usize =
        std::env::var("OSSD_SLOW_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut rec = bucket("b");
    rec.configs.insert(VERSIONING_CONFIG.to_owned(), "Enabled".to_owned());
    store.create_bucket(&bucket("b")).unwrap();
    store.update_bucket(&rec).unwrap();
    let key = |i: usize| format!("dir{:03}/obj{i:08}", i % 100);
    let t = std::time::Instant::now();
    for start in (0..n).step_by(50_000) {
        super::listing::bulk_put(&store, (start..(start + 50_000).min(n)).map(key));
    }
    super::listing::bulk_put(&store, (0..n).step_by(10).map(key));
    eprintln!("inserted {n} keys and {} second versions in {:?}", n / 10, t.elapsed());
    // ListObjects, every page.
    let t = std::time::Instant::now();
    let mut q = ListQuery { max_keys: 1000, ..ListQuery::default() };
    let (mut pages, mut objects) = (0, 0);
    loop {
        let page = store.list_objects("b", &q).unwrap();
        pages += 1;
        objects += page.objects.len();
        match page.next_marker {
            Some(m) if page.is_truncated => q.marker = m,
            _ => break,
        }
    }
    let objects_took = t.elapsed();
    assert_eq!(objects, n);
    // ListObjectVersions, every page.
    let t = std::time::Instant::now();
    let mut q = VersionsQuery { max_keys: 1000, ..VersionsQuery::default() };
    let (mut vpages, mut entries) = (0, 0);
    loop {
        let page = store.list_versions("b", &q).unwrap();
        vpages += 1;
        entries += page.entries.len();
        if !page.is_truncated {
            break;
        }
        q.key_marker = page.next_key_marker.unwrap();
        q.version_id_marker = VersionSel::parse(&page.next_version_id_marker.unwrap());
    }
    let versions_took = t.elapsed();
    assert_eq!(entries, n + n / 10);
    eprintln!(
        "ListObjects: {pages} pages in {objects_took:?} ({:?} a page); ListObjectVersions: \
         {vpages} pages in {versions_took:?} ({:?} a page)",
        objects_took / pages,
        versions_took / vpages
    );
}
