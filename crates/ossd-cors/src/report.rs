//! A decision told rule by rule for people: which rule decides, why each other rule did or did not
//! match, and the exact headers of the preflight answer and of the actual response. The one
//! account both `ossd cors explain` and the console's simulator show.

use crate::headers::{Answer, actual_answer, preflight_answer};
use crate::{CorsConfig, RuleVerdict};

/// One rule's part in the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    /// The verdict.
    pub verdict: RuleVerdict,
    /// `matched`, `origin-mismatch`, `method-mismatch` or `header-mismatch`.
    pub code: &'static str,
    /// `decides`, `matches, but an earlier rule decides`, `matches` or `no match`.
    pub role: &'static str,
    /// Why, in words, naming the rule's values.
    pub reason: String,
}

/// The whole account of one request against one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The 0-based index of the deciding rule, if any.
    pub matched: Option<usize>,
    /// One entry per rule, in rule order.
    pub rules: Vec<RuleReport>,
    /// The preflight answer (allowed: 200, else 403 `AccessForbidden`) and its CORS headers.
    pub preflight: Answer,
    /// The CORS headers of the actual request's response.
    pub actual: Answer,
}

fn reason(cfg: &CorsConfig, i: usize, v: &RuleVerdict, origin: &str, method: &str) -> String {
    let rule = cfg.rules().get(i);
    let list = |v: Option<&Vec<String>>| v.map(|v| v.join(", ")).unwrap_or_default();
    match v {
        RuleVerdict::Matched => "matches (origin, method and every requested header)".to_owned(),
        RuleVerdict::OriginMismatch => format!(
            "origin {origin:?} matches none of AllowedOrigin [{}] (compared case-sensitively, scheme and port included)",
            list(rule.map(|r| &r.allowed_origins))
        ),
        RuleVerdict::MethodMismatch => format!(
            "origin matches, but method {method:?} is not in AllowedMethod [{}] (exact, upper-case)",
            list(rule.map(|r| &r.allowed_methods))
        ),
        RuleVerdict::HeaderMismatch { header } => format!(
            "origin and method match, but requested header {header:?} matches no AllowedHeader [{}]",
            list(rule.map(|r| &r.allowed_headers))
        ),
    }
}

/// Explains a preflight from `origin` for `method` with the raw `Access-Control-Request-Headers`
/// value `request_headers`, and the actual request that follows it.
pub fn report(
    cfg: &CorsConfig,
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Report {
    let ex = cfg.explain(origin, method, request_headers);
    let rules = ex
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
            let code = match v {
                RuleVerdict::Matched => "matched",
                RuleVerdict::OriginMismatch => "origin-mismatch",
                RuleVerdict::MethodMismatch => "method-mismatch",
                RuleVerdict::HeaderMismatch { .. } => "header-mismatch",
            };
            RuleReport { verdict: v.clone(), code, role, reason: reason(cfg, i, v, origin, method) }
        })
        .collect();
    Report {
        matched: ex.matched,
        rules,
        preflight: preflight_answer(cfg, origin, method, request_headers),
        actual: actual_answer(cfg, origin, method),
    }
}
