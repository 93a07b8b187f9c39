//! Where the client connects and how it signs: flags, then the environment (`OSS_*`), then
//! ossutil's configuration file (2.x `[default]`/`[profile NAME]` or 1.x `[Credentials]`).

use super::error::{CliError, Result};
use std::collections::HashMap;
use std::path::PathBuf;

/// The global connection flags of every client command.
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Endpoint: host[:port] or http://host[:port] (e.g. oss-cn-hangzhou.aliyuncs.com, 127.0.0.1:9000)
    #[arg(short = 'e', long, global = true, env = "OSS_ENDPOINT")]
    pub endpoint: Option<String>,
    /// AccessKey ID
    #[arg(short = 'i', long, global = true, env = "OSS_ACCESS_KEY_ID", hide_env_values = true)]
    pub access_key_id: Option<String>,
    /// AccessKey secret
    #[arg(short = 'k', long, global = true, env = "OSS_ACCESS_KEY_SECRET", hide_env_values = true)]
    pub access_key_secret: Option<String>,
    /// Region id, e.g. cn-hangzhou (needed to sign V4)
    #[arg(long, global = true, env = "OSS_REGION")]
    pub region: Option<String>,
    /// Signature version: v1 or v4 (default: v4 when a region is known, else v1)
    #[arg(long, global = true)]
    pub sign_version: Option<String>,
    /// ossutil configuration file (default ~/.ossutilconfig)
    #[arg(short = 'c', long, global = true, env = "OSSUTIL_CONFIG_FILE")]
    pub config_file: Option<PathBuf>,
    /// Profile in the configuration file
    #[arg(long, global = true, env = "OSSUTIL_PROFILE", default_value = "default")]
    pub profile: String,
    /// Addressing: auto (path for IP addresses and localhost, else virtual-hosted), path or virtual
    #[arg(long, global = true, default_value = "auto")]
    pub addressing_style: String,
    /// Output: human (default) or json
    #[arg(long, global = true, alias = "output-format", default_value = "human")]
    pub output: String,
}

/// Signature version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignVersion {
    /// Header/query signing V1 (HMAC-SHA1).
    V1,
    /// OSS4-HMAC-SHA256.
    V4,
}

impl SignVersion {
    /// Parses `v1`/`v4` (any case, `1`/`4` too).
    pub fn parse(s: &str) -> Result<SignVersion> {
        match s.to_ascii_lowercase().trim_start_matches('v') {
            "1" => Ok(SignVersion::V1),
            "4" => Ok(SignVersion::V4),
            _ => Err(CliError::Usage(format!("--sign-version must be v1 or v4, not {s:?}"))),
        }
    }
}

/// The resolved connection settings.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `host[:port]`, no scheme.
    pub host: String,
    /// Path-style addressing (`host/bucket/key`) instead of virtual-hosted (`bucket.host/key`).
    pub path_style: bool,
    /// Credentials; `None` sends anonymous requests.
    pub credentials: Option<(String, String)>,
    /// Region (for V4).
    pub region: String,
    /// Signature version.
    pub sign_version: SignVersion,
}

/// Reads an INI file into `section -> (normalised key -> value)`; keys lower-cased without `-`/`_`.
pub fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let key: String =
                k.trim().chars().filter(|c| *c != '-' && *c != '_').collect::<String>();
            out.entry(section.clone())
                .or_default()
                .insert(key.to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    out
}

fn home_config() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ossutilconfig"))
}

/// True for an IP literal or `localhost` (with or without a port).
fn is_ip_or_localhost(host: &str) -> bool {
    let name = if host.starts_with('[') {
        return true;
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost" || name.parse::<std::net::Ipv4Addr>().is_ok()
}

impl Profile {
    /// Resolves flags > environment (already merged into `args` by clap) > configuration file.
    pub fn resolve(args: &GlobalArgs) -> Result<Profile> {
        let file: HashMap<String, String> = {
            let path = args.config_file.clone().or_else(home_config);
            match path {
                Some(p) if p.exists() => {
                    let text = std::fs::read_to_string(&p)
                        .map_err(CliError::io(format!("reading {}", p.display())))?;
                    let mut ini = parse_ini(&text);
                    let name = &args.profile;
                    let candidates = [
                        if name == "default" {
                            "default".to_owned()
                        } else {
                            format!("profile {name}")
                        },
                        format!("profile {name}"),
                        "Credentials".to_owned(),
                    ];
                    candidates.iter().find_map(|c| ini.remove(c)).unwrap_or_default()
                }
                Some(p) if args.config_file.is_some() => {
                    return Err(CliError::Usage(format!(
                        "configuration file {} does not exist",
                        p.display()
                    )));
                }
                _ => HashMap::new(),
            }
        };
        let get = |flag: &Option<String>, keys: &[&str]| {
            flag.clone()
                .filter(|v| !v.is_empty())
                .or_else(|| keys.iter().find_map(|k| file.get(*k).cloned()))
                .filter(|v| !v.is_empty())
        };
        let ak = get(&args.access_key_id, &["accesskeyid", "accessid"]);
        let sk = get(&args.access_key_secret, &["accesskeysecret", "accesskey"]);
        let region = get(&args.region, &["region"]);
        let endpoint = get(&args.endpoint, &["endpoint", "host"]);
        let sign = get(&args.sign_version, &["signversion"]);
        let endpoint = match (endpoint, &region) {
            (Some(e), _) => e,
            (None, Some(r)) => format!("oss-{r}.aliyuncs.com"),
            (None, None) => "127.0.0.1:9000".to_owned(),
        };
        let host = if let Some(rest) = endpoint.strip_prefix("http://") {
            rest
        } else if endpoint.starts_with("https://") {
            return Err(CliError::Usage(format!(
                "endpoint {endpoint}: this client speaks plain HTTP only (no TLS built in); use http://{} — OSS endpoints accept HTTP too",
                endpoint.trim_start_matches("https://").trim_end_matches('/')
            )));
        } else {
            endpoint.as_str()
        }
        .trim_end_matches('/')
        .to_owned();
        if host.is_empty() || host.contains('/') {
            return Err(CliError::Usage(format!("invalid endpoint {endpoint:?}")));
        }
        let path_style = match args.addressing_style.as_str() {
            "path" => true,
            "virtual" => false,
            "auto" => is_ip_or_localhost(&host),
            other => {
                return Err(CliError::Usage(format!(
                    "--addressing-style must be auto, path or virtual, not {other:?}"
                )));
            }
        };
        let sign_version = match sign {
            Some(s) => SignVersion::parse(&s)?,
            None if region.is_some() => SignVersion::V4,
            None => SignVersion::V1,
        };
        if sign_version == SignVersion::V4 && region.is_none() {
            return Err(CliError::Usage(
                "region must be set to sign V4 (--region or OSS_REGION)".into(),
            ));
        }
        let credentials = match (ak, sk) {
            (Some(a), Some(s)) => Some((a, s)),
            (None, None) => None,
            _ => {
                return Err(CliError::Usage(
                    "give both the AccessKey ID and the AccessKey secret".into(),
                ));
            }
        };
        Ok(Profile {
            host,
            path_style,
            credentials,
            region: region.unwrap_or_default(),
            sign_version,
        })
    }

    /// The `Host` and the path prefix of a request to `bucket`.
    pub fn host_for(&self, bucket: Option<&str>) -> String {
        match bucket {
            Some(b) if !self.path_style => format!("{b}.{}", self.host),
            _ => self.host.clone(),
        }
    }
}
