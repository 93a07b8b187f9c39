//! The client subcommands against a real server: every command, resumable multipart `cp`, no
//! progress output off a terminal, and `cors explain` / `cors lint` checked against the server's
//! own answers to the same preflights.

use crate::harness::{AK, Ossd, Req, SK};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `ossd ARGS` with the server's endpoint and the root key in the environment, no config file.
fn cli(s: &Ossd, args: &[&str]) -> Output {
    cmd(s, args).output().expect("run ossd")
}

fn cmd(s: &Ossd, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ossd"));
    c.args(args)
        .env("OSS_ENDPOINT", s.addr.to_string())
        .env("OSS_ACCESS_KEY_ID", AK)
        .env("OSS_ACCESS_KEY_SECRET", SK)
        .env_remove("OSS_REGION")
        .env("HOME", "/nonexistent-home-for-tests")
        .stdin(Stdio::null());
    c
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn bucket_and_object_commands() {
    let s = Ossd::start();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(&cli(&s, &["mb", "oss://clib"]));
    assert!(ok(&cli(&s, &["ls"])).contains("oss://clib"));
    let buckets = json(&cli(&s, &["ls", "--output", "json"]));
    assert!(buckets["buckets"].as_array().expect("list").iter().any(|b| b["name"] == "clib"));

    std::fs::write(d.join("a.txt"), b"hello cli").expect("write");
    std::fs::create_dir_all(d.join("tree/sub")).expect("mkdir");
    std::fs::write(d.join("tree/one"), b"1").expect("write");
    std::fs::write(d.join("tree/sub/two"), b"22").expect("write");
    let a = d.join("a.txt");
    ok(&cli(&s, &["cp", a.to_str().expect("utf8"), "oss://clib/docs/"]));
    ok(&cli(&s, &["cp", "-r", d.join("tree").to_str().expect("utf8"), "oss://clib/tree"]));
    let listed = json(&cli(&s, &["ls", "oss://clib", "--output", "json"]));
    let keys: Vec<&str> = listed["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert_eq!(keys, ["docs/a.txt", "tree/one", "tree/sub/two"]);
    let dirs = json(&cli(&s, &["ls", "oss://clib/", "-d", "--output", "json"]));
    assert_eq!(dirs["prefixes"], serde_json::json!(["docs/", "tree/"]));
    let limited = json(&cli(&s, &["ls", "oss://clib", "--limit", "2", "--output", "json"]));
    assert_eq!(limited["objects"].as_array().map(Vec::len), Some(2));

    assert_eq!(ok(&cli(&s, &["cat", "oss://clib/docs/a.txt"])), "hello cli");
    let st = json(&cli(&s, &["stat", "oss://clib/docs/a.txt", "--output", "json"]));
    assert_eq!(st["Content-Length"], "9");
    assert!(st["X-Oss-Hash-Crc64ecma"].is_string());
    let bst = json(&cli(&s, &["stat", "oss://clib", "--output", "json"]));
    assert_eq!(bst["Name"], "clib");

    // Presigned URLs, V1 and V4, fetched without credentials.
    for extra in [&["--sign-version", "v1"][..], &["--region", "cn-hangzhou"][..]] {
        let mut args = vec!["sign", "oss://clib/docs/a.txt"];
        args.extend_from_slice(extra);
        let url = ok(&cli(&s, &args));
        let path = url.trim().split_once(&s.addr.to_string()).expect("url on the endpoint").1;
        let r = s.send(&Req::new("GET", path));
        assert_eq!((r.status, r.text().as_str()), (200, "hello cli"), "{url}");
    }
    // A presigned PUT uploads without credentials.
    let url =
        ok(&cli(&s, &["sign", "oss://clib/presigned.txt", "--method", "PUT", "--expires", "60"]));
    let path = url.trim().split_once(&s.addr.to_string()).expect("url on the endpoint").1;
    let r = s.send(&Req::new("PUT", path).body("via url"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ok(&cli(&s, &["cat", "oss://clib/presigned.txt"])), "via url");
    ok(&cli(&s, &["rm", "oss://clib/presigned.txt"]));
    // Signing V4 works for every request too.
    assert_eq!(
        ok(&cli(&s, &["cat", "oss://clib/docs/a.txt", "--region", "cn-hangzhou"])),
        "hello cli"
    );

    // oss -> oss, oss -> local (single and recursive).
    ok(&cli(&s, &["cp", "oss://clib/docs/a.txt", "oss://clib/copy.txt"]));
    let out = d.join("out.txt");
    ok(&cli(&s, &["cp", "oss://clib/copy.txt", out.to_str().expect("utf8")]));
    assert_eq!(std::fs::read(&out).expect("read"), b"hello cli");
    let down = d.join("down");
    ok(&cli(&s, &["cp", "-r", "oss://clib/tree/", down.to_str().expect("utf8")]));
    assert_eq!(std::fs::read(down.join("sub/two")).expect("read"), b"22");

    // rm one, rm -r a prefix.
    ok(&cli(&s, &["rm", "oss://clib/copy.txt"]));
    let gone = cli(&s, &["stat", "oss://clib/copy.txt"]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("NoSuchKey"));
    let n = json(&cli(&s, &["rm", "-r", "oss://clib/tree/", "--output", "json"]));
    assert_eq!(n["deleted"], 2);

    // An OSS error: code, message, request id and EC, non-zero exit; JSON too.
    let e = cli(&s, &["rb", "oss://clib"]);
    assert_eq!(e.status.code(), Some(2));
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(
        err.contains("BucketNotEmpty") && err.contains("RequestId: ") && err.contains("EC: "),
        "{err}"
    );
    let e = json(&cli(&s, &["cat", "oss://nosuchbkt/x", "--output", "json"]));
    assert_eq!((e["code"].as_str(), e["status"].as_u64()), (Some("NoSuchBucket"), Some(404)));
    assert!(e["request_id"].as_str().is_some_and(|r| !r.is_empty()) && e["ec"].is_string());

    ok(&cli(&s, &["rb", "--force", "oss://clib"]));
    assert!(!ok(&cli(&s, &["ls"])).contains("oss://clib"));
}

#[test]
fn credentials_from_ossutil_config_and_network_errors() {
    let s = Ossd::start();
    let dir = tempfile::tempdir().expect("tmp");
    let v2 = dir.path().join("v2.conf");
    std::fs::write(
        &v2,
        format!("[default]\naccessKeyID = {AK}\naccess_key_secret = {SK}\nendpoint = http://{}\nregion = cn-hangzhou\n", s.addr),
    )
    .expect("write");
    let v1 = dir.path().join("v1.conf");
    std::fs::write(
        &v1,
        format!(
            "[Credentials]\nendpoint = {}\naccessKeyID = {AK}\naccessKeySecret = {SK}\n",
            s.addr
        ),
    )
    .expect("write");
    for conf in [&v2, &v1] {
        let o = Command::new(env!("CARGO_BIN_EXE_ossd"))
            .args(["mb", &format!("oss://cfg{}", conf == &v1), "-c", conf.to_str().expect("utf8")])
            .env_remove("OSS_ENDPOINT")
            .env_remove("OSS_ACCESS_KEY_ID")
            .env_remove("OSS_ACCESS_KEY_SECRET")
            .env_remove("OSS_REGION")
            .output()
            .expect("run");
        ok(&o);
    }
    // A wrong secret from the flags wins over the file and is refused by the server.
    let o = Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["ls", "-c", v2.to_str().expect("utf8"), "-k", "wrong"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("SignatureDoesNotMatch"));
    // A network error names the endpoint (a loopback port nobody listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let o = cmd(&s, &["ls", "-e", &format!("127.0.0.1:{port}")]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("127.0.0.1:{port}")));
}

fn checkpoint_parts(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| v["parts"].as_array().map_or(0, Vec::len))
        .max()
        .unwrap_or(0)
}

#[test]
fn cp_50_mib_multipart_killed_and_resumed() {
    let s = Ossd::start();
    ok(&cli(&s, &["mb", "oss://bigb"]));
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("big.bin");
    let data: Vec<u8> =
        (0..50u32 * 1024 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&src, &data).expect("write");
    let cpdir = dir.path().join("ckpt");
    let args = [
        "cp",
        src.to_str().expect("utf8"),
        "oss://bigb/big.bin",
        "--bigfile-threshold",
        "1M",
        "--part-size",
        "100K",
        "--checkpoint-dir",
        cpdir.to_str().expect("utf8"),
    ];
    // First run: one part at a time at 10 MiB/s (about 5 s in all), killed once a few parts are
    // stored.
    let mut first = cmd(&s, &args)
        .args(["-j", "1", "--bandwidth-limit", "10M"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while checkpoint_parts(&cpdir) < 5 {
        assert!(
            first.try_wait().expect("wait").is_none(),
            "cp finished before it could be interrupted"
        );
        assert!(std::time::Instant::now() < deadline, "no checkpoint progress");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    first.kill().expect("kill");
    first.wait().expect("wait");
    let stored = checkpoint_parts(&cpdir);
    assert!((5..512).contains(&stored), "{stored} parts in the checkpoint");

    // Second run resumes: the parts in the checkpoint are not sent again. Output is not a
    // terminal here, so no progress line may appear on stderr.
    let o = cmd(&s, &args).args(["-j", "4", "--output", "json"]).output().expect("run");
    let v = json(&o);
    assert!(o.status.success(), "{v}");
    assert!(
        o.stderr.is_empty(),
        "progress output off a terminal: {:?}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(v["parts"], 512);
    let resumed = v["resumed_parts"].as_u64().expect("resumed");
    assert!(resumed >= stored as u64 && resumed < 512, "{v}");
    assert_eq!(checkpoint_parts(&cpdir), 0, "the checkpoint is removed after completion");

    // The object is the file: downloaded with ranged parallel GETs and compared byte for byte,
    // and its CRC-64 is the file's.
    let back = dir.path().join("back.bin");
    let o = cmd(
        &s,
        &[
            "cp",
            "oss://bigb/big.bin",
            back.to_str().expect("utf8"),
            "--bigfile-threshold",
            "1M",
            "--part-size",
            "4M",
        ],
    )
    .output()
    .expect("run");
    ok(&o);
    assert!(o.stderr.is_empty());
    assert!(std::fs::read(&back).expect("read") == data, "downloaded bytes differ");
    let st = json(&cli(&s, &["stat", "oss://bigb/big.bin", "--output", "json"]));
    assert_eq!(st["X-Oss-Object-Type"], "Multipart");
    assert_eq!(st["Content-Length"], (50 * 1024 * 1024).to_string());

    // oss->oss above the threshold: UploadPartCopy in parts, the same CRC-64 as the source.
    let v = json(&cli(
        &s,
        &[
            "cp",
            "oss://bigb/big.bin",
            "oss://bigb/copy.bin",
            "--bigfile-threshold",
            "1M",
            "--part-size",
            "8M",
            "--output",
            "json",
        ],
    ));
    assert_eq!(v["parts"], 7, "{v}");
    let copied = json(&cli(&s, &["stat", "oss://bigb/copy.bin", "--output", "json"]));
    assert_eq!(copied["X-Oss-Hash-Crc64ecma"], st["X-Oss-Hash-Crc64ecma"]);
    assert_eq!(copied["Content-Length"], st["Content-Length"]);
}

/// One configuration of the table: rules (XML), requests, and the lint ids expected.
struct Case {
    xml: &'static str,
    requests: &'static [(&'static str, &'static str, Option<&'static str>)],
    lint: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        xml: "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        requests: &[
            ("https://a.example", "PUT", Some("Authorization, x-oss-date")),
            ("https://a.example", "DELETE", None),
        ],
        lint: &[],
    },
    Case {
        xml: "<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>",
        requests: &[
            ("https://app.example.com", "GET", None),
            ("https://other.org", "GET", None),
            ("https://app.example.com", "GET", Some("x-custom")),
        ],
        lint: &["shadowed-rule"],
    },
    Case {
        xml: "<CORSConfiguration><CORSRule><AllowedOrigin>https://site.example/</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        requests: &[("https://site.example", "GET", None)],
        lint: &["origin-with-path"],
    },
    Case {
        xml: "<CORSConfiguration><CORSRule><AllowedOrigin>https://up.example</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedHeader>content-type</AllowedHeader></CORSRule></CORSConfiguration>",
        requests: &[
            ("https://up.example", "PUT", Some("content-type")),
            ("https://up.example", "PUT", Some("content-type, authorization, x-oss-date")),
            ("https://up.example", "get", None),
        ],
        lint: &["upload-headers-not-allowed", "etag-not-exposed", "no-max-age"],
    },
    Case {
        xml: "<CORSConfiguration><CORSRule><AllowedOrigin>http://shop.example</AllowedOrigin><AllowedOrigin>https://shop.example:443</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>x-oss-*</AllowedHeader><ExposeHeader>x-oss-request-id</ExposeHeader><MaxAgeSeconds>0</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin>https://*.cdn.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        requests: &[
            ("https://shop.example", "GET", Some("X-Oss-Meta-A")),
            ("http://shop.example", "HEAD", Some("x-oss-meta-a, content-type")),
            ("https://shop.example", "GET", None),
        ],
        lint: &["http-only-origin", "origin-default-port"],
    },
];

/// The CORS headers (and Vary) of a server answer, canonical names, in a map.
fn cors_headers(h: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    h.iter()
        .filter(|(k, _)| k.starts_with("access-control-") || k == "vary")
        .map(|(k, v)| {
            let name = k
                .split('-')
                .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
                .collect::<Vec<_>>()
                .join("-");
            (name, serde_json::Value::String(v.clone()))
        })
        .collect()
}

#[test]
fn cors_commands_explain_and_lint_agree_with_the_server() {
    let s = Ossd::start();
    let dir = tempfile::tempdir().expect("tmp");
    ok(&cli(&s, &["mb", "oss://corsb"]));
    let obj = dir.path().join("o.txt");
    std::fs::write(&obj, b"x").expect("write");
    ok(&cli(&s, &["cp", obj.to_str().expect("utf8"), "oss://corsb/o.txt"]));
    // No rules yet: explain refuses (exit 1), as the server does.
    let o =
        cli(&s, &["cors", "explain", "oss://corsb", "--origin", "https://a", "--method", "GET"]);
    assert_eq!(o.status.code(), Some(1));
    let r = s.send(
        &Req::new("OPTIONS", "/corsb/o.txt")
            .header("Origin", "https://a")
            .header("Access-Control-Request-Method", "GET"),
    );
    assert_eq!(r.status, 403);

    for (ci, case) in CASES.iter().enumerate() {
        let file = dir.path().join(format!("rules{ci}.xml"));
        std::fs::write(&file, case.xml).expect("write");
        let f = file.to_str().expect("utf8");
        ok(&cli(&s, &["cors", "put", "oss://corsb", f]));
        // get --output json, re-put from the JSON form: the same rules come back.
        let j = dir.path().join(format!("rules{ci}.json"));
        let as_json = ok(&cli(&s, &["cors", "get", "oss://corsb", "--output", "json"]));
        std::fs::write(&j, &as_json).expect("write");
        ok(&cli(&s, &["cors", "put", "oss://corsb", j.to_str().expect("utf8")]));
        assert_eq!(
            ok(&cli(&s, &["cors", "get", "oss://corsb", "--output", "json"])),
            as_json,
            "case {ci}"
        );

        for (origin, method, headers) in case.requests {
            let mut args = vec![
                "cors",
                "explain",
                "oss://corsb/o.txt",
                "--origin",
                origin,
                "--method",
                method,
                "--output",
                "json",
            ];
            if let Some(h) = headers {
                args.extend(["--headers", h]);
            }
            let online = cli(&s, &args);
            let v = json(&online);
            let mut off_args = args.clone();
            off_args[2] = "--rules";
            off_args.insert(3, f);
            let offline = cli(&s, &off_args);
            assert_eq!(json(&offline), v, "case {ci}: offline and online explanations differ");

            let mut pre = Req::new("OPTIONS", "/corsb/o.txt")
                .header("Origin", origin)
                .header("Access-Control-Request-Method", method);
            if let Some(h) = headers {
                pre = pre.header("Access-Control-Request-Headers", h);
            }
            let r = s.send(&pre);
            let what = format!("case {ci} {origin} {method} {headers:?}: {v}");
            let allowed = r.status == 200;
            assert_eq!(v["allowed"], allowed, "{what}");
            assert_eq!(online.status.code(), Some(if allowed { 0 } else { 1 }), "{what}");
            assert_eq!(v["preflight"]["status"], r.status, "{what}");
            assert_eq!(
                v["preflight"]["headers"],
                serde_json::Value::Object(cors_headers(&r.headers)),
                "{what}"
            );
            // The actual request (GET/HEAD with Origin on the object) carries what explain says.
            if matches!(*method, "GET" | "HEAD") {
                let r = s.signed(Req::new(method, "/corsb/o.txt").header("Origin", origin));
                assert_eq!(
                    v["actual"]["headers"],
                    serde_json::Value::Object(cors_headers(&r.headers)),
                    "{what}"
                );
            }
            // cors options sends the same preflight and prints the same status and headers.
            let mut oargs = vec![
                "cors",
                "options",
                "oss://corsb/o.txt",
                "--origin",
                origin,
                "--method",
                method,
                "--output",
                "json",
            ];
            if let Some(h) = headers {
                oargs.extend(["--headers", h]);
            }
            let o = cli(&s, &oargs);
            let ov = json(&o);
            assert_eq!(ov["status"], r.status, "{what}");
            assert_eq!(ov["headers"], v["preflight"]["headers"], "{what}");
            assert_eq!(o.status.code(), Some(if allowed { 0 } else { 1 }));
        }

        for lint in [
            vec!["cors", "lint", "oss://corsb", "--output", "json"],
            vec!["cors", "lint", "--rules", f, "--output", "json"],
        ] {
            let o = cli(&s, &lint);
            let v = json(&o);
            let ids: Vec<&str> = v["warnings"]
                .as_array()
                .expect("warnings")
                .iter()
                .filter_map(|w| w["id"].as_str())
                .collect();
            assert_eq!(ids, case.lint, "case {ci}: {v}");
            assert_eq!(o.status.code(), Some(u8::from(!case.lint.is_empty()).into()), "case {ci}");
            for w in v["warnings"].as_array().expect("warnings") {
                assert!(
                    w["message"].as_str().is_some_and(|m| !m.is_empty())
                        && w["fix"].as_str().is_some_and(|m| !m.is_empty())
                );
            }
        }
    }
    // A warning is real: the origin with a trailing slash (case 2) refuses the browser's origin.
    // (checked above through the server's own 403 in that case's table row)

    ok(&cli(&s, &["cors", "delete", "oss://corsb"]));
    let o = cli(&s, &["cors", "get", "oss://corsb"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("NoSuchCORSConfiguration"));
    // Errors of explain/lint exit 2.
    let o = cli(&s, &["cors", "lint", "--rules", "/nonexistent/rules.xml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_of_every_command() {
    let cmds: &[&[&str]] = &[
        &["mb"],
        &["rb"],
        &["ls"],
        &["cp"],
        &["rm"],
        &["stat"],
        &["cat"],
        &["sign"],
        &["cors"],
        &["cors", "put"],
        &["cors", "get"],
        &["cors", "delete"],
        &["cors", "options"],
        &["cors", "explain"],
        &["cors", "lint"],
        &["key"],
    ];
    for c in cmds {
        let o =
            Command::new(env!("CARGO_BIN_EXE_ossd")).args(*c).arg("--help").output().expect("run");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{c:?}");
        assert!(text.contains("Usage: ossd"), "{c:?}: {text}");
        if c[0] != "key" && c != &["cors"] {
            assert!(text.contains("--endpoint") && text.contains("--output"), "{c:?}: {text}");
        }
    }
}

#[test]
fn progress_line_only_on_a_terminal() {
    let s = Ossd::start();
    ok(&cli(&s, &["mb", "oss://progb"]));
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("f.bin");
    std::fs::write(&src, vec![7u8; 3 << 20]).expect("write");
    let line = format!(
        "{} cp {} oss://progb/f.bin --bigfile-threshold 1M --part-size 1M",
        env!("CARGO_BIN_EXE_ossd"),
        src.display()
    );
    // Under a pseudo-terminal (util-linux `script`) the progress line is drawn on stderr...
    let tty = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("OSS_REGION")
        .env("OSS_ENDPOINT", s.addr.to_string())
        .env("OSS_ACCESS_KEY_ID", AK)
        .env("OSS_ACCESS_KEY_SECRET", SK)
        .env("HOME", "/nonexistent-home-for-tests")
        .stdin(Stdio::null())
        .output();
    let tty = tty.expect("util-linux `script` is needed for this test");
    let text = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{text}");
    assert!(text.contains("100.0%") && text.contains("MiB/s") && text.contains("ETA"), "{text:?}");
    // ...and with pipes there is none: stderr is empty, stdout has the summary only.
    let o = cli(
        &s,
        &[
            "cp",
            src.to_str().expect("utf8"),
            "oss://progb/g.bin",
            "--bigfile-threshold",
            "1M",
            "--part-size",
            "1M",
        ],
    );
    let out = ok(&o);
    assert!(o.stderr.is_empty(), "{:?}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.contains('\r') && !out.contains("ETA"), "{out:?}");
}

#[test]
fn cp_checkpoint_of_an_aborted_upload_starts_over() {
    let s = Ossd::start();
    ok(&cli(&s, &["mb", "oss://abortb"]));
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("f.bin");
    std::fs::write(&src, vec![3u8; 2 << 20]).expect("write");
    let cpdir = dir.path().join("ckpt");
    let args = [
        "cp",
        src.to_str().expect("utf8"),
        "oss://abortb/f.bin",
        "--bigfile-threshold",
        "1M",
        "--part-size",
        "100K",
        "--checkpoint-dir",
        cpdir.to_str().expect("utf8"),
    ];
    let mut first = cmd(&s, &args)
        .args(["-j", "1", "--bandwidth-limit", "1M"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while checkpoint_parts(&cpdir) < 2 {
        assert!(
            first.try_wait().expect("wait").is_none(),
            "cp finished before it could be interrupted"
        );
        assert!(std::time::Instant::now() < deadline, "no checkpoint progress");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    first.kill().expect("kill");
    first.wait().expect("wait");
    // Abort the upload behind the checkpoint's back.
    let list = s.signed(Req::new("GET", "/abortb/?uploads"));
    let id = crate::harness::between(&list.text(), "<UploadId>", "</UploadId>").expect("an upload");
    let r = s.signed(Req::new("DELETE", &format!("/abortb/f.bin?uploadId={id}")));
    assert_eq!(r.status, 204, "{}", r.text());
    let v = json(&cli(&s, &[&args[..], &["--output", "json"]].concat()));
    assert_eq!((v["parts"].as_u64(), v["resumed_parts"].as_u64()), (Some(21), Some(0)), "{v}");
    assert_eq!(ok(&cli(&s, &["cat", "oss://abortb/f.bin"])).len(), 2 << 20);
}

/// Files of a download's checkpoint directory that are checkpoints (`*.dcp.json`).
/// The number of a part a download checkpoint in `dir` records as written.
fn recorded_download_part(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".dcp.json"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .find_map(|v| v["parts"].as_array()?.first()?["number"].as_u64())
        .and_then(|n| usize::try_from(n).ok())
        .expect("a recorded part")
}

fn download_checkpoints(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".dcp.json"))
        .count()
}

/// Runs `args` (a download, one part at a time, rate-capped) and kills it with SIGKILL once the
/// checkpoint records at least `min_parts` parts; returns the parts recorded.
fn kill_midway(s: &Ossd, args: &[&str], rate: &str, cpdir: &Path, min_parts: usize) -> usize {
    let mut first = cmd(s, args)
        .args(["-j", "1", "--bandwidth-limit", rate])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while checkpoint_parts(cpdir) < min_parts {
        assert!(
            first.try_wait().expect("wait").is_none(),
            "cp finished before it could be interrupted"
        );
        assert!(std::time::Instant::now() < deadline, "no checkpoint progress");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    first.kill().expect("kill"); // SIGKILL
    first.wait().expect("wait");
    checkpoint_parts(cpdir)
}

#[test]
fn cp_download_50_mib_killed_and_resumed() {
    let s = Ossd::start();
    ok(&cli(&s, &["mb", "oss://dlb"]));
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("big.bin");
    let data: Vec<u8> =
        (0..50u32 * 1024 * 1024).map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8).collect();
    std::fs::write(&src, &data).expect("write");
    ok(&cli(&s, &["cp", src.to_str().expect("utf8"), "oss://dlb/big.bin"]));
    let cpdir = dir.path().join("ckpt");
    let back = dir.path().join("out").join("back.bin");
    let partial = dir.path().join("out").join("back.bin.ossd-part");
    let args = [
        "cp",
        "oss://dlb/big.bin",
        back.to_str().expect("utf8"),
        "--bigfile-threshold",
        "1M",
        "--part-size",
        "100K",
        "--checkpoint-dir",
        cpdir.to_str().expect("utf8"),
    ];
    // About 5 s at 10 MiB/s, killed once a few parts are written.
    let stored = kill_midway(&s, &args, "10M", &cpdir, 5);
    assert!((5..512).contains(&stored), "{stored} parts in the checkpoint");
    assert_eq!(download_checkpoints(&cpdir), 1);
    assert!(!back.exists(), "the destination appears only when the download is complete");
    assert_eq!(std::fs::metadata(&partial).expect("the partial file").len(), 50 << 20);

    // The rerun skips the recorded parts; nothing on stderr off a terminal.
    let o = cmd(&s, &args).args(["-j", "4", "--output", "json"]).output().expect("run");
    let v = json(&o);
    assert!(o.status.success(), "{v}");
    assert!(o.stderr.is_empty(), "{:?}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(v["parts"], 512, "{v}");
    let resumed = v["resumed_parts"].as_u64().expect("resumed");
    assert!(resumed >= stored as u64 && resumed < 512, "{v}");
    assert!(std::fs::read(&back).expect("read") == data, "downloaded bytes differ");
    assert!(!partial.exists(), "the partial file is renamed");
    assert_eq!(download_checkpoints(&cpdir), 0, "the checkpoint is removed after completion");
}

#[test]
fn cp_download_of_an_object_changed_between_runs_starts_over() {
    let s = Ossd::start();
    ok(&cli(&s, &["mb", "oss://dlchg"]));
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("v1.bin");
    std::fs::write(&src, vec![1u8; 2 << 20]).expect("write");
    ok(&cli(&s, &["cp", src.to_str().expect("utf8"), "oss://dlchg/f.bin"]));
    let cpdir = dir.path().join("ckpt");
    let back = dir.path().join("back.bin");
    let args = [
        "cp",
        "oss://dlchg/f.bin",
        back.to_str().expect("utf8"),
        "--bigfile-threshold",
        "1M",
        "--part-size",
        "100K",
        "--checkpoint-dir",
        cpdir.to_str().expect("utf8"),
    ];
    let stored = kill_midway(&s, &args, "1M", &cpdir, 2);
    assert!((2..21).contains(&stored), "{stored}");
    // The object is replaced by one of the same size and other bytes.
    let v2: Vec<u8> = (0..2u32 << 20).map(|i| (i % 251) as u8).collect();
    let src2 = dir.path().join("v2.bin");
    std::fs::write(&src2, &v2).expect("write");
    ok(&cli(&s, &["cp", src2.to_str().expect("utf8"), "oss://dlchg/f.bin"]));
    let v = json(&cli(&s, &[&args[..], &["--output", "json"]].concat()));
    assert_eq!((v["parts"].as_u64(), v["resumed_parts"].as_u64()), (Some(21), Some(0)), "{v}");
    assert!(std::fs::read(&back).expect("read") == v2, "the new object's bytes, no old part");
    assert_eq!(download_checkpoints(&cpdir), 0);
}

#[test]
fn cat_output_json() {
    let s = Ossd::start();
    ok(&cli(&s, &["mb", "oss://catb"]));
    let dir = tempfile::tempdir().expect("tmp");
    let text = dir.path().join("t.txt");
    std::fs::write(&text, "héllo\n").expect("write");
    ok(&cli(&s, &["cp", text.to_str().expect("utf8"), "oss://catb/t.txt"]));
    let bin = dir.path().join("b.bin");
    std::fs::write(&bin, [0xffu8, 0x00, 0xc3, 0x28]).expect("write");
    ok(&cli(&s, &["cp", bin.to_str().expect("utf8"), "oss://catb/b.bin"]));
    let st = json(&cli(&s, &["stat", "oss://catb/t.txt", "--output", "json"]));

    let v = json(&cli(&s, &["cat", "oss://catb/t.txt", "--output", "json"]));
    assert_eq!(v["bucket"], "catb");
    assert_eq!(v["key"], "t.txt");
    assert_eq!(v["size"], 7);
    assert_eq!(v["encoding"], "utf-8");
    assert_eq!(v["content"], "héllo\n");
    assert_eq!(v["etag"], st["Etag"], "{v} {st}");
    assert_eq!(v["content_type"], st["Content-Type"]);
    assert_eq!(v["crc64"], st["X-Oss-Hash-Crc64ecma"]);

    let v = json(&cli(&s, &["cat", "oss://catb/b.bin", "--output", "json"]));
    assert_eq!((v["size"].as_u64(), v["encoding"].as_str()), (Some(4), Some("base64")), "{v}");
    assert_eq!(v["content"], "/wDDKA==");
    // Without --output json the bytes themselves.
    assert_eq!(cli(&s, &["cat", "oss://catb/b.bin"]).stdout, [0xffu8, 0x00, 0xc3, 0x28]);
}

/// `ossd ARGS` with no `OSS_*` environment and no config file: everything comes from the flags.
fn bare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(args)
        .env_remove("OSS_ENDPOINT")
        .env_remove("OSS_ACCESS_KEY_ID")
        .env_remove("OSS_ACCESS_KEY_SECRET")
        .env_remove("OSS_REGION")
        .env_remove("OSSUTIL_CONFIG_FILE")
        .env("HOME", "/nonexistent-home-for-tests")
        .stdin(Stdio::null())
        .output()
        .expect("run ossd")
}

#[test]
fn global_flags_before_the_subcommand() {
    let s = Ossd::start();
    let addr = s.addr.to_string();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = closed.local_addr().expect("addr").to_string();
    drop(closed);
    let creds = ["-e", addr.as_str(), "-i", AK, "-k", SK];
    ok(&bare(&[&creds[..], &["mb", "oss://preb"]].concat()));
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("f.txt");
    std::fs::write(&f, "before").expect("write");
    ok(&bare(&[&creds[..], &["cp", f.to_str().expect("utf8"), "oss://preb/f.txt"]].concat()));
    // --output, --region and --sign-version before the subcommand are used: JSON out, signed V4
    // for cn-hangzhou (the server's region)...
    let v = json(&bare(
        &[&creds[..], &["--region", "cn-hangzhou", "--sign-version", "v4", "--output", "json"]]
            .concat()
            .into_iter()
            .chain(["cat", "oss://preb/f.txt"])
            .collect::<Vec<_>>(),
    ));
    assert_eq!(v["content"], "before", "{v}");
    // ...and a region the server is not in is refused, so the flag did reach the signer.
    let o = bare(&[&creds[..], &["--region", "us-west-1", "--sign-version", "v4", "ls"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("region"), "{o:?}");
    let o = bare(&[&creds[..], &["--sign-version", "v9", "ls"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("v9"));
    // The same flag after the subcommand wins over the one before.
    ok(&bare(&["-e", &dead, "-i", AK, "-k", SK, "ls", "-e", &addr]));
    let o = bare(&["-e", &addr, "-i", AK, "-k", SK, "ls", "-e", &dead]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&dead));
    // A flag before the subcommand wins over the environment.
    let o = Command::new(env!("CARGO_BIN_EXE_ossd"))
        .args(["-e", &addr, "ls", "oss://preb"])
        .env("OSS_ENDPOINT", &dead)
        .env("OSS_ACCESS_KEY_ID", AK)
        .env("OSS_ACCESS_KEY_SECRET", SK)
        .env_remove("OSS_REGION")
        .env("HOME", "/nonexistent-home-for-tests")
        .output()
        .expect("run");
    assert!(ok(&o).contains("f.txt"));
    // -c before the subcommand: an ossutil config file.
    let conf = dir.path().join("ossutil.conf");
    std::fs::write(
        &conf,
        format!("[default]\naccessKeyID = {AK}\naccessKeySecret = {SK}\nendpoint = {addr}\n"),
    )
    .expect("write");
    assert!(ok(&bare(&["-c", conf.to_str().expect("utf8"), "ls", "oss://preb"])).contains("f.txt"));
    // Nested commands too (cors sits one level deeper).
    let o = bare(&[&creds[..], &["--output", "json", "cors", "get", "oss://preb"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(json(&o)["code"], "NoSuchCORSConfiguration", "JSON error from --output before");
    // serve and key refuse client flags before the subcommand; serve --region still works after.
    let o = bare(&["--region", "cn-hangzhou", "serve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--region before the subcommand"));
    let o = bare(&["serve", "--region", "cn-hangzhou", "--help"]);
    assert!(o.status.success());
}

#[test]
fn cp_download_checks_the_bytes_on_disk_and_a_change_during_the_download() {
    let s = Ossd::start();
    ok(&cli(&s, &["mb", "oss://dlcrc"]));
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("v1.bin");
    let v1: Vec<u8> = (0..2u32 << 20).map(|i| (i % 253) as u8).collect();
    std::fs::write(&src, &v1).expect("write");
    ok(&cli(&s, &["cp", src.to_str().expect("utf8"), "oss://dlcrc/f.bin"]));
    let cpdir = dir.path().join("ckpt");
    let back = dir.path().join("back.bin");
    let partial = dir.path().join("back.bin.ossd-part");
    let args = [
        "cp",
        "oss://dlcrc/f.bin",
        back.to_str().expect("utf8"),
        "--bigfile-threshold",
        "1M",
        "--part-size",
        "100K",
        "--checkpoint-dir",
        cpdir.to_str().expect("utf8"),
    ];
    // A byte of a recorded part is damaged in the partial file between the runs: the resumed
    // download fails on the whole file's CRC-64 and leaves neither the file nor the checkpoint.
    kill_midway(&s, &args, "1M", &cpdir, 2);
    // A part the checkpoint records (parts run in any order, even one at a time).
    let recorded = recorded_download_part(&cpdir);
    let mut bytes = std::fs::read(&partial).expect("partial");
    bytes[(recorded - 1) * 100 * 1024 + 10] ^= 0xff;
    std::fs::write(&partial, &bytes).expect("write");
    let o = cli(&s, &args);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("CRC-64 mismatch"), "{o:?}");
    assert!(!back.exists() && !partial.exists());
    assert_eq!(download_checkpoints(&cpdir), 0);
    let v = json(&cli(&s, &[&args[..], &["--output", "json"]].concat()));
    assert_eq!(v["resumed_parts"], 0, "{v}");
    assert!(std::fs::read(&back).expect("read") == v1);

    // The object replaced while the download runs: the next part is refused (If-Match), the
    // download fails and leaves nothing half-done behind.
    std::fs::remove_file(&back).expect("rm");
    let running = cmd(&s, &args)
        .args(["-j", "1", "--bandwidth-limit", "1M"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while checkpoint_parts(&cpdir) < 2 {
        assert!(std::time::Instant::now() < deadline, "no checkpoint progress");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let src2 = dir.path().join("v2.bin");
    std::fs::write(&src2, vec![9u8; 2 << 20]).expect("write");
    ok(&cli(&s, &["cp", src2.to_str().expect("utf8"), "oss://dlcrc/f.bin"]));
    let o = running.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("changed during the download"), "{o:?}");
    assert!(!back.exists() && !partial.exists());
    assert_eq!(download_checkpoints(&cpdir), 0);
}
