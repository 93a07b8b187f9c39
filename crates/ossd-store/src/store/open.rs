//! Opening a [`Store`]: the options, and the embedded (redb + files), in-memory and PostgreSQL
//! configurations.

use std::path::Path;
use std::sync::{Arc, Mutex};

use redb::Database;

use super::{DEFAULT_INLINE_MAX, Inner, Store};
use crate::StoreError;
use crate::blob::{BlobBackend, FsBlobs, MemBlobs};
use crate::crypt::Keyring;
use crate::dbfile::MetaFile;
use crate::group::GroupQueue;
use crate::lease::Leases;
use crate::meta::Metadata;
use crate::meta::postgres::{PgConfig, PgMeta};
use crate::meta::redb::RedbMeta;
use crate::space::Space;

/// Tuning knobs for [`Store::open_with`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// redb quick-repair: every commit also saves allocator state, so reopening after a crash
    /// takes milliseconds instead of a full database walk; commits cost a little more.
    pub quick_repair: bool,
    /// Blobs of at most this many bytes (when the size is known up front) are stored inline in
    /// the metadata commit instead of in a file of their own; 0 turns inline blobs off.
    pub inline_max: u64,
    /// Memory redb may use to cache pages (a tenth of it buffers writes). Pages beyond it are
    /// read again from the OS page cache; without a bound the cache grows with every page
    /// touched (inline blobs included) up to redb's default of 1 GiB.
    pub cache_bytes: usize,
    /// Bytes held back on the data directory's file system while the store is writable and
    /// given up when the disk fills, so that repairs and deletes still have room; the store
    /// takes new data again once this much is free besides the reserve (see `space.rs`).
    pub reserve_bytes: u64,
    /// The master key file of encryption at rest; `None`: `master-key.json` beside the
    /// database (created, mode 0600, when missing).
    pub master_key_file: Option<std::path::PathBuf>,
    /// `None`: blobs a commit leaves unreferenced are deleted right after it (or after this
    /// process's readers), and the sweep removes orphans of earlier processes: right for blobs
    /// only this process uses. `Some(grace)`: blobs shared by several nodes; an unreferenced
    /// blob gets a deletion mark and is deleted by [`Store::collect_garbage`] once the mark
    /// is `grace` old (see `gc.rs`); the backend must keep marks (OpenDAL does).
    pub blob_grace: Option<std::time::Duration>,
}

/// Name of the master key file in the data directory (unless configured elsewhere).
pub const MASTER_KEY_FILE: &str = "master-key.json";

/// Default size of the space reserve.
pub const DEFAULT_RESERVE_BYTES: u64 = 8 * 1024 * 1024;

/// Default bound of redb's page cache.
pub const DEFAULT_CACHE_BYTES: usize = 16 * 1024 * 1024;

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            quick_repair: true,
            inline_max: DEFAULT_INLINE_MAX,
            cache_bytes: DEFAULT_CACHE_BYTES,
            reserve_bytes: DEFAULT_RESERVE_BYTES,
            master_key_file: None,
            blob_grace: None,
        }
    }
}

impl Store {
    /// Opens (creating if needed) the data dir: meta.redb, blobs/, tmp/. Removes everything in
    /// tmp/ synchronously. Work is O(files in tmp/): no scan of objects or blobs.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, &StoreOptions::default())
    }

    /// [`Store::open`] with explicit options.
    pub fn open_with(dir: &Path, opts: &StoreOptions) -> Result<Store, StoreError> {
        crate::perms::create_private_dir(dir)?;
        let blobs = FsBlobs::new(dir)?;
        Store::open_with_backend(&dir.join("meta.redb"), Arc::new(blobs), opts)
    }

    /// Opens the metadata database at `meta_path` over any blob backend.
    pub fn open_with_backend(
        meta_path: &Path,
        blobs: Arc<dyn BlobBackend>,
        opts: &StoreOptions,
    ) -> Result<Store, StoreError> {
        // Opening the database takes its file lock, so tmp/ cannot belong to a live process.
        let (meta, db) = MetaFile::open(meta_path, opts.cache_bytes)?;
        blobs.clear_staging()?;
        let dir = meta_path.parent().map(Path::to_path_buf);
        let key_file = match (&opts.master_key_file, &dir) {
            (Some(f), _) => f.clone(),
            (None, Some(d)) => d.join(MASTER_KEY_FILE),
            (None, None) => Path::new(MASTER_KEY_FILE).to_path_buf(),
        };
        let keys =
            Keyring::load_or_create(&key_file).map_err(|e| StoreError::Internal(e.to_string()))?;
        let space = Space::new(dir, opts.reserve_bytes);
        Store::init(db, blobs, opts, Some(meta), space, keys)
    }

    /// A store entirely in memory (redb's in-memory backend and a map of blobs), for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        let opts = StoreOptions { quick_repair: false, ..StoreOptions::default() };
        let keys = Keyring::ephemeral();
        Store::init(db, Arc::new(MemBlobs::default()), &opts, None, Space::new(None, 0), keys)
    }

    /// Opens a store whose metadata lives in PostgreSQL (`pg`) and whose bytes live in
    /// `blobs`. `dir` is the local directory of the master key file (unless
    /// `opts.master_key_file` names it) and of the space reserve (`None`: neither is kept
    /// there: give `opts.master_key_file`). The schema is created or migrated at open, safely
    /// when several nodes start at once; without `--meta`, the server opens redb as before.
    pub fn open_postgres_with_backend(
        pg: &PgConfig,
        blobs: Arc<dyn BlobBackend>,
        dir: Option<&Path>,
        opts: &StoreOptions,
    ) -> Result<Store, StoreError> {
        let key_file = match (&opts.master_key_file, dir) {
            (Some(f), _) => f.clone(),
            (None, Some(d)) => d.join(MASTER_KEY_FILE),
            (None, None) => Path::new(MASTER_KEY_FILE).to_path_buf(),
        };
        let keys =
            Keyring::load_or_create(&key_file).map_err(|e| StoreError::Internal(e.to_string()))?;
        let (meta, generation) = PgMeta::open(pg)?;
        blobs.clear_staging()?;
        let space = Arc::new(Space::new(dir.map(Path::to_path_buf), opts.reserve_bytes));
        Ok(Store::assemble(Arc::new(meta), generation, blobs, opts, space, keys, true))
    }

    /// [`Store::open_postgres_with_backend`] with the blob files in `dir` (as [`Store::open`]
    /// keeps them), the master key file beside them.
    pub fn open_postgres(
        dir: &Path,
        pg: &PgConfig,
        opts: &StoreOptions,
    ) -> Result<Store, StoreError> {
        crate::perms::create_private_dir(dir)?;
        let blobs = FsBlobs::new(dir)?;
        Store::open_postgres_with_backend(pg, Arc::new(blobs), Some(dir), opts)
    }

    fn init(
        db: Database,
        blobs: Arc<dyn BlobBackend>,
        opts: &StoreOptions,
        meta: Option<MetaFile>,
        space: Space,
        keys: Keyring,
    ) -> Result<Store, StoreError> {
        let space = Arc::new(space);
        let (meta, generation) = RedbMeta::open(db, meta, Arc::clone(&space), opts.quick_repair)?;
        Ok(Store::assemble(Arc::new(meta), generation, blobs, opts, space, keys, false))
    }

    /// A store over any metadata backend.
    fn assemble(
        meta: Arc<dyn Metadata>,
        generation: u64,
        blobs: Arc<dyn BlobBackend>,
        opts: &StoreOptions,
        space: Arc<Space>,
        keys: Keyring,
        shared: bool,
    ) -> Store {
        Store {
            inner: Arc::new(Inner {
                meta,
                space,
                blobs,
                generation,
                inline_max: opts.inline_max,
                grace: opts.blob_grace,
                keys: Arc::new(keys),
                write_lock: Mutex::new(()),
                leases: Mutex::new(Leases::default()),
                group: Mutex::new(GroupQueue::default()),
                committer: Mutex::new(None),
                stats: crate::stats::StoreStats::default(),
                shared,
            }),
        }
    }
}
