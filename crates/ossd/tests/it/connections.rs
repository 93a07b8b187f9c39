//! Connection limits and timeouts against the real binary, with the timeouts set to a second or
//! two so that each test takes seconds: idle connections, slow bodies, stalled readers, the
//! connection cap, and a low open-files limit.

use crate::harness::{Ossd, Req, StartOpts, between, make_bucket};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

fn start(args: &[&str]) -> Ossd {
    Ossd::start_with(&StartOpts {
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        ..StartOpts::default()
    })
}

fn connect(s: &Ossd) -> TcpStream {
    let c = TcpStream::connect(s.addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    c
}

/// Reads until the server closes the connection; returns what came, or panics if it stays open.
fn read_until_closed(c: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("{what}: the server did not close the connection ({e})"),
        }
    }
}

/// One keep-alive request on `c`, reading exactly its (bodiless) answer's head.
fn healthz_keep_alive(c: &mut TcpStream) -> String {
    c.write_all(b"GET /-/healthz HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match c.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("reading the answer: {other:?}"),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Files under `dir` (recursively).
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

/// Waits (at most `secs`) until `cond` holds.
fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

#[test]
fn new_settings_are_documented_and_zero_is_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["serve", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in
        ["--idle-timeout", "--read-timeout", "--write-timeout", "--min-rate", "--max-connections"]
    {
        assert!(help.contains(flag), "help lacks {flag}");
    }
    let tmp = tempfile::tempdir().expect("tmp");
    for (flag, what) in
        [("--idle-timeout", "idle-timeout"), ("--max-connections", "max-connections")]
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ossd"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(tmp.path())
            .args([flag, "0"])
            .output()
            .expect("run");
        assert!(!out.status.success(), "{flag} 0 must be refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("invalid {what} 0")), "{err}");
    }
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let s = start(&["--idle-timeout", "1"]);
    // A connection that never sends a byte.
    let mut fresh = connect(&s);
    // A keep-alive connection after one request.
    let mut used = connect(&s);
    assert!(healthz_keep_alive(&mut used).starts_with("HTTP/1.1 200"));
    // A request head that trickles in and never ends.
    let mut slow_head = connect(&s);
    slow_head.write_all(b"GET /-/healthz HTTP/1.1\r\nHost: x\r\n").expect("write");
    for (c, what) in [(&mut fresh, "fresh"), (&mut used, "keep-alive"), (&mut slow_head, "head")] {
        let got = read_until_closed(c, what);
        assert!(!got.starts_with(b"HTTP/1.1 200"), "{what}: {got:?}");
    }
    // The server serves others as before.
    assert_eq!(s.send(&Req::new("GET", "/-/healthz")).status, 200);
}

#[test]
fn limits_come_from_the_config_file_too() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("ossd.toml");
    std::fs::write(
        &file,
        "idle_timeout = 1\nread_timeout = 5\nwrite_timeout = 5\nmin_rate = 0\nmax_connections = 8\n",
    )
    .expect("config");
    let s = start(&["--config", file.to_str().expect("utf8")]);
    let mut c = connect(&s);
    let got = read_until_closed(&mut c, "idle with idle_timeout = 1 from the file");
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn http2_prior_knowledge_is_not_served() {
    // Only HTTP/1.1 is served: an h2c preface gets no HTTP/2 SETTINGS frame (which would start
    // a connection the HTTP/1 limits do not cover), and the connection is closed.
    let s = start(&["--idle-timeout", "2"]);
    let mut c = connect(&s);
    c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").expect("write");
    c.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).expect("write settings");
    let got = read_until_closed(&mut c, "h2c");
    // An HTTP/2 server's first bytes are a SETTINGS frame: a 3-byte length, then type 4.
    assert!(!(got.len() >= 9 && got[3] == 4), "served HTTP/2: {got:?}");
}

#[test]
fn slow_body_ends_with_request_timeout_and_leaves_no_temp_file() {
    let s = start(&["--read-timeout", "1", "--min-rate", "1024"]);
    make_bucket(&s, "slow-body");
    let r = s.signed(Req::new("PUT", "/slow-body/?acl").header("x-oss-acl", "public-read-write"));
    assert_eq!(r.status, 200, "{}", r.text());
    let tmp_dir = s.dir.join("tmp");
    let mut c = connect(&s);
    c.write_all(b"PUT /slow-body/obj HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
        .expect("head");
    // Enough to open the temp file (the body is too large to be kept inline).
    c.write_all(&[b'a'; 65536]).expect("first part");
    assert!(eventually(10, || !files_under(&tmp_dir).is_empty()), "no temp file while uploading");
    // Then a trickle: one byte every 100 ms, far below 1024 bytes/s.
    c.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        assert!(Instant::now() < deadline, "no answer to a trickling body");
        if c.write_all(b"b").is_err() {
            break;
        }
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
        if answer.windows(8).any(|w| w == b"</Error>") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert_eq!(between(&text, "<Code>", "</Code>").as_deref(), Some("RequestTimeout"), "{text}");
    assert!(
        text.contains("<Message>Your socket connection to the server was not read from or written to within the timeout period.</Message>"),
        "{text}"
    );
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    assert!(eventually(10, || files_under(&tmp_dir).is_empty()), "{:?}", files_under(&tmp_dir));
    // Nothing was stored.
    assert_eq!(s.signed(Req::new("HEAD", "/slow-body/obj")).status, 404);
}

#[test]
fn stalled_reader_is_cut_off_and_releases_a_deleted_blob() {
    let s = start(&["--write-timeout", "1"]);
    make_bucket(&s, "stall");
    let r = s.signed(Req::new("PUT", "/stall/?acl").header("x-oss-acl", "public-read"));
    assert_eq!(r.status, 200, "{}", r.text());
    // Larger than what the socket buffers and the server's read-ahead hold together.
    let size = 32 << 20;
    let r = s.signed(Req::new("PUT", "/stall/big").body(vec![7u8; size]));
    assert_eq!(r.status, 200, "{}", r.text());
    let blobs = s.dir.join("blobs");
    assert_eq!(files_under(&blobs).len(), 1);
    // A GET whose client never reads.
    let mut c = connect(&s);
    c.write_all(b"GET /stall/big HTTP/1.1\r\nHost: x\r\n\r\n").expect("get");
    std::thread::sleep(Duration::from_millis(200));
    let r = s.signed(Req::new("DELETE", "/stall/big"));
    assert_eq!(r.status, 204, "{}", r.text());
    // The write timeout ends the read, which releases its lease: the blob is unlinked.
    assert!(
        eventually(20, || files_under(&blobs).is_empty()),
        "deleted blob still on disk: {:?}",
        files_under(&blobs)
    );
    // And the client was cut off: it gets less than the whole object, then the end.
    let got = read_until_closed(&mut c, "stalled GET");
    assert!(got.starts_with(b"HTTP/1.1 200"));
    assert!(got.len() < size, "the whole object went through: {}", got.len());
}

#[test]
fn connection_cap_refuses_with_503_and_recovers() {
    let s = start(&["--max-connections", "3", "--idle-timeout", "60"]);
    // The start-up probe's connection may still count for a moment after it closed: take the
    // three slots as they come free.
    let mut held: Vec<TcpStream> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while held.len() < 3 {
        let mut c = connect(&s);
        if healthz_keep_alive(&mut c).starts_with("HTTP/1.1 200") {
            held.push(c);
        } else {
            assert!(std::time::Instant::now() < deadline, "the cap never let three in");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mut over = connect(&s);
    let _ = over.write_all(b"GET /-/healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let got = read_until_closed(&mut over, "over the cap");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert_eq!(
        between(&text, "<Code>", "</Code>").as_deref(),
        Some("ActiveRequestLimitExceeded"),
        "{text}"
    );
    assert_eq!(text.matches("x-oss-request-id: ").count(), 1, "{text}");
    // The held connections are still served.
    assert!(healthz_keep_alive(&mut held[0]).starts_with("HTTP/1.1 200"));
    // One closes: a new client gets in.
    drop(held.pop());
    assert!(
        eventually(10, || s
            .try_send(&Req::new("GET", "/-/healthz"))
            .is_ok_and(|r| r.status == 200)),
        "no slot came free after a connection closed"
    );
}

#[test]
fn low_open_files_limit_recovers_and_logs_sparingly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let log = tmp.path().join("ossd.log");
    // A cap far above what 64 descriptors allow, so that accepting runs out of descriptors.
    let s = Ossd::start_with(&StartOpts {
        args: ["--idle-timeout", "2", "--max-connections", "1000"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        log_to: Some(log.clone()),
        log_level: Some("warn".to_owned()),
        nofile: Some(64),
        ..StartOpts::default()
    });
    let started = Instant::now();
    // More idle connections than there are descriptors; they sit in the listen backlog.
    let idle: Vec<TcpStream> = (0..120).map(|_| connect(&s)).collect();
    std::thread::sleep(Duration::from_secs(1));
    // Another client is served once the idle ones have timed out, while they stay open here.
    let mut c = connect(&s);
    c.set_read_timeout(Some(Duration::from_secs(40))).expect("timeout");
    c.write_all(b"GET /-/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("req");
    let got = read_until_closed(&mut c, "client behind idle connections");
    assert!(got.starts_with(b"HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&got));
    let elapsed = started.elapsed();
    drop(idle);
    let text = std::fs::read_to_string(&log).expect("log");
    let accept_lines: Vec<&str> = text.lines().filter(|l| l.contains("accept failed")).collect();
    assert!(
        !accept_lines.is_empty(),
        "descriptors never ran out; the test tested nothing:\n{text}"
    );
    assert!(text.contains("Too many open files"), "{text}");
    // At most one line per 10 s (plus the first), not one per retry.
    let allowed = 2 + elapsed.as_secs() as usize / 10;
    assert!(
        accept_lines.len() <= allowed,
        "{} accept lines in {elapsed:?}:\n{text}",
        accept_lines.len()
    );
}
