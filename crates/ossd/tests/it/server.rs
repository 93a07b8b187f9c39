//! Process-level behaviour: start, common headers, shutdown, restart persistence, crash safety.

use crate::harness::{Ossd, Req, make_bucket};
use std::process::Command;

#[test]
fn version_and_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_ossd")).arg("--version").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ossd "));
    let out =
        Command::new(env!("CARGO_BIN_EXE_ossd")).args(["serve", "--help"]).output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--listen", "--data-dir", "--region", "--domain", "--log-level", "--config"] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
}

#[test]
fn common_headers_and_clean_shutdown() {
    let mut s = Ossd::start();
    let r = s.signed(Req::new("GET", "/"));
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.header("x-oss-request-id").expect("request id");
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)), "{id}");
    assert!(r.header("date").is_some());
    assert_eq!(r.header("server"), Some("AliyunOSS"));
    // Errors carry them too.
    let r = s.send(&Req::new("GET", "/no-such-bucket/k"));
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-oss-request-id").map(str::len), Some(24));
    assert_eq!(s.stop(), Some(0), "SIGTERM must exit cleanly");
}

#[test]
fn generated_root_key_is_kept() {
    let tmp = tempfile::tempdir().expect("tmp");
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("b").local_addr().expect("a").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(tmp.path())
        .env_remove("OSSD_ROOT_ACCESS_KEY_ID")
        .env_remove("OSSD_ROOT_ACCESS_KEY_SECRET")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let key_file = tmp.path().join("root-key.json");
    // The key is written and printed before the listener binds: wait until it accepts.
    for _ in 0..400 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("out");
    let text = std::fs::read_to_string(&key_file).expect("key file");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let id = v["access_key_id"].as_str().expect("id");
    assert!(stdout.contains(id), "the generated key is printed once: {stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn restart_keeps_buckets_objects_metadata_and_cors() {
    let mut s = Ossd::start();
    make_bucket(&s, "keep");
    let r = s.signed(
        Req::new("PUT", "/keep/dir/a.txt")
            .header("Content-Type", "text/plain")
            .header("x-oss-meta-owner", "alice")
            .body("hello"),
    );
    assert_eq!(r.status, 200);
    let cors = "<CORSConfiguration><CORSRule><AllowedOrigin>http://a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    assert_eq!(s.signed(Req::new("PUT", "/keep/?cors").body(cors)).status, 200);
    assert_eq!(s.stop(), Some(0));
    let dir = s.dir.clone();
    let s2 = Ossd::start_in(&dir);
    let r = s2.signed(Req::new("GET", "/keep/dir/a.txt"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello");
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("x-oss-meta-owner"), Some("alice"));
    let r = s2.send(
        &Req::new("OPTIONS", "/keep/x")
            .header("Origin", "http://a.com")
            .header("Access-Control-Request-Method", "GET"),
    );
    assert_eq!(r.status, 200);
    drop(s);
}

#[test]
fn sigkill_during_uploads_leaves_whole_objects_only() {
    let mut s = Ossd::start();
    make_bucket(&s, "crash");
    // Version 1 of every key, committed.
    for i in 0..4 {
        let body = vec![b'a' + i as u8; 256 * 1024];
        assert_eq!(s.signed(Req::new("PUT", &format!("/crash/k{i}")).body(body)).status, 200);
    }
    let addr = s.addr;
    let writers: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                // Version 2: 4 MiB of another byte; the connection dies with the server.
                let body = vec![b'A' + i as u8; 4 * 1024 * 1024];
                let tmp = Ossd::client_for(addr);
                for _ in 0..20 {
                    let mut req = Req::new("PUT", &format!("/crash/k{i}")).body(body.clone());
                    req.sign(crate::harness::AK, crate::harness::SK);
                    if tmp.try_send(&req).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(150));
    s.kill();
    for w in writers {
        let _ = w.join();
    }
    let s2 = Ossd::start_in(&s.dir);
    for i in 0..4u8 {
        let r = s2.signed(Req::new("GET", &format!("/crash/k{i}")));
        assert_eq!(r.status, 200);
        let old = vec![b'a' + i; 256 * 1024];
        let new = vec![b'A' + i; 4 * 1024 * 1024];
        assert!(r.body == old || r.body == new, "k{i} is torn: {} bytes", r.body.len());
        assert_eq!(
            r.header("content-length").and_then(|v| v.parse::<usize>().ok()),
            Some(r.body.len())
        );
    }
    let tmp_dir = s.dir.join("tmp");
    let left: Vec<_> =
        std::fs::read_dir(&tmp_dir).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(left.is_empty(), "temporary files left after restart: {left:?}");
}

/// The body of version `i` of `key` in the small-writes crash test (3000 to 3899 bytes).
fn small_body(key: &str, i: u32) -> Vec<u8> {
    format!("{key}#{i}#").bytes().cycle().take(3000 + (i as usize % 900)).collect()
}

/// Small bodies are inline blobs committed by group commit and awaited without a thread: after a
/// SIGKILL, every key is in its last acknowledged state or in the state of the one request per
/// writer that was in flight, and every body is whole.
#[test]
fn sigkill_during_small_writes_keeps_every_acknowledged_one() {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    /// A key's state: `Some(body)` after a PUT, `None` after a DELETE.
    type State = Option<Vec<u8>>;
    let mut s = Ossd::start();
    make_bucket(&s, "small");
    let addr = s.addr;
    let acked: Arc<Mutex<BTreeMap<String, State>>> = Arc::default();
    // Per writer: the request sent but not (yet) answered.
    let in_flight: Arc<Mutex<BTreeMap<usize, (String, State)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8usize)
        .map(|t| {
            let (acked, in_flight, stop) =
                (Arc::clone(&acked), Arc::clone(&in_flight), Arc::clone(&stop));
            std::thread::spawn(move || {
                let c = Ossd::client_for(addr);
                for i in 0u32.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // Each writer owns its keys, so its acknowledgements are in order.
                    let key = format!("w{t}/k{}", i % 5);
                    let state = (i % 7 != 6).then(|| small_body(&key, i));
                    let mut req = match &state {
                        Some(body) => Req::new("PUT", &format!("/small/{key}")).body(body.clone()),
                        None => Req::new("DELETE", &format!("/small/{key}")),
                    };
                    req.sign(crate::harness::AK, crate::harness::SK);
                    in_flight.lock().expect("lock").insert(t, (key.clone(), state.clone()));
                    // A connection cut by the kill makes the harness panic or fail: either way
                    // this writer is done, and its request stays "in flight".
                    let answered = std::panic::catch_unwind(|| c.try_send(&req));
                    match answered {
                        Ok(Ok(r)) if r.status == 200 || r.status == 204 => {
                            acked.lock().expect("lock").insert(key, state);
                            in_flight.lock().expect("lock").remove(&t);
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(800));
    s.kill();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.join();
    }
    let acked = acked.lock().expect("lock").clone();
    let in_flight: BTreeMap<String, State> =
        in_flight.lock().expect("lock").values().cloned().collect();
    assert!(acked.len() >= 8, "too few writes were acknowledged before the kill: {}", acked.len());
    eprintln!(
        "{} keys with acknowledged small writes, {} requests in flight at the kill",
        acked.len(),
        in_flight.len()
    );
    let s2 = Ossd::start_in(&s.dir);
    for (key, want) in &acked {
        let r = s2.signed(Req::new("GET", &format!("/small/{key}")));
        let got: State = match r.status {
            200 => Some(r.body.clone()),
            404 => None,
            other => panic!("{key}: status {other}"),
        };
        let allowed = [Some(want), in_flight.get(key)];
        assert!(
            allowed.contains(&Some(&got)),
            "{key}: after the restart {:?}, acknowledged {:?}, in flight {:?}",
            got.as_ref().map(|b| String::from_utf8_lossy(&b[..20]).into_owned()),
            want.as_ref().map(|b| String::from_utf8_lossy(&b[..20]).into_owned()),
            in_flight.get(key).map(|s| s.as_ref().map(|b| b.len())),
        );
    }
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("VmHWM")
}

#[test]
fn large_bodies_are_streamed_not_buffered() {
    use std::io::{Read, Write};
    let s = Ossd::start();
    make_bucket(&s, "big");
    let pid = s.child.as_ref().expect("child").id();
    let size: usize = 256 * 1024 * 1024;
    // Upload 256 MiB without holding it in this process either: write the body in 1 MiB pieces.
    let mut req = Req::new("PUT", "/big/blob");
    req.sign(crate::harness::AK, crate::harness::SK);
    let mut conn = std::net::TcpStream::connect(s.addr).expect("connect");
    let mut head = format!("PUT /big/blob HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", s.addr);
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {size}\r\n\r\n"));
    conn.write_all(head.as_bytes()).expect("head");
    let piece = vec![7u8; 1024 * 1024];
    for _ in 0..size / piece.len() {
        conn.write_all(&piece).expect("body");
    }
    let mut resp = String::new();
    conn.read_to_string(&mut resp).expect("resp");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    // Download it, counting bytes as they come.
    let mut get = Req::new("GET", "/big/blob");
    get.sign(crate::harness::AK, crate::harness::SK);
    let mut conn = std::net::TcpStream::connect(s.addr).expect("connect");
    let mut head = format!("GET /big/blob HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", s.addr);
    for (k, v) in &get.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).expect("head");
    let mut total = 0usize;
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = conn.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        total += n;
    }
    assert!(total > size, "headers plus {size} bytes, got {total}");
    let hwm_mib = vm_hwm_kib(pid) / 1024;
    assert!(hwm_mib < 96, "server peak RSS {hwm_mib} MiB while moving 256 MiB each way");
}

#[test]
fn config_file_and_oversized_headers() {
    use std::io::{Read, Write};
    let tmp = tempfile::tempdir().expect("tmp");
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("b").local_addr().expect("a").port();
    let cfg = tmp.path().join("ossd.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\nregion = \"cn-beijing\"\n",
            tmp.path().join("d").display()
        ),
    )
    .expect("write cfg");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .env("OSSD_ROOT_ACCESS_KEY_ID", "a")
        .env("OSSD_ROOT_ACCESS_KEY_SECRET", "b")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let s = Ossd::client_for(format!("127.0.0.1:{port}").parse().expect("addr"));
    let mut ready = false;
    for _ in 0..300 {
        if s.try_send(&Req::new("GET", "/-/healthz")).is_ok_and(|r| r.status == 200) {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(ready, "server from the config file did not start");
    assert!(tmp.path().join("d").join("meta.redb").exists() || tmp.path().join("d").exists());
    // A 100 KiB header is refused with a 4xx, not a hang or a crash.
    let mut conn = std::net::TcpStream::connect(s.addr).expect("connect");
    let big = "x".repeat(100 * 1024);
    let _ = conn.write_all(format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {big}\r\n\r\n").as_bytes());
    let mut resp = String::new();
    let _ = conn.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 4"), "oversized headers: {resp:.80}");
    assert!(
        s.try_send(&Req::new("GET", "/-/healthz")).is_ok_and(|r| r.status == 200),
        "still serving"
    );
    let _ = child.kill();
    let _ = child.wait();
    // Unknown keys in the file are refused.
    std::fs::write(&cfg, "listen = \"127.0.0.1:1\"\nlisten_typo = 1\n").expect("write cfg");
    let out = Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("listen_typo"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn one_json_log_line_per_request() {
    use std::io::Read;
    let tmp = tempfile::tempdir().expect("tmp");
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("b").local_addr().expect("a").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--log-json", "--data-dir"])
        .arg(tmp.path())
        .env("OSSD_ROOT_ACCESS_KEY_ID", "a")
        .env("OSSD_ROOT_ACCESS_KEY_SECRET", "b")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let s = Ossd::client_for(format!("127.0.0.1:{port}").parse().expect("addr"));
    for _ in 0..300 {
        if s.try_send(&Req::new("GET", "/-/healthz")).is_ok_and(|r| r.status == 200) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let r = s.send(&Req::new("GET", "/logbucket/some/key"));
    let id = r.header("x-oss-request-id").expect("id").to_owned();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read");
    let _ = child.wait();
    let line = err.lines().find(|l| l.contains(&id)).expect("a log line for the request");
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(v["method"], "GET");
    assert_eq!(v["op"], "GetObject");
    assert_eq!(v["bucket"], "logbucket");
    assert_eq!(v["key"], "some/key");
    assert_eq!(v["status"], 404);
    assert!(v["duration_us"].is_u64());
    assert_eq!(err.lines().filter(|l| l.contains(&id)).count(), 1);
}
