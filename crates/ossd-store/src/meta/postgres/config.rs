//! Where the PostgreSQL metadata lives: a `postgres://` URL, a password kept apart from it, and
//! the bounds of the connection pool, and TLS (`sslmode`, `sslrootcert`: `tls.rs`). The
//! password never appears in `Debug`, `Display` or an error: [`PgConfig::redacted`] is what
//! logs show.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::tls::{PgTls, RootCerts, SslMode};

/// Read connections kept at most (views of concurrent requests); one more connection writes.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How long a read waits for a pooled connection before it fails.
pub const DEFAULT_POOL_WAIT: Duration = Duration::from_secs(30);

/// The connection settings of the PostgreSQL metadata backend.
#[derive(Clone)]
pub struct PgConfig {
    pub(crate) inner: tokio_postgres::Config,
    /// How the connections are encrypted and the server checked.
    pub(crate) tls: PgTls,
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
    /// libpq URLs that the client knows, such as `connect_timeout` or `options`, are honoured,
    /// and `sslmode` and `sslrootcert` as libpq reads them, see `tls.rs`). A password written
    /// into the URL is accepted, but [`PgConfig::with_password`] (from the environment or a
    /// file) is the way to pass one. The root certificates are read here.
    pub fn parse(url: &str) -> Result<PgConfig, PgUrlError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(PgUrlError("it must start with postgres:// or postgresql://".to_owned()));
        }
        let (url, ssl_mode, roots) = take_tls_params(url)?;
        let tls = PgTls::new(ssl_mode, roots).map_err(|e| PgUrlError(e.to_string()))?;
        // The client's own message may quote the faulty part; it never echoes the URL whole,
        // but a password in the URL is not worth the risk: keep its message out.
        let mut inner = tokio_postgres::Config::from_str(&url).map_err(|_| {
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
        // `sslmode` was taken out above: if the client still found one, the URL says it in a
        // way ossd did not read, and overriding it could weaken what the operator asked for.
        if inner.get_ssl_mode() != tokio_postgres::config::SslMode::Prefer {
            return Err(PgUrlError("sslmode is given in a form ossd cannot read".to_owned()));
        }
        inner.ssl_mode(tls.mode.client_mode());
        Ok(PgConfig { inner, tls, pool_size: DEFAULT_POOL_SIZE, pool_wait: DEFAULT_POOL_WAIT })
    }

    /// The `sslmode` in effect.
    pub fn ssl_mode(&self) -> SslMode {
        self.tls.mode
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
        let tls = match (self.tls.mode, &self.tls.roots) {
            (SslMode::Prefer, None) => String::new(),
            (mode, None) => format!("?sslmode={}", mode.as_str()),
            (mode, Some(RootCerts::System)) => {
                format!("?sslmode={}&sslrootcert=system", mode.as_str())
            }
            (mode, Some(RootCerts::File(p))) => {
                format!("?sslmode={}&sslrootcert={}", mode.as_str(), p.display())
            }
        };
        format!("postgres://{user}@{}/{db}{tls}", hosts.join(","))
    }
}

/// libpq's TLS parameters that ossd handles itself (the PostgreSQL client knows only
/// `disable`, `prefer` and `require`, and no root file): the URL without `sslmode` and
/// `sslrootcert`, and their values. Client certificates and the other `ssl*` parameters are
/// refused by name.
fn take_tls_params(url: &str) -> Result<(String, Option<SslMode>, Option<RootCerts>), PgUrlError> {
    // The query starts at the first `?` after the credentials, as the PostgreSQL client reads
    // the URL: a `?` in a password (before the first `@`) is the password's.
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let authority = url[after_scheme..].find('@').map_or(after_scheme, |i| after_scheme + i + 1);
    let Some(q) = url[authority..].find('?').map(|i| authority + i) else {
        return Ok((url.to_owned(), None, None));
    };
    let (base, query) = (&url[..q], &url[q + 1..]);
    let (mut mode, mut roots, mut rest) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        // Keys are percent-decoded too, as the client decodes them: `%73slmode` is `sslmode`.
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
        match key.as_ref() {
            "sslmode" => {
                mode = Some(SslMode::parse(&value).ok_or_else(|| {
                    PgUrlError(format!(
                        "sslmode={value}: expected disable, prefer, require, verify-ca or \
                         verify-full"
                    ))
                })?);
            }
            "sslrootcert" if value.is_empty() => {
                return Err(PgUrlError("sslrootcert is empty".to_owned()));
            }
            "sslrootcert" if value == "system" => roots = Some(RootCerts::System),
            "sslrootcert" => roots = Some(RootCerts::File(value.into_owned().into())),
            "sslcert" | "sslkey" | "sslpassword" | "sslcertmode" => {
                return Err(PgUrlError(format!(
                    "{key}: client certificates are not supported (authenticate with a password)"
                )));
            }
            "sslnegotiation" if value == "postgres" => rest.push(pair),
            k if k.starts_with("ssl") => {
                return Err(PgUrlError(format!(
                    "{k} is not supported (sslmode and sslrootcert are; sslnegotiation only as \
                     postgres)"
                )));
            }
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    Ok((url, mode, roots))
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &self.redacted())
            .field("password", &self.has_password().then_some("<redacted>"))
            .field("sslmode", &self.tls.mode.as_str())
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
    use super::{Duration, PgConfig, SslMode};

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

    #[test]
    fn tls_parameters_are_taken_as_libpq_takes_them() {
        let c = PgConfig::parse("postgres://u@h/db").unwrap();
        assert_eq!(c.ssl_mode(), SslMode::Prefer);
        let c = PgConfig::parse("postgres://u@h/db?connect_timeout=3&sslmode=require").unwrap();
        assert_eq!(c.ssl_mode(), SslMode::Require);
        assert_eq!(c.redacted(), "postgres://u@h:5432/db?sslmode=require");
        assert_eq!(c.inner.get_connect_timeout(), Some(&Duration::from_secs(3)));
        let c = PgConfig::parse("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!(c.inner.get_ssl_mode(), tokio_postgres::config::SslMode::Disable);
        // A `?` in the password belongs to it; the query starts after the credentials.
        let c = PgConfig::parse("postgres://u:p?w@h/db?sslmode=require").unwrap();
        assert_eq!(c.ssl_mode(), SslMode::Require);
        assert_eq!(c.inner.get_password(), Some(&b"p?w"[..]));
        let c = PgConfig::parse("postgres://u:x?sslmode=SECRET@h/db").unwrap();
        assert_eq!(
            (c.ssl_mode(), c.inner.get_password()),
            (SslMode::Prefer, Some(&b"x?sslmode=SECRET"[..]))
        );
        assert!(!format!("{c:?}").contains("SECRET"));
        let c = PgConfig::parse("postgres://u@h/db?%73slmode=require").unwrap();
        assert_eq!(c.ssl_mode(), SslMode::Require);
        for (url, says) in [
            ("postgres://u@h/db?sslmode=allow", "sslmode=allow: expected"),
            ("postgres://u@h/db?sslcert=c.pem&sslkey=k.pem", "client certificates"),
            ("postgres://u@h/db?sslcrl=x", "sslcrl is not supported"),
            ("postgres://u@h/db?sslmode=verify-ca&sslrootcert=", "sslrootcert is empty"),
            ("postgres://u@h/db?sslmode=require&sslrootcert=system", "needs sslmode=verify-full"),
            ("postgres://u@h/db?sslrootcert=%2Fno%2Fsuch.pem", "sslrootcert /no/such.pem: "),
            ("postgres://u@h/db?sslnegotiation=direct", "sslnegotiation only as postgres"),
            ("postgres://u@h/db?%73slmode=allow", "sslmode=allow: expected"),
        ] {
            let e = PgConfig::parse(url).unwrap_err().to_string();
            assert!(e.contains(says), "{url}: {e}");
        }
    }
}
