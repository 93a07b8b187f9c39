//! A full disk on a small tmpfs: writes fail with `InsufficientStorage` (503, not a bare
//! InternalError), `/-/readyz` says 503, deletes still work, and once space is back writes work
//! again without a restart; every acknowledged object survives a restart.
//!
//! Needs permission to mount a tmpfs (root); skipped with a message where that is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Ossd, Req, Resp, make_bucket};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_mb: u32) -> Option<Tmpfs> {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}M"), "tmpfs"])
            .arg(&dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir, _parent: parent }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED disk_full: cannot mount a tmpfs ({}); run as root to test a full disk",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED disk_full: cannot run mount ({e})");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Fills the file system of `path` to the last byte with a file; returns its size.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(path).expect("filler");
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(w) => n += w as u64,
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
    let _ = f.sync_all();
    n
}

fn body(key: &str, len: usize) -> Vec<u8> {
    key.bytes().cycle().take(len).collect()
}

fn assert_full(r: &Resp, what: &str) {
    assert_eq!((r.status, r.code().as_str()), (503, "InsufficientStorage"), "{what}: {}", r.text());
    assert!(r.text().contains("storage of this server is full"), "{what}: {}", r.text());
}

fn ready(s: &Ossd) -> Resp {
    s.send(&Req::new("GET", "/-/readyz"))
}

#[test]
fn full_disk_refuses_clearly_frees_through_delete_and_recovers_without_restart() {
    let Some(mnt) = Tmpfs::mount(48) else { return };
    let dir = mnt.dir.join("data");
    let mut s = Ossd::start_in(&dir);
    make_bucket(&s, "full");
    let mut acked: Vec<(String, Vec<u8>)> = Vec::new();
    let put = |s: &Ossd, key: String, len: usize, acked: &mut Vec<(String, Vec<u8>)>| {
        let data = body(&key, len);
        let r = s.signed(Req::new("PUT", &format!("/full/{key}")).body(data.clone()));
        if r.status == 200 {
            acked.push((key, data));
        }
        r
    };
    for i in 0..8 {
        assert_eq!(put(&s, format!("big-{i}"), 256 * 1024, &mut acked).status, 200);
    }

    // 1. The disk fills up behind the store's back; small objects (kept inline in the metadata
    // database) go on until a metadata commit meets ENOSPC.
    let filler = mnt.dir.join("filler");
    fill(&filler);
    let mut refused = None;
    for i in 0..20_000 {
        let r = put(&s, format!("small-{i}"), 2048, &mut acked);
        if r.status != 200 {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("the disk never filled up");
    assert_full(&r, "the commit that met a full disk");
    let r = ready(&s);
    assert_eq!(r.status, 503, "readyz while full: {}", r.text());
    assert!(r.text().contains("\"ready\":false") && r.text().contains("full"), "{}", r.text());
    assert_full(&put(&s, "refused".into(), 2048, &mut acked), "a write while full");
    // Reads go on.
    let (key, data) = acked[0].clone();
    assert_eq!(s.signed(Req::new("GET", &format!("/full/{key}"))).body, data);

    // 2. Deletes work while the disk is full.
    for key in ["big-0", "small-0"] {
        let r = s.signed(Req::new("DELETE", &format!("/full/{key}")));
        assert_eq!(r.status, 204, "delete {key} while full: {}", r.text());
        assert_eq!(s.signed(Req::new("GET", &format!("/full/{key}"))).status, 404);
        acked.retain(|(k, _)| k != key);
    }

    // 3. Space comes back: writes work again without a restart.
    std::fs::remove_file(&filler).expect("remove filler");
    let r = ready(&s);
    assert_eq!(r.status, 200, "readyz after space came back: {}", r.text());
    assert_eq!(put(&s, "after".into(), 300 * 1024, &mut acked).status, 200);
    assert_eq!(put(&s, "after-small".into(), 100, &mut acked).status, 200);

    // 4. Fill it through the API alone, then free space through the API alone.
    let mut last = None;
    for i in 0..1000 {
        let r = put(&s, format!("fill-{i}"), 256 * 1024, &mut acked);
        if r.status != 200 {
            last = Some(r);
            break;
        }
    }
    assert_full(&last.expect("the API never filled the disk"), "a PUT that filled the disk");
    assert_eq!(ready(&s).status, 503);
    let fills: Vec<String> =
        acked.iter().filter(|(k, _)| k.starts_with("fill-")).map(|(k, _)| k.clone()).collect();
    assert!(fills.len() > 10, "only {} objects fit", fills.len());
    for key in &fills {
        let r = s.signed(Req::new("DELETE", &format!("/full/{key}")));
        assert_eq!(r.status, 204, "delete {key}: {}", r.text());
    }
    acked.retain(|(k, _)| !k.starts_with("fill-"));
    assert_eq!(ready(&s).status, 200);
    assert_eq!(put(&s, "last".into(), 256 * 1024, &mut acked).status, 200);

    // 5. Every acknowledged object is still there after a restart.
    assert_eq!(s.stop(), Some(0));
    let s = Ossd::start_in(&dir);
    for (key, data) in &acked {
        let r = s.signed(Req::new("GET", &format!("/full/{key}")));
        assert_eq!(r.status, 200, "{key} lost after restart: {}", r.text());
        assert!(r.body == *data, "{key} changed after restart");
    }
    drop(s);
    drop(mnt);
}
