//! The metadata setting: `--meta postgres://user@host:port/database` puts the metadata in
//! PostgreSQL; without it, redb in the data directory. The password never comes in the
//! command line: from `--meta-password-file` (its first line), else `OSSD_META_PASSWORD`, else
//! `PGPASSWORD` (a password written into the URL is accepted too, and never shown).

use std::path::Path;

use anyhow::{Context, bail};
use ossd_store::PgConfig;

/// The environment variables a password may come from, in order.
const PASSWORD_ENV: [&str; 2] = ["OSSD_META_PASSWORD", "PGPASSWORD"];

/// Builds the PostgreSQL settings from the `meta` URL, the password file and the environment
/// (`env` looks a variable up); `None` when `meta` is unset (redb).
pub fn postgres(
    meta: Option<&str>,
    password_file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<PgConfig>> {
    let Some(url) = meta.map(str::trim).filter(|m| !m.is_empty()) else {
        if password_file.is_some() {
            bail!("meta_password_file is the password of the --meta database: give --meta too");
        }
        return Ok(None);
    };
    let config = PgConfig::parse(url)?;
    let password = match password_file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("reading the meta password file {}", f.display()))?;
            Some(text.lines().next().unwrap_or("").to_owned())
        }
        None => PASSWORD_ENV.iter().find_map(|v| env(v).filter(|p| !p.is_empty())),
    };
    Ok(Some(match password {
        Some(p) => config.with_password(&p),
        None => config,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests may unwrap")]
    use super::postgres;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn without_meta_it_is_redb() {
        assert!(postgres(None, None, &no_env).unwrap().is_none());
        assert!(postgres(None, Some("pw".as_ref()), &no_env).is_err());
    }

    #[test]
    fn the_password_comes_from_the_file_then_the_environment_and_never_shows() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-the-file\n").unwrap();
        let env = |v: &str| match v {
            "OSSD_META_PASSWORD" => Some("from-ossd-env".to_owned()),
            "PGPASSWORD" => Some("from-pg-env".to_owned()),
            _ => None,
        };
        let url = "postgres://ossd@db:5432/meta";
        let c = postgres(Some(url), Some(&file), &env).unwrap().unwrap();
        assert!(c.has_password());
        let shown = format!("{c} {c:?}");
        assert!(!shown.contains("from-the-file"), "{shown}");
        assert_eq!(c.redacted(), url);
        let c = postgres(Some(url), None, &env).unwrap().unwrap();
        assert!(c.has_password() && !format!("{c:?}").contains("from-ossd-env"));
        let pg_only = |v: &str| (v == "PGPASSWORD").then(|| "x".to_owned());
        assert!(postgres(Some(url), None, &pg_only).unwrap().unwrap().has_password());
        assert!(!postgres(Some(url), None, &no_env).unwrap().unwrap().has_password());
        assert!(postgres(Some("mysql://u@h/db"), None, &no_env).is_err());
        let missing = dir.path().join("missing");
        assert!(postgres(Some(url), Some(&missing), &no_env).is_err());
    }
}
