//! Printing `cors explain` and `cors lint`; the logic is ossd-cors's (`explain`, `headers`, `lint`).

use super::cors::Asked;
use super::output;
use ossd_cors::CorsConfig;

/// Explains a request against `cfg` (`None`: the bucket has no rules); returns the exit status:
/// 0 when the preflight is allowed, 1 when refused.
pub fn explain(cfg: Option<&CorsConfig>, asked: &Asked, json: bool) -> u8 {
    let headers = asked.headers.as_deref();
    if json {
        let v = ossd_server::cors_report::explain_json(cfg, &asked.origin, &asked.method, headers);
        output::json(&v);
        return u8::from(v["allowed"] != true);
    }
    let Some(cfg) = cfg else {
        println!("REFUSED: the bucket has no CORS configuration");
        println!("preflight answer: 403 AccessForbidden, no CORS headers");
        return 1;
    };
    let rep = ossd_cors::report::report(cfg, &asked.origin, &asked.method, headers);
    let (pre, act) = (&rep.preflight, &rep.actual);
    let status = if pre.allowed { 200 } else { 403 };
    let h = headers.map(|h| format!(", headers {h:?}")).unwrap_or_default();
    println!("request: {} from {:?}{h}", asked.method, asked.origin);
    for (i, r) in rep.rules.iter().enumerate() {
        println!("  rule {}: {}: {}", i + 1, r.role, r.reason);
    }
    match rep.matched {
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
    if pre.allowed { 0 } else { 1 }
}

/// Lints `cfg`; returns the exit status: 0 clean, 1 warnings.
pub fn lint(cfg: &CorsConfig, json: bool) -> u8 {
    let warnings = ossd_cors::lint::lint(cfg);
    if json {
        output::json(&ossd_server::cors_report::lint_json(cfg));
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
