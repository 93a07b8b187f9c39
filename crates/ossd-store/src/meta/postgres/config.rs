//! Where the PostgreSQL metadata lives: a `postgres://` URL, a password kept apart from it, and
//! the bounds of the connection pool. The password never appears in `Debug`, `Display` or an
//! error: [`PgConfig::redacted`] is what logs show.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Read connections kept at most (views of concurrent requests); one more connection writes.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How long a read waits for a pooled connection before it fails.
pub const DEFAULT_POOL_WAIT: Duration = Duration::from_secs(30);

/// The connection settings of the PostgreSQL metadata backend.
#[derive(Clone)]
pub struct PgConfig {
    pub(crate) inner: tokio_postgres::Config,
    /// Read connections kept at most.
    pub pool_size: usize,
    /// How long a read waits for a free connection when all `pool_size` are in use.
    pub pool_wait: Duration,
}

/// A URL that is not a usable `postgres://` URL (the message never holds the password).
#[derive(Debug, thiserror::Error)]
#[error("invalid PostgreSQL URL: {0}")]
pub struct PgUrlError(String);

impl PgConfig {
    /// Parses `postgres://user@host:port/database` (or `postgresql://`; the query parameters of
    /// libpq URLs that the client knows, such as `connect_timeout` or `options`, are honoured).
    /// A password written into the URL is accepted, but [`PgConfig::with_password`] (from the
    /// environment or a file) is the way to pass one.
    pub fn parse(url: &str) -> Result<PgConfig, PgUrlError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(PgUrlError("it must start with postgres:// or postgresql://".to_owned()));
        }
        // The client's own message may quote the faulty part; it never echoes the URL whole,
        // but a password in the URL is not worth the risk: keep its message out.
        let mut inner = tokio_postgres::Config::from_str(url).map_err(|_| {
            PgUrlError(
                "expected postgres://user@host:port/database with known query parameters"
                    .to_owned(),
            )
        })?;
        if inner.get_hosts().is_empty() {
            return Err(PgUrlError("no host".to_owned()));
        }
        if inner.get_user().is_none() {
            return Err(PgUrlError("no user (postgres://USER@host/database)".to_owned()));
        }
        if inner.get_connect_timeout().is_none() {
            inner.connect_timeout(Duration::from_secs(10));
        }
        inner.application_name("ossd");
        Ok(PgConfig { inner, pool_size: DEFAULT_POOL_SIZE, pool_wait: DEFAULT_POOL_WAIT })
    }

    /// Sets the password (from `OSSD_META_PASSWORD`, `PGPASSWORD` or a password file).
    #[must_use]
    pub fn with_password(mut self, password: &str) -> PgConfig {
        self.inner.password(password);
        self
    }

    /// Whether a password is set (in the URL or by [`PgConfig::with_password`]).
    pub fn has_password(&self) -> bool {
        self.inner.get_password().is_some()
    }

    /// Sets the server `options` of every connection (e.g. `-c search_path=tenant1`).
    #[must_use]
    pub fn with_options(mut self, options: &str) -> PgConfig {
        self.inner.options(options);
        self
    }

    /// `postgres://user@host:port/database`, without the password: what logs may show.
    pub fn redacted(&self) -> String {
        let user = self.inner.get_user().unwrap_or("");
        let hosts: Vec<String> = self
            .inner
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let host = match h {
                    tokio_postgres::config::Host::Tcp(h) => h.clone(),
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                };
                match self.inner.get_ports().get(i).or(self.inner.get_ports().first()) {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                }
            })
            .collect();
        let db = self.inner.get_dbname().unwrap_or("");
        format!("postgres://{user}@{}/{db}", hosts.join(","))
    }
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &self.redacted())
            .field("password", &self.has_password().then_some("<redacted>"))
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl fmt::Display for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]
    use super::PgConfig;

    #[test]
    fn the_password_never_shows() {
        let c = PgConfig::parse("postgres://ossd:hunter2@db.example:5433/meta").unwrap();
        assert_eq!(c.redacted(), "postgres://ossd@db.example:5433/meta");
        assert!(c.has_password());
        let c = c.with_password("s3cret-pw");
        for shown in [format!("{c}"), format!("{c:?}")] {
            assert!(!shown.contains("hunter2") && !shown.contains("s3cret-pw"), "{shown}");
        }
        let e = PgConfig::parse("postgres://ossd:hunter2@db.example:notaport/meta").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn only_postgres_urls_with_a_user_and_host() {
        assert!(PgConfig::parse("mysql://u@h/db").is_err());
        assert!(PgConfig::parse("postgres://h/db").is_err());
        let c = PgConfig::parse("postgresql://u@h/db").unwrap();
        assert_eq!(c.redacted(), "postgres://u@h:5432/db");
        assert!(!c.has_password());
    }
}
