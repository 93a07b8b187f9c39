//! Issue 13 over raw HTTP: sub-resources that never fall back to the base operation, Host
//! header edges, conditional dates before 1970.

use crate::harness::{Ossd, Req, make_bucket};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// What a client can see of the store: buckets, the bucket's ACL and listing, the object's bytes
/// and ACL.
fn snapshot(s: &Ossd) -> Vec<String> {
    let mut out = Vec::new();
    for path in ["/", "/subs/?acl", "/subs/", "/subs/?uploads", "/subs/k", "/subs/k?acl"] {
        let r = s.signed(Req::new("GET", path));
        // Request ids and dates differ between answers; the bodies name no time but the
        // objects' own (stable) ones.
        out.push(format!("{path} {} {}", r.status, r.text()));
    }
    let r = s.signed(Req::new("HEAD", "/subs/"));
    out.push(format!("HEAD bucket {}", r.status));
    out
}

/// Every OSS sub-resource ossd does not implement, with every method, on the service, the bucket
/// and an object: `501 NotImplemented`, and nothing changes (before the fix `DELETE
/// /?publicAccessBlock` deleted an empty bucket and `PUT ?publicAccessBlock` ran PutBucket,
/// before Block Public Access was implemented).
#[test]
fn unknown_sub_resources_change_nothing() {
    let s = Ossd::start();
    make_bucket(&s, "empty");
    for (method, sub) in [("DELETE", "inventory"), ("DELETE", "accessMonitor")] {
        let r = s.signed(Req::new(method, &format!("/empty/?{sub}")));
        assert_eq!((r.status, r.code()), (501, "NotImplemented".into()), "{method} ?{sub}");
    }
    assert_eq!(s.signed(Req::new("GET", "/empty/")).status, 200, "the empty bucket still exists");
    make_bucket(&s, "subs");
    assert_eq!(s.signed(Req::new("PUT", "/subs/k").body("value")).status, 200);
    let before = snapshot(&s);
    let mut count = 0;
    for sub in ossd_proto::operation::NOT_IMPLEMENTED {
        for method in ["GET", "HEAD", "PUT", "POST", "DELETE"] {
            for path in ["/", "/subs/", "/subs/k"] {
                for query in [sub.to_string(), format!("{sub}=1")] {
                    let req = Req::new(method, &format!("{path}?{query}"))
                        .body(if method == "PUT" || method == "POST" { "<X/>" } else { "" });
                    let r = s.signed(req);
                    assert_eq!(r.status, 501, "{method} {path}?{query}: {}", r.text());
                    if method != "HEAD" {
                        assert_eq!(r.code(), "NotImplemented", "{method} {path}?{query}");
                    }
                    count += 1;
                }
            }
        }
    }
    assert!(count > 1000);
    assert_eq!(snapshot(&s), before, "a refused sub-resource changed the store");
    // A sub-resource ossd implements, with a method it does not take there: 405, never the base
    // operation of the method (DELETE ?acl is not DeleteBucket, PUT ?uploads is not PutBucket).
    for (method, path) in [
        ("DELETE", "/subs/?acl"),
        ("DELETE", "/subs/?location"),
        ("DELETE", "/subs/?stat"),
        ("DELETE", "/subs/?bucketInfo"),
        ("DELETE", "/subs/?uploads"),
        ("DELETE", "/subs/?referer"),
        ("POST", "/subs/?publicAccessBlock"),
        ("HEAD", "/subs/?publicAccessBlock"),
        ("PUT", "/subs/?uploads"),
        ("PUT", "/subs/?location"),
        ("POST", "/subs/?append"),
        ("POST", "/subs/?uploads"),
        ("DELETE", "/subs/k?acl"),
        ("DELETE", "/subs/k?objectMeta"),
        ("PUT", "/subs/k?objectMeta"),
        ("PUT", "/subs/k?append"),
        ("PUT", "/subs/k?uploads"),
        ("GET", "/subs/k?append"),
    ] {
        let r = s.signed(Req::new(method, path));
        assert_eq!((r.status, r.code()), (405, "MethodNotAllowed".into()), "{method} {path}");
    }
    let r = s.signed(Req::new("GET", "/subs/?acl&cors"));
    assert_eq!((r.status, r.code()), (400, "InvalidArgument".into()));
    assert_eq!(snapshot(&s), before, "a refused method changed the store");
}

/// Sends raw bytes and returns the status line.
fn raw_status(s: &Ossd, request: &str) -> String {
    let mut c = TcpStream::connect(s.addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    c.write_all(request.as_bytes()).expect("write");
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).lines().next().unwrap_or("").to_owned()
}

#[test]
fn host_header_edges() {
    let s = Ossd::start();
    make_bucket(&s, "hosts");
    let two = "GET /hosts/ HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: hosts.localhost\r\nConnection: close\r\n\r\n";
    assert!(raw_status(&s, two).contains(" 400 "), "two Host headers");
    let none = "GET /-/healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
    assert!(raw_status(&s, none).contains(" 400 "), "HTTP/1.1 without Host");
    // HTTP/1.0 does not require Host.
    let old = "GET /-/healthz HTTP/1.0\r\n\r\n";
    assert!(raw_status(&s, old).contains(" 200 "), "HTTP/1.0 without Host");
    let one = "GET /-/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    assert!(raw_status(&s, one).contains(" 200 "));
}

#[test]
fn conditional_dates_before_1970() {
    let s = Ossd::start();
    make_bucket(&s, "dates");
    assert_eq!(s.signed(Req::new("PUT", "/dates/k").body("v")).status, 200);
    let old = "Mon, 01 Jan 1900 00:00:00 GMT";
    let r = s.signed(Req::new("GET", "/dates/k").header("If-Unmodified-Since", old));
    assert_eq!((r.status, r.code()), (412, "PreconditionFailed".into()));
    let r = s.signed(Req::new("GET", "/dates/k").header("If-Modified-Since", old));
    assert_eq!(r.status, 200);
    let r = s.signed(
        Req::new("PUT", "/dates/copy")
            .header("x-oss-copy-source", "/dates/k")
            .header("x-oss-copy-source-if-unmodified-since", old),
    );
    assert_eq!(r.status, 412);
}

/// The server's own surfaces (`/-/healthz`, `/-/readyz`, `/-/admin/`) are reached on its own host
/// only: on a virtual-hosted bucket host the path is an object key of that bucket.
#[test]
fn surfaces_only_on_the_servers_own_host() {
    let s = Ossd::start();
    make_bucket(&s, "surf");
    assert_eq!(s.send(&Req::new("GET", "/-/healthz")).status, 200);
    assert_eq!(s.send(&Req::new("GET", "/-/readyz")).status, 200);
    assert_eq!(s.send(&Req::new("GET", "/-/nothing")).status, 404);
    let host = format!("surf.localhost:{}", s.addr.port());
    let mut r = Req::new("GET", "/-/healthz");
    r.host = Some(host.clone());
    let got = s.send(&r);
    assert_eq!((got.status, got.code()), (403, "AccessDenied".into()), "{}", got.text());
    // The bucket's object named `-/healthz` is what that host serves.
    assert_eq!(s.signed(Req::new("PUT", "/surf/-/healthz").body("an object")).status, 200);
    let acl = s.signed(Req::new("PUT", "/surf/?acl").header("x-oss-acl", "public-read"));
    assert_eq!(acl.status, 200);
    let mut get = Req::new("GET", "/-/healthz");
    get.host = Some(host.clone());
    let got = s.send(&get);
    assert_eq!((got.status, got.body.as_slice()), (200, b"an object".as_slice()));
    let mut admin = Req::new("GET", "/-/admin/keys");
    admin.host = Some(host);
    let got = s.send(&admin);
    assert_ne!(got.header("content-type"), Some("application/json"), "{}", got.text());
}
