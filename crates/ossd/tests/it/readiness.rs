//! `/-/readyz` fails for each reason a server should get no traffic: free disk below the
//! configured minimum, and shutting down (the stop signal came, during the drain delay). The full
//! disk case is in `disk_full.rs`. `/-/healthz` stays 200 throughout: the process answers.

use crate::harness::{Ossd, Req, StartOpts, free_port};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[test]
fn readyz_is_503_below_the_free_disk_minimum() {
    // More free space than any disk has: never ready.
    let s = Ossd::start_with(&StartOpts {
        args: vec!["--ready-min-free-mib".into(), "1000000000000".into()],
        ..StartOpts::default()
    });
    let r = s.send(&Req::new("GET", "/-/readyz"));
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("free disk space"), "{}", r.text());
    assert_eq!(s.send(&Req::new("GET", "/-/healthz")).status, 200);
    // A minimum the disk meets: ready.
    let s = Ossd::start_with(&StartOpts {
        args: vec!["--ready-min-free-mib".into(), "1".into()],
        ..StartOpts::default()
    });
    let r = s.send(&Req::new("GET", "/-/readyz"));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn readyz_is_503_while_draining_after_the_stop_signal() {
    let maddr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let mut s = Ossd::start_with(&StartOpts {
        args: vec![
            "--drain-delay".into(),
            "3".into(),
            "--metrics-listen".into(),
            maddr.to_string(),
        ],
        ..StartOpts::default()
    });
    assert_eq!(s.send(&Req::new("GET", "/-/readyz")).status, 200);
    let mut child = s.child.take().expect("child");
    let sent = Instant::now();
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    // The signal is handled asynchronously: wait for readiness to drop.
    let deadline = Instant::now() + Duration::from_secs(2);
    let r = loop {
        let r = s.send(&Req::new("GET", "/-/readyz"));
        if r.status != 200 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("shutting down"), "{}", r.text());
    // Still serving during the drain delay: liveness, and the probes on the metrics listener.
    assert_eq!(s.send(&Req::new("GET", "/-/healthz")).status, 200);
    assert_eq!(Ossd::client_for(maddr).send(&Req::new("GET", "/-/readyz")).status, 503);
    // Then it stops by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st;
        }
        assert!(Instant::now() < deadline, "ossd did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(sent.elapsed() >= Duration::from_secs(3), "stopped before the drain delay");
}
