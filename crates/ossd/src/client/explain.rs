//! Printing `cors explain` and `cors lint`; the logic is ossd-cors's (`explain`, `headers`, `lint`).

use super::cors::Asked;
use super::output;
use ossd_cors::headers::{actual_answer, preflight_answer};
use ossd_cors::{CorsConfig, RuleVerdict};

fn reason(cfg: &CorsConfig, i: usize, v: &RuleVerdict, asked: &Asked) -> String {
    let rule = cfg.rules().get(i);
    let list = |v: Option<&Vec<String>>| v.map(|v| v.join(", ")).unwrap_or_default();
    match v {
        RuleVerdict::Matched => "matches (origin, method and every requested header)".to_owned(),
        RuleVerdict::OriginMismatch => format!(
            "origin {:?} matches none of AllowedOrigin [{}] (compared case-sensitively, scheme and port included)",
            asked.origin,
            list(rule.map(|r| &r.allowed_origins))
        ),
        RuleVerdict::MethodMismatch => format!(
            "origin matches, but method {:?} is not in AllowedMethod [{}] (exact, upper-case)",
            asked.method,
            list(rule.map(|r| &r.allowed_methods))
        ),
        RuleVerdict::HeaderMismatch { header } => format!(
            "origin and method match, but requested header {header:?} matches no AllowedHeader [{}]",
            list(rule.map(|r| &r.allowed_headers))
        ),
    }
}

/// Explains a request against `cfg` (`None`: the bucket has no rules); returns the exit status:
/// 0 when the preflight is allowed, 1 when refused.
pub fn explain(cfg: Option<&CorsConfig>, asked: &Asked, json: bool) -> u8 {
    let Some(cfg) = cfg else {
        if json {
            output::json(&serde_json::json!({"allowed": false, "rule": null, "rules": [],
                "reason": "the bucket has no CORS configuration",
                "preflight": {"status": 403, "headers": {}}, "actual": {"headers": {}}}));
        } else {
            println!("REFUSED: the bucket has no CORS configuration");
            println!("preflight answer: 403 AccessForbidden, no CORS headers");
        }
        return 1;
    };
    let headers = asked.headers.as_deref();
    let ex = cfg.explain(&asked.origin, &asked.method, headers);
    let pre = preflight_answer(cfg, &asked.origin, &asked.method, headers);
    let act = actual_answer(cfg, &asked.origin, &asked.method);
    let status = if pre.allowed { 200 } else { 403 };
    let verdicts: Vec<(usize, &RuleVerdict, String, &'static str)> = ex
        .rules
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let role = match (ex.matched, v) {
                (Some(m), _) if m == i => "decides",
                (Some(_), RuleVerdict::Matched) => "matches, but an earlier rule decides",
                (_, RuleVerdict::Matched) => "matches",
                _ => "no match",
            };
            (i, v, reason(cfg, i, v, asked), role)
        })
        .collect();
    if json {
        let map = |h: &[(&str, String)]| {
            serde_json::Value::Object(
                h.iter().map(|(k, v)| ((*k).to_owned(), v.clone().into())).collect(),
            )
        };
        let rules: Vec<serde_json::Value> = verdicts
            .iter()
            .map(|(i, v, why, role)| {
                let code = match v {
                    RuleVerdict::Matched => "matched",
                    RuleVerdict::OriginMismatch => "origin-mismatch",
                    RuleVerdict::MethodMismatch => "method-mismatch",
                    RuleVerdict::HeaderMismatch { .. } => "header-mismatch",
                };
                serde_json::json!({"rule": i + 1, "verdict": code, "role": role, "reason": why})
            })
            .collect();
        output::json(&serde_json::json!({
            "allowed": pre.allowed,
            "rule": ex.matched.map(|m| m + 1),
            "rules": rules,
            "preflight": {"status": status, "headers": map(&pre.headers)},
            "actual": {"allowed": act.allowed, "headers": map(&act.headers)},
        }));
    } else {
        let h = headers.map(|h| format!(", headers {h:?}")).unwrap_or_default();
        println!("request: {} from {:?}{h}", asked.method, asked.origin);
        for (i, _, why, role) in &verdicts {
            println!("  rule {}: {role}: {why}", i + 1);
        }
        match ex.matched {
            Some(m) => println!("ALLOWED by rule {} (the first rule that matches decides)", m + 1),
            None => println!("REFUSED: no rule matches, the preflight gets 403 AccessForbidden"),
        }
        println!("preflight answer: {status}");
        for (k, v) in &pre.headers {
            println!("  {k}: {v}");
        }
        println!("actual {} request: the response carries", asked.method);
        if act.headers.is_empty() {
            println!("  (no CORS headers: the browser blocks reading it)");
        }
        for (k, v) in &act.headers {
            println!("  {k}: {v}");
        }
    }
    if pre.allowed { 0 } else { 1 }
}

/// Lints `cfg`; returns the exit status: 0 clean, 1 warnings.
pub fn lint(cfg: &CorsConfig, json: bool) -> u8 {
    let warnings = ossd_cors::lint::lint(cfg);
    if json {
        let list: Vec<serde_json::Value> = warnings
            .iter()
            .map(|w| {
                serde_json::json!({"rule": w.rule.map(|r| r + 1), "id": w.id,
                "message": w.message, "fix": w.fix})
            })
            .collect();
        output::json(&serde_json::json!({"warnings": list}));
    } else if warnings.is_empty() {
        println!("no warnings ({} rule(s))", cfg.rules().len());
    } else {
        for w in &warnings {
            let at = w.rule.map_or("config".to_owned(), |r| format!("rule {}", r + 1));
            println!("{at}: [{}] {}\n    fix: {}", w.id, w.message, w.fix);
        }
        println!("{} warning(s)", warnings.len());
    }
    u8::from(!warnings.is_empty())
}
