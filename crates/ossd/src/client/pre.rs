//! The client's global flags given before the subcommand (`ossd -e HOST -i ID -k SECRET ls`).
//!
//! clap's `global` flags propagate only down from where they are declared, and they are declared
//! on each client subcommand (so that `serve` and `key` keep their own `--region`/`--endpoint`).
//! The top-level command therefore declares the same flags again under ids of its own, without
//! environment variables; after parsing they fill the subcommand's [`GlobalArgs`] wherever the
//! flag was not given after the subcommand (a flag after the subcommand wins; a flag before it
//! wins over the environment and the config file). `serve` and `key` refuse them.

use super::profile::GlobalArgs;
use clap::parser::ValueSource;
use std::path::PathBuf;

/// Client flags accepted before the subcommand.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Client options (also accepted after a client subcommand)")]
pub struct PreArgs {
    /// Endpoint of the client commands
    #[arg(short = 'e', long = "endpoint", id = "pre_endpoint", value_name = "ENDPOINT")]
    pub endpoint: Option<String>,
    /// AccessKey ID of the client commands
    #[arg(short = 'i', long = "access-key-id", id = "pre_access_key_id", value_name = "ID")]
    pub access_key_id: Option<String>,
    /// AccessKey secret of the client commands
    #[arg(
        short = 'k',
        long = "access-key-secret",
        id = "pre_access_key_secret",
        value_name = "SECRET"
    )]
    pub access_key_secret: Option<String>,
    /// Region of the client commands (`ossd serve --region` is the server's, after `serve`)
    #[arg(long = "region", id = "pre_region", value_name = "REGION")]
    pub region: Option<String>,
    /// Signature version of the client commands: v1 or v4
    #[arg(long = "sign-version", id = "pre_sign_version", value_name = "VERSION")]
    pub sign_version: Option<String>,
    /// ossutil configuration file
    #[arg(short = 'c', long = "config-file", id = "pre_config_file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Profile in the configuration file
    #[arg(long = "profile", id = "pre_profile", value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Addressing: auto, path or virtual
    #[arg(long = "addressing-style", id = "pre_addressing_style", value_name = "STYLE")]
    pub addressing_style: Option<String>,
    /// Output of the client commands: human or json
    #[arg(long = "output", alias = "output-format", id = "pre_output", value_name = "FORMAT")]
    pub output: Option<String>,
}

impl PreArgs {
    /// The flags given, as they were spelled (for the error of `serve` and `key`).
    pub fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let flags: [(bool, &'static str); 9] = [
            (self.endpoint.is_some(), "--endpoint"),
            (self.access_key_id.is_some(), "--access-key-id"),
            (self.access_key_secret.is_some(), "--access-key-secret"),
            (self.region.is_some(), "--region"),
            (self.sign_version.is_some(), "--sign-version"),
            (self.config_file.is_some(), "--config-file"),
            (self.profile.is_some(), "--profile"),
            (self.addressing_style.is_some(), "--addressing-style"),
            (self.output.is_some(), "--output"),
        ];
        for (set, name) in flags {
            if set {
                v.push(name);
            }
        }
        v
    }

    /// Fills `g` (parsed from `sub`, the client subcommand's matches) with the flags given before
    /// the subcommand, except where the same flag was given after it.
    pub fn apply(&self, g: &mut GlobalArgs, sub: &clap::ArgMatches) {
        let after = |id: &str| sub.value_source(id) == Some(ValueSource::CommandLine);
        fn set<T: Clone>(dst: &mut T, v: &Option<T>, after: bool) {
            if let (Some(v), false) = (v, after) {
                *dst = v.clone();
            }
        }
        let opt = |dst: &mut Option<String>, v: &Option<String>, id: &str| {
            if let (Some(v), false) = (v, after(id)) {
                *dst = Some(v.clone());
            }
        };
        opt(&mut g.endpoint, &self.endpoint, "endpoint");
        opt(&mut g.access_key_id, &self.access_key_id, "access_key_id");
        opt(&mut g.access_key_secret, &self.access_key_secret, "access_key_secret");
        opt(&mut g.region, &self.region, "region");
        opt(&mut g.sign_version, &self.sign_version, "sign_version");
        if let (Some(c), false) = (&self.config_file, after("config_file")) {
            g.config_file = Some(c.clone());
        }
        set(&mut g.profile, &self.profile, after("profile"));
        set(&mut g.addressing_style, &self.addressing_style, after("addressing_style"));
        set(&mut g.output, &self.output, after("output"));
    }
}
