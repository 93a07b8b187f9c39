//! The access log line: error code, bytes in and out, user agent, access key id and CORS
//! decision; never the secret or the signature.

use crate::harness::{Ossd, Req, SK, StartOpts, make_bucket};

/// The `request` lines of a JSON log, parsed.
fn request_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"] == "request")
        .collect()
}

#[test]
fn a_request_line_carries_the_operator_fields_and_no_secret() {
    let tmp = tempfile::tempdir().expect("tmp");
    let log = tmp.path().join("log");
    let mut s = Ossd::start_with(&StartOpts {
        args: vec!["--log-json".into()],
        log_to: Some(log.clone()),
        log_level: Some("info".into()),
        ..StartOpts::default()
    });
    make_bucket(&s, "logged");
    let rules = "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.com</AllowedOrigin>\
        <AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>";
    assert_eq!(s.signed(Req::new("PUT", "/logged/?cors").body(rules)).status, 200);
    let put = Req::new("PUT", "/logged/obj")
        .header("User-Agent", "test-agent/1.0")
        .header("Origin", "https://a.com")
        .body("twelve bytes");
    let mut signed = put.clone();
    signed.sign(crate::harness::AK, SK);
    let signature =
        signed.headers.iter().find(|(k, _)| k == "Authorization").expect("auth").1.clone();
    assert_eq!(s.send(&signed).status, 200);
    assert_eq!(s.signed(Req::new("GET", "/logged/obj")).status, 200);
    assert_eq!(s.signed(Req::new("GET", "/logged/none")).status, 404);
    let pre = Req::new("OPTIONS", "/logged/obj")
        .header("Origin", "https://b.com")
        .header("Access-Control-Request-Method", "PUT");
    assert_eq!(s.send(&pre).status, 403);
    s.stop();

    let text = std::fs::read_to_string(&log).expect("log");
    let lines = request_lines(&text);
    let find = |op: &str| {
        lines.iter().find(|l| l["op"] == op).unwrap_or_else(|| panic!("no {op} line in {text}"))
    };
    let put = find("PutObject");
    assert_eq!(put["status"], 200);
    assert_eq!(put["bytes_in"], 12);
    assert_eq!(put["bytes_out"], 0);
    assert_eq!(put["user_agent"], "test-agent/1.0");
    assert_eq!(put["access_key_id"], crate::harness::AK);
    assert_eq!(put["cors"], "allowed");
    assert_eq!(put["error_code"], "");
    let get = lines.iter().find(|l| l["op"] == "GetObject" && l["status"] == 200).expect("get");
    assert_eq!(get["bytes_out"], 12);
    assert_eq!(get["cors"], "");
    let missing = lines.iter().find(|l| l["status"] == 404).expect("404 line");
    assert_eq!(missing["error_code"], "NoSuchKey");
    let pre = find("OptionObject");
    assert_eq!(pre["error_code"], "AccessForbidden");
    assert_eq!(pre["cors"], "refused_origin");
    assert_eq!(pre["access_key_id"], "");
    // Neither the secret nor any signature reaches the log.
    assert!(!text.contains(SK), "the secret is in the log");
    let sig = signature.rsplit(':').next().expect("signature");
    assert!(!text.contains(sig), "a signature is in the log");
}
