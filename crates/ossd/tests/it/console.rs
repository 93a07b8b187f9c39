//! The web console's server side against the real binary: sign-in and its cookie, no cookie on
//! OSS API paths, CSRF, the security headers of pages, assets and proxied answers, idle and
//! absolute expiry, failed sign-ins limited per address, the proxy's authorization being the OSS
//! API's own, share links, and the simulator being `ossd cors explain`.

use crate::harness::{AK, Ossd, Req, Resp, SK, StartOpts, make_bucket};
use std::process::Command;
use std::time::Duration;

/// A signed-in console session: its cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

fn sign_in_raw(s: &Ossd, id: &str, secret: &str) -> Resp {
    let body = serde_json::json!({ "access_key_id": id, "access_key_secret": secret }).to_string();
    s.send(
        &Req::new("POST", "/-/console/api/session")
            .header("Content-Type", "application/json")
            .body(body),
    )
}

fn sign_in(s: &Ossd, id: &str, secret: &str) -> Session {
    let r = sign_in_raw(s, id, secret);
    assert_eq!(r.status, 200, "{}", r.text());
    let set = r.header("set-cookie").expect("set-cookie");
    let cookie = set.split(';').next().expect("pair").to_owned();
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    Session { cookie, csrf: v["csrf"].as_str().expect("csrf").to_owned() }
}

impl Session {
    /// A console request with the cookie and the CSRF token.
    fn req(&self, method: &str, path: &str) -> Req {
        Req::new(method, path).header("Cookie", &self.cookie).header("X-Ossd-Csrf", &self.csrf)
    }
}

fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("json: {}", r.text()))
}

#[test]
fn sign_in_cookie_and_no_cookie_on_oss_paths() {
    let s = Ossd::start();
    // Unknown id and wrong secret are refused as a signature check would refuse them; no cookie.
    let r = sign_in_raw(&s, "nobody", SK);
    assert_eq!((r.status, r.code()), (403, "InvalidAccessKeyId".into()));
    assert!(r.header("set-cookie").is_none());
    let r = sign_in_raw(&s, AK, "wrong");
    assert_eq!((r.status, r.code()), (403, "SignatureDoesNotMatch".into()));
    assert!(r.header("set-cookie").is_none());
    // A form (not JSON) cannot sign in.
    let r = s.send(
        &Req::new("POST", "/-/console/api/session")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("access_key_id={AK}&access_key_secret={SK}")),
    );
    assert_eq!(r.status, 400);
    let r = sign_in_raw(&s, AK, SK);
    let set = r.header("set-cookie").expect("cookie").to_owned();
    assert!(set.starts_with("ossd_console="), "{set}");
    for attr in ["; Path=/-/console/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=43200"] {
        assert!(set.contains(attr), "{attr} in {set}");
    }
    assert!(!set.contains("Secure"), "not over plain HTTP: {set}");
    let v = json(&r);
    assert_eq!(v["root"], true);
    assert!(!r.text().contains(SK), "the secret is never sent back");
    let sess = sign_in(&s, AK, SK);
    // The session works in the console...
    let r = s.send(&sess.req("GET", "/-/console/api/session"));
    assert_eq!(json(&r)["access_key_id"], AK);
    // ...but the cookie is no credential on OSS API paths, and no OSS answer sets a cookie.
    make_bucket(&s, "plain");
    let r = s.send(&Req::new("GET", "/plain/").header("Cookie", &sess.cookie));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    for req in [
        Req::new("GET", "/"),
        Req::new("PUT", "/plain/a").body("x"),
        Req::new("GET", "/plain/a"),
        Req::new("GET", "/-/healthz"),
    ] {
        let r = s.signed(req);
        assert!(r.status < 300, "{}", r.text());
        assert_eq!(r.count("set-cookie"), 0);
        assert!(r.header("content-security-policy").is_none(), "OSS answers are as before");
    }
    // A virtual-hosted bucket host never reaches the console: `-/console/` is a key of the
    // (private) bucket there, refused to an anonymous request by the OSS pipeline.
    let mut r = Req::new("GET", "/-/console/");
    r.host = Some(format!("plain.localhost:{}", s.addr.port()));
    let r = s.send(&r);
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()), "{}", r.text());
    assert!(r.header("content-security-policy").is_none() && r.header("set-cookie").is_none());
    // Not signed in: the page asks, and is told so without an error.
    let r = s.send(&Req::new("GET", "/-/console/api/session"));
    assert_eq!((r.status, json(&r)["signed_in"].clone()), (200, serde_json::Value::Bool(false)));
    let r = s.send(&Req::new("GET", "/-/console/api/oss/"));
    assert_eq!((r.status, r.header("x-ossd-console")), (403, Some("signed-out")));
}

#[test]
fn pages_assets_and_proxied_answers_carry_the_security_headers() {
    let s = Ossd::start();
    let r = s.send(&Req::new("GET", "/-/console"));
    assert_eq!((r.status, r.header("location")), (308, Some("/-/console/")));
    let page = s.send(&Req::new("GET", "/-/console/"));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = page.header("content-security-policy").expect("csp");
    for part in
        ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]
    {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(page.text().contains(r#"<script type="module" src="assets/app.js">"#));
    for (path, ty) in [
        ("/-/console/assets/app.js", "text/javascript; charset=utf-8"),
        ("/-/console/assets/console.css", "text/css; charset=utf-8"),
    ] {
        let r = s.send(&Req::new("GET", path));
        assert_eq!((r.status, r.header("content-type")), (200, Some(ty)), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        let etag = r.header("etag").expect("etag").to_owned();
        let again = s.send(&Req::new("GET", path).header("If-None-Match", &etag));
        assert_eq!((again.status, again.body.len()), (304, 0), "{path}");
    }
    assert_eq!(s.send(&Req::new("GET", "/-/console/assets/nope.js")).status, 404);
    // What the proxy answers (an object, say an HTML page someone uploaded) runs nothing.
    make_bucket(&s, "bkt");
    let r = s.signed(
        Req::new("PUT", "/bkt/evil.html")
            .header("Content-Type", "text/html")
            .body("<script>alert(1)</script>"),
    );
    assert_eq!(r.status, 200);
    let sess = sign_in(&s, AK, SK);
    let r = s.send(&sess.req("GET", "/-/console/api/oss/bkt/evil.html"));
    assert_eq!(r.status, 200);
    assert!(r.header("content-security-policy").expect("csp").starts_with("sandbox;"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[test]
fn csrf_token_and_origin_are_required_for_every_state_change() {
    let s = Ossd::start();
    let sess = sign_in(&s, AK, SK);
    // Without the token (a cross-site form post carries the cookie at most): refused, nothing made.
    let r = s.send(&Req::new("PUT", "/-/console/api/oss/made/").header("Cookie", &sess.cookie));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    let wrong = Req::new("PUT", "/-/console/api/oss/made/")
        .header("Cookie", &sess.cookie)
        .header("X-Ossd-Csrf", &"0".repeat(64));
    assert_eq!(s.send(&wrong).status, 403);
    let foreign =
        sess.req("PUT", "/-/console/api/oss/made/").header("Origin", "http://evil.example");
    assert_eq!(s.send(&foreign).status, 403);
    let r = s.signed(Req::new("GET", "/made/?acl"));
    assert_eq!(r.code(), "NoSuchBucket");
    // Sign-out needs the token too.
    let r = s.send(&Req::new("DELETE", "/-/console/api/session").header("Cookie", &sess.cookie));
    assert_eq!(r.status, 403);
    // With it, from our own origin: done.
    let own = format!("http://{}", s.addr);
    let r = s.send(&sess.req("PUT", "/-/console/api/oss/made/").header("Origin", &own));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.signed(Req::new("GET", "/made/?acl")).status, 200);
    // Reads need no token.
    let r = s.send(&Req::new("GET", "/-/console/api/oss/").header("Cookie", &sess.cookie));
    assert!(r.text().contains("<Name>made</Name>"), "{}", r.text());
    // Sign out: the cookie is cleared and the session is over.
    let r = s.send(&sess.req("DELETE", "/-/console/api/session"));
    assert_eq!(r.status, 204);
    assert!(r.header("set-cookie").expect("clear").contains("Max-Age=0"));
    let r = s.send(&Req::new("GET", "/-/console/api/oss/").header("Cookie", &sess.cookie));
    assert_eq!(r.status, 403);
}

#[test]
fn sessions_expire_idle_and_absolute_and_failed_sign_ins_are_limited() {
    let opts = StartOpts {
        args: ["--console-session-idle", "1", "--console-session-max", "3"]
            .iter()
            .map(|a| (*a).to_owned())
            .chain(["--console-sign-in-failures".to_owned(), "2".to_owned()])
            .collect(),
        ..StartOpts::default()
    };
    let s = Ossd::start_with(&opts);
    let alive = |sess: &Session| {
        s.send(&Req::new("GET", "/-/console/api/oss/").header("Cookie", &sess.cookie)).status == 200
    };
    let idle = sign_in(&s, AK, SK);
    assert!(alive(&idle));
    std::thread::sleep(Duration::from_millis(1300));
    assert!(!alive(&idle), "idle for longer than --console-session-idle");
    let used = sign_in(&s, AK, SK);
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(400));
        assert!(alive(&used));
    }
    std::thread::sleep(Duration::from_millis(800));
    assert!(!alive(&used), "older than --console-session-max, used or not");
    // Two failures from this address, then even the right secret waits.
    assert_eq!(sign_in_raw(&s, AK, "bad").status, 403);
    assert_eq!(sign_in_raw(&s, "nobody", "bad").status, 403);
    let r = sign_in_raw(&s, AK, SK);
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Too many failed sign-ins"), "{}", r.text());
    assert!(r.header("retry-after").is_some());
}

#[test]
fn the_proxy_authorizes_as_the_oss_api_does() {
    let s = Ossd::start();
    make_bucket(&s, "shared");
    assert_eq!(s.signed(Req::new("PUT", "/shared/keep").body("k")).status, 200);
    let root = sign_in(&s, AK, SK);
    let r = s.send(&root.req("POST", "/-/console/api/keys?name=reader"));
    assert_eq!(r.status, 201, "{}", r.text());
    let k = json(&r);
    let (id, secret) =
        (k["access_key_id"].as_str().expect("id"), k["access_key_secret"].as_str().expect("sk"));
    let r = s
        .send(&root.req("PUT", &format!("/-/console/api/keys/{id}/grants/shared?permission=read")));
    assert_eq!(r.status, 200, "{}", r.text());
    let reader = sign_in(&s, id, secret);
    assert_eq!(json(&s.send(&reader.req("GET", "/-/console/api/session")))["root"], false);
    // Read: allowed. Delete: the same refusal as the key's signed request.
    let r = s.send(&reader.req("GET", "/-/console/api/oss/shared/keep"));
    assert_eq!((r.status, r.body.as_slice()), (200, b"k".as_slice()));
    let via_console = s.send(&reader.req("DELETE", "/-/console/api/oss/shared/keep"));
    let mut signed = Req::new("DELETE", "/shared/keep");
    signed.sign(id, secret);
    let via_api = s.send(&signed);
    assert_eq!(via_console.status, 403);
    assert_eq!(
        (via_console.status, via_console.code()),
        (via_api.status, via_api.code()),
        "{} / {}",
        via_console.text(),
        via_api.text()
    );
    assert_eq!(
        crate::harness::between(&via_console.text(), "<Message>", "</Message>"),
        crate::harness::between(&via_api.text(), "<Message>", "</Message>")
    );
    // Only root manages keys.
    let r = s.send(&reader.req("GET", "/-/console/api/keys"));
    assert_eq!(r.status, 403);
    // A disabled key's session stops at once.
    let r = s.send(&root.req("PUT", &format!("/-/console/api/keys/{id}?enabled=false")));
    assert_eq!(r.status, 200);
    let r = s.send(&reader.req("GET", "/-/console/api/oss/shared/keep"));
    assert_eq!((r.status, r.header("x-ossd-console")), (403, Some("signed-out")));
    // A signature on a proxied request does not change who acts: the session does.
    let mut forged = root.req("GET", "/-/console/api/oss/shared/keep");
    forged.headers.push(("Authorization".into(), "OSS nobody:bad".into()));
    assert_eq!(s.send(&forged).status, 200);
}

#[test]
fn share_links_and_the_simulator_are_the_clis() {
    let s = Ossd::start();
    make_bucket(&s, "web");
    assert_eq!(s.signed(Req::new("PUT", "/web/dir/a%20b.txt").body("hello")).status, 200);
    let sess = sign_in(&s, AK, SK);
    let share = |secs: i64| {
        let body =
            serde_json::json!({"bucket": "web", "key": "dir/a b.txt", "expires_seconds": secs});
        s.send(&sess.req("POST", "/-/console/api/presign").body(body.to_string()))
    };
    let r = share(600);
    assert_eq!(r.status, 200, "{}", r.text());
    let url = json(&r)["url"].as_str().expect("url").to_owned();
    let path = url.strip_prefix(&format!("http://{}", s.addr)).expect("own host");
    let got = s.send(&Req::new("GET", path));
    assert_eq!((got.status, got.body.as_slice()), (200, b"hello".as_slice()));
    // The proxy passes the key as encoded, like a signed request.
    let r = s.send(&sess.req("GET", "/-/console/api/oss/web/dir/a%20b.txt"));
    assert_eq!((r.status, r.body.as_slice()), (200, b"hello".as_slice()));
    for bad in [0, 604_801] {
        assert_eq!(share(bad).code(), "InvalidArgument");
    }
    // The simulator and `ossd cors explain --output json` give the same account.
    let xml = "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule><CORSRule><AllowedOrigin>https://*.a.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";
    assert_eq!(s.signed(Req::new("PUT", "/web/?cors").body(xml)).status, 200);
    for (origin, method, headers) in [
        ("https://x.a.com", "PUT", "Content-Type"),
        ("https://b.com", "GET", ""),
        ("https://a.com", "PUT", ""),
    ] {
        let body =
            serde_json::json!({"xml": xml, "origin": origin, "method": method, "headers": headers});
        let console =
            json(&s.send(&sess.req("POST", "/-/console/api/cors/explain").body(body.to_string())));
        let line = format!(
            "cors explain oss://web --origin {origin} --method {method} --output json --endpoint http://{} -i {AK} -k {SK}",
            s.addr
        );
        let mut cli = Command::new(env!("CARGO_BIN_EXE_ossd"));
        cli.args(line.split(' '));
        if !headers.is_empty() {
            cli.args(["--headers", headers]);
        }
        let out = cli.output().expect("cli");
        let from_cli: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cli json");
        assert_eq!(console, from_cli, "{origin} {method} {headers}");
    }
    // Lint, and a refusal located at its rule and field, by the PutBucketCors parser.
    let lint = serde_json::json!({ "xml": xml });
    let r = json(&s.send(&sess.req("POST", "/-/console/api/cors/lint").body(lint.to_string())));
    assert!(
        r["warnings"].as_array().expect("list").iter().any(|w| w["id"] == "etag-not-exposed"),
        "{r}"
    );
    let bad = xml.replace("https://*.a.com", "https://*.a.*");
    let r = s.send(
        &sess
            .req("POST", "/-/console/api/cors/lint")
            .body(serde_json::json!({ "xml": bad }).to_string()),
    );
    assert_eq!(r.code(), "InvalidArgument");
    let t = r.text();
    assert!(
        t.contains("<ArgumentName>AllowedOrigin</ArgumentName>")
            && t.contains("<RuleNumber>2</RuleNumber>"),
        "{t}"
    );
    let put = s.signed(Req::new("PUT", "/web/?cors").body(bad));
    assert_eq!(
        crate::harness::between(&put.text(), "<Message>", "</Message>"),
        crate::harness::between(&t, "<Message>", "</Message>"),
        "the same validation as PutBucketCors"
    );
}

#[test]
fn console_settings_come_from_the_config_file_and_zero_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("ossd.toml");
    std::fs::write(&file, "console_sign_in_failures = 1\nconsole_session_idle = 1\n")
        .expect("write");
    let opts = StartOpts {
        args: vec!["--config".to_owned(), file.to_str().expect("utf8").to_owned()],
        ..StartOpts::default()
    };
    let s = Ossd::start_with(&opts);
    let sess = sign_in(&s, AK, SK);
    std::thread::sleep(Duration::from_millis(1300));
    let r = s.send(&Req::new("GET", "/-/console/api/oss/").header("Cookie", &sess.cookie));
    assert_eq!(r.status, 403, "console_session_idle = 1 from the file");
    assert_eq!(sign_in_raw(&s, AK, "bad").status, 403);
    assert!(sign_in_raw(&s, AK, SK).text().contains("Too many failed sign-ins"));
    for (flag, value) in [
        ("--console-session-idle", "0"),
        ("--console-session-max", "0"),
        ("--console-sign-in-failures", "0"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ossd"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(tmp.path().join("data"))
            .args([flag, value])
            .env("OSSD_ROOT_ACCESS_KEY_ID", AK)
            .env("OSSD_ROOT_ACCESS_KEY_SECRET", SK)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(&flag[2..]), "{flag} {value}: {err}");
    }
}

#[test]
fn a_restart_signs_everyone_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut s = Ossd::start_in(tmp.path());
    let sess = sign_in(&s, AK, SK);
    assert_eq!(s.send(&sess.req("GET", "/-/console/api/oss/")).status, 200);
    assert_eq!(s.stop(), Some(0));
    let s = Ossd::start_in(tmp.path());
    let r = s.send(&sess.req("GET", "/-/console/api/oss/"));
    assert_eq!(
        (r.status, r.header("x-ossd-console")),
        (403, Some("signed-out")),
        "sessions live in memory"
    );
}
