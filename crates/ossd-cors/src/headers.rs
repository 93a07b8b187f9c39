//! The exact CORS headers a server answers for a decision, as name/value pairs: the same values the
//! ossd server sends (its integration tests compare the two over a table of configurations).
//! Used by tools that show a decision (`ossd cors explain`, the console).

use crate::{AllowOrigin, CorsConfig, Decision, allow_headers_value};

/// `Vary` of a preflight whose `Access-Control-Allow-Origin` echoes the request's origin.
pub const VARY_PREFLIGHT: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/// A computed answer: the status class and the CORS headers in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// True when a rule matched (a preflight is answered 200, else 403 `AccessForbidden`).
    pub allowed: bool,
    /// The index of the deciding rule, if any.
    pub rule: Option<usize>,
    /// `(name, value)` pairs, names in canonical case, CORS headers and `Vary` only.
    pub headers: Vec<(&'static str, String)>,
}

fn rule_headers(
    out: &mut Vec<(&'static str, String)>,
    cfg: &CorsConfig,
    rule: usize,
    allow_origin: &str,
) {
    out.push(("Access-Control-Allow-Origin", allow_origin.to_owned()));
    if let Some(r) = cfg.rules().get(rule) {
        out.push(("Access-Control-Allow-Methods", r.allowed_methods.join(", ")));
        if !r.expose_headers.is_empty() {
            out.push(("Access-Control-Expose-Headers", r.expose_headers.join(", ")));
        }
        if let Some(age) = r.max_age_seconds {
            out.push(("Access-Control-Max-Age", age.to_string()));
        }
    }
}

/// The answer to a preflight (`OPTIONS` with `Origin`, `Access-Control-Request-Method` and the raw
/// `Access-Control-Request-Headers`): on a match Allow-Origin, Allow-Methods, Expose-Headers,
/// Max-Age, Allow-Headers (the requested list, normalised) and `Vary` (all three request headers
/// when the origin is echoed, `Origin` for `*` with `ResponseVary`); refused: `Vary: Origin` only
/// with `ResponseVary`.
pub fn preflight_answer(
    cfg: &CorsConfig,
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Answer {
    let mut headers = Vec::new();
    match cfg.preflight(origin, method, request_headers) {
        Decision::Allowed(a) => {
            rule_headers(&mut headers, cfg, a.rule, a.allow_origin_value(origin));
            if let Some(v) = allow_headers_value(request_headers) {
                headers.push(("Access-Control-Allow-Headers", v));
            }
            if a.allow_origin == AllowOrigin::Echo {
                headers.push(("Vary", VARY_PREFLIGHT.to_owned()));
            } else if cfg.response_vary() {
                headers.push(("Vary", "Origin".to_owned()));
            }
            Answer { allowed: true, rule: Some(a.rule), headers }
        }
        Decision::Denied => {
            if cfg.response_vary() {
                headers.push(("Vary", "Origin".to_owned()));
            }
            Answer { allowed: false, rule: None, headers }
        }
    }
}

/// The CORS headers added to the actual request's response (`method` with `Origin`): on a match
/// Allow-Origin, Allow-Methods, Expose-Headers, Max-Age; `Vary: Origin` when the origin is echoed or
/// the bucket sets `ResponseVary`. The response itself (status) does not depend on CORS.
pub fn actual_answer(cfg: &CorsConfig, origin: &str, method: &str) -> Answer {
    let mut headers = Vec::new();
    let decision = if origin.is_empty() { Decision::Denied } else { cfg.actual(origin, method) };
    let mut vary = cfg.response_vary();
    let rule = match decision {
        Decision::Allowed(a) => {
            rule_headers(&mut headers, cfg, a.rule, a.allow_origin_value(origin));
            vary |= a.allow_origin == AllowOrigin::Echo;
            Some(a.rule)
        }
        Decision::Denied => None,
    };
    if vary {
        headers.push(("Vary", "Origin".to_owned()));
    }
    Answer { allowed: rule.is_some(), rule, headers }
}
