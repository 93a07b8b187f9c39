//! The JSON form of a CORS decision explained rule by rule (`ossd_cors::report`) and of the lint
//! warnings: printed by `ossd cors explain|lint --output json` and answered by the console's
//! simulator, so that both show the same account.

use ossd_cors::CorsConfig;
use serde_json::{Value, json};

/// `{"allowed", "rule", "rules": [{"rule", "verdict", "role", "reason"}], "preflight": {"status",
/// "headers", "wire"}, "actual": {"allowed", "headers", "wire"}}`; rules are numbered from 1,
/// `headers` maps names to values, `wire` lists `[name, value]` in the order they are sent. `cfg` `None`: the
/// bucket has no CORS configuration (refused).
pub fn explain_json(
    cfg: Option<&CorsConfig>,
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Value {
    let Some(cfg) = cfg else {
        return json!({"allowed": false, "rule": null, "rules": [],
            "reason": "the bucket has no CORS configuration",
            "preflight": {"status": 403, "headers": {}, "wire": []},
            "actual": {"allowed": false, "headers": {}, "wire": []}});
    };
    let rep = ossd_cors::report::report(cfg, origin, method, request_headers);
    let map = |h: &[(&str, String)]| {
        Value::Object(h.iter().map(|(k, v)| ((*k).to_owned(), v.clone().into())).collect())
    };
    // The same headers in the order they go on the wire.
    let wire = |h: &[(&str, String)]| h.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>();
    let rules: Vec<Value> = rep
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| json!({"rule": i + 1, "verdict": r.code, "role": r.role, "reason": r.reason}))
        .collect();
    let status = if rep.preflight.allowed { 200 } else { 403 };
    json!({
        "allowed": rep.preflight.allowed,
        "rule": rep.matched.map(|m| m + 1),
        "rules": rules,
        "preflight": {"status": status, "headers": map(&rep.preflight.headers),
            "wire": wire(&rep.preflight.headers)},
        "actual": {"allowed": rep.actual.allowed, "headers": map(&rep.actual.headers),
            "wire": wire(&rep.actual.headers)},
    })
}

/// `{"warnings": [{"rule", "id", "message", "fix"}]}`; `rule` numbered from 1, `null` for the
/// configuration as a whole.
pub fn lint_json(cfg: &CorsConfig) -> Value {
    let list: Vec<Value> = ossd_cors::lint::lint(cfg)
        .iter()
        .map(|w| {
            json!({"rule": w.rule.map(|r| r + 1), "id": w.id, "message": w.message, "fix": w.fix})
        })
        .collect();
    json!({ "warnings": list })
}
