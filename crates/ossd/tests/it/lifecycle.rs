//! The lifecycle worker of the real binary runs on its own, every `--lifecycle-interval`.

use crate::harness::{Ossd, Req, StartOpts, make_bucket};
use std::time::{Duration, Instant};

const RULES: &str = "<LifecycleConfiguration><Rule><ID>past</ID><Prefix>old/</Prefix>\
                     <Status>Enabled</Status><Expiration><CreatedBeforeDate>2100-01-01T00:00:00.000Z\
                     </CreatedBeforeDate></Expiration></Rule></LifecycleConfiguration>";

#[test]
fn the_worker_applies_rules_every_interval() {
    let s = Ossd::start_with(&StartOpts {
        args: vec!["--lifecycle-interval".into(), "1".into()],
        ..StartOpts::default()
    });
    make_bucket(&s, "life");
    for key in ["old/a", "new/b"] {
        let r = s.signed(Req::new("PUT", &format!("/life/{key}")).body("x"));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // The rules come after the first pass (at start): the next pass, a second later, applies them.
    let r = s.signed(Req::new("PUT", "/life/?lifecycle").body(RULES));
    assert_eq!(r.status, 200, "{}", r.text());
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.signed(Req::new("HEAD", "/life/old/a")).status == 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(s.signed(Req::new("HEAD", "/life/old/a")).status, 404);
    assert_eq!(s.signed(Req::new("HEAD", "/life/new/b")).status, 200);
    // The expiry is counted in the metrics (root-signed on the main listener).
    let m = s.signed(Req::new("GET", "/-/metrics"));
    assert_eq!(m.status, 200, "{}", m.text());
    let line = m
        .text()
        .lines()
        .find(|l| l.starts_with("ossd_lifecycle_actions_total "))
        .map(str::to_owned);
    assert_eq!(line.as_deref(), Some("ossd_lifecycle_actions_total 1"), "{}", m.text());
}

#[test]
fn a_zero_interval_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path())
        .args(["--lifecycle-interval", "0"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid lifecycle-interval 0"), "{err}");
}
