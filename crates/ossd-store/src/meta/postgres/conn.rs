//! Connections to PostgreSQL, for a synchronous trait called from any thread.
//!
//! The store calls the metadata trait from tokio workers (reads), from `block_in_place` sections
//! and from its committer thread (writes), and from plain threads in tests. A client that runs a
//! runtime of its own per call would panic inside a tokio worker. So the backend owns a small
//! runtime (one thread, `ossd-pg`) that drives the connections' sockets, and callers wait for a
//! query's future with `futures_executor::block_on`, which parks the calling thread and needs no
//! runtime of its own. Each connection caches its prepared statements, so a query costs one round
//! trip after its first use on that connection.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::config::PgConfig;
use crate::StoreError;

/// SQLSTATEs after which a write transaction is run again from the start: serialization
/// failure, deadlock, and a unique violation (two transactions inserted the same new row; the
/// loser sees the winner's row when it runs again).
const RETRYABLE: [&str; 3] = ["40001", "40P01", "23505"];

/// Settings of every session: no statement or lock wait may hang a request forever.
const SESSION_SETUP: &str = "SET statement_timeout = '60s'; SET lock_timeout = '30s'";

/// A failure of PostgreSQL or of the connection to it.
pub(crate) fn db_error(e: &tokio_postgres::Error) -> StoreError {
    StoreError::Meta(describe(e))
}

/// The error with its causes: the client's own message is only the kind ("db error", "error
/// performing TLS handshake"); the server's message or the TLS failure is in the sources.
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// Whether running the transaction again may succeed.
pub(crate) fn retryable(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| RETRYABLE.contains(&c.code()))
}

/// Waits for `f` on the calling thread.
pub(crate) fn wait<F: Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

/// The runtime that drives the connections.
pub(crate) struct PgRuntime {
    rt: Option<tokio::runtime::Runtime>,
}

impl PgRuntime {
    pub(crate) fn new() -> Result<PgRuntime, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ossd-pg")
            .enable_all()
            .build()
            .map_err(StoreError::Io)?;
        Ok(PgRuntime { rt: Some(rt) })
    }

    /// The runtime itself (the change feed runs on it).
    pub(crate) fn runtime(&self) -> Result<&tokio::runtime::Runtime, StoreError> {
        self.rt
            .as_ref()
            .ok_or_else(|| StoreError::Internal("the PostgreSQL runtime is gone".to_owned()))
    }

    /// Opens a connection, driven by this runtime until the client is dropped.
    pub(crate) fn connect(&self, config: &PgConfig) -> Result<Conn, StoreError> {
        let Some(rt) = &self.rt else {
            return Err(StoreError::Internal("the PostgreSQL runtime is gone".to_owned()));
        };
        let cfg = config.inner.clone();
        let tls = config.tls.connector();
        let handle = rt.spawn(async move {
            let (client, connection) = cfg.connect(tls).await?;
            tokio::spawn(async move {
                // The connection ends with an error when the server goes away; the client then
                // reports itself closed and is replaced.
                let _ = connection.await;
            });
            client.batch_execute(SESSION_SETUP).await?;
            Ok::<Client, tokio_postgres::Error>(client)
        });
        let client = wait(handle)
            .map_err(|e| StoreError::Internal(format!("connecting to PostgreSQL: {e}")))?
            .map_err(|e| StoreError::Meta(format!("connecting to {config}: {}", describe(&e))))?;
        Ok(Conn { client, statements: Mutex::new(HashMap::new()) })
    }
}

impl Drop for PgRuntime {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio refuses inside another runtime's worker (where
        // the last store handle may well be dropped).
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// One connection and its prepared statements.
pub(crate) struct Conn {
    client: Client,
    statements: Mutex<HashMap<&'static str, Statement>>,
}

impl Conn {
    /// Whether the connection is gone (the server closed it, or the network failed).
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    fn statement(&self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.statements.lock().unwrap_or_else(PoisonError::into_inner).get(sql) {
            return Ok(s.clone());
        }
        let s = wait(self.client.prepare(sql))?;
        self.statements.lock().unwrap_or_else(PoisonError::into_inner).insert(sql, s.clone());
        Ok(s)
    }

    /// Runs `sql` (prepared once per connection) and returns its rows.
    pub(crate) fn query(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let s = self.statement(sql)?;
        wait(self.client.query(&s, params))
    }

    /// Runs `sql` and returns its only row, if any.
    pub(crate) fn query_opt(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let s = self.statement(sql)?;
        wait(self.client.query_opt(&s, params))
    }

    /// Runs `sql` and returns the number of rows it changed.
    pub(crate) fn execute(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        let s = self.statement(sql)?;
        wait(self.client.execute(&s, params))
    }

    /// Runs one or more statements without parameters (transaction control, DDL).
    pub(crate) fn batch(&self, sql: &str) -> Result<(), tokio_postgres::Error> {
        wait(self.client.batch_execute(sql))
    }
}

/// A bounded pool of connections for reads.
pub(crate) struct Pool {
    config: PgConfig,
    runtime: Arc<PgRuntime>,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Conn>,
    /// Connections handed out or idle.
    open: usize,
}

impl Pool {
    pub(crate) fn new(config: PgConfig, runtime: Arc<PgRuntime>) -> Pool {
        Pool {
            config,
            runtime,
            state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
        }
    }

    /// An idle connection, a new one while fewer than `pool_size` are open, or the next one
    /// given back (waiting at most `pool_wait`).
    pub(crate) fn get(self: &Arc<Self>) -> Result<Pooled, StoreError> {
        let deadline = Instant::now() + self.config.pool_wait;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            while let Some(conn) = state.idle.pop() {
                if conn.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Pooled { conn: Some(conn), pool: Arc::clone(self) });
            }
            if state.open < self.config.pool_size.max(1) {
                state.open += 1;
                drop(state);
                return match self.runtime.connect(&self.config) {
                    Ok(conn) => Ok(Pooled { conn: Some(conn), pool: Arc::clone(self) }),
                    Err(e) => {
                        self.release(None);
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Meta(format!(
                    "all {} PostgreSQL read connections stayed busy for {:?}",
                    self.config.pool_size, self.config.pool_wait
                )));
            }
            state = self
                .freed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Takes a connection back (`None`: it was dropped as broken).
    fn release(&self, conn: Option<Conn>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match conn {
            Some(c) if !c.is_closed() => state.idle.push(c),
            _ => state.open -= 1,
        }
        drop(state);
        self.freed.notify_one();
    }
}

/// A connection borrowed from the pool; given back when dropped.
pub(crate) struct Pooled {
    conn: Option<Conn>,
    pool: Arc<Pool>,
}

impl Pooled {
    pub(crate) fn conn(&self) -> Result<&Conn, StoreError> {
        self.conn
            .as_ref()
            .ok_or_else(|| StoreError::Internal("pooled connection already returned".to_owned()))
    }

    /// Gives the connection up instead of back (its session is in an unknown state).
    pub(crate) fn discard(&mut self) {
        drop(self.conn.take());
        self.pool.release(None);
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.release(Some(conn));
        }
    }
}
