//! The PostgreSQL metadata backend: the tables of `schema.rs` in one database shared by every
//! node, written by READ COMMITTED transactions that lock what they read (`tables.rs`, which
//! explains why that keeps every invariant with several writers), read through REPEATABLE READ
//! READ ONLY snapshots (`view.rs`), listed by index range scans (`list.rs`).
//!
//! Changes to buckets and settings are announced to every node through `feed.rs`.
//!
//! One connection writes (the store runs one write transaction at a time per process); reads
//! borrow connections from a bounded pool (`conn.rs`). docs/design.md, section 10, has the
//! mapping and what another PostgreSQL-protocol database would need.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::StoreError;
use crate::meta::{Metadata, Tables, View};

mod channel_binding;
mod config;
pub(crate) mod conn;
mod feed;
mod list;
pub(crate) mod schema;
mod tables;
mod tls;
mod view;

pub use config::{DEFAULT_POOL_SIZE, PgConfig, PgUrlError};
use conn::{Conn, PgRuntime, Pool, db_error};
use tables::PgTables;
pub use tls::SslMode;
use view::PgView;

/// Times a write transaction that lost a race is run again before the error is returned.
const MAX_ATTEMPTS: u32 = 20;

/// Metadata in a PostgreSQL database.
pub(crate) struct PgMeta {
    config: PgConfig,
    /// The write connection; reopened when it breaks.
    writer: Mutex<Option<Conn>>,
    pool: Arc<Pool>,
    /// The change counter of the last bucket or setting change this process committed: what
    /// [`Metadata::settle`] waits for the other nodes to apply.
    config_written: AtomicI64,
    /// This process's name in `ossd_nodes` (`feed.rs`).
    node: String,
    /// Set when the process leaves: its feed reports no more.
    left: Arc<AtomicBool>,
    /// Dropped last: it drives every connection above.
    runtime: Arc<PgRuntime>,
}

/// The other nodes (not `$2`) that are alive and have not applied change `$1` yet. A node whose
/// feed has not reported within a second is taken for gone and not waited for (`feed.rs`
/// reports every poll, 250 ms in the server). This node's own caches were updated by the
/// change itself.
const LAGGING_NODES: &str = "SELECT count(*) FROM ossd_nodes \
     WHERE applied < $1 AND node <> $2 AND seen_at > now() - interval '1 second'";

/// Pause between two looks at `ossd_nodes` while settling.
const SETTLE_POLL: Duration = Duration::from_millis(1);

impl PgMeta {
    /// Connects, applies the migrations this database lacks (under an advisory lock, so nodes
    /// starting together are safe) and counts one more start. Returns the backend and its
    /// generation.
    pub(crate) fn open(config: &PgConfig) -> Result<(PgMeta, u64), StoreError> {
        let runtime = Arc::new(PgRuntime::new()?);
        let conn = runtime.connect(config)?;
        schema::migrate(&conn)?;
        let generation = schema::bump_generation(&conn)?;
        let pool = Arc::new(Pool::new(config.clone(), Arc::clone(&runtime)));
        let meta = PgMeta {
            config: config.clone(),
            writer: Mutex::new(Some(conn)),
            pool,
            config_written: AtomicI64::new(0),
            node: feed::node_name(),
            left: Arc::new(AtomicBool::new(false)),
            runtime,
        };
        Ok((meta, generation))
    }

    /// Runs `body` in one transaction on `conn`. `Ok(true)`: committed or rolled back as
    /// `body` said; `Ok(false)`: lost a race, run it again.
    fn attempt(
        &self,
        conn: &Conn,
        body: &mut dyn FnMut(&mut dyn Tables) -> Result<bool, StoreError>,
    ) -> Result<bool, StoreError> {
        conn.batch("BEGIN ISOLATION LEVEL READ COMMITTED").map_err(|e| db_error(&e))?;
        let mut tables = PgTables::new(conn);
        let result = body(&mut tables);
        if tables.conflicted() {
            conn.batch("ROLLBACK").map_err(|e| db_error(&e))?;
            return Ok(false);
        }
        // A bucket or setting written: the counter its trigger bumped (locked by this
        // transaction until it commits, so this is this change's own number).
        let config_change = match (&result, tables.config_changed()) {
            (Ok(true), true) => Some(Self::config_counter(conn)?),
            _ => None,
        };
        match result {
            Ok(true) => match conn.batch("COMMIT") {
                Ok(()) => {
                    if let Some(n) = config_change {
                        self.config_written.fetch_max(n, Ordering::AcqRel);
                    }
                    Ok(true)
                }
                Err(e) if conn::retryable(&e) => Ok(false),
                Err(e) => Err(db_error(&e)),
            },
            Ok(false) => {
                conn.batch("ROLLBACK").map_err(|e| db_error(&e))?;
                Ok(true)
            }
            Err(e) => {
                // Keep the body's error; a failed rollback shows in the next BEGIN.
                let _ = conn.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

impl PgMeta {
    fn config_counter(conn: &Conn) -> Result<i64, StoreError> {
        let row = conn
            .query_opt("SELECT value FROM ossd_counters WHERE name = 'config'", &[])
            .map_err(|e| db_error(&e))?
            .ok_or_else(|| StoreError::Corrupt("the config counter is missing".to_owned()))?;
        row.try_get(0).map_err(|e| db_error(&e))
    }
}

impl Metadata for PgMeta {
    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn Tables) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut slot = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        for attempt in 0..MAX_ATTEMPTS {
            if slot.as_ref().is_none_or(Conn::is_closed) {
                *slot = None;
                *slot = Some(self.runtime.connect(&self.config)?);
            }
            let Some(conn) = slot.as_ref() else {
                return Err(StoreError::Internal("no write connection".to_owned()));
            };
            match self.attempt(conn, body) {
                Ok(true) => return Ok(()),
                Ok(false) => {
                    // Another node's transaction won; it holds no lock any more. Back off a
                    // little, more after each loss, so that two losers do not collide again.
                    std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10)) * 2));
                }
                Err(e) => {
                    if conn.is_closed() {
                        *slot = None;
                    }
                    return Err(e);
                }
            }
        }
        Err(StoreError::Meta(format!(
            "a write transaction lost {MAX_ATTEMPTS} races with other writers in a row"
        )))
    }

    fn view(&self) -> Result<Arc<dyn View>, StoreError> {
        Ok(Arc::new(PgView::begin(self.pool.get()?)?))
    }

    fn needs_recovery(&self) -> bool {
        false
    }

    fn recover(&self) -> Result<(), StoreError> {
        // A broken connection is replaced when it is next needed.
        Ok(())
    }

    fn watch(&self, poll: Duration) -> Result<Option<crate::changes::ChangeFeed>, StoreError> {
        let node = feed::Node { name: self.node.clone(), left: Arc::clone(&self.left) };
        Ok(Some(feed::spawn(self.runtime.runtime()?, self.config.clone(), node, poll)))
    }

    fn leave(&self) -> Result<(), StoreError> {
        self.left.store(true, Ordering::Release);
        let pooled = self.pool.get()?;
        pooled
            .conn()?
            .execute("DELETE FROM ossd_nodes WHERE node = $1", &[&self.node])
            .map_err(|e| db_error(&e))?;
        Ok(())
    }

    fn settle(&self, limit: Duration) -> Result<bool, StoreError> {
        let target = self.config_written.load(Ordering::Acquire);
        if target == 0 {
            return Ok(true);
        }
        let started = Instant::now();
        let pooled = self.pool.get()?;
        let conn = pooled.conn()?;
        loop {
            let row =
                conn.query_opt(LAGGING_NODES, &[&target, &self.node]).map_err(|e| db_error(&e))?;
            let lagging: i64 = match row {
                Some(r) => r.try_get(0).map_err(|e| db_error(&e))?,
                None => 0,
            };
            if lagging == 0 {
                return Ok(true);
            }
            if started.elapsed() >= limit {
                return Ok(false);
            }
            std::thread::sleep(SETTLE_POLL);
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
