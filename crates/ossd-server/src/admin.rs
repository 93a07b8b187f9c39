//! The admin API under `/-/admin/` (JSON), signed with the root key like any OSS request: access key
//! management for the CLI (`ossd key ...`). Bucket names cannot start with `-`, so no bucket is shadowed.

use crate::auth::{header_pairs, sig_error};
use crate::body::Body;
use crate::clock::now_secs;
use crate::keys::{KeyError, KeyRecord, Permission};
use crate::render;
use crate::state::AppState;
use http::{HeaderValue, Response, StatusCode, header};
use ossd_proto::{ApiError, ErrorCode, Query};
use serde::Serialize;

#[derive(Serialize)]
struct KeyView<'a> {
    access_key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_secret: Option<&'a str>,
    name: &'a str,
    enabled: bool,
    created_ms: i64,
    grants: &'a std::collections::BTreeMap<String, Permission>,
}

fn view(k: &KeyRecord, with_secret: bool) -> KeyView<'_> {
    KeyView {
        access_key_id: &k.access_key_id,
        access_key_secret: with_secret.then_some(k.access_key_secret.as_str()),
        name: &k.name,
        enabled: k.enabled,
        created_ms: k.created_ms,
        grants: &k.grants,
    }
}

pub(crate) fn json(status: StatusCode, v: &impl Serialize) -> Result<Response<Body>, ApiError> {
    let text = serde_json::to_string_pretty(v).map_err(|_| ApiError::internal())?;
    let mut r = Response::new(Body::full(text));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(r)
}

fn key_error(e: KeyError) -> ApiError {
    match e {
        KeyError::NotFound => ApiError::msg(ErrorCode::InvalidArgument, "No such access key."),
        other => {
            tracing::error!(error = %other, "access key store");
            ApiError::internal()
        }
    }
}

/// Only the root key may use the admin API (and `/-/metrics` on the main listener).
pub(crate) fn authenticate(
    state: &AppState,
    parts: &http::request::Parts,
    rest: &str,
    query: &Query,
) -> Result<(), ApiError> {
    let headers = header_pairs(&parts.headers);
    let req = ossd_sig::SignedRequest {
        method: parts.method.as_str(),
        bucket: Some("-"),
        key: Some(rest),
        query: &query.pairs,
        headers: &headers,
    };
    let claim =
        ossd_sig::parse_claim(&req).map_err(|e| sig_error(e, None, None))?.ok_or_else(|| {
            ApiError::msg(ErrorCode::AccessDenied, "The admin API needs the root key's signature.")
        })?;
    if claim.access_key_id() != state.config.root.id {
        return Err(ApiError::msg(
            ErrorCode::AccessDenied,
            "Only the root key may use the admin API.",
        ));
    }
    ossd_sig::verify(&req, &claim, &state.config.root.secret, now_secs(), &state.config.region)
        .map_err(|e| sig_error(e, Some(claim.access_key_id()), Some(claim.signature())))
}

/// Handles one admin request.
pub fn handle(state: &AppState, parts: &http::request::Parts) -> Result<Response<Body>, ApiError> {
    let query = Query::parse(parts.uri.query().unwrap_or(""))?;
    let path = percent_encoding::percent_decode_str(parts.uri.path())
        .decode_utf8()
        .map_err(|_| ApiError::new(ErrorCode::InvalidArgument))?;
    let rest = path.strip_prefix(crate::router::PREFIX).unwrap_or("");
    authenticate(state, parts, rest, &query)?;
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (parts.method.as_str(), segs.as_slice()) {
        ("POST", ["admin", "lifecycle", "run"]) => run_lifecycle(state, &query),
        (method, ["admin", rest @ ..]) => keys(state, method, rest, &query),
        _ => Err(unknown()),
    }
}

/// Runs a whole lifecycle pass now, as if the time were `now-ms` (Unix ms; the real time when
/// absent): the hook tests and operators use instead of waiting for the worker.
fn run_lifecycle(state: &AppState, query: &Query) -> Result<Response<Body>, ApiError> {
    let now = match query.get("now-ms") {
        None => crate::clock::now_ms(),
        Some(v) => v.parse::<i64>().map_err(|_| {
            ApiError::invalid_argument("now-ms must be Unix milliseconds.", "now-ms", v)
        })?,
    };
    let report = tokio::task::block_in_place(|| crate::lifecycle::run_pass(state, now))
        .map_err(crate::state::store_error)?;
    json(StatusCode::OK, &report)
}

fn unknown() -> ApiError {
    ApiError::msg(ErrorCode::InvalidRequest, "Unknown admin API request.")
}

/// The access-key requests (`keys`, `keys/<id>`, `keys/<id>/grants/<bucket>`), for a caller
/// already known to act as root: the admin API (root's signature) and the console (a root session).
pub(crate) fn keys(
    state: &AppState,
    method: &str,
    segs: &[&str],
    query: &Query,
) -> Result<Response<Body>, ApiError> {
    let now_ms = now_secs() * 1000;
    match (method, segs) {
        ("GET", ["keys"]) => {
            let keys = state.keys.list().map_err(key_error)?;
            let views: Vec<KeyView<'_>> = keys.iter().map(|k| view(k, false)).collect();
            json(StatusCode::OK, &views)
        }
        ("POST", ["keys"]) => {
            let k =
                state.keys.create(query.get("name").unwrap_or(""), now_ms).map_err(key_error)?;
            json(StatusCode::CREATED, &view(&k, true))
        }
        ("GET", ["keys", id]) => {
            let k = state
                .keys
                .get(id)
                .map_err(key_error)?
                .ok_or_else(|| key_error(KeyError::NotFound))?;
            json(StatusCode::OK, &view(&k, false))
        }
        ("PUT", ["keys", id]) => {
            let enabled = match query.get("enabled") {
                Some("true") => true,
                Some("false") => false,
                other => {
                    return Err(ApiError::invalid_argument(
                        "enabled must be true or false.",
                        "enabled",
                        other.unwrap_or(""),
                    ));
                }
            };
            let k = state.keys.update(id, |k| k.enabled = enabled).map_err(key_error)?;
            json(StatusCode::OK, &view(&k, false))
        }
        ("DELETE", ["keys", id]) => {
            state.keys.delete(id).map_err(key_error)?;
            Ok(render::empty(StatusCode::NO_CONTENT))
        }
        ("PUT", ["keys", id, "grants", bucket]) => {
            let raw = query.get("permission").unwrap_or("");
            let p = Permission::parse(raw).ok_or_else(|| {
                ApiError::invalid_argument(
                    "permission must be read, write or owner.",
                    "permission",
                    raw,
                )
            })?;
            state.require_bucket(bucket)?;
            let k = state.keys.update(id, |k| {
                k.grants.insert((*bucket).to_owned(), p);
            });
            json(StatusCode::OK, &view(&k.map_err(key_error)?, false))
        }
        ("DELETE", ["keys", id, "grants", bucket]) => {
            let k = state.keys.update(id, |k| {
                k.grants.remove(*bucket);
            });
            json(StatusCode::OK, &view(&k.map_err(key_error)?, false))
        }
        _ => Err(unknown()),
    }
}
