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

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::StoreError;
use crate::meta::{Metadata, Tables, View};

mod config;
pub(crate) mod conn;
mod feed;
mod list;
pub(crate) mod schema;
mod tables;
mod view;

pub use config::{DEFAULT_POOL_SIZE, PgConfig, PgUrlError};
use conn::{Conn, PgRuntime, Pool, db_error};
use tables::PgTables;
use view::PgView;

/// Times a write transaction that lost a race is run again before the error is returned.
const MAX_ATTEMPTS: u32 = 20;

/// Metadata in a PostgreSQL database.
pub(crate) struct PgMeta {
    config: PgConfig,
    /// The write connection; reopened when it breaks.
    writer: Mutex<Option<Conn>>,
    pool: Arc<Pool>,
    /// Dropped last: it drives every connection above.
    runtime: Arc<PgRuntime>,
}

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
        let meta = PgMeta { config: config.clone(), writer: Mutex::new(Some(conn)), pool, runtime };
        Ok((meta, generation))
    }

    /// Runs `body` in one transaction on `conn`. `Ok(true)`: committed or rolled back as
    /// `body` said; `Ok(false)`: lost a race, run it again.
    fn attempt(
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
        match result {
            Ok(true) => match conn.batch("COMMIT") {
                Ok(()) => Ok(true),
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
            match Self::attempt(conn, body) {
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

    fn watch(
        &self,
        poll: Duration,
    ) -> Result<Option<tokio::sync::mpsc::UnboundedReceiver<crate::changes::MetaChange>>, StoreError>
    {
        Ok(Some(feed::spawn(self.runtime.runtime()?, self.config.clone(), poll)))
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
