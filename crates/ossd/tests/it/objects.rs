//! Buckets and objects over raw HTTP: errors, ranges, conditionals, keys, listings, anonymous access.

use crate::harness::{Ossd, Req, between, make_bucket};

#[test]
fn bucket_lifecycle_and_errors() {
    let s = Ossd::start();
    assert_eq!(s.signed(Req::new("PUT", "/Bad_Name/")).code(), "InvalidBucketName");
    make_bucket(&s, "life");
    // PutBucket on a bucket the caller owns succeeds, as on OSS (another owner's: 409, in the
    // Python suite's test_sdk_compat.py).
    let r = s.signed(Req::new("PUT", "/life/"));
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.signed(Req::new("GET", "/"));
    assert!(r.text().contains("<Name>life</Name>"), "{}", r.text());
    assert_eq!(s.signed(Req::new("PUT", "/life/obj").body("x")).status, 200);
    let r = s.signed(Req::new("DELETE", "/life/"));
    assert_eq!((r.status, r.code()), (409, "BucketNotEmpty".into()));
    assert!(r.text().contains("The bucket has objects. Please delete them first."));
    assert_eq!(s.signed(Req::new("DELETE", "/life/obj")).status, 204);
    assert_eq!(s.signed(Req::new("DELETE", "/life/")).status, 204);
    let r = s.signed(Req::new("GET", "/life/?acl"));
    assert_eq!((r.status, r.code()), (404, "NoSuchBucket".into()));
    assert_eq!(between(&r.text(), "<BucketName>", "</BucketName>").as_deref(), Some("life"));
    assert_eq!(r.header("x-oss-ec"), Some("0015-00000101"));
}

#[test]
fn put_get_head_range_and_conditionals() {
    let s = Ossd::start();
    make_bucket(&s, "objs");
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let r = s.signed(Req::new("PUT", "/objs/a%20b%2Bc%25d/%E4%B8%AD.bin").body(data.clone()));
    assert_eq!(r.status, 200, "{}", r.text());
    let etag = r.header("etag").expect("etag").to_owned();
    assert_eq!(etag.len(), 34);
    assert!(etag[1..33].chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
    let key = "/objs/a%20b%2Bc%25d/%E4%B8%AD.bin";
    let r = s.signed(Req::new("GET", key));
    assert_eq!((r.status, &r.body), (200, &data));
    assert!(r.header("x-oss-hash-crc64ecma").is_some());
    let r = s.signed(Req::new("GET", key).header("Range", "bytes=10-19"));
    assert_eq!((r.status, &r.body[..]), (206, &data[10..20]));
    assert_eq!(r.header("content-range"), Some("bytes 10-19/1000"));
    let r = s.signed(Req::new("GET", key).header("Range", "bytes=-5"));
    assert_eq!(&r.body[..], &data[995..]);
    let r = s.signed(Req::new("GET", key).header("Range", "bytes=990-"));
    assert_eq!(&r.body[..], &data[990..]);
    // OSS by default ignores a range that does not fit; `x-oss-range-behavior: standard` follows HTTP.
    let r = s.signed(Req::new("GET", key).header("Range", "bytes=5000-"));
    assert_eq!((r.status, r.body.len()), (200, 1000));
    let r = s.signed(
        Req::new("GET", key)
            .header("Range", "bytes=5000-")
            .header("x-oss-range-behavior", "standard"),
    );
    assert_eq!((r.status, r.code()), (416, "InvalidRange".into()));
    let r = s.signed(
        Req::new("GET", key)
            .header("Range", "bytes=990-5000")
            .header("x-oss-range-behavior", "standard"),
    );
    assert_eq!((r.status, &r.body[..]), (206, &data[990..]));
    let r = s.signed(Req::new("GET", key).header("If-None-Match", &etag));
    assert_eq!(r.status, 304);
    let r = s.signed(Req::new("GET", key).header("If-Match", "\"0000\""));
    assert_eq!((r.status, r.code()), (412, "PreconditionFailed".into()));
    let r = s.signed(Req::new("HEAD", key));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("1000"));
    let r = s.signed(Req::new("HEAD", "/objs/missing"));
    assert_eq!((r.status, r.code()), (404, "NoSuchKey".into()));
    let r = s.signed(Req::new("GET", "/objs/missing"));
    assert_eq!((r.status, r.code()), (404, "NoSuchKey".into()));
    let r = s.signed(
        Req::new("PUT", "/objs/md5")
            .header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
            .body("not empty"),
    );
    assert_eq!((r.status, r.code()), (400, "InvalidDigest".into()));
    let long = "k".repeat(1024);
    let r = s.signed(Req::new("PUT", &format!("/objs/{long}")).body("x"));
    assert_eq!((r.status, r.code()), (400, "KeyTooLong".into()));
    let r = s.signed(Req::new("PUT", "/objs/..%2F..%2Foutside").body("safe"));
    assert_eq!(r.status, 200);
    assert_eq!(s.signed(Req::new("GET", "/objs/..%2F..%2Foutside")).body, b"safe");
    assert!(!s.dir.parent().expect("parent").join("outside").exists());
}

#[test]
fn listing_with_delimiter_and_paging() {
    let s = Ossd::start();
    make_bucket(&s, "list");
    for k in ["a/1", "a/2", "b", "c/x/y", "d"] {
        assert_eq!(s.signed(Req::new("PUT", &format!("/list/{k}")).body("v")).status, 200);
    }
    let r = s.signed(Req::new("GET", "/list/?delimiter=/"));
    let t = r.text();
    assert!(t.contains("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"), "{t}");
    assert!(t.contains("<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>"), "{t}");
    assert!(
        t.contains("<Key>b</Key>") && t.contains("<Key>d</Key>") && !t.contains("<Key>a/1</Key>")
    );
    let mut seen = Vec::new();
    let mut marker = String::new();
    loop {
        let r = s.signed(Req::new("GET", &format!("/list/?max-keys=2&marker={marker}")));
        let t = r.text();
        let mut rest = t.as_str();
        while let Some(i) = rest.find("<Key>") {
            let j = rest[i..].find("</Key>").expect("end") + i;
            seen.push(rest[i + 5..j].to_owned());
            rest = &rest[j..];
        }
        if t.contains("<IsTruncated>false</IsTruncated>") {
            break;
        }
        marker =
            between(&t, "<NextMarker>", "</NextMarker>").expect("next marker").replace('/', "%2F");
    }
    assert_eq!(seen, ["a/1", "a/2", "b", "c/x/y", "d"]);
    let r = s.signed(Req::new("GET", "/list/?list-type=2&prefix=a/&max-keys=1"));
    let t = r.text();
    assert!(t.contains("<KeyCount>1</KeyCount>") && t.contains("<NextContinuationToken>"), "{t}");
    let token = between(&t, "<NextContinuationToken>", "</NextContinuationToken>").expect("token");
    let r = s.signed(Req::new(
        "GET",
        &format!("/list/?list-type=2&prefix=a/&continuation-token={token}"),
    ));
    assert!(r.text().contains("<Key>a/2</Key>"), "{}", r.text());
}

#[test]
fn anonymous_access_follows_acls() {
    let s = Ossd::start();
    make_bucket(&s, "priv");
    assert_eq!(s.signed(Req::new("PUT", "/priv/k").body("secret")).status, 200);
    let r = s.send(&Req::new("GET", "/priv/k"));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    let r = s.send(&Req::new("GET", "/priv/missing"));
    assert_eq!(
        (r.status, r.code()),
        (403, "AccessDenied".into()),
        "a private bucket does not reveal missing keys"
    );
    assert_eq!(
        s.signed(Req::new("PUT", "/priv/?acl").header("x-oss-acl", "public-read")).status,
        200
    );
    assert_eq!(s.send(&Req::new("GET", "/priv/k")).body, b"secret");
    let r = s.send(&Req::new("PUT", "/priv/k2").body("x"));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    assert_eq!(
        s.signed(Req::new("PUT", "/priv/k?acl").header("x-oss-object-acl", "private")).status,
        200
    );
    assert_eq!(s.send(&Req::new("GET", "/priv/k")).status, 403);
    let r = s.signed(Req::new("GET", "/priv/k?acl"));
    assert!(r.text().contains("<Grant>private</Grant>"), "{}", r.text());
}

#[test]
fn signature_errors() {
    let s = Ossd::start();
    make_bucket(&s, "sig");
    let mut req = Req::new("GET", "/sig/");
    req.sign("test-ak", "wrong-secret");
    let r = s.send(&req);
    assert_eq!((r.status, r.code()), (403, "SignatureDoesNotMatch".into()));
    assert!(r.text().contains("<StringToSign>"), "{}", r.text());
    assert!(!r.text().contains("test-sk"), "the secret never appears");
    let mut req = Req::new("GET", "/sig/");
    req.sign("unknown-ak", "x");
    let r = s.send(&req);
    assert_eq!((r.status, r.code()), (403, "InvalidAccessKeyId".into()));
}

#[test]
fn not_implemented_and_append_copy_delete_multiple() {
    let s = Ossd::start();
    make_bucket(&s, "misc");
    let r = s.signed(Req::new("GET", "/misc/?inventory"));
    assert_eq!((r.status, r.code()), (501, "NotImplemented".into()));
    let r = s.signed(Req::new("POST", "/misc/app?append&position=0").body("ab"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-oss-next-append-position"), Some("2"));
    let r = s.signed(Req::new("POST", "/misc/app?append&position=1").body("cd"));
    assert_eq!((r.status, r.code()), (409, "PositionNotEqualToLength".into()));
    assert_eq!(r.header("x-oss-next-append-position"), Some("2"));
    assert_eq!(s.signed(Req::new("POST", "/misc/app?append&position=2").body("cd")).status, 200);
    assert_eq!(s.signed(Req::new("GET", "/misc/app")).body, b"abcd");
    let r = s.signed(Req::new("PUT", "/misc/copy").header("x-oss-copy-source", "/misc/app"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<CopyObjectResult>"));
    assert_eq!(s.signed(Req::new("GET", "/misc/copy")).body, b"abcd");
    let del = "<Delete><Quiet>false</Quiet><Object><Key>app</Key></Object><Object><Key>copy</Key></Object><Object><Key>none</Key></Object></Delete>";
    let r = s.signed(Req::new("POST", "/misc/?delete").body(del));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<Deleted><Key>none</Key></Deleted>"));
    assert_eq!(s.signed(Req::new("GET", "/misc/app")).status, 404);
}

#[test]
fn declared_size_over_5_gib_is_refused_before_the_body() {
    use std::io::{Read, Write};
    let s = Ossd::start();
    make_bucket(&s, "huge");
    let mut req = Req::new("PUT", "/huge/too-big");
    req.sign(crate::harness::AK, crate::harness::SK);
    let mut conn = std::net::TcpStream::connect(s.addr).expect("connect");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
    let mut head = format!("PUT /huge/too-big HTTP/1.1\r\nHost: {}\r\n", s.addr);
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", 5u64 * 1024 * 1024 * 1024 + 1));
    conn.write_all(head.as_bytes()).expect("head");
    conn.write_all(&[0u8; 4096]).expect("some body");
    let mut buf = vec![0u8; 4096];
    let n = conn.read(&mut buf).expect("an answer without the rest of the body");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("<Code>EntityTooLarge</Code>"), "{text}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    let r = s.signed(Req::new("HEAD", "/huge/too-big"));
    assert_eq!(r.status, 404);
}

#[test]
fn multi_delete_honours_each_object_acl() {
    let s = Ossd::start();
    make_bucket(&s, "mdel");
    assert_eq!(
        s.signed(Req::new("PUT", "/mdel/?acl").header("x-oss-acl", "public-read-write")).status,
        200
    );
    assert_eq!(s.signed(Req::new("PUT", "/mdel/open").body("o")).status, 200);
    assert_eq!(
        s.signed(Req::new("PUT", "/mdel/locked").header("x-oss-object-acl", "private").body("l"))
            .status,
        200
    );
    let both =
        "<Delete><Object><Key>open</Key></Object><Object><Key>locked</Key></Object></Delete>";
    let r = s.send(&Req::new("POST", "/mdel/?delete").body(both));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    assert_eq!(
        s.signed(Req::new("GET", "/mdel/open")).status,
        200,
        "nothing deleted when one key is refused"
    );
    let one = "<Delete><Object><Key>open</Key></Object></Delete>";
    assert_eq!(s.send(&Req::new("POST", "/mdel/?delete").body(one)).status, 200);
    assert_eq!(s.signed(Req::new("GET", "/mdel/open")).status, 404);
    let r = s.send(&Req::new("DELETE", "/mdel/locked"));
    assert_eq!(r.status, 403, "single delete agrees");
}
