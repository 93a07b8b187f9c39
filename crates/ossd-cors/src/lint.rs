//! Warnings about CORS configurations that are valid but probably do not do what their author
//! meant. Each warning has a stable id (for scripts and suppressions), the rule it is about, a
//! message and the fix.

use crate::{CorsConfig, CorsRule, MAX_RULES, Method};

/// The headers the official SDKs send on a signed upload from a browser (header signing V1/V4).
pub const SIGNED_UPLOAD_HEADERS: [&str; 4] =
    ["authorization", "content-type", "x-oss-date", "x-oss-content-sha256"];

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The 0-based index of the rule concerned; `None` for the configuration as a whole.
    pub rule: Option<usize>,
    /// A stable identifier, e.g. `shadowed-rule`.
    pub id: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// True when every string `inner` matches is also matched by `outer` (patterns with at most one `*`).
/// `case_insensitive` for headers.
pub fn pattern_covers(outer: &str, inner: &str, case_insensitive: bool) -> bool {
    let (o, i) = if case_insensitive {
        (outer.to_ascii_lowercase(), inner.to_ascii_lowercase())
    } else {
        (outer.to_owned(), inner.to_owned())
    };
    if o == i || o == "*" {
        return true;
    }
    match (o.split_once('*'), i.split_once('*')) {
        (None, _) => false,
        (Some((op, os)), None) => {
            i.len() >= op.len() + os.len() && i.starts_with(op) && i.ends_with(os)
        }
        (Some((op, os)), Some((ip, is))) => ip.starts_with(op) && is.ends_with(os),
    }
}

fn method_set(rule: &CorsRule) -> Vec<Method> {
    rule.allowed_methods.iter().filter_map(|m| Method::parse(m)).collect()
}

/// True when `earlier` matches every preflight and actual request `later` matches.
fn shadows(earlier: &CorsRule, later: &CorsRule) -> bool {
    let origins = later
        .allowed_origins
        .iter()
        .all(|l| earlier.allowed_origins.iter().any(|e| pattern_covers(e, l, false)));
    let em = method_set(earlier);
    let methods = method_set(later).iter().all(|m| em.contains(m));
    let headers = later
        .allowed_headers
        .iter()
        .all(|l| earlier.allowed_headers.iter().any(|e| pattern_covers(e, l, true)));
    origins && methods && headers
}

fn same_rule(a: &CorsRule, b: &CorsRule) -> bool {
    let set = |v: &[String], ci: bool| {
        let mut s: Vec<String> =
            v.iter().map(|x| if ci { x.to_ascii_lowercase() } else { x.clone() }).collect();
        s.sort();
        s.dedup();
        s
    };
    set(&a.allowed_origins, false) == set(&b.allowed_origins, false)
        && set(&a.allowed_methods, false) == set(&b.allowed_methods, false)
        && set(&a.allowed_headers, true) == set(&b.allowed_headers, true)
        && set(&a.expose_headers, true) == set(&b.expose_headers, true)
        && a.max_age_seconds == b.max_age_seconds
}

fn allows_header(rule: &CorsRule, header: &str) -> bool {
    rule.allowed_headers.iter().any(|p| pattern_covers(p, header, true))
}

fn is_local_host(host: &str) -> bool {
    let h = host.split(':').next().unwrap_or(host);
    h == "localhost" || h == "127.0.0.1" || h == "[::1]"
}

/// Checks one origin pattern on its own.
fn origin_warnings(idx: usize, origin: &str, all: &[&str], out: &mut Vec<Warning>) {
    if origin == "*" {
        return;
    }
    let w = |id, message: String, fix: String| Warning { rule: Some(idx), id, message, fix };
    let Some((scheme, rest)) = origin.split_once("://") else {
        if !origin.starts_with('*') {
            out.push(w(
                "origin-without-scheme",
                format!("origin {origin:?} has no scheme; a browser always sends one (https://…)"),
                format!("write \"https://{origin}\" (and \"http://{origin}\" if the page is served over http)"),
            ));
        }
        return;
    };
    if let Some(slash) = rest.find('/') {
        let host = &rest[..slash];
        let what = if slash + 1 == rest.len() { "a trailing slash" } else { "a path" };
        out.push(w(
            "origin-with-path",
            format!("origin {origin:?} has {what}; a browser's Origin is scheme://host[:port] only, so it never matches"),
            format!("write \"{scheme}://{host}\""),
        ));
        return;
    }
    let default_port = match scheme {
        "https" => Some(":443"),
        "http" => Some(":80"),
        _ => None,
    };
    if let Some(p) = default_port.filter(|p| rest.ends_with(p)) {
        let host = &rest[..rest.len() - p.len()];
        out.push(w(
            "origin-default-port",
            format!("origin {origin:?} names the default port; browsers leave it out of Origin, so it never matches"),
            format!("write \"{scheme}://{host}\""),
        ));
    }
    if scheme == "http" && !is_local_host(rest) && !rest.contains('*') {
        let https = format!("https://{rest}");
        if !all.iter().any(|o| pattern_covers(o, &https, false)) {
            out.push(w(
                "http-only-origin",
                format!(
                    "origin {origin:?} allows only http; a page served over https sends \"{https}\""
                ),
                format!("add \"{https}\" (or replace the http origin if the site is https only)"),
            ));
        }
    }
    let crossed = match scheme {
        "https" => rest.ends_with(":80"),
        "http" => rest.ends_with(":443"),
        _ => false,
    };
    if crossed {
        let other = if scheme == "https" { "http" } else { "https" };
        out.push(w(
            "scheme-port-mismatch",
            format!("origin {origin:?} pairs {scheme} with {other}'s default port; that is almost certainly a typo"),
            format!("write \"{other}://{}\" or \"{scheme}://{}\"", rest.rsplit_once(':').map_or(rest, |(h, _)| h), rest.rsplit_once(':').map_or(rest, |(h, _)| h)),
        ));
    }
}

/// Lints a validated configuration; warnings come rule by rule, in rule order.
pub fn lint(cfg: &CorsConfig) -> Vec<Warning> {
    let rules = cfg.rules();
    let mut out = Vec::new();
    let all_origins: Vec<&str> =
        rules.iter().flat_map(|r| r.allowed_origins.iter().map(String::as_str)).collect();
    for (j, rule) in rules.iter().enumerate() {
        let w = |id, message: String, fix: String| Warning { rule: Some(j), id, message, fix };
        if let Some(i) = (0..j).find(|&i| rules.get(i).is_some_and(|e| same_rule(e, rule))) {
            out.push(w(
                "duplicate-rule",
                format!("rule {} is the same as rule {}", j + 1, i + 1),
                format!("delete rule {}", j + 1),
            ));
        } else if let Some(i) = (0..j).find(|&i| rules.get(i).is_some_and(|e| shadows(e, rule))) {
            out.push(w(
                "shadowed-rule",
                format!("rule {} never decides: rule {} matches every request it matches, and the first match wins", j + 1, i + 1),
                format!("move rule {} before rule {} or merge them", j + 1, i + 1),
            ));
        }
        for (field, values, ci) in [
            ("AllowedOrigin", &rule.allowed_origins, false),
            ("AllowedMethod", &rule.allowed_methods, false),
            ("AllowedHeader", &rule.allowed_headers, true),
            ("ExposeHeader", &rule.expose_headers, true),
        ] {
            let same = |a: &String, b: &String| if ci { a.eq_ignore_ascii_case(b) } else { a == b };
            if let Some(v) = values
                .iter()
                .enumerate()
                .find(|(k, v)| values.iter().take(*k).any(|e| same(e, v)))
                .map(|(_, v)| v.clone())
            {
                out.push(w(
                    "duplicate-value",
                    format!("rule {} lists {field} {v:?} more than once", j + 1),
                    format!("remove the repeated {field} {v:?}"),
                ));
            }
        }
        for o in &rule.allowed_origins {
            origin_warnings(j, o, &all_origins, &mut out);
        }
        let methods = method_set(rule);
        let uploads = methods.iter().any(|m| matches!(m, Method::Put | Method::Post));
        if uploads {
            let missing: Vec<&str> =
                SIGNED_UPLOAD_HEADERS.iter().copied().filter(|h| !allows_header(rule, h)).collect();
            if !missing.is_empty() {
                out.push(w(
                    "upload-headers-not-allowed",
                    format!(
                        "rule {} allows uploads but not the headers a signed upload sends: {}; the browser's preflight is refused",
                        j + 1,
                        missing.join(", ")
                    ),
                    format!("add AllowedHeader {} (or \"*\")", missing.join(", ")),
                ));
            }
        }
        if methods.contains(&Method::Put)
            && !rule.expose_headers.iter().any(|h| h.eq_ignore_ascii_case("etag"))
        {
            out.push(w(
                "etag-not-exposed",
                format!("rule {} allows PUT but does not expose ETag; a browser multipart upload needs each part's ETag to complete", j + 1),
                "add ExposeHeader ETag".to_owned(),
            ));
        }
        if rule.max_age_seconds.is_none() {
            out.push(w(
                "no-max-age",
                format!("rule {} has no MaxAgeSeconds: the browser sends a preflight before every request", j + 1),
                "add MaxAgeSeconds, e.g. 600".to_owned(),
            ));
        }
    }
    if rules.len() + 2 > MAX_RULES {
        out.push(Warning {
            rule: None,
            id: "near-rule-limit",
            message: format!("{} rules of the {} OSS allows", rules.len(), MAX_RULES),
            fix: "merge rules that differ only in origins or methods".to_owned(),
        });
    }
    out
}
