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
pub fn preflight(
    bucket: Option<&BucketState>,
    bucket_name: Option<&str>,
    headers: &HeaderMap,
    request_id: &str,
    host: &str,
) -> Response<Body> {
    let fail = |e: ApiError, vary: bool| {
        let mut r = render::error(&e, request_id, host, false);
        if vary {
            r.headers_mut().insert(http::header::VARY, VARY_ORIGIN);
        }
        r
    };
    let Some(bucket) = bucket else {
        return fail(ApiError::no_such_bucket(bucket_name.unwrap_or("")), false);
    };
    let response_vary = bucket.cors.as_ref().is_some_and(|c| c.response_vary());
    // `HeaderValue::to_str` accepts only visible ASCII, space and tab, so every value read here also
    // passes `ossd_cors::is_safe_header_value` and may be reflected once a rule matched.
    let origin_value = headers.get(http::header::ORIGIN);
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
    let acrm =
        headers.get(http::header::ACCESS_CONTROL_REQUEST_METHOD).and_then(|v| v.to_str().ok());
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
        let mut vals = headers.get_all(http::header::ACCESS_CONTROL_REQUEST_HEADERS).iter();
        match (vals.next(), vals.next()) {
            (None, _) => (None, None),
            (Some(v), None) => (v.to_str().ok(), Some(v)),
            (Some(first), Some(_)) => {
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
    let mut r = Response::new(Body::Empty);
    match bucket.cors_headers.get(allowed.rule) {
        // Content-Length, Allow-Origin `*` and the rule's headers, in the order `apply` writes them.
        Some(pre) => {
            *r.headers_mut() = pre.preflight_head.clone();
            if allowed.allow_origin == AllowOrigin::Echo {
                // Replaces the `*` where it stands, keeping the order.
                r.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin_value.clone());
            }
        }
        None => {
            r = render::empty(StatusCode::OK);
            apply(&mut r, bucket, &allowed, origin_value);
        }
    }
    let allow_headers = match ossd_cors::allow_headers(acrh) {
        // Already normalised: the request's own value, shared instead of copied.
        Some(Cow::Borrowed(_)) if acrh_value.is_some() => acrh_value.cloned(),
        Some(v) => HeaderValue::from_str(&v).ok(),
        None => None,
    };
    if let Some(v) = allow_headers {
        r.headers_mut().insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    let vary = match allowed.allow_origin {
        AllowOrigin::Echo => Some(VARY_PREFLIGHT),
        AllowOrigin::Any if response_vary => Some(VARY_ORIGIN),
        AllowOrigin::Any => None,
    };
    if let Some(v) = vary {
        r.headers_mut().insert(http::header::VARY, v);
    }
    r
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
    if !h.contains_key(http::header::VARY) {
        h.insert(http::header::VARY, HeaderValue::from_static(token));
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
