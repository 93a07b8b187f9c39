//! Where CORS is decided: the preflight answer (before authentication) and the headers added to every
//! other response of a bucket (results and errors alike). CORS never changes whether a request is allowed.

use crate::body::Body;
use crate::render;
use crate::state::BucketState;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use ossd_cors::{AllowOrigin, Allowed, Decision};
use ossd_proto::{ApiError, ErrorCode};

const VARY_PREFLIGHT: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

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
            r.headers_mut().insert(http::header::VARY, HeaderValue::from_static("Origin"));
        }
        r
    };
    let Some(bucket) = bucket else {
        return fail(ApiError::no_such_bucket(bucket_name.unwrap_or("")), false);
    };
    let response_vary = bucket.cors.as_ref().is_some_and(|c| c.response_vary());
    let origin = headers.get(http::header::ORIGIN).and_then(|v| v.to_str().ok());
    let Some(origin) = origin.filter(|o| !o.is_empty()) else {
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
    // Several Access-Control-Request-Headers lines are one comma-separated list.
    let acrh_joined;
    let acrh: Option<&str> = {
        let mut vals = headers.get_all(http::header::ACCESS_CONTROL_REQUEST_HEADERS).iter();
        match (vals.next(), vals.next()) {
            (None, _) => None,
            (Some(v), None) => v.to_str().ok(),
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
                Some(acrh_joined.as_str())
            }
        }
    };
    let Some(cfg) = &bucket.cors else {
        return fail(ApiError::new(ErrorCode::AccessForbidden), false);
    };
    let safe =
        ossd_cors::is_safe_header_value(origin) && acrh.is_none_or(ossd_cors::is_safe_header_value);
    let decision = if safe { cfg.preflight(origin, acrm, acrh) } else { Decision::Denied };
    let Decision::Allowed(allowed) = decision else {
        return fail(ApiError::new(ErrorCode::AccessForbidden), response_vary);
    };
    let mut r = render::empty(StatusCode::OK);
    apply(&mut r, bucket, &allowed, origin);
    if let Some(v) = ossd_cors::allow_headers_value(acrh)
        && let Ok(v) = HeaderValue::from_str(&v)
    {
        r.headers_mut().insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    let vary = match allowed.allow_origin {
        AllowOrigin::Echo => Some(VARY_PREFLIGHT),
        AllowOrigin::Any if response_vary => Some("Origin"),
        AllowOrigin::Any => None,
    };
    if let Some(v) = vary {
        r.headers_mut().insert(http::header::VARY, HeaderValue::from_static(v));
    }
    r
}

fn apply(r: &mut Response<Body>, bucket: &BucketState, allowed: &Allowed<'_>, origin: &str) {
    use http::header::{
        ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS,
        ACCESS_CONTROL_MAX_AGE,
    };
    let h = r.headers_mut();
    let acao = match allowed.allow_origin {
        AllowOrigin::Any => Some(HeaderValue::from_static("*")),
        AllowOrigin::Echo => HeaderValue::from_str(origin).ok(),
    };
    if let Some(v) = acao {
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
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
    if let Some(origin) = origin.and_then(|o| o.to_str().ok()).filter(|o| !o.is_empty())
        && ossd_cors::is_safe_header_value(origin)
        && let Decision::Allowed(allowed) = cfg.actual(origin, method.as_str())
    {
        apply(r, bucket, &allowed, origin);
        if matches!(allowed.allow_origin, AllowOrigin::Echo) {
            vary_origin = true;
        }
    }
    if vary_origin {
        merge_vary(r.headers_mut(), "Origin");
    }
}

/// Adds a token to `Vary`, keeping one header and no duplicates.
fn merge_vary(h: &mut HeaderMap, token: &str) {
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
