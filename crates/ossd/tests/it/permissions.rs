//! Other local users get nothing from the data directory: it is 0700 and the files in it 0600,
//! whatever the umask, and wider modes left by an older version are narrowed at start.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{AK, Ossd, Req, SK, make_bucket};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode()
        & 0o777
}

fn set_mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
}

/// Every file and directory under `dir`, with its mode.
fn walk(dir: &Path) -> Vec<(std::path::PathBuf, u32, bool)> {
    let mut out = vec![(dir.to_path_buf(), mode(dir), true)];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            let is_dir = p.is_dir();
            out.push((p.clone(), mode(&p), is_dir));
            if is_dir {
                stack.push(p);
            }
        }
    }
    out
}

/// Starts ossd on `dir` under `umask 000`, the most permissive umask there is.
fn start_with_open_umask(dir: &Path) -> (std::process::Child, Ossd) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    let child = Command::new("sh")
        .args([
            "-c",
            "umask 000 && exec \"$0\" serve --listen \"$1\" --data-dir \"$2\" --log-level warn",
        ])
        .arg(env!("CARGO_BIN_EXE_ossd"))
        .arg(addr.to_string())
        .arg(dir)
        .env("OSSD_ROOT_ACCESS_KEY_ID", AK)
        .env("OSSD_ROOT_ACCESS_KEY_SECRET", SK)
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let s = Ossd::client_for(addr);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !s.try_send(&Req::new("GET", "/-/healthz")).is_ok_and(|r| r.status == 200) {
        assert!(Instant::now() < deadline, "ossd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, s)
}

#[test]
fn data_directory_is_private_whatever_the_umask_and_wider_modes_are_narrowed_at_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let (mut child, s) = start_with_open_umask(&dir);
    make_bucket(&s, "perm");
    // A blob file (large), an inline object (small) and a temp file's directory.
    let r = s.signed(Req::new("PUT", "/perm/big").body(vec![7u8; 100 * 1024]));
    assert_eq!(r.status, 200);
    assert_eq!(s.signed(Req::new("PUT", "/perm/small").body("x")).status, 200);
    let _ = child.kill();
    let _ = child.wait();
    let entries = walk(&dir);
    let blob_files = entries.iter().filter(|(p, _, d)| !d && p.starts_with(dir.join("blobs")));
    assert_eq!(blob_files.count(), 1, "one blob file (the small object is inline)");
    for (p, m, is_dir) in &entries {
        let want = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*m, want, "{} is {m:o} under umask 000", p.display());
    }

    // An older version left everything readable by others.
    for (p, _, is_dir) in &entries {
        set_mode(p, if *is_dir { 0o755 } else { 0o644 });
    }
    std::fs::write(dir.join("keys.json"), r#"{"version":1,"keys":[]}"#).expect("keys.json");
    std::fs::write(dir.join("root-key.json"), "{}").expect("root-key.json");
    set_mode(&dir.join("keys.json"), 0o644);
    set_mode(&dir.join("root-key.json"), 0o644);
    let s = Ossd::start_in(&dir);
    for name in ["", "blobs", "tmp", "blobs/00", "blobs/ff"] {
        assert_eq!(mode(&dir.join(name)), 0o700, "{name}");
    }
    for name in ["meta.redb", "space-reserve", "keys.json", "root-key.json"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    // The store still works after the change.
    assert_eq!(s.signed(Req::new("GET", "/perm/big")).body, vec![7u8; 100 * 1024]);
}
