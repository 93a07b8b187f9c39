//! Where CORS is decided: the preflight answer (before authentication) and the headers added to every
//! other response of a bucket (results and errors alike). CORS never changes whether a request is allowed.
//!
//! The pipeline calls [`preflight`] and [`decorate`] only. A bucket's rules come as one
//! [`BucketCors`] (`prepared`): the compiled configuration and each rule's prepared headers, built
//! together. A matched preflight is answered from a prepared header block filled by position
//! (`prepared`); an actual response gets the rule's headers inserted one by one (`reference`),
//! and the tests hold the prepared preflight to the same answer built that way.

mod prepared;
mod reference;
#[cfg(test)]
mod tests;

pub use prepared::BucketCors;

use crate::body::Body;
use crate::render;
use crate::state::BucketState;
use http::{HeaderMap, HeaderValue, Method, Response};
use ossd_proto::{ApiError, ErrorCode};
use std::borrow::Cow;

/// `Vary` of a preflight answered with the request's own origin.
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);
/// `Vary: Origin`.
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");

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

/// Answers an OPTIONS request naming a bucket from the bucket's rules; signatures are not looked
/// at. A matched preflight's answer carries the headers `common` gives, last (`true` in the
/// result then); a refusal is an OSS error answer without them, for the caller to add as to any
/// other answer. `request_id` is called only for a refusal, `common` only for a match.
/// A matched answer has no `Content-Length: 0` header: hyper's HTTP/1 encoder writes that line
/// itself for the empty body, in the same place (last) as when the header is set.
pub fn preflight<'r>(
    bucket: Option<&BucketState>,
    bucket_name: Option<&str>,
    headers: &HeaderMap,
    request_id: impl Fn() -> &'r str,
    host: &str,
    common: impl FnOnce() -> CommonHeaders,
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
    let response_vary = bucket.cors.as_ref().is_some_and(BucketCors::response_vary);
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
    let Some(matched) = cfg.preflight(origin, acrm, acrh) else {
        return fail(ApiError::new(ErrorCode::AccessForbidden), response_vary);
    };
    let allow_headers = match ossd_cors::allow_headers(acrh) {
        // Already normalised: the request's own value, shared instead of copied.
        Some(Cow::Borrowed(_)) if acrh_value.is_some() => acrh_value.cloned(),
        Some(v) => HeaderValue::from_str(&v).ok(),
        None => None,
    };
    (matched.rule.preflight_answer(matched.echo, origin_value, allow_headers, common()), true)
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
fn preflight_vary(echo: bool, response_vary: bool) -> Option<HeaderValue> {
    if echo {
        Some(VARY_PREFLIGHT)
    } else if response_vary {
        Some(VARY_ORIGIN)
    } else {
        None
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
        && let Some(matched) = cfg.actual(origin, method.as_str())
    {
        reference::insert_allowed(r.headers_mut(), &matched, origin_value);
        vary_origin |= matched.echo;
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
