//! One request, start to end: address → classify → preflight → authenticate → handle → render → decorate with CORS.

use crate::auth::{self, Principal};
use crate::body::Body;
use crate::cors;
use crate::handlers;
use crate::render;
use crate::state::{AppState, BucketState};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use ossd_proto::request::{classify, resolve, valid_bucket_name};
use ossd_proto::{ApiError, Operation, Query, Target};
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
    /// The bucket's state when the request names an existing bucket.
    pub bucket: Option<Arc<BucketState>>,
}

impl Ctx {
    /// A request header as a string, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
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
    preflight: bool,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A request id in OSS's form: 24 upper-case hex characters (time, then a per-process sequence).
fn new_request_id(now_secs: u64) -> String {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let seed = *SEED.get_or_init(rand::random::<u64>);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_add(seed);
    let v = (u128::from(now_secs as u32) << 64) | u128::from(n);
    let mut out = String::with_capacity(24);
    for i in (0..24).rev() {
        out.push(HEX[((v >> (i * 4)) & 0xF) as usize] as char);
    }
    out
}

/// The `Date` header value, formatted once per second and shared.
fn date_header(now: std::time::SystemTime) -> HeaderValue {
    static CACHE: std::sync::RwLock<Option<(u64, HeaderValue)>> = std::sync::RwLock::new(None);
    let secs = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    if let Ok(c) = CACHE.read()
        && let Some((s, v)) = c.as_ref()
        && *s == secs
    {
        return v.clone();
    }
    let v = HeaderValue::from_str(&httpdate::fmt_http_date(now))
        .unwrap_or(HeaderValue::from_static(""));
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
    let started = Instant::now();
    let now = std::time::SystemTime::now();
    let request_id =
        new_request_id(now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0));
    let (parts, body) = req.into_parts();
    let is_head = parts.method == Method::HEAD;
    let host =
        parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let origin = parts.headers.get(header::ORIGIN).cloned();
    let method = parts.method.clone();
    let has_body = parts.headers.get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let mut trace = Trace { op: "Unknown", ..Trace::default() };

    let result = if parts.uri.path() == "/-/healthz" {
        trace.op = "HealthCheck";
        Ok(render::empty(StatusCode::OK))
    } else {
        run(&state, &mut trace, &request_id, &host, parts, body).await
    };
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => render::error(&e, &request_id, &host, is_head),
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-oss-request-id", v);
    }
    h.insert(header::DATE, date_header(now));
    h.insert(header::SERVER, HeaderValue::from_static("AliyunOSS"));
    if !trace.preflight {
        cors::decorate(&mut resp, trace.bucket.as_deref(), origin.as_ref(), &method);
    }
    // An error answered before the request body was read leaves unread bytes on the connection:
    // tell the client this connection is done instead of closing it under a reused request.
    if has_body && (resp.status().is_client_error() || resp.status().is_server_error()) {
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let status = resp.status().as_u16();
    tracing::info!(
        request_id = %request_id,
        peer = %peer,
        method = %method,
        op = trace.op,
        bucket = trace.bucket_name.as_deref().unwrap_or(""),
        key = trace.key.as_deref().unwrap_or(""),
        status,
        duration_us = started.elapsed().as_micros() as u64,
        "request"
    );
    resp
}

async fn run(
    state: &AppState,
    trace: &mut Trace,
    request_id: &str,
    host: &str,
    parts: http::request::Parts,
    body: Incoming,
) -> Result<Response<Body>, ApiError> {
    if parts.uri.path().starts_with(crate::admin::PREFIX) {
        trace.op = "Admin";
        return crate::admin::handle(state, &parts);
    }
    let query = Query::parse(parts.uri.query().unwrap_or(""))?;
    let target = resolve(Some(host), parts.uri.path(), &state.config.domains)?;
    let op = classify(
        parts.method.as_str(),
        &target,
        &query,
        parts.headers.contains_key("x-oss-copy-source"),
    );
    trace.op = op.name();
    if tracing::enabled!(tracing::Level::INFO) {
        trace.bucket_name = target.bucket.clone();
        trace.key = op.key().map(str::to_owned);
    }
    let bucket = match &target.bucket {
        Some(b) if valid_bucket_name(b) => state.bucket(b)?,
        _ => None,
    };
    trace.bucket = bucket.clone();
    if let Operation::Preflight { .. } = op {
        trace.preflight = true;
        return Ok(cors::preflight(
            bucket.as_deref(),
            target.bucket.as_deref(),
            &parts.headers,
            request_id,
            host,
        ));
    }
    // PostObject is authorised by its form fields alone: OSS ignores header and URL signatures there.
    let principal = if matches!(op, Operation::PostObject) {
        Principal::Anonymous
    } else {
        auth::authenticate(state, &parts, &target, &query)?
    };
    let ctx =
        Ctx { method: parts.method, headers: parts.headers, query, target, op, principal, bucket };
    handlers::dispatch(state, &ctx, body).await
}
