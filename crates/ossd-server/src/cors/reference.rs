//! The plain path of CORS: a matched rule's headers inserted one by one. Actual (non-OPTIONS)
//! responses are decorated this way; a preflight is answered from the prepared blocks of
//! `prepared`, which the tests hold to [`preflight_answer`], the same answer built here header by
//! header.

use super::prepared::{ANY_ORIGIN, Matched};
use http::{HeaderMap, HeaderValue, header};

/// Inserts `Access-Control-Allow-Origin` (`*`, or the request's own `origin` value) and the rule's
/// Allow-Methods, Expose-Headers and Max-Age.
pub(super) fn insert_allowed(h: &mut HeaderMap, matched: &Matched<'_>, origin: &HeaderValue) {
    let acao = if matched.echo { origin.clone() } else { ANY_ORIGIN };
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, acao);
    let rule = matched.rule;
    if let Some(v) = &rule.allow_methods {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v.clone());
    }
    if let Some(v) = &rule.expose_headers {
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
    }
    if let Some(v) = &rule.max_age {
        h.insert(header::ACCESS_CONTROL_MAX_AGE, v.clone());
    }
}

/// A matched preflight's answer built header by header: the rule's headers, Allow-Headers, `Vary`,
/// then the request id, `Date` and `Server` every answer carries; what `RuleHeaders::preflight_answer`
/// must send, line for line (without `Content-Length: 0`, which hyper writes for the empty body).
#[cfg(test)]
pub(super) fn preflight_answer(
    matched: &Matched<'_>,
    origin: &HeaderValue,
    allow_headers: Option<HeaderValue>,
    response_vary: bool,
    common: super::CommonHeaders,
) -> HeaderMap {
    let mut h = HeaderMap::new();
    insert_allowed(&mut h, matched, origin);
    if let Some(v) = allow_headers {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    if let Some(v) = super::preflight_vary(matched.echo, response_vary) {
        h.insert(header::VARY, v);
    }
    h.insert(crate::headers::X_OSS_REQUEST_ID, common.request_id);
    h.insert(header::DATE, common.date);
    h.insert(header::SERVER, common.server);
    h
}
