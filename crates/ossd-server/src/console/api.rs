//! The console's JSON endpoints, for what OSS has no operation for: signing in and out, the
//! session, presigned share links, the CORS simulator and linter, and (root only) access keys.
//! Errors are OSS `<Error>` documents like every other answer of the server.

use super::session::{self, Session};
use crate::admin::json;
use crate::auth::{self, Principal};
use crate::body::Body;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::AppState;
use http::{HeaderValue, Method, Response, StatusCode, header};
use hyper::body::Incoming;
use ossd_proto::cors_xml::{CorsXmlError, parse_and_validate};
use ossd_proto::{ApiError, ErrorCode, Query};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

/// The largest JSON body an endpoint reads (a CORS document is at most 16 KB).
const MAX_JSON: usize = 64 * 1024;
/// The longest a share link lasts (the limit OSS sets for V4 presigned URLs: 7 days).
const MAX_SHARE_SECS: i64 = ossd_sig::MAX_V4_PRESIGN_EXPIRES_SECS;

/// Everything but RFC 3986's unreserved characters is percent-encoded in a share link.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A signed-in request to an endpoint.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub parts: &'a http::request::Parts,
    pub session: &'a Session,
    pub principal: &'a Principal,
}

async fn read_json<T: serde::de::DeserializeOwned>(
    state: &AppState,
    body: Incoming,
) -> Result<T, ApiError> {
    let body = RequestBody::new(body, state.config.limits.body_rule());
    let too_large =
        ApiError::msg(ErrorCode::MaxMessageLengthExceeded, "The request body is too large.");
    let raw = crate::handlers::read_small_body(body, MAX_JSON, too_large).await?;
    serde_json::from_slice(&raw).map_err(|e| {
        ApiError::msg(
            ErrorCode::InvalidArgument,
            format!("The request body is not the JSON expected: {e}."),
        )
    })
}

#[derive(Deserialize)]
struct SignIn {
    access_key_id: String,
    access_key_secret: String,
}

/// `POST /-/console/api/session`: checks the key pair as a signature check would (an unknown id
/// is `InvalidAccessKeyId`, a wrong secret `SignatureDoesNotMatch`, a disabled key is told only
/// once its secret matched) and starts a session. Failed attempts count against the client's IP.
pub async fn sign_in(
    state: &AppState,
    parts: &http::request::Parts,
    body: Incoming,
    peer: SocketAddr,
) -> Result<Response<Body>, ApiError> {
    super::same_origin(parts)?;
    let json_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        // A cross-site form cannot send JSON (it would need a preflight we never answer).
        return Err(ApiError::msg(
            ErrorCode::InvalidRequest,
            "Sign in with a JSON body (Content-Type: application/json).",
        ));
    }
    if let Some(wait) = state.console.refused_for(peer.ip()) {
        return Err(ApiError::msg(
            ErrorCode::AccessDenied,
            format!("Too many failed sign-ins from this address: try again in {wait} s."),
        )
        .header("retry-after", wait.to_string()));
    }
    let req: SignIn = read_json(state, body).await?;
    let checked = auth::secret_for(state, &req.access_key_id).and_then(|(p, secret)| {
        if ossd_sig::ct_eq(&req.access_key_secret, &secret) {
            auth::enabled(p)
        } else {
            Err(ApiError::msg(
                ErrorCode::SignatureDoesNotMatch,
                "The AccessKey secret is not the secret of this AccessKey ID.",
            ))
        }
    });
    if let Err(e) = checked {
        state.console.failed(peer.ip());
        return Err(e);
    }
    let (id, s) = state.console.create(&req.access_key_id);
    let mut r = session_json(state, &s, StatusCode::OK)?;
    let max_age = state.console.config().session_max.as_secs();
    set_cookie(&mut r, &session::set_cookie(&id, max_age, super::is_tls(parts)));
    Ok(r)
}

fn set_cookie(r: &mut Response<Body>, v: &str) {
    if let Ok(v) = HeaderValue::from_str(v) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
}

fn session_json(
    state: &AppState,
    s: &Session,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let cfg = state.console.config();
    json(
        status,
        &json!({
            "signed_in": true,
            "access_key_id": s.access_key_id,
            "root": s.access_key_id == state.config.root.id,
            "csrf": s.csrf,
            "idle_seconds": cfg.session_idle.as_secs(),
            "remaining_seconds": s.remaining(cfg),
            "region": state.config.region,
        }),
    )
}

/// Dispatches `api_path` (after `/-/console/api/`) of a signed-in, CSRF-checked request.
pub async fn dispatch(
    call: Call<'_>,
    session_id: &str,
    api_path: &str,
    body: Incoming,
) -> Result<Response<Body>, ApiError> {
    let Call { state, parts, session, principal } = call;
    match (&parts.method, api_path) {
        (&Method::GET, "session") => session_json(state, session, StatusCode::OK),
        (&Method::DELETE, "session") => {
            state.console.remove(session_id);
            let mut r = render::empty(StatusCode::NO_CONTENT);
            set_cookie(&mut r, &session::clear_cookie(super::is_tls(parts)));
            Ok(r)
        }
        (&Method::POST, "presign") => {
            presign(state, parts, principal, read_json(state, body).await?)
        }
        (&Method::POST, "cors/explain") => explain(read_json(state, body).await?),
        (&Method::POST, "cors/lint") => lint(read_json(state, body).await?),
        (m, p) if p == "keys" || p.starts_with("keys/") => {
            if *principal != Principal::Root {
                return Err(ApiError::msg(
                    ErrorCode::AccessDenied,
                    "Only the root key may manage access keys.",
                ));
            }
            let query = Query::parse(parts.uri.query().unwrap_or(""))?;
            let path = percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .map_err(|_| ApiError::new(ErrorCode::InvalidArgument))?;
            let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            crate::admin::keys(state, m.as_str(), &segs, &query)
        }
        _ => Err(ApiError::msg(ErrorCode::InvalidRequest, "Unknown console request.")),
    }
}

#[derive(Deserialize)]
struct Share {
    bucket: String,
    key: String,
    expires_seconds: i64,
}

/// A presigned GET URL (signature V1, signed with the session key's secret) for one object.
/// The link is made only when the session's principal may read the object right now.
fn presign(
    state: &AppState,
    parts: &http::request::Parts,
    principal: &Principal,
    req: Share,
) -> Result<Response<Body>, ApiError> {
    if !(1..=MAX_SHARE_SECS).contains(&req.expires_seconds) {
        return Err(ApiError::invalid_argument(
            format!("The expiry must be between 1 and {MAX_SHARE_SECS} seconds."),
            "expires_seconds",
            &req.expires_seconds.to_string(),
        ));
    }
    let bucket = state.require_bucket(&req.bucket)?;
    let (ak, secret) = match principal {
        Principal::Key(k) => (k.access_key_id.as_str(), k.access_key_secret.as_str()),
        _ => (state.config.root.id.as_str(), state.config.root.secret.as_str()),
    };
    // The same decision a GetObject by this key would get on the bucket's ACL (an object's own
    // ACL is checked when the link is used).
    let authz = auth::authorize(principal, Some(&bucket), ossd_proto::Access::Read, true, false)?;
    if authz.needs_object() {
        authz.object(&bucket, None)?;
    }
    let expires = crate::clock::now_secs() + req.expires_seconds;
    let signed = ossd_sig::SignedRequest {
        method: "GET",
        bucket: Some(&req.bucket),
        key: Some(&req.key),
        query: &[],
        headers: &[],
    };
    let q = ossd_sig::v1::presign_query(ak, secret, &signed, expires);
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, UNRESERVED_KEPT).to_string();
    let key: Vec<String> = req.key.split('/').map(enc).collect();
    let query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let scheme = if super::is_tls(parts) { "https" } else { "http" };
    let url = format!("{scheme}://{host}/{}/{}?{}", req.bucket, key.join("/"), query.join("&"));
    json(StatusCode::OK, &json!({ "url": url, "expires": expires }))
}

#[derive(Deserialize)]
struct Explain {
    /// The CORS document (as saved, or as being edited); `None`: the bucket has none.
    xml: Option<String>,
    origin: String,
    method: String,
    headers: Option<String>,
}

#[derive(Deserialize)]
struct Lint {
    xml: String,
}

/// Parses a CORS document as PutBucketCors does, refusing it with PutBucketCors's error, plus
/// the rule it is about (`RuleNumber`, from 1) and, for a schema violation, the element missing.
fn parse(xml: &str) -> Result<ossd_cors::CorsConfig, ApiError> {
    parse_and_validate(xml.as_bytes()).map_err(|e| {
        let mut err = crate::handlers::cors_api::refusal(&e);
        if let CorsXmlError::Invalid(v) | CorsXmlError::Schema(v) = &e {
            if matches!(e, CorsXmlError::Schema(_)) {
                err = err.field("ArgumentName", v.argument_name());
            }
            if let Some(r) = v.rule() {
                err = err.field("RuleNumber", (r + 1).to_string());
            }
        }
        err
    })
}

fn explain(req: Explain) -> Result<Response<Body>, ApiError> {
    let cfg = req.xml.as_deref().map(parse).transpose()?;
    let headers = req.headers.as_deref().filter(|h| !h.trim().is_empty());
    json(
        StatusCode::OK,
        &crate::cors_report::explain_json(cfg.as_ref(), &req.origin, &req.method, headers),
    )
}

fn lint(req: Lint) -> Result<Response<Body>, ApiError> {
    let cfg = parse(&req.xml)?;
    json(StatusCode::OK, &crate::cors_report::lint_json(&cfg))
}
