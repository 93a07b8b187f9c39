//! Concurrent requests on one key: reads racing overwrites and deletes, and
//! `x-oss-forbid-overwrite` racing creates.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{Ossd, Req, make_bucket};

/// Above the 16 KiB inline limit: the bytes live in blob files that a commit can unlink.
const SIZE: usize = 64 * 1024;

#[test]
fn get_head_and_copy_racing_overwrite_and_delete_never_answer_500() {
    let s = Ossd::start();
    make_bucket(&s, "race");
    let addr = s.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3u8)
        .map(|t| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let c = Ossd::client_for(addr);
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let r = if i.is_multiple_of(3) {
                        c.signed(Req::new("DELETE", "/race/k"))
                    } else {
                        c.signed(Req::new("PUT", "/race/k").body(vec![b'a' + t; SIZE]))
                    };
                    assert!(r.status == 200 || r.status == 204, "write: {} {}", r.status, r.text());
                }
            })
        })
        .collect();
    let readers: Vec<_> = ["GET", "GET", "HEAD", "COPY"]
        .into_iter()
        .map(|kind| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let c = Ossd::client_for(addr);
                let deadline = Instant::now() + Duration::from_secs(3);
                let (mut ok, mut missing, mut bad) = (0u32, 0u32, Vec::new());
                while Instant::now() < deadline && bad.len() < 5 {
                    let r = match kind {
                        "COPY" => c.signed(
                            Req::new("PUT", "/race/copy").header("x-oss-copy-source", "/race/k"),
                        ),
                        m => c.signed(Req::new(m, "/race/k")),
                    };
                    match r.status {
                        200 => {
                            ok += 1;
                            if kind == "GET" {
                                assert_eq!(r.body.len(), SIZE);
                                assert!(r.body.iter().all(|b| *b == r.body[0]), "versions mixed");
                            }
                        }
                        404 => missing += 1,
                        other => bad.push(format!("{kind} {other} {}", r.code())),
                    }
                }
                stop.store(true, Ordering::Relaxed);
                (kind, ok, missing, bad)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for r in readers {
        let (kind, ok, missing, bad) = r.join().expect("reader");
        assert!(ok > 0, "{kind}: no request found the object ({missing} found none)");
        failures.extend(bad);
    }
    for w in writers {
        w.join().expect("writer");
    }
    assert!(failures.is_empty(), "{failures:?}");
}
