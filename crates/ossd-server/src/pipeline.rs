//! One request, start to end: address → classify → preflight → authenticate → handle → render → decorate with CORS.

use crate::auth::{self, Authz, Principal};
use crate::body::Body;
use crate::cors;
use crate::handlers;
use crate::headers::{X_OSS_COPY_SOURCE, X_OSS_OBJECT_ACL, X_OSS_REQUEST_ID};
use crate::metrics::cors::{CorsRequest, actual_decision, preflight_decision};
use crate::metrics::{CorsDecision, Finished};
use crate::render;
use crate::request_body::RequestBody;
use crate::router::{self, Surface};
use crate::state::{AppState, BucketState};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use ossd_proto::request::{TargetRef, classify, resolve, resolve_ref, valid_bucket_name};
use ossd_proto::{Access, ApiError, Operation, Query, Target};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What a handler knows about the request besides its body.
pub struct Ctx {
    /// The HTTP method.
    pub method: Method,
    /// The request headers.
    pub headers: HeaderMap,
    /// The decoded query.
    pub query: Query,
    /// Bucket and key.
    pub target: Target,
    /// The operation.
    pub op: Operation,
    /// Who is asking.
    pub principal: Principal,
    /// What authorization decided from the operation's access class (`auth::authorize`).
    pub authz: Authz,
    /// The bucket's state when the request names an existing bucket.
    pub bucket: Option<Arc<BucketState>>,
}

impl Ctx {
    /// A request header as a string, if present and valid.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The bucket's state or `NoSuchBucket`.
    pub fn bucket(&self) -> Result<&Arc<BucketState>, ApiError> {
        self.bucket
            .as_ref()
            .ok_or_else(|| ApiError::no_such_bucket(self.target.bucket.as_deref().unwrap_or("")))
    }
    /// The bucket name (empty for service-level requests).
    pub fn bucket_name(&self) -> &str {
        self.target.bucket.as_deref().unwrap_or("")
    }
}

/// Facts gathered while the request is processed, used for CORS decoration and the log line.
#[derive(Default)]
struct Trace {
    op: &'static str,
    bucket_name: Option<String>,
    key: Option<String>,
    bucket: Option<Arc<BucketState>>,
    /// The request's `Origin`, kept only when the bucket has CORS rules to decorate with.
    origin: Option<HeaderValue>,
    preflight: bool,
    /// The answer already carries the request id, `Date` and `Server` (a matched preflight).
    common_set: bool,
    /// The access key id that signed the request (logged only; never the secret).
    access_key: Option<String>,
    /// What CORS decided, when the request was a preflight or carried an `Origin` to a bucket
    /// with rules.
    cors: Option<CorsDecision>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A request id in OSS's form: 24 upper-case hex characters (time, then a per-process sequence),
/// kept on the stack.
pub(crate) struct RequestId([u8; 24]);

impl RequestId {
    /// The next id for a request arriving at `now_secs` (Unix seconds; the low 32 bits are used).
    pub(crate) fn new(now_secs: u64) -> RequestId {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let seed = *SEED.get_or_init(rand::random::<u64>);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_add(seed);
        RequestId::from_parts(now_secs as u32, n)
    }

    /// The id made of `time` (8 hex digits) and `n` (16 hex digits).
    pub(crate) fn from_parts(time: u32, n: u64) -> RequestId {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut out = [0u8; 24];
        for (i, b) in out[..8].iter_mut().enumerate() {
            *b = HEX[((time >> (28 - 4 * i)) & 0xF) as usize];
        }
        for (i, b) in out[8..].iter_mut().enumerate() {
            *b = HEX[((n >> (60 - 4 * i)) & 0xF) as usize];
        }
        RequestId(out)
    }

    /// The id as text (always 24 hex characters).
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The id as the `x-oss-request-id` value: one allocation, no intermediate `String`.
    fn header_value(&self) -> HeaderValue {
        // `from_bytes` refuses only control bytes: 24 hex digits always pass.
        HeaderValue::from_bytes(&self.0).unwrap_or(HeaderValue::from_static("0"))
    }
}

/// `Server: AliyunOSS`.
const SERVER: HeaderValue = HeaderValue::from_static("AliyunOSS");

/// The `Date` header value for `secs` since the Unix epoch, formatted once per second and shared.
fn date_header(secs: u64) -> HeaderValue {
    static CACHE: std::sync::RwLock<Option<(u64, HeaderValue)>> = std::sync::RwLock::new(None);
    if let Ok(c) = CACHE.read()
        && let Some((s, v)) = c.as_ref()
        && *s == secs
    {
        return v.clone();
    }
    // The one HTTP-date formatter (`render`), also used for Last-Modified.
    let ms = i64::try_from(secs).unwrap_or(i64::MAX / 1000).saturating_mul(1000);
    let v = render::http_date_value(ms).unwrap_or(HeaderValue::from_static(""));
    if let Ok(mut c) = CACHE.write() {
        *c = Some((secs, v.clone()));
    }
    v
}

/// Handles one request. Never fails: every error becomes an OSS error response.
pub async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Body> {
    // The log line is the only reader of most of the trace.
    let log = tracing::enabled!(tracing::Level::INFO);
    let started = Instant::now();
    let _in_flight = state.metrics.start();
    let secs = u64::try_from(crate::clock::now_secs()).unwrap_or(0);
    let request_id = RequestId::new(secs);
    let (parts, body) = req.into_parts();
    let is_head = parts.method == Method::HEAD;
    // A shared handle on the request's bytes, not a copy. HTTP/2 names the host in `:authority`.
    let host_value = parts
        .headers
        .get(header::HOST)
        .cloned()
        .or_else(|| parts.uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
    let host = host_value.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("");
    let host_problem = host_problem(&parts);
    let method = parts.method.clone();
    let has_body = parts.headers.get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let mut trace = Trace { op: "Unknown", ..Trace::default() };
    let mut console_path = None;
    let user_agent = if log { parts.headers.get(header::USER_AGENT).cloned() } else { None };
    // Request body bytes received, counted by the body as the handler reads it (an HTTP/2
    // request may have a body without Content-Length).
    let received =
        (has_body || !http_body::Body::is_end_stream(&body)).then(|| Arc::new(AtomicU64::new(0)));

    let result = if let Some(problem) = host_problem {
        Err(ApiError::msg(ossd_proto::ErrorCode::InvalidRequest, problem))
    } else if let Some(surface) = router::route(host, parts.uri.path(), &state.config.domains) {
        // The server's own surfaces, on its own host only (`router`).
        trace.op = surface.name();
        match surface {
            Surface::Healthz => Ok(render::empty(StatusCode::OK)),
            Surface::Readyz => Ok(crate::health::readiness(&state)),
            Surface::Metrics => crate::metrics::respond(&state, &parts, false),
            Surface::Admin => crate::admin::handle(&state, &parts),
            Surface::Console => {
                console_path = Some(parts.uri.path().to_owned());
                match crate::console::handle(&state, parts, body, peer).await {
                    crate::console::Outcome::Done(r) => r,
                    crate::console::Outcome::Proxy(proxied) => {
                        let (principal, parts, body) = *proxied;
                        let body = RequestBody::new(body, state.config.limits.body_rule());
                        let clock = (&request_id, secs);
                        run(&state, &mut trace, log, clock, host, parts, body, Some(principal))
                            .await
                    }
                }
            }
            Surface::Unknown => Err(ApiError::msg(
                ossd_proto::ErrorCode::NoSuchKey,
                "No such surface of this server under /-/.",
            )),
        }
    } else {
        let mut body = RequestBody::new(body, state.config.limits.body_rule());
        if let Some(counter) = &received {
            body = body.counting(counter.clone());
        }
        run(&state, &mut trace, log, (&request_id, secs), host, parts, body, None).await
    };
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => render::error(&e, request_id.as_str(), host, is_head),
    };
    let h = resp.headers_mut();
    if !trace.common_set {
        h.insert(X_OSS_REQUEST_ID, request_id.header_value());
        h.insert(header::DATE, date_header(secs));
        h.insert(header::SERVER, SERVER);
    }
    if let Some(path) = &console_path {
        crate::console::harden(&mut resp, path);
    }
    if !trace.preflight {
        cors::decorate(&mut resp, trace.bucket.as_deref(), trace.origin.as_ref(), &method);
        if let (Some(b), Some(origin)) = (trace.bucket.as_deref(), trace.origin.as_ref()) {
            let d = actual_decision(b, origin, &method, resp.headers());
            state.metrics.cors.count(b.cors_slot, CorsRequest::Actual, d);
            trace.cors = Some(d);
        }
    }
    // An error answered before the request body was read leaves unread bytes on the connection:
    // tell the client this connection is done instead of closing it under a reused request.
    if has_body && (resp.status().is_client_error() || resp.status().is_server_error()) {
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let status = resp.status().as_u16();
    let took = started.elapsed();
    let bytes_in = received.map_or(0, |r| r.load(Ordering::Relaxed));
    let bytes_out = http_body::Body::size_hint(resp.body()).exact().unwrap_or(0);
    state.metrics.finish(&Finished {
        op: trace.op,
        status,
        took,
        received: bytes_in,
        sent: bytes_out,
    });
    if log {
        // `render::error`, the one place errors are rendered, tags the response with its code.
        let error_code = resp.extensions().get::<ossd_proto::ErrorCode>().map(|c| c.as_str());
        tracing::info!(
            request_id = %request_id.as_str(),
            peer = %peer,
            method = %method,
            op = trace.op,
            bucket = trace.bucket_name.as_deref().unwrap_or(""),
            key = trace.key.as_deref().unwrap_or(""),
            status,
            error_code = error_code.unwrap_or(""),
            bytes_in,
            bytes_out,
            user_agent = user_agent.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""),
            access_key_id = trace.access_key.as_deref().unwrap_or(""),
            cors = trace.cors.map_or("", CorsDecision::as_str),
            duration_us = took.as_micros() as u64,
            "request"
        );
    }
    resp
}

/// Why the request's `Host` cannot name what it asks for: two `Host` headers (which one would
/// address the bucket?), or none on HTTP/1.1, which requires it (RFC 9112 §3.2).
fn host_problem(parts: &http::request::Parts) -> Option<&'static str> {
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => Some("The request has more than one Host header."),
        (None, _) if parts.version == http::Version::HTTP_11 => {
            Some("An HTTP/1.1 request must have a Host header.")
        }
        _ => None,
    }
}

/// The OSS pipeline from the query on. `preauth`: the principal of a console session, which
/// replaces the signature check (and, like a signature, the hotlink check); everything else,
/// authorization included, is the same as for a signed request.
#[allow(clippy::too_many_arguments, reason = "the request's pieces, and the console's principal")]
async fn run(
    state: &AppState,
    trace: &mut Trace,
    log: bool,
    clock: (&RequestId, u64),
    host: &str,
    parts: http::request::Parts,
    body: RequestBody,
    preauth: Option<Principal>,
) -> Result<Response<Body>, ApiError> {
    let query = Query::parse(parts.uri.query().unwrap_or(""))?;
    if parts.method == Method::OPTIONS {
        // `is_preflight` (OPTIONS naming a bucket), on a target that borrows from the path.
        let target = resolve_ref(Some(host), parts.uri.path(), &state.config.domains)?;
        if let Some(bucket_name) = target.bucket.as_deref() {
            return preflight(state, trace, log, clock, host, &parts, bucket_name, &target);
        }
    }
    let target = resolve(Some(host), parts.uri.path(), &state.config.domains)?;
    // `classify` reads the copy source only for a PUT: the lookup is made for nothing else.
    let copy_source = parts.method == Method::PUT && parts.headers.contains_key(&X_OSS_COPY_SOURCE);
    let op = classify(parts.method.as_str(), &target, &query, copy_source);
    trace.op = op.name();
    if log {
        trace.bucket_name = target.bucket.clone();
        trace.key = op.key().map(str::to_owned);
    }
    let bucket = known_bucket(state, target.bucket.as_deref())?;
    if let Some(b) = &bucket
        && b.cors.is_some()
    {
        // Only `cors::decorate` reads these, and it does nothing for a bucket without rules.
        trace.bucket = Some(b.clone());
        trace.origin = parts.headers.get(header::ORIGIN).cloned();
    }
    // Authorization, once, from the operation's row of the table. A bucket that does not exist
    // is named before the signature is checked, as OSS does.
    let info = op.info();
    if bucket.is_none()
        && matches!(info.access, Access::Read | Access::Write | Access::Owner | Access::Form)
    {
        return Err(ApiError::no_such_bucket(target.bucket.as_deref().unwrap_or("")));
    }
    // PostObject is authorised by its form fields alone: OSS ignores header and URL signatures there.
    let signed = preauth.is_some() || parts.headers.contains_key(header::AUTHORIZATION);
    let principal = if matches!(op, Operation::PostObject) {
        Principal::Anonymous
    } else if let Some(p) = preauth {
        p
    } else {
        auth::authenticate(state, &parts, &target, &query)?
    };
    if log {
        trace.access_key = principal.owner_id(state).map(str::to_owned);
    }
    // Hotlink protection: anonymous requests and presigned URLs, before the ACLs (`referer`).
    // PostObject is authorized by its signed form, not through a URL.
    if let Some(b) = &bucket
        && let Some(cfg) = &b.referer
        && !signed
        && !matches!(op, Operation::PostObject)
    {
        let referer = parts.headers.get(header::REFERER).map(HeaderValue::as_bytes);
        crate::referer::check(cfg, referer).map_err(|r| r.to_error(&b.record.name))?;
    }
    let sets_acl = info.sets_acl && parts.headers.contains_key(X_OSS_OBJECT_ACL);
    let authz =
        auth::authorize(&principal, bucket.as_deref(), info.access, info.object_acl, sets_acl)?;
    if let Some(b) = &bucket {
        auth::refuse_public_acl(b, auth::requested_acl(&op, &parts.headers))?;
    }
    let ctx = Ctx {
        method: parts.method,
        headers: parts.headers,
        query,
        target,
        op,
        principal,
        authz,
        bucket,
    };
    handlers::dispatch(state, &ctx, body).await
}

/// The bucket a request names, if its name is valid and it exists.
fn known_bucket(
    state: &AppState,
    name: Option<&str>,
) -> Result<Option<Arc<BucketState>>, ApiError> {
    match name {
        Some(b) if valid_bucket_name(b) => state.bucket(b),
        _ => Ok(None),
    }
}

/// Answers a preflight (OPTIONS naming `bucket_name`) before authentication.
#[allow(clippy::too_many_arguments, reason = "the pieces of `run` a preflight needs")]
fn preflight(
    state: &AppState,
    trace: &mut Trace,
    log: bool,
    (request_id, secs): (&RequestId, u64),
    host: &str,
    parts: &http::request::Parts,
    bucket_name: &str,
    target: &TargetRef<'_>,
) -> Result<Response<Body>, ApiError> {
    // What `classify` would say, without building the operation (a copy of the key).
    trace.op = Operation::Preflight { key: None }.name();
    trace.preflight = true;
    if log {
        trace.bucket_name = Some(bucket_name.to_owned());
        trace.key = target.key.as_deref().map(str::to_owned);
    }
    let bucket = known_bucket(state, Some(bucket_name))?;
    // A matched preflight writes the headers every answer carries into its prepared slots.
    let common = || cors::CommonHeaders {
        request_id: request_id.header_value(),
        date: date_header(secs),
        server: SERVER,
    };
    let (r, common_set) = cors::preflight(
        bucket.as_deref(),
        Some(bucket_name),
        &parts.headers,
        || request_id.as_str(),
        host,
        common,
    );
    trace.common_set = common_set;
    if let Some(b) = bucket.as_deref() {
        let d = preflight_decision(b, &parts.headers, r.status());
        state.metrics.cors.count(b.cors_slot, CorsRequest::Preflight, d);
        trace.cors = Some(d);
    }
    Ok(r)
}
