//! The PostgreSQL metadata backend against a real PostgreSQL: the behavioural suite, migrations
//! run twice and by several nodes at once, and two stores (two "nodes") writing into one
//! database concurrently with every invariant checked afterwards in the database itself.
//!
//! The server comes from `OSSD_TEST_POSTGRES_URL` (scripts/test.sh starts one with
//! tests/lib/postgres.sh). Without it these tests skip loudly, unless `OSSD_REQUIRE_POSTGRES=1`
//! (set by scripts/test.sh), where they fail. Each test works in a schema of its own, so they run
//! side by side in one database.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::meta::Metadata;
use crate::meta::postgres::PgMeta;
use crate::meta::postgres::conn::{Conn, PgRuntime};

/// A connection to the test database's default schema, for setting up and checking.
struct Admin {
    conn: Conn,
    _runtime: PgRuntime,
}

fn base_config() -> Option<PgConfig> {
    let Ok(url) = std::env::var("OSSD_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("OSSD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "OSSD_REQUIRE_POSTGRES=1 but OSSD_TEST_POSTGRES_URL is not set: the PostgreSQL \
             tests cannot run (scripts/test.sh starts a server with tests/lib/postgres.sh)"
        );
        eprintln!(
            "\n*** SKIPPED: PostgreSQL metadata tests need OSSD_TEST_POSTGRES_URL \
             (source tests/lib/postgres.sh and run pg_start) ***\n"
        );
        return None;
    };
    Some(PgConfig::parse(&url).unwrap())
}

/// A fresh, empty schema: its config (search_path set) and an admin connection in it.
fn fresh_schema(tag: &str) -> Option<(PgConfig, Admin)> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = base_config()?;
    let schema = format!(
        "t_{tag}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    let runtime = PgRuntime::new().unwrap();
    let conn = runtime.connect(&base).unwrap();
    conn.batch(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).unwrap();
    let config = base.with_options(&format!("-c search_path={schema}"));
    let conn = runtime.connect(&config).unwrap();
    Some((config, Admin { conn, _runtime: runtime }))
}

impl Admin {
    fn count(&self, sql: &'static str) -> i64 {
        self.conn.query_opt(sql, &[]).unwrap().unwrap().get(0)
    }
}

#[test]
fn postgres_passes_the_metadata_suite() {
    let Some(_) = base_config() else { return };
    let admins = std::sync::Mutex::new(Vec::new());
    crate::meta::suite::suite(&|| {
        let (config, admin) = fresh_schema("suite").unwrap();
        admins.lock().unwrap().push(admin);
        let (meta, generation) = PgMeta::open(&config).unwrap();
        assert_eq!(generation, 1);
        Arc::new(meta) as Arc<dyn Metadata>
    });
}

#[test]
fn migrations_are_applied_once_when_nodes_start_together() {
    let Some((config, admin)) = fresh_schema("migrate") else { return };
    // Four nodes start at once on an empty database: each waits for the migration lock, one
    // creates the schema, the others find it done; each counts its own generation.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || PgMeta::open(&config).map(|(_, g)| g))
        })
        .collect();
    let mut generations: Vec<u64> =
        handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
    generations.sort_unstable();
    assert_eq!(generations, [1, 2, 3, 4]);
    // Opened again (a restart): nothing to apply, the generation goes on.
    let (_, g) = PgMeta::open(&config).unwrap();
    assert_eq!(g, 5);
    let versions = crate::meta::postgres::schema::MIGRATIONS.len() as i64;
    assert_eq!(admin.count("SELECT count(*) FROM schema_migrations"), versions);
    assert_eq!(admin.count("SELECT max(version)::bigint FROM schema_migrations"), versions);

    // A schema migrated by a newer build is refused, not misread.
    admin.conn.batch("INSERT INTO schema_migrations (version) VALUES (999)").unwrap();
    assert!(matches!(PgMeta::open(&config), Err(StoreError::Corrupt(_))));
}

/// Two stores (two nodes) over one schema and one blob directory.
fn two_nodes(tag: &str) -> Option<(Store, Store, Admin, tempfile::TempDir)> {
    let (config, admin) = fresh_schema(tag)?;
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions { reserve_bytes: 0, ..StoreOptions::default() };
    let a = Store::open_postgres(dir.path(), &config, &opts).unwrap();
    let b = Store::open_postgres(dir.path(), &config, &opts).unwrap();
    Some((a, b, admin, dir))
}

/// Every invariant that ties the tables together, checked in the database: reference counts
/// are the numbers of references, counters match the rows, nothing lives in a bucket or an
/// upload that does not exist.
fn check_invariants(store: &Store, admin: &Admin) {
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for b in store.list_buckets().unwrap() {
        let q = ListQuery { max_keys: usize::MAX, ..Default::default() };
        let objects = store.list_objects(&b.name, &q).unwrap().objects;
        let mut stats = BucketStats::default();
        for o in &objects {
            for s in &o.segments {
                *expected.entry(s.blob.to_string()).or_default() += 1;
            }
            stats.object_count += 1;
            stats.storage_bytes += o.size;
        }
        let uq = ListUploadsQuery { max_uploads: usize::MAX, ..Default::default() };
        for u in store.list_uploads(&b.name, &uq).unwrap().uploads {
            stats.multipart_upload_count += 1;
            for p in store.all_parts(&b.name, &u.upload_id).unwrap() {
                *expected.entry(p.blob.id.to_string()).or_default() += 1;
                stats.part_count += 1;
                stats.part_bytes += p.blob.size;
            }
        }
        let got = store.bucket_stats(&b.name).unwrap();
        assert_eq!(
            (
                got.object_count,
                got.storage_bytes,
                got.multipart_upload_count,
                got.part_count,
                got.part_bytes
            ),
            (
                stats.object_count,
                stats.storage_bytes,
                stats.multipart_upload_count,
                stats.part_count,
                stats.part_bytes
            ),
            "counters of bucket {}",
            b.name
        );
    }
    let rows = admin.conn.query("SELECT blob, count FROM blob_refs", &[]).unwrap();
    let counts: BTreeMap<String, u64> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), u64::try_from(r.get::<_, i64>(1)).unwrap()))
        .collect();
    assert_eq!(counts, expected, "reference counts");
    for sql in [
        "SELECT count(*) FROM objects WHERE bucket NOT IN (SELECT name FROM buckets)",
        "SELECT count(*) FROM uploads WHERE bucket NOT IN (SELECT name FROM buckets)",
        "SELECT count(*) FROM bucket_stats WHERE bucket NOT IN (SELECT name FROM buckets)",
        "SELECT count(*) FROM parts p WHERE NOT EXISTS \
         (SELECT 1 FROM uploads u WHERE u.bucket = p.bucket AND u.upload_id = p.upload_id)",
        "SELECT count(*) FROM inline_blobs WHERE blob NOT IN (SELECT blob FROM blob_refs)",
    ] {
        assert_eq!(admin.count(sql), 0, "{sql}");
    }
}

fn upload_rec(key: &str, id: &str) -> UploadRecord {
    UploadRecord {
        upload_id: id.to_owned(),
        key: key.to_owned(),
        initiated_ms: 1,
        template: ObjectRecord { key: key.to_owned(), ..ObjectRecord::default() },
    }
}

#[test]
fn two_nodes_writing_at_once_keep_every_invariant() {
    let Some((a, b, admin, _dir)) = two_nodes("nodes") else { return };
    a.create_bucket(&bucket("shared")).unwrap();
    let nodes = [a.clone(), b.clone()];
    const THREADS: usize = 4;
    const ROUNDS: usize = 30;
    let forbid_wins = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS * 2 {
            let store = nodes[t % 2].clone();
            let forbid_wins = &forbid_wins;
            s.spawn(move || {
                for r in 0..ROUNDS {
                    // Overwrites of a few hot keys from both nodes (reference counts, counters).
                    let key = format!("hot/{}", r % 3);
                    put(&store, "shared", &key, format!("{t}-{r}").as_bytes());
                    // Every thread of both nodes tries to create the same key with
                    // forbid-overwrite: exactly one may win.
                    let blob = write_blob(&store, b"first");
                    let rec = record(&format!("once/{r}"), &[&blob]);
                    match store.put_object_with("shared", rec, vec![blob], Overwrite::Forbid) {
                        Ok(_) => {
                            forbid_wins.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(StoreError::ObjectExists) => {}
                        Err(e) => panic!("forbid-overwrite create failed: {e}"),
                    }
                    // Inline blobs, shared by copies that the other node deletes.
                    let small =
                        inline_mode(|| put(&store, "shared", &format!("small/{t}"), b"tiny"));
                    let mut copy = small.clone();
                    copy.key = format!("copy/{r}");
                    store.put_object("shared", copy).unwrap();
                    if r % 2 == 1 {
                        let _ = store.delete_object("shared", &format!("copy/{}", r - 1)).unwrap();
                    }
                }
            });
        }
    });
    assert_eq!(forbid_wins.load(Ordering::Relaxed), ROUNDS, "one winner per forbid-overwrite key");
    check_invariants(&a, &admin);
    check_invariants(&b, &admin);
}

#[test]
fn delete_bucket_never_strands_an_object_written_by_another_node() {
    let Some((a, b, admin, _dir)) = two_nodes("delbucket") else { return };
    for round in 0..25 {
        let name = format!("race{round}");
        a.create_bucket(&bucket(&name)).unwrap();
        std::thread::scope(|s| {
            // Node b writes into the bucket while node a deletes it: either the delete sees the
            // object (BucketNotEmpty) or the write sees no bucket (NoSuchBucket).
            let writer = s.spawn(|| {
                let blob = write_blob(&b, b"x");
                b.put_new_object(&name, record("k", &[&blob]), vec![blob])
            });
            let deleter = s.spawn(|| a.delete_bucket(&name));
            let put = writer.join().unwrap();
            let del = deleter.join().unwrap();
            match (&put, &del) {
                (Ok(_), Err(StoreError::BucketNotEmpty))
                | (Err(StoreError::NoSuchBucket), Ok(())) => {}
                _ => panic!("round {round}: put {put:?}, delete {del:?}"),
            }
        });
    }
    check_invariants(&a, &admin);
}

#[test]
fn parts_and_completion_from_two_nodes() {
    let Some((a, b, admin, _dir)) = two_nodes("parts") else { return };
    a.create_bucket(&bucket("mp")).unwrap();
    for round in 0..10 {
        let id = format!("upload-{round}");
        a.create_upload("mp", upload_rec("big", &id), Overwrite::Allow).unwrap();
        let completed = std::thread::scope(|s| {
            // Node b uploads parts 2 to 5 (some twice) while node a completes with part 1.
            let uploader = s.spawn(|| {
                let mut ok = 0;
                for n in 1..=6u32 {
                    let blob = write_blob(&b, format!("part {n}").as_bytes());
                    let part = PartRecord {
                        number: n % 4 + 2,
                        blob,
                        etag: "\"p\"".to_owned(),
                        last_modified_ms: 1,
                    };
                    match b.put_part("mp", &id, part) {
                        Ok(()) => ok += 1,
                        Err(StoreError::NoSuchUpload) => {}
                        Err(e) => panic!("put_part: {e}"),
                    }
                }
                ok
            });
            let first = write_blob(&a, b"part one");
            let part = PartRecord {
                number: 1,
                blob: first.clone(),
                etag: "\"p\"".to_owned(),
                last_modified_ms: 1,
            };
            a.put_part("mp", &id, part).unwrap();
            let done = a.complete_upload("mp", &id, record("big", &[&first]), Overwrite::Allow);
            uploader.join().unwrap();
            done
        });
        completed.unwrap();
        assert!(a.get_upload("mp", &format!("upload-{round}")).unwrap().is_none());
    }
    check_invariants(&b, &admin);
}

#[test]
fn bucket_updates_from_two_nodes_are_never_lost() {
    let Some((a, b, _admin, _dir)) = two_nodes("modify") else { return };
    a.create_bucket(&bucket("conf")).unwrap();
    // Each update reads the record and writes it back changed: as a read then a separate write,
    // concurrent ones from two nodes would overwrite each other.
    std::thread::scope(|s| {
        for t in 0..4 {
            let store = if t % 2 == 0 { a.clone() } else { b.clone() };
            s.spawn(move || {
                for i in 0..25 {
                    store
                        .modify_bucket("conf", &mut |rec| {
                            let n: u64 = rec.configs.get("n").map_or(0, |v| v.parse().unwrap());
                            rec.configs.insert("n".to_owned(), (n + 1).to_string());
                            rec.configs.insert(format!("t{t}-{i}"), String::new());
                        })
                        .unwrap();
                }
            });
        }
    });
    let rec = b.get_bucket("conf").unwrap().unwrap();
    assert_eq!(rec.configs.get("n").map(String::as_str), Some("100"));
    assert_eq!(rec.configs.len(), 101);
    assert!(matches!(a.modify_bucket("missing", &mut |_| {}), Err(StoreError::NoSuchBucket)));
}

#[test]
fn a_running_download_holds_no_database_connection() {
    let Some((config, _admin)) = fresh_schema("pin") else { return };
    // One read connection: a reader that kept its snapshot would starve every other read.
    let mut config = config;
    config.pool_size = 1;
    config.pool_wait = std::time::Duration::from_secs(2);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_postgres(dir.path(), &config, &StoreOptions::default()).unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let rec = put(&store, "b", "big", &data);
    assert!(!rec.segments[0].blob.is_inline());
    let read = store.get_object_with_bytes("b", "big", 0).unwrap().unwrap();
    let mut reader = read.pin.open(&read.rec, 0, read.rec.size).unwrap();
    let mut first = vec![0; 10];
    reader.read_exact(&mut first).unwrap();
    // While the download is under way, other reads get the connection.
    assert_eq!(store.get_object("b", "big").unwrap().unwrap().size, data.len() as u64);
    assert!(store.list_buckets().unwrap().len() == 1);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    first.extend(rest);
    assert_eq!(first, data);
}

/// The next change of a feed, waiting at most 5 s.
fn next_change(rt: &tokio::runtime::Runtime, rx: &mut crate::ChangeFeed) -> MetaChange {
    let got = rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await
    });
    got.expect("no change within 5 s").expect("the feed ended")
}

/// The next change that names something: an `Everything` before it (the counter check may read
/// a commit before its notification arrives) is skipped.
fn next_named(rt: &tokio::runtime::Runtime, rx: &mut crate::ChangeFeed) -> MetaChange {
    loop {
        match next_change(rt, rx) {
            MetaChange::Everything => continue,
            other => return other,
        }
    }
}

#[test]
fn the_change_feed_tells_of_other_nodes_changes_and_survives_a_killed_connection() {
    let Some((a, b, admin, _dir)) = two_nodes("feed") else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut rx = a.watch_changes(std::time::Duration::from_millis(250)).unwrap().unwrap();
    // Listening now: anything before was not heard.
    assert_eq!(next_change(&rt, &mut rx), MetaChange::Everything);
    b.create_bucket(&bucket("feed")).unwrap();
    assert_eq!(next_named(&rt, &mut rx), MetaChange::Bucket("feed".into()));
    b.modify_bucket("feed", &mut |r| r.acl = BucketAcl::PublicRead).unwrap();
    assert_eq!(next_named(&rt, &mut rx), MetaChange::Bucket("feed".into()));
    b.modify_setting("access_keys", &mut |_| Some(b"{}".to_vec())).unwrap();
    assert_eq!(next_named(&rt, &mut rx), MetaChange::Setting("access_keys".into()));
    b.delete_bucket("feed").unwrap();
    assert_eq!(next_named(&rt, &mut rx), MetaChange::Bucket("feed".into()));

    // A change whose notification was lost (the counter moved, nobody was told): the counter
    // check notices it within its period, and the node drops everything.
    let lost = std::time::Instant::now();
    admin.conn.batch("UPDATE ossd_counters SET value = value + 1 WHERE name = 'config'").unwrap();
    assert_eq!(next_change(&rt, &mut rx), MetaChange::Everything);
    assert!(lost.elapsed() < std::time::Duration::from_millis(600), "{:?}", lost.elapsed());

    // The feed's connection dies: the node is told, reconnects and drops everything.
    let killed = admin.count(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = 'ossd-changes'",
    );
    assert!(killed >= 1);
    assert!(matches!(next_named(&rt, &mut rx), MetaChange::Lost(_)));
    assert_eq!(next_change(&rt, &mut rx), MetaChange::Everything);
    b.create_bucket(&bucket("again")).unwrap();
    assert_eq!(next_named(&rt, &mut rx), MetaChange::Bucket("again".into()));
}
