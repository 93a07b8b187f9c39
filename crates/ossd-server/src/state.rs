//! Shared server state: the store, the configuration and the per-bucket cache (record + compiled CORS rules).

use crate::keys::Keys;
use crate::server::ServerConfig;
use ossd_cors::CorsConfig;
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{BucketRecord, Store, StoreError};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, RwLock};

/// A bucket as the request path sees it: its record and its compiled CORS configuration.
#[derive(Debug)]
pub struct BucketState {
    /// The stored record.
    pub record: BucketRecord,
    /// The compiled CORS rules, if any are configured.
    pub cors: Option<CorsConfig>,
    /// Per rule, the response header values that do not depend on the request, prepared once.
    pub cors_headers: Vec<RuleHeaders>,
    /// The bucket's slot of CORS decision counters (`metrics::cors`).
    pub(crate) cors_slot: usize,
}

/// The header values a matching rule always sends (Allow-Methods, Expose-Headers, Max-Age).
#[derive(Debug)]
pub struct RuleHeaders {
    /// `Access-Control-Allow-Methods`.
    pub allow_methods: Option<http::HeaderValue>,
    /// `Access-Control-Expose-Headers`.
    pub expose_headers: Option<http::HeaderValue>,
    /// `Access-Control-Max-Age`.
    pub max_age: Option<http::HeaderValue>,
    /// A matched preflight's whole answer, prepared once per variant ([`RuleHeaders::preflight`]).
    preflight: [PreflightHead; 8],
}

/// A matched preflight's header block in wire order, with slots for the values that depend on the
/// request: `Content-Length: 0`, `Access-Control-Allow-Origin` (`*`, replaced when the origin is
/// echoed), the rule's Allow-Methods, Expose-Headers and Max-Age, `Access-Control-Allow-Headers`
/// (a slot, if the variant has one), `Vary` (fixed for the variant), and optionally the slots for
/// `x-oss-request-id`, `Date` and `Server`. A preflight clones it and fills the slots by position,
/// which costs less than inserting (hashing) each header again.
///
/// The variants with those three slots, which only go straight to hyper, leave `Content-Length: 0`
/// out: hyper's HTTP/1 encoder skips that header for an empty body and writes `content-length: 0`
/// itself after all the others, so the bytes on the wire are the same; and nine entries (about
/// 940 bytes) stay under mimalloc's 1 KiB small-block size, above which its aligned allocation
/// takes a slower path (measured: about 450 instructions per preflight).
#[derive(Debug)]
pub struct PreflightHead {
    /// The headers; slot values are empty placeholders.
    pub headers: http::HeaderMap,
    /// Position of `Access-Control-Allow-Origin` (its value is `*`).
    pub origin_at: usize,
    /// Position of the `Access-Control-Allow-Headers` slot, if this variant has one.
    pub allow_headers_at: Option<usize>,
    /// Position of the `x-oss-request-id` slot (`Date` and `Server` follow), if this variant has them.
    pub common_at: Option<usize>,
}

impl RuleHeaders {
    /// The prepared answer for an echoed (`echo`) or `*` origin, with or without an
    /// Allow-Headers slot, and with or without the request-id/Date/Server slots (`common`).
    pub fn preflight(&self, echo: bool, allow_headers: bool, common: bool) -> &PreflightHead {
        &self.preflight
            [usize::from(echo) << 2 | usize::from(allow_headers) << 1 | usize::from(common)]
    }
}

/// Room in [`PreflightHead::headers`] (and so in every clone of it) for all headers of a preflight
/// answer, the ones added after it (e.g. `Connection`) included, without growing its index.
const PREFLIGHT_HEADERS: usize = 12;

/// An empty header value, the placeholder of a slot.
const SLOT: http::HeaderValue = http::HeaderValue::from_static("");

impl BucketState {
    fn new(record: BucketRecord) -> BucketState {
        let cors = record.configs.get("cors").and_then(|xml| {
            match ossd_proto::cors_xml::parse_and_validate(xml.as_bytes()) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(bucket = %record.name, error = ?e, "stored CORS configuration does not parse; ignoring it");
                    None
                }
            }
        });
        BucketState::with_cors(record, cors)
    }

    /// The state of `record` with `cors` as its compiled rules (the header values are prepared here).
    pub(crate) fn with_cors(record: BucketRecord, cors: Option<CorsConfig>) -> BucketState {
        let cors_headers = cors.as_ref().map(prepare_headers).unwrap_or_default();
        BucketState { record, cors, cors_headers, cors_slot: crate::metrics::cors::MAX_BUCKETS }
    }
}

/// Prepares each rule's constant header values once, in the engine's format (lists joined by ", ").
fn prepare_headers(cfg: &CorsConfig) -> Vec<RuleHeaders> {
    let value = |s: String| http::HeaderValue::from_str(&s).ok();
    cfg.rules()
        .iter()
        .map(|rule| {
            let allow_methods = value(rule.allowed_methods.join(", "));
            let expose_headers = if rule.expose_headers.is_empty() {
                None
            } else {
                value(rule.expose_headers.join(", "))
            };
            let max_age = rule
                .max_age_seconds
                .and_then(|m| u64::try_from(m).ok())
                .map(http::HeaderValue::from);
            let fixed = [&allow_methods, &expose_headers, &max_age];
            let preflight = std::array::from_fn(|i| {
                preflight_head(fixed, i & 4 != 0, i & 2 != 0, i & 1 != 0, cfg.response_vary())
            });
            RuleHeaders { allow_methods, expose_headers, max_age, preflight }
        })
        .collect()
}

/// One variant of [`PreflightHead`]: the same headers, in the same order, as inserting them one by
/// one after a match (`cors::preflight`, then the request id, `Date` and `Server` of every answer).
fn preflight_head(
    [allow_methods, expose_headers, max_age]: [&Option<http::HeaderValue>; 3],
    echo: bool,
    allow_headers: bool,
    common: bool,
    response_vary: bool,
) -> PreflightHead {
    use http::header;
    let mut h = http::HeaderMap::with_capacity(PREFLIGHT_HEADERS);
    if !common {
        h.insert(header::CONTENT_LENGTH, http::HeaderValue::from_static("0"));
    }
    let origin_at = h.len();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, http::HeaderValue::from_static("*"));
    for (name, v) in [
        (header::ACCESS_CONTROL_ALLOW_METHODS, allow_methods),
        (header::ACCESS_CONTROL_EXPOSE_HEADERS, expose_headers),
        (header::ACCESS_CONTROL_MAX_AGE, max_age),
    ] {
        if let Some(v) = v {
            h.insert(name, v.clone());
        }
    }
    let allow_headers_at = allow_headers.then(|| {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, SLOT);
        h.len() - 1
    });
    if let Some(vary) = crate::cors::preflight_vary(echo, response_vary) {
        h.insert(header::VARY, vary);
    }
    let common_at = common.then(|| {
        let at = h.len();
        h.insert(crate::render::X_OSS_REQUEST_ID, SLOT);
        h.insert(header::DATE, SLOT);
        h.insert(header::SERVER, SLOT);
        at
    });
    PreflightHead { headers: h, origin_at, allow_headers_at, common_at }
}

/// FNV-1a, for the bucket cache: a bucket name is short and hashed on every request, where SipHash
/// costs more than the rest of the lookup. Flooding resistance is not needed there: the keys are
/// only buckets that exist, which only authenticated owners create.
struct NameHasher(u64);

impl Default for NameHasher {
    fn default() -> NameHasher {
        NameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Everything a request handler needs, shared by all connections.
pub struct AppState {
    /// The storage backend.
    pub store: Store,
    /// The server configuration.
    pub config: ServerConfig,
    /// Access keys besides root.
    pub keys: Keys,
    buckets: RwLock<HashMap<String, Arc<BucketState>, BuildHasherDefault<NameHasher>>>,
    /// Serialises read-modify-write updates of bucket records (ACL, CORS) so none is lost.
    bucket_updates: Mutex<()>,
    /// Prometheus metrics (`metrics`).
    pub metrics: crate::metrics::Metrics,
    /// The stop signal came: `/-/readyz` answers 503 (`health`).
    pub draining: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// Wraps a store and a configuration.
    pub fn new(store: Store, config: ServerConfig, keys: Keys) -> AppState {
        AppState {
            store,
            config,
            keys,
            buckets: RwLock::new(HashMap::default()),
            bucket_updates: Mutex::new(()),
            metrics: crate::metrics::Metrics::default(),
            draining: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The bucket's cached state, loading it from the store on a miss. `Ok(None)` when it does not exist.
    pub fn bucket(&self, name: &str) -> Result<Option<Arc<BucketState>>, ApiError> {
        if let Some(b) = self.buckets.read().map_err(|_| ApiError::internal())?.get(name) {
            return Ok(Some(b.clone()));
        }
        let rec = self.store.get_bucket(name).map_err(store_error)?;
        let Some(rec) = rec else { return Ok(None) };
        Ok(Some(self.cache_bucket(rec)))
    }

    /// The bucket's state or `NoSuchBucket`.
    pub fn require_bucket(&self, name: &str) -> Result<Arc<BucketState>, ApiError> {
        self.bucket(name)?.ok_or_else(|| ApiError::no_such_bucket(name))
    }

    /// Replaces the cached state after the record changed in the store.
    pub fn cache_bucket(&self, rec: BucketRecord) -> Arc<BucketState> {
        let mut st = BucketState::new(rec);
        st.cors_slot = self.metrics.cors.slot(&st.record.name);
        let st = Arc::new(st);
        if let Ok(mut map) = self.buckets.write() {
            map.insert(st.record.name.clone(), st.clone());
        }
        st
    }

    /// Reads the bucket's current record, applies `f`, stores it and refreshes the cache, atomically
    /// with respect to other updates through this function.
    pub fn update_bucket(
        &self,
        name: &str,
        f: impl FnOnce(&mut BucketRecord),
    ) -> Result<Arc<BucketState>, ApiError> {
        let _guard = self.bucket_updates.lock().map_err(|_| ApiError::internal())?;
        let rec = blocking(|| -> Result<BucketRecord, StoreError> {
            let mut rec = self.store.get_bucket(name)?.ok_or(StoreError::NoSuchBucket)?;
            f(&mut rec);
            self.store.update_bucket(&rec)?;
            Ok(rec)
        })
        .map_err(|e| match store_error(e) {
            e if e.code == ErrorCode::NoSuchBucket => ApiError::no_such_bucket(name),
            e => e,
        })?;
        Ok(self.cache_bucket(rec))
    }

    /// Drops a bucket from the cache (after DeleteBucket).
    pub fn forget_bucket(&self, name: &str) {
        if let Ok(mut map) = self.buckets.write() {
            map.remove(name);
        }
    }
}

/// Runs blocking store work on this worker thread without stalling the others.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Maps a storage error to the OSS error a client should see; unexpected ones are logged and become InternalError.
#[track_caller]
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::BucketExists => ApiError::new(ErrorCode::BucketAlreadyExists),
        StoreError::NoSuchBucket => ApiError::new(ErrorCode::NoSuchBucket),
        StoreError::BucketNotEmpty => ApiError::new(ErrorCode::BucketNotEmpty),
        StoreError::NoSuchKey => ApiError::new(ErrorCode::NoSuchKey),
        StoreError::NoSuchUpload => ApiError::new(ErrorCode::NoSuchUpload),
        StoreError::PositionNotEqualToLength { current } => {
            ApiError::new(ErrorCode::PositionNotEqualToLength)
                .header("x-oss-next-append-position", current.to_string())
        }
        StoreError::ObjectNotAppendable => ApiError::new(ErrorCode::ObjectNotAppendable),
        StoreError::ObjectExists => ApiError::new(ErrorCode::FileAlreadyExists),
        StoreError::OutOfSpace => {
            tracing::warn!(at = %std::panic::Location::caller(), "refused: the disk is full");
            ApiError::new(ErrorCode::InsufficientStorage)
        }
        other => {
            let loc = std::panic::Location::caller();
            tracing::error!(error = %other, at = %loc, "storage error");
            ApiError::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prepare_headers;
    use ossd_cors::{CorsConfig, CorsRule};

    #[test]
    fn prepared_rule_headers_equal_what_the_engine_hands_out() {
        let rule = |o: &str, m: &[&str], e: &[&str], age: Option<i64>| CorsRule {
            allowed_origins: vec![o.to_owned()],
            allowed_methods: m.iter().map(|s| (*s).to_owned()).collect(),
            allowed_headers: vec![],
            expose_headers: e.iter().map(|s| (*s).to_owned()).collect(),
            max_age_seconds: age,
        };
        let cfg = CorsConfig::new(
            vec![
                rule("http://a.com", &["GET", "PUT"], &["ETag", "x-oss-request-id"], Some(60)),
                rule("*", &["HEAD"], &[], None),
            ],
            false,
        )
        .expect("valid");
        let pre = prepare_headers(&cfg);
        for (i, (origin, method)) in
            [("http://a.com", "PUT"), ("http://b.com", "HEAD")].iter().enumerate()
        {
            let a = cfg.actual(origin, method);
            let a = a.allowed().expect("matches");
            assert_eq!(a.rule, i);
            assert_eq!(
                pre[i].allow_methods.as_ref().map(|v| v.to_str().expect("ascii")),
                Some(a.allow_methods)
            );
            assert_eq!(
                pre[i].expose_headers.as_ref().map(|v| v.to_str().expect("ascii")),
                a.expose_headers
            );
            assert_eq!(
                pre[i].max_age.as_ref().map(|v| v.to_str().expect("ascii").to_owned()),
                a.max_age.map(|m| m.to_string())
            );
        }
    }
}
