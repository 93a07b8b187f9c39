//! Access keys through the CLI and the admin API: grants, ownership, disabling, deletion.

use crate::harness::{AK, Ossd, Req, SK, make_bucket};
use std::process::Command;

fn cli(s: &Ossd, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ossd"))
        .arg("key")
        .args(["--endpoint", &format!("http://{}", s.addr)])
        .args(args)
        .env("OSSD_ROOT_ACCESS_KEY_ID", AK)
        .env("OSSD_ROOT_ACCESS_KEY_SECRET", SK)
        .output()
        .expect("run ossd key");
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

fn as_key(s: &Ossd, id: &str, secret: &str, mut req: Req) -> crate::harness::Resp {
    req.sign(id, secret);
    s.send(&req)
}

#[test]
fn keys_grants_ownership_and_disable() {
    let s = Ossd::start();
    make_bucket(&s, "shared");
    make_bucket(&s, "other");
    let (ok, out) = cli(&s, &["create", "--name", "uploader"]);
    assert!(ok, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let id = v["access_key_id"].as_str().expect("id").to_owned();
    let secret = v["access_key_secret"].as_str().expect("secret").to_owned();
    // No grant yet: private buckets refuse it.
    let r = as_key(&s, &id, &secret, Req::new("PUT", "/shared/a").body("x"));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    let (ok, out) = cli(&s, &["grant", &id, "shared", "write"]);
    assert!(ok, "{out}");
    assert_eq!(as_key(&s, &id, &secret, Req::new("PUT", "/shared/a").body("x")).status, 200);
    assert_eq!(as_key(&s, &id, &secret, Req::new("GET", "/shared/a")).body, b"x");
    assert_eq!(as_key(&s, &id, &secret, Req::new("GET", "/other/")).status, 403);
    // Write is not owner: no CORS changes.
    let cors = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let r = as_key(&s, &id, &secret, Req::new("PUT", "/shared/?cors").body(cors));
    assert_eq!((r.status, r.code()), (403, "AccessDenied".into()));
    // A bucket the key creates is its own; root still sees it, and the key sees only its buckets.
    assert_eq!(as_key(&s, &id, &secret, Req::new("PUT", "/mine/")).status, 200);
    assert_eq!(as_key(&s, &id, &secret, Req::new("PUT", "/mine/?cors").body(cors)).status, 200);
    let list = as_key(&s, &id, &secret, Req::new("GET", "/")).text();
    assert!(
        list.contains("<Name>mine</Name>")
            && list.contains("<Name>shared</Name>")
            && !list.contains("<Name>other</Name>"),
        "{list}"
    );
    let (ok, out) = cli(&s, &["list"]);
    assert!(ok && out.contains(&id) && !out.contains(&secret), "{out}");
    // Disabled: refused as InvalidAccessKeyId; enabled again: works.
    assert!(cli(&s, &["disable", &id]).0);
    let r = as_key(&s, &id, &secret, Req::new("GET", "/shared/a"));
    assert_eq!((r.status, r.code()), (403, "InvalidAccessKeyId".into()));
    assert!(cli(&s, &["enable", &id]).0);
    assert_eq!(as_key(&s, &id, &secret, Req::new("GET", "/shared/a")).status, 200);
    assert!(cli(&s, &["revoke", &id, "shared"]).0);
    assert_eq!(as_key(&s, &id, &secret, Req::new("GET", "/shared/a")).status, 403);
    assert!(cli(&s, &["delete", &id]).0);
    assert_eq!(as_key(&s, &id, &secret, Req::new("GET", "/mine/")).code(), "InvalidAccessKeyId");
    // The admin API refuses anyone but root.
    let r = s.send(&Req::new("GET", "/-/admin/keys"));
    assert_eq!(r.status, 403);
    let (ok, _) = cli(&s, &["show", "LTAInosuchkey"]);
    assert!(!ok);
}
