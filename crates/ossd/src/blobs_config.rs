//! The `--blobs` settings: where object bytes live when not in the data directory, the grace
//! period of their collection, and the service's credentials (from a file or the environment,
//! never from the URL, never printed).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use ossd_server::BlobsConfig;
use ossd_store::{BlobCredentials, BlobLocation, BlobService};
use serde::Deserialize;

/// The grace period when none is configured: well above the longest read or upload.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// A `--blobs-secret-file`: TOML with the two keys (mode 0600 advised).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFile {
    access_key_id: String,
    secret_access_key: String,
}

/// Reads the credentials of a secret file.
fn from_file(path: &Path) -> anyhow::Result<BlobCredentials> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // The parse error is not shown: it could quote the secret.
    let s: SecretFile = toml::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "parsing {}: expected access_key_id = \"…\" and secret_access_key = \"…\"",
            path.display()
        )
    })?;
    Ok(BlobCredentials { access_key_id: s.access_key_id, secret_access_key: s.secret_access_key })
}

/// Credentials from a pair of environment variables, if both are set.
fn from_env(
    env: &dyn Fn(&str) -> Option<String>,
    id: &str,
    secret: &str,
) -> anyhow::Result<Option<BlobCredentials>> {
    match (env(id), env(secret)) {
        (Some(access_key_id), Some(secret_access_key)) => {
            Ok(Some(BlobCredentials { access_key_id, secret_access_key }))
        }
        (None, None) => Ok(None),
        _ => bail!("set both {id} and {secret}, or neither"),
    }
}

/// Resolves the blobs settings (values already merged from flags, environment and file).
/// `env` reads the environment (a parameter so that tests need not change the process's).
pub fn resolve(
    url: Option<String>,
    grace_s: Option<u64>,
    secret_file: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<BlobsConfig>> {
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        if grace_s.is_some() || secret_file.is_some() {
            bail!("blob_grace and blobs_secret_file need blobs (--blobs SERVICE://…)");
        }
        return Ok(None);
    };
    let mut location = BlobLocation::parse(url.trim())?;
    let grace = match grace_s {
        None => DEFAULT_GRACE,
        Some(0) => bail!("invalid blob-grace 0: use at least 1 second (1 hour by default)"),
        Some(s) => Duration::from_secs(s),
    };
    location.credentials = match secret_file {
        Some(path) => Some(from_file(&path)?),
        None => match from_env(env, "OSSD_BLOBS_ACCESS_KEY_ID", "OSSD_BLOBS_SECRET_ACCESS_KEY")? {
            Some(c) => Some(c),
            None => match location.service {
                BlobService::S3 => from_env(env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")?,
                BlobService::Oss => from_env(env, "OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET")?,
                BlobService::Fs => None,
            },
        },
    };
    Ok(Some(BlobsConfig { location, grace }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn credentials_come_from_the_file_then_ossd_then_the_service_variables() {
        let url = || Some("s3://b/p?endpoint=http://127.0.0.1:1".to_owned());
        let aws = [("AWS_ACCESS_KEY_ID", "aws-id"), ("AWS_SECRET_ACCESS_KEY", "aws-secret")];
        let c = resolve(url(), None, None, &env_of(&aws)).unwrap().unwrap();
        assert_eq!(c.location.credentials.unwrap().access_key_id, "aws-id");
        assert_eq!(c.grace, DEFAULT_GRACE);

        let both = [
            aws[0],
            aws[1],
            ("OSSD_BLOBS_ACCESS_KEY_ID", "o-id"),
            ("OSSD_BLOBS_SECRET_ACCESS_KEY", "o-s"),
        ];
        let c = resolve(url(), Some(60), None, &env_of(&both)).unwrap().unwrap();
        assert_eq!(c.location.credentials.unwrap().secret_access_key, "o-s");
        assert_eq!(c.grace, Duration::from_secs(60));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret.toml");
        std::fs::write(&file, "access_key_id = \"f-id\"\nsecret_access_key = \"f-secret\"\n")
            .unwrap();
        let c = resolve(url(), None, Some(file), &env_of(&both)).unwrap().unwrap();
        let creds = c.location.credentials.clone().unwrap();
        assert_eq!(
            (creds.access_key_id.as_str(), creds.secret_access_key.as_str()),
            ("f-id", "f-secret")
        );
        // Neither the settings' Debug (logged at start) nor the location's Display shows it.
        assert!(!format!("{c:?}").contains("f-secret"));
        assert!(!c.location.to_string().contains("f-secret"));

        let oss = [("OSS_ACCESS_KEY_ID", "x"), ("OSS_ACCESS_KEY_SECRET", "y")];
        let c = resolve(Some("oss://b".into()), None, None, &env_of(&oss)).unwrap().unwrap();
        assert_eq!(c.location.credentials.unwrap().access_key_id, "x");
    }

    #[test]
    fn refuses_half_settings_and_bad_values() {
        let none = env_of(&[]);
        assert!(resolve(None, None, None, &none).unwrap().is_none());
        assert!(resolve(None, Some(5), None, &none).is_err());
        assert!(resolve(Some("s3://b".into()), Some(0), None, &none).is_err());
        assert!(resolve(Some("ftp://b".into()), None, None, &none).is_err());
        let half = env_of(&[("OSSD_BLOBS_ACCESS_KEY_ID", "only-id")]);
        assert!(resolve(Some("s3://b".into()), None, None, &half).is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "secret_access_key = \"leaky\"\n").unwrap();
        let e = resolve(Some("s3://b".into()), None, Some(file), &none).unwrap_err();
        assert!(!format!("{e:#}").contains("leaky"), "{e:#}");
    }
}
