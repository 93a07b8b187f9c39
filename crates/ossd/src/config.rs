//! Configuration: flags, environment and an optional TOML file, in that order of precedence; the root key.

use anyhow::{Context, bail};
use clap::Args;
use ossd_server::{AccessKey, ConnLimits, ConsoleConfig, ServerConfig, TlsFiles};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Flags of `ossd serve`; each may also come from the environment or the config file.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:9000]
    #[arg(long, env = "OSSD_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for metadata and object bytes [default: ./data]
    #[arg(long, env = "OSSD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Metadata in PostgreSQL, postgres://USER@HOST:PORT/DATABASE, instead of redb in the data
    /// directory; password from --meta-password-file, OSSD_META_PASSWORD or PGPASSWORD
    /// [default: redb]
    #[arg(long, env = "OSSD_META", hide_env_values = true)]
    pub meta: Option<String>,
    /// File whose first line is the password of the --meta database [default: none]
    #[arg(long, env = "OSSD_META_PASSWORD_FILE")]
    pub meta_password_file: Option<PathBuf>,
    /// Region served; V4 signatures must name it [default: cn-hangzhou]
    #[arg(long, env = "OSSD_REGION")]
    pub region: Option<String>,
    /// Domain for virtual-hosted addressing (`bucket.DOMAIN`); repeatable. `localhost` always works
    #[arg(long = "domain", env = "OSSD_DOMAIN", value_delimiter = ',')]
    pub domains: Vec<String>,
    /// Log filter, e.g. info, debug, ossd_server=debug [default: info]
    #[arg(long, env = "OSSD_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Log lines as JSON objects (one per line) instead of text
    #[arg(long, env = "OSSD_LOG_JSON")]
    pub log_json: bool,
    /// Seconds in-flight requests may run after SIGTERM [default: 30]
    #[arg(long, env = "OSSD_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<u64>,
    /// Endpoint (`host[:port]`) clients reach this server at, reported by ListBuckets,
    /// GetBucketInfo and DescribeRegions [default: the request's Host without a bucket prefix]
    #[arg(long, env = "OSSD_PUBLIC_ENDPOINT")]
    pub public_endpoint: Option<String>,
    /// Endpoint reported as the internal one (IntranetEndpoint) [default: the public endpoint]
    #[arg(long, env = "OSSD_INTERNAL_ENDPOINT")]
    pub internal_endpoint: Option<String>,
    /// Seconds a connection may wait for a request head (idle keep-alive included) [default: 60]
    #[arg(long, env = "OSSD_IDLE_TIMEOUT")]
    pub idle_timeout: Option<u64>,
    /// Seconds of waiting for a request body within which --min-rate bytes/s must arrive,
    /// else 400 RequestTimeout [default: 30]
    #[arg(long, env = "OSSD_READ_TIMEOUT")]
    pub read_timeout: Option<u64>,
    /// Seconds of waiting for a client to take its response within which --min-rate bytes/s must
    /// go, else the connection is closed [default: 30]
    #[arg(long, env = "OSSD_WRITE_TIMEOUT")]
    pub write_timeout: Option<u64>,
    /// Bytes per second a client must send or take while ossd waits on it; 0 leaves only the
    /// timeouts (one byte per window) [default: 1024]
    #[arg(long, env = "OSSD_MIN_RATE")]
    pub min_rate: Option<u64>,
    /// Connections served at once; more get 503 ActiveRequestLimitExceeded
    /// [default: (open-files limit - 64) / 2, at most 4096]
    #[arg(long, env = "OSSD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds between two passes of the lifecycle worker over every bucket's rules [default: 3600]
    #[arg(long, env = "OSSD_LIFECYCLE_INTERVAL")]
    pub lifecycle_interval: Option<u64>,
    /// Master key file of encryption at rest (created, mode 0600, when missing)
    /// [default: DATA_DIR/master-key.json]
    #[arg(long, env = "OSSD_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Seconds a web console session may go unused before it ends [default: 1800]
    #[arg(long, env = "OSSD_CONSOLE_SESSION_IDLE")]
    pub console_session_idle: Option<u64>,
    /// Seconds a web console session lasts at most, used or not [default: 43200]
    #[arg(long, env = "OSSD_CONSOLE_SESSION_MAX")]
    pub console_session_max: Option<u64>,
    /// Failed console sign-ins one IP address may make per 15 minutes [default: 10]
    #[arg(long, env = "OSSD_CONSOLE_SIGN_IN_FAILURES")]
    pub console_sign_in_failures: Option<u32>,
    /// PEM certificate chain (leaf first): the main listener serves HTTPS (HTTP/1.1 and HTTP/2 by
    /// ALPN); SIGHUP reloads it and the key for new connections. Needs --tls-key [default: none]
    #[arg(long, env = "OSSD_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1) [default: none]
    #[arg(long, env = "OSSD_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Address of a plain HTTP listener beside the HTTPS one (only with --tls-cert) [default: none]
    #[arg(long, env = "OSSD_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// Address of a second listener serving /-/metrics, /-/healthz and /-/readyz without
    /// credentials (for Prometheus; bind it to loopback or a private interface) [default: none]
    #[arg(long, env = "OSSD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// /-/readyz answers 503 while the data directory's file system has fewer free MiB; 0: off
    /// [default: 0]
    #[arg(long, env = "OSSD_READY_MIN_FREE_MIB")]
    pub ready_min_free_mib: Option<u64>,
    /// Seconds the server goes on accepting after SIGTERM, with /-/readyz at 503, before it
    /// stops accepting and drains [default: 0]
    #[arg(long, env = "OSSD_DRAIN_DELAY")]
    pub drain_delay: Option<u64>,
    /// Object bytes in an OpenDAL service shared by every node instead of DATA_DIR/blobs:
    /// fs:///path, s3://bucket/prefix?endpoint=…&region=…, oss://bucket/prefix?endpoint=….
    /// Credentials: --blobs-secret-file, else OSSD_BLOBS_ACCESS_KEY_ID/OSSD_BLOBS_SECRET_ACCESS_KEY,
    /// else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (s3) or OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET
    /// (oss) [default: none, blobs in the data directory]
    #[arg(long, env = "OSSD_BLOBS")]
    pub blobs: Option<String>,
    /// Seconds an unreferenced blob of --blobs is kept before deletion, longer than any read,
    /// upload or copy on any node [default: 3600]
    #[arg(long, env = "OSSD_BLOB_GRACE")]
    pub blob_grace: Option<u64>,
    /// TOML file with the --blobs credentials: access_key_id = "…", secret_access_key = "…"
    #[arg(long, env = "OSSD_BLOBS_SECRET_FILE")]
    pub blobs_secret_file: Option<PathBuf>,
    /// TOML file with the same settings (listen, data_dir, meta, meta_password_file, region, domains, log_level,
    /// shutdown_grace, public_endpoint, internal_endpoint, idle_timeout, read_timeout, write_timeout,
    /// min_rate, max_connections, tls_cert, tls_key, http_listen, metrics_listen,
    /// ready_min_free_mib, drain_delay, console_session_idle, console_session_max,
    /// console_sign_in_failures, master_key_file,
    /// lifecycle_interval, blobs, blob_grace, blobs_secret_file)
    #[arg(long, env = "OSSD_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The TOML config file; every field optional, unknown fields refused.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL of the metadata (no password in it: see `meta_password_file`).
    pub meta: Option<String>,
    /// File holding the password of the `meta` database.
    pub meta_password_file: Option<PathBuf>,
    /// Region served.
    pub region: Option<String>,
    /// Virtual-hosted domains.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Log filter.
    pub log_level: Option<String>,
    /// JSON log lines.
    pub log_json: Option<bool>,
    /// Shutdown grace in seconds.
    pub shutdown_grace: Option<u64>,
    /// Public endpoint (`host[:port]`).
    pub public_endpoint: Option<String>,
    /// Internal endpoint (`host[:port]`).
    pub internal_endpoint: Option<String>,
    /// Idle (request head) timeout in seconds.
    pub idle_timeout: Option<u64>,
    /// Request body progress window in seconds.
    pub read_timeout: Option<u64>,
    /// Response progress window in seconds.
    pub write_timeout: Option<u64>,
    /// Minimum transfer rate in bytes per second.
    pub min_rate: Option<u64>,
    /// Connection cap.
    pub max_connections: Option<usize>,
    /// Seconds between lifecycle passes.
    pub lifecycle_interval: Option<u64>,
    /// Master key file of encryption at rest.
    pub master_key_file: Option<PathBuf>,
    /// Console session idle expiry in seconds.
    pub console_session_idle: Option<u64>,
    /// Console session absolute expiry in seconds.
    pub console_session_max: Option<u64>,
    /// Failed console sign-ins per IP address per window.
    pub console_sign_in_failures: Option<u32>,
    /// TLS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Plain HTTP listener beside HTTPS.
    pub http_listen: Option<SocketAddr>,
    /// Metrics listener address.
    pub metrics_listen: Option<SocketAddr>,
    /// Minimum free MiB for readiness.
    pub ready_min_free_mib: Option<u64>,
    /// Drain delay in seconds.
    pub drain_delay: Option<u64>,
    /// Blobs in an OpenDAL service (URL).
    pub blobs: Option<String>,
    /// Grace period of shared blobs in seconds.
    pub blob_grace: Option<u64>,
    /// Credentials file of the blob service.
    pub blobs_secret_file: Option<PathBuf>,
}

impl FileConfig {
    /// Reads and parses the file.
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// The settings after merging flags/environment over the file over the defaults.
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Log filter.
    pub log_level: String,
    /// JSON log lines.
    pub log_json: bool,
    /// The configured connection cap; `None`: derived from the open-files limit at start.
    pub max_connections: Option<usize>,
    /// Everything the server library needs (root key and, unless configured, the connection
    /// cap filled in later).
    pub server: ServerConfig,
}

/// A timeout setting in seconds: at least 1.
fn seconds(name: &str, value: Option<u64>, default: Duration) -> anyhow::Result<Duration> {
    match value {
        None => Ok(default),
        Some(0) => bail!("invalid {name} 0: use at least 1 second"),
        Some(s) => Ok(Duration::from_secs(s)),
    }
}

/// Merges flags and environment (already combined by clap) over the file and the defaults.
pub fn resolve(a: ServeArgs, f: FileConfig) -> anyhow::Result<Settings> {
    let region = a.region.or(f.region).unwrap_or_else(|| "cn-hangzhou".to_owned());
    if region.is_empty()
        || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        bail!("invalid region {region:?}: use a name like cn-hangzhou");
    }
    let default_listen: SocketAddr = ([127, 0, 0, 1], 9000).into();
    let domains = if a.domains.is_empty() { f.domains } else { a.domains };
    let defaults = ConnLimits::default();
    let max_connections = a.max_connections.or(f.max_connections);
    if max_connections == Some(0) {
        bail!("invalid max-connections 0: use at least 1");
    }
    let tls = match (a.tls_cert.or(f.tls_cert), a.tls_key.or(f.tls_key)) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => bail!(
            "give both tls_cert and tls_key (a PEM certificate chain and its key), or neither"
        ),
    };
    let http_listen = a.http_listen.or(f.http_listen);
    if http_listen.is_some() && tls.is_none() {
        bail!("http_listen is the plain listener beside HTTPS: it needs tls_cert and tls_key");
    }
    let limits = ConnLimits {
        idle_timeout: seconds(
            "idle-timeout",
            a.idle_timeout.or(f.idle_timeout),
            defaults.idle_timeout,
        )?,
        read_timeout: seconds(
            "read-timeout",
            a.read_timeout.or(f.read_timeout),
            defaults.read_timeout,
        )?,
        write_timeout: seconds(
            "write-timeout",
            a.write_timeout.or(f.write_timeout),
            defaults.write_timeout,
        )?,
        min_rate: a.min_rate.or(f.min_rate).unwrap_or(defaults.min_rate),
        max_connections: max_connections.unwrap_or(defaults.max_connections),
    };
    let console_defaults = ConsoleConfig::default();
    let console = ConsoleConfig {
        session_idle: seconds(
            "console-session-idle",
            a.console_session_idle.or(f.console_session_idle),
            console_defaults.session_idle,
        )?,
        session_max: seconds(
            "console-session-max",
            a.console_session_max.or(f.console_session_max),
            console_defaults.session_max,
        )?,
        sign_in_failures: match a.console_sign_in_failures.or(f.console_sign_in_failures) {
            Some(0) => bail!("invalid console-sign-in-failures 0: use at least 1"),
            v => v.unwrap_or(console_defaults.sign_in_failures),
        },
        sign_in_window: console_defaults.sign_in_window,
    };
    Ok(Settings {
        max_connections,
        listen: a.listen.or(f.listen).unwrap_or(default_listen),
        log_level: a.log_level.or(f.log_level).unwrap_or_else(|| "info".to_owned()),
        log_json: a.log_json || f.log_json.unwrap_or(false),
        server: ServerConfig {
            data_dir: a.data_dir.or(f.data_dir).unwrap_or_else(|| PathBuf::from("data")),
            meta: crate::meta_setting::postgres(
                a.meta.or(f.meta).as_deref(),
                a.meta_password_file.or(f.meta_password_file).as_deref(),
                &|v| std::env::var(v).ok(),
            )?,
            region,
            domains: domains
                .into_iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            root: AccessKey { id: String::new(), secret: String::new() },
            shutdown_grace: Duration::from_secs(
                a.shutdown_grace.or(f.shutdown_grace).unwrap_or(30),
            ),
            public_endpoint: endpoint_setting(
                "public_endpoint",
                a.public_endpoint.or(f.public_endpoint),
            )?,
            internal_endpoint: endpoint_setting(
                "internal_endpoint",
                a.internal_endpoint.or(f.internal_endpoint),
            )?,
            limits,
            lifecycle_interval: seconds(
                "lifecycle-interval",
                a.lifecycle_interval.or(f.lifecycle_interval),
                Duration::from_secs(3600),
            )?,
            master_key_file: a.master_key_file.or(f.master_key_file),
            console,
            tls,
            http_listen,
            metrics_listen: a.metrics_listen.or(f.metrics_listen),
            ready_min_free_bytes: a
                .ready_min_free_mib
                .or(f.ready_min_free_mib)
                .unwrap_or(0)
                .saturating_mul(1024 * 1024),
            drain_delay: Duration::from_secs(a.drain_delay.or(f.drain_delay).unwrap_or(0)),
            blobs: crate::blobs_config::resolve(
                a.blobs.or(f.blobs),
                a.blob_grace.or(f.blob_grace),
                a.blobs_secret_file.or(f.blobs_secret_file),
                &|name| std::env::var(name).ok().filter(|v| !v.is_empty()),
            )?,
        },
    })
}

/// An endpoint setting: `host[:port]` as clients reach the server (no scheme, no path).
fn endpoint_setting(name: &str, v: Option<String>) -> anyhow::Result<Option<String>> {
    let Some(v) = v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok = v.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if !ok {
        bail!(
            "invalid {name} {v:?}: give host[:port] as clients reach the server, e.g. oss.example.com:9000"
        );
    }
    Ok(Some(v))
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    access_key_id: String,
    access_key_secret: String,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_string(n: usize) -> String {
    (0..n).map(|_| ALNUM[rand::random_range(0..ALNUM.len())] as char).collect()
}

/// The file in the data directory that keeps a generated root key.
pub const ROOT_KEY_FILE: &str = "root-key.json";

/// The root key kept in `DATA/root-key.json`, if that file exists: the one reader of the file
/// (`ossd serve` and `ossd key` both use it).
pub fn stored_root_key(data_dir: &Path) -> anyhow::Result<Option<AccessKey>> {
    let path = data_dir.join(ROOT_KEY_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let k: StoredKey =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(Some(AccessKey { id: k.access_key_id, secret: k.access_key_secret }))
}

/// The root key: from OSSD_ROOT_ACCESS_KEY_ID / OSSD_ROOT_ACCESS_KEY_SECRET, else kept in the data
/// directory, generated (and printed once) on first start.
pub fn root_key(data_dir: &Path) -> anyhow::Result<AccessKey> {
    let id = std::env::var("OSSD_ROOT_ACCESS_KEY_ID").ok().filter(|s| !s.is_empty());
    let secret = std::env::var("OSSD_ROOT_ACCESS_KEY_SECRET").ok().filter(|s| !s.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => return Ok(AccessKey { id, secret }),
        (None, None) => {}
        _ => bail!("set both OSSD_ROOT_ACCESS_KEY_ID and OSSD_ROOT_ACCESS_KEY_SECRET, or neither"),
    }
    if let Some(k) = stored_root_key(data_dir)? {
        return Ok(k);
    }
    let path = data_dir.join(ROOT_KEY_FILE);
    let k = StoredKey {
        access_key_id: format!("LTAI{}", random_string(20)),
        access_key_secret: random_string(30),
    };
    let text = serde_json::to_string_pretty(&k)?;
    write_private(&path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    println!("ossd: generated the root access key (kept in {}):", path.display());
    println!("  AccessKeyId:     {}", k.access_key_id);
    println!("  AccessKeySecret: {}", k.access_key_secret);
    Ok(AccessKey { id: k.access_key_id, secret: k.access_key_secret })
}

/// Writes a 0600 file atomically: a temporary file, fsynced, renamed into place.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::{FileConfig, ServeArgs, resolve};
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn settings(file: &str, args: &[&str]) -> anyhow::Result<super::Settings> {
        let f: FileConfig = toml::from_str(file)?;
        let argv = std::iter::once("ossd").chain(args.iter().copied());
        resolve(Cli::try_parse_from(argv)?.serve, f)
    }

    /// The example in deploy/ is a file the binary accepts, with the values it says.
    #[test]
    fn the_example_config_in_deploy_loads() {
        let s = settings(include_str!("../../../deploy/ossd.toml"), &[]).expect("deploy/ossd.toml");
        let tls = s.server.tls.expect("tls");
        assert_eq!(tls.cert.to_str(), Some("/etc/ossd/tls/fullchain.pem"));
        assert_eq!(s.server.http_listen.map(|a| a.to_string()).as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(
            s.server.metrics_listen.map(|a| a.to_string()).as_deref(),
            Some("127.0.0.1:9100")
        );
        assert_eq!(s.server.ready_min_free_bytes, 1024 * 1024 * 1024);
        assert_eq!(s.server.drain_delay.as_secs(), 10);
        assert_eq!(s.server.data_dir.to_str(), Some("/var/lib/ossd"));
    }

    #[test]
    fn meta_comes_from_the_flag_or_the_file() {
        let s = settings("", &[]).expect("no meta");
        assert!(s.server.meta.is_none(), "redb by default");
        let file = "meta = \"postgres://ossd@db:5432/from_file\"\n";
        let s = settings(file, &[]).expect("meta in the file");
        assert_eq!(
            s.server.meta.map(|m| m.redacted()).as_deref(),
            Some("postgres://ossd@db:5432/from_file")
        );
        let s = settings(file, &["--meta", "postgres://ossd@db:5432/from_flag"]).expect("flag");
        assert_eq!(
            s.server.meta.map(|m| m.redacted()).as_deref(),
            Some("postgres://ossd@db:5432/from_flag")
        );
        assert!(settings("meta = \"redis://x\"\n", &[]).is_err());
    }

    #[test]
    fn tls_settings_come_in_pairs_and_http_listen_needs_tls() {
        let e = settings("tls_cert = \"c.pem\"\n", &[]).err().expect("cert without key");
        assert!(e.to_string().contains("tls_key"), "{e}");
        let e = settings("", &["--http-listen", "127.0.0.1:1"]).err().expect("http without tls");
        assert!(e.to_string().contains("needs tls_cert"), "{e}");
        assert!(settings("", &["--tls-cert", "c.pem"]).is_err(), "the flag needs --tls-key");
        // A flag and a file key make a pair too (flags override the file key by key).
        let s = settings("tls_key = \"k.pem\"\n", &["--tls-cert", "c.pem"]).expect("mixed pair");
        assert_eq!(s.server.tls.map(|t| t.key.display().to_string()).as_deref(), Some("k.pem"));
        let s = settings("", &["--tls-cert", "c.pem", "--tls-key", "k.pem"]).expect("a pair");
        assert!(s.server.tls.is_some());
    }

    #[test]
    fn blobs_settings_come_from_the_file_and_flags_override_them() {
        let file = "blobs = \"oss://b/p?endpoint=https://oss.example.com\"\nblob_grace = 600\n";
        let s = settings(file, &[]).expect("file keys");
        let b = s.server.blobs.expect("blobs");
        assert_eq!(b.location.to_string(), "oss://b/p?endpoint=https://oss.example.com");
        assert_eq!(b.grace.as_secs(), 600);
        let s =
            settings(file, &["--blobs", "fs:///srv/blobs", "--blob-grace", "7"]).expect("flags");
        let b = s.server.blobs.expect("blobs");
        assert_eq!((b.location.to_string().as_str(), b.grace.as_secs()), ("fs:///srv/blobs", 7));
        assert!(settings("", &[]).expect("none").server.blobs.is_none());
        assert!(settings("blob_grace = 5\n", &[]).is_err(), "a grace period needs blobs");
        assert!(settings("blobs = \"s3://key:secret@b\"\n", &[]).is_err());
    }
}
