//! Listing against a naive reference: prefixes, delimiters, markers, paging, uploads.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::*;

/// What a page should be, computed naively from the sorted key set.
fn naive_list(
    keys: &BTreeSet<String>,
    q: &ListQuery,
) -> (Vec<String>, Vec<String>, bool, Option<String>) {
    #[derive(PartialEq)]
    enum E {
        Key(String),
        Prefix(String),
    }
    let mut entries: Vec<E> = Vec::new();
    if q.max_keys == 0 {
        return (vec![], vec![], false, None);
    }
    for k in keys {
        if !k.starts_with(&q.prefix) || k.as_str() <= q.marker.as_str() {
            continue;
        }
        let rest = &k[q.prefix.len()..];
        match (!q.delimiter.is_empty()).then(|| rest.find(&q.delimiter)).flatten() {
            Some(i) => {
                let cp = k[..q.prefix.len() + i + q.delimiter.len()].to_owned();
                if cp.as_str() <= q.marker.as_str()
                    || entries.last() == Some(&E::Prefix(cp.clone()))
                {
                    continue;
                }
                entries.push(E::Prefix(cp));
            }
            None => entries.push(E::Key(k.clone())),
        }
    }
    let truncated = entries.len() > q.max_keys;
    entries.truncate(q.max_keys);
    let mut objects = vec![];
    let mut prefixes = vec![];
    let mut last = None;
    for e in entries {
        match e {
            E::Key(k) => {
                last = Some(k.clone());
                objects.push(k);
            }
            E::Prefix(p) => {
                last = Some(p.clone());
                prefixes.push(p);
            }
        }
    }
    (objects, prefixes, truncated, if truncated { last } else { None })
}

fn check_list(store: &Store, keys: &BTreeSet<String>, q: &ListQuery) {
    let page = store.list_objects("b", q).unwrap();
    let got = (
        page.objects.iter().map(|o| o.key.clone()).collect::<Vec<_>>(),
        page.common_prefixes.clone(),
        page.is_truncated,
        page.next_marker.clone(),
    );
    assert_eq!(got, naive_list(keys, q), "query {q:?}");
}

/// Inserts empty objects for `keys` in one transaction.
pub(super) fn bulk_put(store: &Store, keys: impl IntoIterator<Item = String>) {
    let ops = keys
        .into_iter()
        .map(|k| Op::PutObject {
            bucket: "b".into(),
            rec: record(&k, &[]),
            new: Vec::new(),
            overwrite: Overwrite::Allow,
        })
        .collect();
    for r in store.commit_batch(ops).unwrap() {
        assert!(r.is_ok());
    }
}

#[test]
fn listing_edge_cases() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    store.create_bucket(&bucket("a")).unwrap();
    store.create_bucket(&bucket("c")).unwrap();
    let keys: BTreeSet<String> = [
        "a",
        "a/",
        "a/b",
        "a/b/c",
        "a/c",
        "a//d",
        "ab",
        "b",
        "b/x%20y",
        "b/x+y",
        "b/x y",
        "é/1",
        "é/2",
        "中文/文件",
        "z",
        "zz/",
        "a+b/c",
        "100%/x",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    bulk_put(&store, keys.clone());
    // Neighbouring buckets must not leak into "b"'s listing.
    put(&store, "a", "zzz", b"");
    put(&store, "c", "0", b"");

    let q = |prefix: &str, delimiter: &str, marker: &str, max_keys: usize| ListQuery {
        prefix: prefix.into(),
        delimiter: delimiter.into(),
        marker: marker.into(),
        max_keys,
        include_markers: false,
    };
    let page = store.list_objects("b", &q("", "/", "", 100)).unwrap();
    assert_eq!(
        page.common_prefixes,
        ["100%/", "a+b/", "a/", "b/", "zz/", "é/", "中文/"],
        "prefixes sort in byte order"
    );
    assert_eq!(
        page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        ["a", "ab", "b", "z"]
    );
    // Marker equal to a common prefix, and inside one: skip everything under it.
    let page = store.list_objects("b", &q("", "/", "a/", 3)).unwrap();
    assert_eq!(page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["ab", "b"]);
    assert_eq!(page.common_prefixes, ["b/"]);
    assert_eq!((page.is_truncated, page.next_marker.as_deref()), (true, Some("b/")));
    let page = store.list_objects("b", &q("", "/", "a/b/c", 1)).unwrap();
    assert_eq!(page.objects[0].key, "ab");
    // max_keys 0: empty and not truncated (S3).
    let page = store.list_objects("b", &q("", "", "", 0)).unwrap();
    assert_eq!(page, ListPage::default());
    // Exactly as many as max_keys: not truncated.
    let page = store.list_objects("b", &q("b/", "", "", 3)).unwrap();
    assert_eq!((page.objects.len(), page.is_truncated), (3, false));
    let page = store.list_objects("b", &q("b/", "", "", 2)).unwrap();
    assert_eq!(
        (page.objects.len(), page.is_truncated, page.next_marker.as_deref()),
        (2, true, Some("b/x%20y"))
    );
    // Multi-character delimiter.
    let page = store.list_objects("b", &q("a", "/b", "", 100)).unwrap();
    assert_eq!(page.common_prefixes, ["a/b"]);
    // Delimiter found only after the prefix counts.
    let page = store.list_objects("b", &q("a/", "/", "", 100)).unwrap();
    assert_eq!(page.common_prefixes, ["a//", "a/b/"]);
    assert_eq!(
        page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        ["a/", "a/b", "a/c"]
    );
    assert!(matches!(store.list_objects("nope", &q("", "", "", 1)), Err(StoreError::NoSuchBucket)));

    for (p, d, m, n) in [
        ("", "", "", 1000),
        ("", "/", "", 3),
        ("", "/", "a", 3),
        ("", "/", "zz/", 3),
        ("", "/", "é/1", 3),
        ("a", "/", "a/", 10),
        ("a/", "/", "a/b/", 10),
        ("é", "", "", 10),
        ("", "é", "", 10),
        ("", "x", "b/x", 10),
        ("zzz", "/", "", 10),
        ("", "", "\u{10FFFF}", 10),
        ("a", "", "a", 10),
        ("a/", "/", "a/", 10),
    ] {
        check_list(&store, &keys, &q(p, d, m, n));
    }
}

#[test]
fn listing_matches_naive_model_and_pages_cover_everything() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let pieces = ["a", "b", "/", "//", "%", "+", " ", "é", "中", "a/", "x"];
    let mut keys = BTreeSet::new();
    for _ in 0..400 {
        let n = rng.random_range(1..6);
        let k: String = (0..n).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
        keys.insert(k);
    }
    bulk_put(&store, keys.clone());
    let key_list: Vec<&String> = keys.iter().collect();
    let pick = |rng: &mut StdRng| -> String {
        let k = key_list[rng.random_range(0..key_list.len())];
        let cut = rng.random_range(0..=k.chars().count());
        k.chars().take(cut).collect()
    };
    for _ in 0..600 {
        let prefix = if rng.random_bool(0.5) { pick(&mut rng) } else { String::new() };
        let delimiter = ["", "/", "//", "a/", "é", "+"][rng.random_range(0..6)].to_owned();
        let marker = if rng.random_bool(0.5) { pick(&mut rng) } else { String::new() };
        let max_keys = rng.random_range(0..12);
        let q = ListQuery { prefix, delimiter, marker, max_keys, include_markers: false };
        check_list(&store, &keys, &q);
        // Paging with next_marker yields the unpaged result.
        if max_keys > 0 {
            let full = naive_list(&keys, &ListQuery { max_keys: usize::MAX, ..q.clone() });
            let (mut objs, mut cps) = (vec![], vec![]);
            let mut cur = q.clone();
            loop {
                let page = store.list_objects("b", &cur).unwrap();
                objs.extend(page.objects.into_iter().map(|o| o.key));
                cps.extend(page.common_prefixes);
                match page.next_marker {
                    Some(m) if page.is_truncated => {
                        assert!(m > cur.marker, "marker must advance: {m:?} after {cur:?}");
                        cur.marker = m;
                    }
                    _ => break,
                }
            }
            assert_eq!((objs, cps), (full.0, full.1), "paging {q:?}");
        }
    }
}

#[test]
fn listing_seeks_past_rolled_up_prefixes() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let mut keys: Vec<String> = (0..3000).map(|i| format!("dir/{i:05}")).collect();
    keys.extend((0..3000).map(|i| format!("other/{i:05}")));
    keys.extend(["a".to_owned(), "z".to_owned()]);
    bulk_put(&store, keys);
    let q = ListQuery { delimiter: "/".into(), max_keys: 1000, ..Default::default() };
    let (page, visited) = store.list_objects_counted("b", &q).unwrap();
    assert_eq!(page.common_prefixes, ["dir/", "other/"]);
    assert_eq!(page.objects.len(), 2);
    assert!(visited <= 6, "visited {visited} entries");
    // Marker inside a huge rolled-up prefix: also a seek, not a walk.
    let q = ListQuery { marker: "dir/01234".into(), ..q };
    let (page, visited) = store.list_objects_counted("b", &q).unwrap();
    assert_eq!(page.common_prefixes, ["other/"]);
    assert!(visited <= 4, "visited {visited} entries");
    // Without a delimiter a page reads only max_keys + 1 entries.
    let q = ListQuery { max_keys: 10, ..Default::default() };
    let (page, visited) = store.list_objects_counted("b", &q).unwrap();
    assert_eq!((page.objects.len(), visited), (10, 11));
}

#[test]
fn list_uploads_orders_by_key_then_id_and_honours_markers() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    for (key, id) in
        [("k1", "u2"), ("k1", "u1"), ("k2", "u3"), ("d/x", "u4"), ("d/y", "u5"), ("k10", "u6")]
    {
        let rec = UploadRecord { upload_id: id.into(), key: key.into(), ..Default::default() };
        store.create_upload("b", rec, Overwrite::Allow).unwrap();
    }
    let list = |q: ListUploadsQuery| {
        let p = store.list_uploads("b", &q).unwrap();
        let ids: Vec<String> =
            p.uploads.iter().map(|u| format!("{}:{}", u.key, u.upload_id)).collect();
        (ids, p.common_prefixes, p.is_truncated, p.next_key_marker, p.next_upload_id_marker)
    };
    let q = |delimiter: &str, km: &str, uim: &str, max: usize| ListUploadsQuery {
        prefix: String::new(),
        delimiter: delimiter.into(),
        key_marker: km.into(),
        upload_id_marker: uim.into(),
        max_uploads: max,
    };
    let (ids, cps, trunc, nk, nu) = list(q("", "", "", 100));
    assert_eq!(ids, ["d/x:u4", "d/y:u5", "k1:u1", "k1:u2", "k10:u6", "k2:u3"]);
    assert_eq!((cps.len(), trunc, nk, nu), (0, false, None, None));
    let (ids, cps, trunc, nk, nu) = list(q("/", "", "", 2));
    assert_eq!((ids, cps), (vec!["k1:u1".to_owned()], vec!["d/".to_owned()]));
    assert_eq!((trunc, nk.as_deref(), nu.as_deref()), (true, Some("k1"), Some("u1")));
    let (ids, ..) = list(q("/", "k1", "u1", 10));
    assert_eq!(ids, ["k1:u2", "k10:u6", "k2:u3"]);
    let (ids, ..) = list(q("/", "k1", "", 10));
    assert_eq!(ids, ["k10:u6", "k2:u3"]);
    let (ids, cps, ..) = list(q("/", "d/", "", 10));
    assert_eq!((ids.len(), cps.len()), (4, 0));
    let (ids, cps, trunc, nk, nu) = list(q("/", "", "", 1));
    assert_eq!(
        (ids.len(), cps, trunc, nk.as_deref(), nu),
        (0, vec!["d/".to_owned()], true, Some("d/"), None)
    );
    let mut prefixed = q("", "", "", 10);
    prefixed.prefix = "k1".into();
    assert_eq!(list(prefixed).0, ["k1:u1", "k1:u2", "k10:u6"]);
    assert_eq!(list(q("", "", "", 0)).0.len(), 0);
}
