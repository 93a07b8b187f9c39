//! Where CORS is decided: the preflight answer (before authentication) and the headers added to every
//! other response of a bucket (results and errors alike). CORS never changes whether a request is allowed.

use crate::body::Body;
use crate::render;
use crate::state::BucketState;
use http::header::ACCESS_CONTROL_ALLOW_ORIGIN;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use ossd_cors::{AllowOrigin, Allowed, Decision};
use ossd_proto::{ApiError, ErrorCode};
use std::borrow::Cow;

/// `Vary` of a preflight answered with the request's own origin.
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);
/// `Vary: Origin`.
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");
/// `Access-Control-Allow-Origin: *`.
const ANY_ORIGIN: HeaderValue = HeaderValue::from_static("*");

/// Answers an OPTIONS request from the bucket's rules. Signatures are not looked at.
#[cfg(test)]
pub(crate) fn preflight(
    bucket: Option<&BucketState>,
    bucket_name: Option<&str>,
    headers: &HeaderMap,
    request_id: &str,
    host: &str,
) -> Response<Body> {
    preflight_with(bucket, bucket_name, headers, || request_id, host, || None).0
}

/// The headers every response carries, in the order they follow the rest: `x-oss-request-id`,
/// `Date`, `Server`.
pub struct CommonHeaders {
    /// `x-oss-request-id`.
    pub request_id: HeaderValue,
    /// `Date`.
    pub date: HeaderValue,
    /// `Server`.
    pub server: HeaderValue,
}

/// [`preflight`], and for a matched preflight also the headers `common` gives written at the end of
/// the answer (`true` in the result then): the same headers in the same order as inserting them
/// afterwards, filled into prepared slots instead. `request_id` is called only for an error answer,
/// `common` only for a match.
/// With common headers, a matched answer has no `Content-Length: 0` header: hyper's HTTP/1 encoder
/// writes that line itself for the empty body, in the same place (last) as when the header is set.
pub fn preflight_with<'r>(
    bucket: Option<&BucketState>,
    bucket_name: Option<&str>,
    headers: &HeaderMap,
    request_id: impl Fn() -> &'r str,
    host: &str,
    common: impl FnOnce() -> Option<CommonHeaders>,
) -> (Response<Body>, bool) {
    let fail = |e: ApiError, vary: bool| {
        let mut r = render::error(&e, request_id(), host, false);
        if vary {
            r.headers_mut().insert(http::header::VARY, VARY_ORIGIN);
        }
        (r, false)
    };
    let Some(bucket) = bucket else {
        return fail(ApiError::no_such_bucket(bucket_name.unwrap_or("")), false);
    };
    let response_vary = bucket.cors.as_ref().is_some_and(|c| c.response_vary());
    // `HeaderValue::to_str` accepts only visible ASCII, space and tab, so every value read here also
    // passes `ossd_cors::is_safe_header_value` and may be reflected once a rule matched.
    let asked = Asked::of(headers);
    let origin_value = asked.origin;
    let origin = origin_value.and_then(|v| v.to_str().ok());
    let (Some(origin_value), Some(origin)) = (origin_value, origin.filter(|o| !o.is_empty()))
    else {
        return fail(
            ApiError::msg(
                ErrorCode::InvalidRequest,
                "Insufficient information. Origin request header needed.",
            ),
            response_vary,
        );
    };
    let acrm = asked.method.and_then(|v| v.to_str().ok());
    let Some(acrm) = acrm.filter(|m| !m.is_empty()) else {
        return fail(
            ApiError::msg(
                ErrorCode::InvalidRequest,
                "Insufficient information. Access-Control-Request-Method request header needed.",
            ),
            response_vary,
        );
    };
    // Several Access-Control-Request-Headers lines are one comma-separated list. `acrh_value` is
    // the request's header value when there is exactly one line, for sending back as it is.
    let acrh_joined;
    let (acrh, acrh_value): (Option<&str>, Option<&HeaderValue>) = {
        match (asked.headers, asked.more_headers) {
            (None, _) => (None, None),
            (Some(v), false) => (v.to_str().ok(), Some(v)),
            (Some(first), true) => {
                let all: Vec<&str> = std::iter::once(first)
                    .chain(
                        headers
                            .get_all(http::header::ACCESS_CONTROL_REQUEST_HEADERS)
                            .iter()
                            .skip(1),
                    )
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                acrh_joined = all.join(",");
                (Some(acrh_joined.as_str()), None)
            }
        }
    };
    let Some(cfg) = &bucket.cors else {
        return fail(ApiError::new(ErrorCode::AccessForbidden), false);
    };
    debug_assert!(
        ossd_cors::is_safe_header_value(origin) && acrh.is_none_or(ossd_cors::is_safe_header_value)
    );
    let Decision::Allowed(allowed) = cfg.preflight(origin, acrm, acrh) else {
        return fail(ApiError::new(ErrorCode::AccessForbidden), response_vary);
    };
    let allow_headers = match ossd_cors::allow_headers(acrh) {
        // Already normalised: the request's own value, shared instead of copied.
        Some(Cow::Borrowed(_)) if acrh_value.is_some() => acrh_value.cloned(),
        Some(v) => HeaderValue::from_str(&v).ok(),
        None => None,
    };
    let echo = allowed.allow_origin == AllowOrigin::Echo;
    let Some(pre) = bucket.cors_headers.get(allowed.rule) else {
        // Not reached: every rule has its prepared headers. The same answer, header by header.
        let mut r = render::empty(StatusCode::OK);
        apply(&mut r, bucket, &allowed, origin_value);
        if let Some(v) = allow_headers {
            r.headers_mut().insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        if let Some(v) = preflight_vary(echo, response_vary) {
            r.headers_mut().insert(http::header::VARY, v);
        }
        return (r, false);
    };
    let common = common();
    let head = pre.preflight(echo, allow_headers.is_some(), common.is_some());
    let mut r = Response::new(Body::Empty);
    *r.headers_mut() = head.headers.clone();
    // Fills the slots by position in one pass (no hashing); the placeholders are all replaced.
    let mut allow_headers = allow_headers;
    let mut common = common.map(|c| [c.request_id, c.date, c.server].into_iter());
    for (i, slot) in r.headers_mut().values_mut().enumerate() {
        if i == head.origin_at {
            if echo {
                *slot = origin_value.clone();
            }
        } else if Some(i) == head.allow_headers_at {
            if let Some(v) = allow_headers.take() {
                *slot = v;
            }
        } else if head.common_at.is_some_and(|at| i >= at)
            && let Some(v) = common.as_mut().and_then(Iterator::next)
        {
            *slot = v;
        }
    }
    (r, head.common_at.is_some())
}

/// The request headers a preflight reads, found in one pass over the request's headers (cheaper than
/// a hashed lookup for each on the few headers a browser's preflight carries).
#[derive(Default)]
struct Asked<'h> {
    /// The first `Origin` value.
    origin: Option<&'h HeaderValue>,
    /// The first `Access-Control-Request-Method` value.
    method: Option<&'h HeaderValue>,
    /// The first `Access-Control-Request-Headers` value.
    headers: Option<&'h HeaderValue>,
    /// True when `Access-Control-Request-Headers` has more than one value.
    more_headers: bool,
}

impl<'h> Asked<'h> {
    /// Reads them from `headers`: the same values as `get` (the first) and `get_all`.
    fn of(headers: &'h HeaderMap) -> Asked<'h> {
        use http::header::{ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN};
        let mut a = Asked::default();
        for (name, v) in headers {
            if *name == ORIGIN {
                a.origin.get_or_insert(v);
            } else if *name == ACCESS_CONTROL_REQUEST_METHOD {
                a.method.get_or_insert(v);
            } else if *name == ACCESS_CONTROL_REQUEST_HEADERS {
                a.more_headers |= a.headers.is_some();
                a.headers.get_or_insert(v);
            }
        }
        a
    }
}

/// `Vary` of a matched preflight: all three request headers when the origin is echoed, `Origin`
/// for `*` when the bucket sets `ResponseVary`, else none.
pub(crate) fn preflight_vary(echo: bool, response_vary: bool) -> Option<HeaderValue> {
    if echo {
        Some(VARY_PREFLIGHT)
    } else if response_vary {
        Some(VARY_ORIGIN)
    } else {
        None
    }
}

/// Adds Allow-Origin (`*`, or the request's own `Origin` value) and the rule's prepared headers.
fn apply(
    r: &mut Response<Body>,
    bucket: &BucketState,
    allowed: &Allowed<'_>,
    origin: &HeaderValue,
) {
    use http::header::{
        ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    };
    let h = r.headers_mut();
    let acao = match allowed.allow_origin {
        AllowOrigin::Any => ANY_ORIGIN,
        AllowOrigin::Echo => origin.clone(),
    };
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, acao);
    // The rest depends only on the rule: prepared once per configuration (state::RuleHeaders).
    if let Some(pre) = bucket.cors_headers.get(allowed.rule) {
        if let Some(v) = &pre.allow_methods {
            h.insert(ACCESS_CONTROL_ALLOW_METHODS, v.clone());
        }
        if let Some(v) = &pre.expose_headers {
            h.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
        }
        if let Some(v) = &pre.max_age {
            h.insert(ACCESS_CONTROL_MAX_AGE, v.clone());
        }
    }
}

/// Adds CORS headers and `Vary` to an actual (non-OPTIONS) response of a bucket.
pub fn decorate(
    r: &mut Response<Body>,
    bucket: Option<&BucketState>,
    origin: Option<&HeaderValue>,
    method: &Method,
) {
    let Some(bucket) = bucket else { return };
    let Some(cfg) = bucket.cors.as_ref() else { return };
    let mut vary_origin = cfg.response_vary();
    // As in `preflight`: a value `to_str` accepts is safe to reflect.
    if let Some(origin_value) = origin
        && let Some(origin) = origin_value.to_str().ok().filter(|o| !o.is_empty())
        && let Decision::Allowed(allowed) = cfg.actual(origin, method.as_str())
    {
        apply(r, bucket, &allowed, origin_value);
        if matches!(allowed.allow_origin, AllowOrigin::Echo) {
            vary_origin = true;
        }
    }
    if vary_origin {
        merge_vary(r.headers_mut(), "Origin");
    }
}

/// Adds a token to `Vary`, keeping one header and no duplicates.
fn merge_vary(h: &mut HeaderMap, token: &'static str) {
    // One hashed lookup when the response has no `Vary` yet (the usual case).
    if let http::header::Entry::Vacant(e) = h.entry(http::header::VARY) {
        e.insert(HeaderValue::from_static(token));
        return;
    }
    let existing: Vec<String> = h
        .get_all(http::header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if existing.iter().any(|t| t.eq_ignore_ascii_case(token) || t == "*") {
        return;
    }
    let mut all = existing;
    all.push(token.to_owned());
    if let Ok(v) = HeaderValue::from_str(&all.join(", ")) {
        h.insert(http::header::VARY, v);
    }
}
