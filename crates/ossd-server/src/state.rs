//! Shared server state: the store, the configuration and the per-bucket cache (record + compiled CORS rules).

use crate::cors::BucketCors;
use crate::keys::Keys;
use crate::server::ServerConfig;
use ossd_cors::CorsConfig;
use ossd_proto::docs::lifecycle::LifecycleConfiguration;
use ossd_proto::docs::referer::RefererConfiguration;
use ossd_proto::docs::website::WebsiteConfiguration;
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{BucketRecord, Store, StoreError};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// A bucket as the request path sees it: its record and its CORS rules, compiled and prepared.
#[derive(Debug)]
pub struct BucketState {
    /// The stored record.
    pub record: BucketRecord,
    /// The compiled CORS rules with their prepared headers, if any are configured.
    pub cors: Option<BucketCors>,
    /// The hotlink-protection configuration, if one that can refuse anything is stored.
    pub referer: Option<RefererConfiguration>,
    /// Block Public Access: public ACLs are ignored and cannot be set (`auth`).
    pub block_public_access: bool,
    /// The static-website configuration, if one is set.
    pub website: Option<WebsiteConfiguration>,
    /// The lifecycle rules (PutBucketLifecycle), if any.
    pub lifecycle: Option<LifecycleConfiguration>,
    /// The bucket's tags (PutBucketTags), in the order given; empty when it has none.
    pub tags: Vec<ossd_proto::tags::Tag>,
    /// The bucket's slot of CORS decision counters (`metrics::cors`).
    pub(crate) cors_slot: usize,
}

/// The key of the CORS configuration in [`BucketRecord::configs`].
pub const CORS_CONFIG: &str = "cors";

/// The key of the website configuration in [`BucketRecord::configs`].
pub const WEBSITE_CONFIG: &str = "website";

/// The key of the Block Public Access setting (`true`/`false`) in [`BucketRecord::configs`].
pub const PUBLIC_ACCESS_BLOCK_CONFIG: &str = "publicAccessBlock";

/// The key of the referer configuration in [`BucketRecord::configs`].
pub const REFERER_CONFIG: &str = "referer";

/// The key of the lifecycle configuration in [`BucketRecord::configs`].
pub const LIFECYCLE_CONFIG: &str = "lifecycle";

/// The key of the bucket's tags (a `Tagging` document) in [`BucketRecord::configs`].
pub const TAGGING_CONFIG: &str = "tagging";

/// The configuration stored under `key`, parsed; one that no longer parses is logged and ignored.
fn stored<T, E: std::fmt::Debug>(
    record: &BucketRecord,
    key: &str,
    parse: fn(&[u8]) -> Result<T, E>,
) -> Option<T> {
    let xml = record.configs.get(key)?;
    parse(xml.as_bytes())
        .inspect_err(|e| tracing::error!(bucket = %record.name, config = key, error = ?e, "stored configuration does not parse; ignoring it"))
        .ok()
}

impl BucketState {
    fn new(record: BucketRecord) -> BucketState {
        let cors = record.configs.get(CORS_CONFIG).and_then(|xml| {
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

    /// The state of `record` with `cors` as its compiled rules (their headers are prepared here).
    pub(crate) fn with_cors(record: BucketRecord, cors: Option<CorsConfig>) -> BucketState {
        let referer = stored(&record, REFERER_CONFIG, ossd_proto::docs::referer::parse);
        let website = stored(&record, WEBSITE_CONFIG, ossd_proto::docs::website::parse);
        let tags = stored(&record, TAGGING_CONFIG, ossd_proto::docs::tagging::parse);
        let lifecycle =
            stored(&record, LIFECYCLE_CONFIG, ossd_proto::docs::lifecycle::parse_stored);
        let block_public_access =
            record.configs.get(PUBLIC_ACCESS_BLOCK_CONFIG).is_some_and(|v| v == "true");
        BucketState {
            record,
            cors: cors.map(BucketCors::new),
            referer,
            block_public_access,
            website,
            tags: tags.unwrap_or_default(),
            lifecycle,
            cors_slot: crate::metrics::cors::MAX_BUCKETS,
        }
    }
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

/// The cached buckets by name. With shared metadata (PostgreSQL) an entry lives until the change
/// feed says its bucket changed (`cluster.rs`).
type BucketCache = HashMap<String, Arc<BucketState>, BuildHasherDefault<NameHasher>>;

/// Everything a request handler needs, shared by all connections.
pub struct AppState {
    /// The storage backend.
    pub store: Store,
    /// The server configuration.
    pub config: ServerConfig,
    /// Access keys besides root.
    pub keys: Keys,
    /// The console's sessions (in memory).
    pub console: crate::console::session::Sessions,
    /// Each bucket's state.
    buckets: RwLock<BucketCache>,
    /// Bumped (under the cache's write lock) by every invalidation: a load that read the store
    /// before an invalidation must not put what it read into the cache after it.
    bucket_epoch: AtomicU64,
    /// Serialises read-modify-write updates of bucket records (ACL, CORS) so none is lost.
    bucket_updates: Mutex<()>,
    /// Whether what is read of buckets may be cached: always with redb; with shared metadata
    /// only while the change feed is heard (`cluster.rs`), since a change made while it is lost
    /// would go unnoticed (every request reads the database meanwhile).
    cache_buckets: std::sync::atomic::AtomicBool,
    /// Prometheus metrics (`metrics`).
    pub metrics: crate::metrics::Metrics,
    /// The stop signal came: `/-/readyz` answers 503 (`health`).
    pub draining: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// Wraps a store and a configuration.
    pub fn new(store: Store, config: ServerConfig, keys: Keys) -> AppState {
        let cache_buckets = std::sync::atomic::AtomicBool::new(!store.is_shared());
        AppState {
            console: crate::console::session::Sessions::new(config.console),
            store,
            config,
            keys,
            buckets: RwLock::new(HashMap::default()),
            bucket_epoch: AtomicU64::new(0),
            cache_buckets,
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
        let epoch = self.bucket_epoch.load(Ordering::Acquire);
        let rec = self.store.get_bucket(name).map_err(store_error)?;
        let Some(rec) = rec else { return Ok(None) };
        Ok(Some(self.cache_bucket_since(rec, epoch)))
    }

    /// The bucket's state or `NoSuchBucket`.
    pub fn require_bucket(&self, name: &str) -> Result<Arc<BucketState>, ApiError> {
        self.bucket(name)?.ok_or_else(|| ApiError::no_such_bucket(name))
    }

    /// Replaces the cached state after the record changed in the store (with shared metadata,
    /// only drops it: a later change by another node may already be committed and announced).
    pub fn cache_bucket(&self, rec: BucketRecord) -> Arc<BucketState> {
        if self.store.is_shared() {
            self.forget_bucket(&rec.name);
            return self.bucket_state(rec);
        }
        let epoch = self.bucket_epoch.load(Ordering::Acquire);
        self.cache_bucket_since(rec, epoch)
    }

    fn bucket_state(&self, rec: BucketRecord) -> Arc<BucketState> {
        let mut st = BucketState::new(rec);
        st.cors_slot = self.metrics.cors.slot(&st.record.name);
        Arc::new(st)
    }

    /// Caches `rec`, read from the store after the cache was at `epoch`, unless the cache was
    /// invalidated since (then what was read may be older than the change announced).
    fn cache_bucket_since(&self, rec: BucketRecord, epoch: u64) -> Arc<BucketState> {
        let st = self.bucket_state(rec);
        if self.cache_buckets.load(Ordering::Acquire)
            && let Ok(mut map) = self.buckets.write()
            && self.bucket_epoch.load(Ordering::Acquire) == epoch
        {
            map.insert(st.record.name.clone(), st.clone());
        }
        st
    }

    /// Reads the bucket's current record, applies `f`, stores it and refreshes the cache, atomically
    /// with respect to other updates through this function.
    pub fn update_bucket(
        &self,
        name: &str,
        mut f: impl FnMut(&mut BucketRecord),
    ) -> Result<Arc<BucketState>, ApiError> {
        let _guard = self.bucket_updates.lock().map_err(|_| ApiError::internal())?;
        let epoch = self.bucket_epoch.load(Ordering::Acquire);
        // The read-modify-write runs inside one store transaction (which may run `f` again if
        // it lost a race), so that an update made meanwhile by another node sharing the
        // metadata is not lost either.
        let rec =
            blocking(|| self.store.modify_bucket(name, &mut f)).map_err(|e| {
                match store_error(e) {
                    e if e.code == ErrorCode::NoSuchBucket => ApiError::no_such_bucket(name),
                    e => e,
                }
            })?;
        Ok(self.cache_bucket_since(rec, epoch))
    }

    /// Drops a bucket from the cache (after DeleteBucket, or when another node changed it).
    pub fn forget_bucket(&self, name: &str) {
        if let Ok(mut map) = self.buckets.write() {
            self.bucket_epoch.fetch_add(1, Ordering::AcqRel);
            map.remove(name);
        }
    }

    /// Drops every cached bucket (the change feed may have missed changes).
    pub fn forget_all_buckets(&self) {
        if let Ok(mut map) = self.buckets.write() {
            self.bucket_epoch.fetch_add(1, Ordering::AcqRel);
            map.clear();
        }
    }

    /// The change feed is heard (`true`, after a [`AppState::forget_all_buckets`]) or lost:
    /// while it is lost nothing read of buckets is cached.
    pub fn set_bucket_caching(&self, on: bool) {
        if !on {
            self.cache_buckets.store(false, Ordering::Release);
        }
        self.forget_all_buckets();
        if on {
            self.cache_buckets.store(true, Ordering::Release);
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
        StoreError::NoSuchVersion => ApiError::new(ErrorCode::NoSuchVersion),
        StoreError::DeleteMarker { version_id } => {
            crate::handlers::version_arg::delete_marker_error("GET", &version_id)
        }
        StoreError::PositionNotEqualToLength { current } => {
            ApiError::new(ErrorCode::PositionNotEqualToLength)
                .header(crate::headers::X_OSS_NEXT_APPEND_POSITION.as_str(), current.to_string())
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
    #![allow(clippy::unwrap_used, reason = "tests may unwrap")]

    use super::*;
    use crate::limits::ConnLimits;
    use crate::server::AccessKey;
    use std::time::Duration;

    fn state(dir: &std::path::Path) -> AppState {
        let config = ServerConfig {
            master_key_file: None,
            data_dir: dir.to_owned(),
            meta: None,
            region: "oss-cn-hangzhou".to_owned(),
            domains: vec![],
            root: AccessKey { id: "root".to_owned(), secret: "secret".to_owned() },
            shutdown_grace: Duration::from_secs(1),
            public_endpoint: None,
            internal_endpoint: None,
            limits: ConnLimits::default(),
            lifecycle_interval: Duration::from_secs(3600),
            tls: None,
            http_listen: None,
            metrics_listen: None,
            ready_min_free_bytes: 0,
            drain_delay: Duration::ZERO,
            blobs: None,
            console: crate::console::session::ConsoleConfig::default(),
        };
        let keys = Keys::load(dir).unwrap();
        AppState::new(Store::open_in_memory().unwrap(), config, keys)
    }

    fn record(name: &str) -> BucketRecord {
        BucketRecord {
            name: name.to_owned(),
            owner: "root".to_owned(),
            created_ms: 1,
            acl: ossd_store::BucketAcl::Private,
            storage_class: ossd_store::StorageClass::Standard,
            region: "oss-cn-hangzhou".to_owned(),
            configs: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn a_load_that_read_before_an_invalidation_does_not_fill_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let st = state(dir.path());
        st.store.create_bucket(&record("b")).unwrap();
        // A request reads the bucket; before it caches what it read, the change feed says the
        // bucket changed on another node (its record there is newer than what was read).
        let epoch = st.bucket_epoch.load(Ordering::Acquire);
        let read = st.store.get_bucket("b").unwrap().unwrap();
        st.forget_bucket("b");
        st.cache_bucket_since(read, epoch);
        assert!(!st.buckets.read().unwrap().contains_key("b"));
        // The next load reads after the invalidation: cached.
        assert!(st.bucket("b").unwrap().is_some());
        assert!(st.buckets.read().unwrap().contains_key("b"));
        st.forget_all_buckets();
        assert!(st.buckets.read().unwrap().is_empty());
    }
}
