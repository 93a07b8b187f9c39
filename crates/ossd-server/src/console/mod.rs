//! The web console at `/-/console/` (on the server's own host only, `router`): embedded assets
//! (`assets`), in-memory sessions (`session`), a few JSON endpoints for what OSS has no operation
//! for (`api`), and a proxy that runs the browser's OSS requests through the same pipeline as
//! signed ones, with the principal taken from the session instead of a signature (`pipeline::run`):
//! one authorization code path.
//!
//! Paths: `/-/console/` (the page), `/-/console/assets/<file>`, `/-/console/api/session` (GET who
//! am I, POST sign in, DELETE sign out), `/-/console/api/oss/<bucket>/<key>?<sub-resources>` (any
//! OSS request), `/-/console/api/presign`, `/-/console/api/cors/explain`,
//! `/-/console/api/cors/lint`, `/-/console/api/keys…` (root only; the admin API's code).

mod api;
mod assets;
pub mod session;

use crate::auth::Principal;
use crate::body::Body;
use crate::render;
use crate::state::AppState;
use http::{HeaderValue, Method, Response, StatusCode, header};
use hyper::body::Incoming;
use ossd_proto::{ApiError, ErrorCode};
use session::Session;
use std::net::SocketAddr;

/// The console's path prefix.
pub const PREFIX: &str = "/-/console/";
/// Where the proxy for OSS requests starts.
const OSS_PREFIX: &str = "/-/console/api/oss/";

/// The policy of every console page and asset: only our own scripts, styles, images and fetches;
/// no inline script or style, no plugins, never framed, forms only to ourselves.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The policy of everything the proxy and the API answer: an object opened from the console's
/// origin (an uploaded HTML page, say) runs nothing and loads nothing.
const DATA_CSP: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

/// A TLS connection: the HTTPS listener puts this in the request's extensions, so that the session
/// cookie gets `Secure`.
#[derive(Clone, Copy, Debug)]
pub struct ConnTls;

/// What the pipeline does with a console request.
pub enum Outcome {
    /// Answered here.
    Done(Result<Response<Body>, ApiError>),
    /// An OSS request of the session's principal: the pipeline runs it from authorization on.
    Proxy(Box<(Principal, http::request::Parts, Incoming)>),
}

/// Handles a request under `/-/console`.
pub async fn handle(
    state: &AppState,
    parts: http::request::Parts,
    body: Incoming,
    peer: SocketAddr,
) -> Outcome {
    let path = parts.uri.path().to_owned();
    if path == "/-/console" {
        return Outcome::Done(Ok(redirect(PREFIX)));
    }
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    if rest.is_empty() || rest == "index.html" || rest.starts_with("assets/") {
        return Outcome::Done(assets::serve(&parts, rest));
    }
    let Some(api_path) = rest.strip_prefix("api/") else {
        return Outcome::Done(Err(not_found()));
    };
    if api_path == "session" && parts.method == Method::POST {
        return Outcome::Done(api::sign_in(state, &parts, body, peer).await);
    }
    let (id, session) = match signed_in(state, &parts) {
        Ok(x) => x,
        // The page asks on load whether it is signed in: "no" is an answer, not an error.
        Err(_) if api_path == "session" && parts.method == Method::GET => {
            let v = serde_json::json!({ "signed_in": false });
            return Outcome::Done(crate::admin::json(StatusCode::OK, &v));
        }
        Err(e) => return Outcome::Done(Err(e)),
    };
    let principal = match principal_of(state, &session) {
        Some(p) => p,
        None => {
            state.console.remove(&id);
            return Outcome::Done(Err(signed_out()));
        }
    };
    if path.starts_with(OSS_PREFIX) {
        return match proxied(parts) {
            Ok(parts) => Outcome::Proxy(Box::new((principal, parts, body))),
            Err(e) => Outcome::Done(Err(e)),
        };
    }
    let call = api::Call { state, parts: &parts, session: &session, principal: &principal };
    Outcome::Done(api::dispatch(call, &id, api_path, body).await)
}

/// The session the request's cookie names, checked for CSRF when the request may change state.
fn signed_in(
    state: &AppState,
    parts: &http::request::Parts,
) -> Result<(String, Session), ApiError> {
    let id = session::cookie_id(&parts.headers).ok_or_else(signed_out)?;
    let s = state.console.touch(id).ok_or_else(signed_out)?;
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        same_origin(parts)?;
        if !session::csrf_ok(&parts.headers, &s) {
            return Err(ApiError::msg(
                ErrorCode::AccessDenied,
                "This console request needs the session's CSRF token in X-Ossd-Csrf.",
            ));
        }
    }
    Ok((id.to_owned(), s))
}

/// Refuses a state-changing request whose `Origin` is not this server's own (a cross-site form
/// or script); a request without `Origin` is judged by its cookie and CSRF token alone.
fn same_origin(parts: &http::request::Parts) -> Result<(), ApiError> {
    let Some(origin) = parts.headers.get(header::ORIGIN) else { return Ok(()) };
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let scheme = if is_tls(parts) { "https://" } else { "http://" };
    let ok = origin.to_str().ok().and_then(|o| o.strip_prefix(scheme)).is_some_and(|h| h == host);
    if ok {
        Ok(())
    } else {
        Err(ApiError::msg(
            ErrorCode::AccessDenied,
            "Console requests must come from the console's own origin.",
        ))
    }
}

/// The principal of a live session: root, or an existing enabled key (looked up every time).
fn principal_of(state: &AppState, s: &Session) -> Option<Principal> {
    if s.access_key_id == state.config.root.id {
        return Some(Principal::Root);
    }
    match state.keys.get(&s.access_key_id) {
        Ok(k) => k.filter(|k| k.enabled).map(Principal::Key),
        Err(e) => {
            tracing::error!(error = %e, "reading the access keys");
            None
        }
    }
}

/// The OSS request inside a proxy request: `/-/console/api/oss/<rest>?q` becomes `/<rest>?q`
/// (path-style on the server's own host), without any signature or cookie of its own.
fn proxied(mut parts: http::request::Parts) -> Result<http::request::Parts, ApiError> {
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let inner = path_and_query.get(OSS_PREFIX.len() - 1..).unwrap_or("/");
    parts.uri = inner.parse().map_err(|_| ApiError::new(ErrorCode::InvalidArgument))?;
    parts.headers.remove(header::AUTHORIZATION);
    parts.headers.remove(header::COOKIE);
    Ok(parts)
}

/// Whether the request came over TLS.
pub fn is_tls(parts: &http::request::Parts) -> bool {
    parts.extensions.get::<ConnTls>().is_some() || parts.uri.scheme_str() == Some("https")
}

/// Not signed in, or the session is over.
fn signed_out() -> ApiError {
    ApiError::msg(ErrorCode::AccessDenied, "Not signed in to the console, or the session expired.")
        .header("x-ossd-console", "signed-out")
}

fn not_found() -> ApiError {
    ApiError::msg(ErrorCode::NoSuchKey, "No such console page.")
}

fn redirect(to: &'static str) -> Response<Body> {
    let mut r = render::empty(StatusCode::PERMANENT_REDIRECT);
    r.headers_mut().insert(header::LOCATION, HeaderValue::from_static(to));
    r
}

/// Adds the console's security headers to a response of `path` (under `/-/console`): the page
/// policy for the page and its assets, the sandbox policy for everything else; never cached
/// unless it is an asset; no sniffing, no referrer, never framed.
pub fn harden(resp: &mut Response<Body>, path: &str) {
    let page = path == "/-/console"
        || path == PREFIX
        || path.starts_with("/-/console/assets/")
        || path == "/-/console/index.html";
    let h = resp.headers_mut();
    let csp = if page { PAGE_CSP } else { DATA_CSP };
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
