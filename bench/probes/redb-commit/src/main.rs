//! Durable 4 KiB writes per second, one thread, in the shape of an ossd inline PUT, four ways:
//! the file loop the PUT benchmark compares with (write, fsync, rename), a redb commit writing
//! the four tables a PUT writes today, one writing two tables, and a write-ahead log (one
//! append + `fdatasync` to a preallocated file) in front of non-durable redb commits with a
//! durable checkpoint every 3,000 writes. Usage: `cargo run --release -- DIR [SECONDS]`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use redb::{Database, Durability, TableDefinition};

const OBJECTS: TableDefinition<(&str, &[u8]), &[u8]> = TableDefinition::new("objects");
const REFS: TableDefinition<&str, u64> = TableDefinition::new("refs");
const INLINE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("inline");
const STATS: TableDefinition<&str, &[u8]> = TableDefinition::new("stats");
const LOG_BYTES: u64 = 16 << 20;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    FileLoop,
    Redb4,
    Redb2,
    Wal4,
}

fn run(dir: &str, mode: Mode, secs: f64) -> f64 {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("create the work directory");
    let db = Database::builder().create(format!("{dir}/meta.redb")).expect("create the database");
    let body = vec![7u8; 4096];
    let record = vec![1u8; 200];
    let log = OpenOptions::new()
        .create(true)
        .read(true)
        .write(true)
        .open(format!("{dir}/log"))
        .expect("create the log");
    if mode == Mode::Wal4 {
        // Written (not just allocated) once, so that overwriting it changes no file metadata.
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(LOG_BYTES >> 20) {
            (&log).write_all(&zeros).expect("preallocate the log");
        }
        log.sync_all().expect("sync the log");
    }
    let start = Instant::now();
    let (mut n, mut offset) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < secs {
        let key = format!("k{n}");
        let id = format!("i1-{n:032x}");
        if mode == Mode::FileLoop {
            let tmp = format!("{dir}/tmp");
            let mut f = File::create(&tmp).expect("create");
            f.write_all(&body).expect("write");
            f.sync_all().expect("fsync");
            fs::rename(&tmp, format!("{dir}/{key}")).expect("rename");
            n += 1;
            continue;
        }
        if mode == Mode::Wal4 {
            let mut entry = Vec::with_capacity(record.len() + body.len());
            entry.extend_from_slice(&record);
            entry.extend_from_slice(&body);
            if offset + entry.len() as u64 > LOG_BYTES {
                offset = 0;
            }
            log.write_all_at(&entry, offset).expect("append to the log");
            offset += entry.len() as u64;
            log.sync_data().expect("fdatasync the log");
        }
        let mut txn = db.begin_write().expect("begin");
        txn.set_durability(if mode == Mode::Wal4 { Durability::None } else { Durability::Immediate });
        {
            let mut objects = txn.open_table(OBJECTS).expect("objects");
            objects.insert(("b", key.as_bytes()), record.as_slice()).expect("insert");
            let mut inline = txn.open_table(INLINE).expect("inline");
            inline.insert(id.as_bytes(), body.as_slice()).expect("insert");
            if mode != Mode::Redb2 {
                let mut refs = txn.open_table(REFS).expect("refs");
                refs.insert(id.as_str(), 1).expect("insert");
                let mut stats = txn.open_table(STATS).expect("stats");
                stats.insert("b", record.as_slice()).expect("insert");
            }
        }
        txn.commit().expect("commit");
        n += 1;
        if mode == Mode::Wal4 && n % 3000 == 0 {
            let mut txn = db.begin_write().expect("begin");
            txn.set_durability(Durability::Immediate);
            txn.commit().expect("checkpoint");
        }
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let _ = fs::remove_dir_all(dir);
    rate
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: redb-commit-probe DIR [SECONDS]");
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let modes = [
        (Mode::FileLoop, "write+fsync+rename loop"),
        (Mode::Redb4, "redb, 4 tables, durable commit"),
        (Mode::Redb2, "redb, 2 tables, durable commit"),
        (Mode::Wal4, "log append+fdatasync, redb 4 tables non-durable"),
    ];
    println!("| round | what | writes/s |\n|---:|---|---:|");
    for round in 1..=2 {
        for (mode, what) in modes {
            println!("| {round} | {what} | {:.0} |", run(&dir, mode, secs));
        }
    }
}
