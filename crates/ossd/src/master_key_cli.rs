//! `ossd master-key rotate`: adds a fresh master key to the key file of encryption at rest and
//! makes it current. Run it with the server stopped; from its next start new blobs are wrapped by
//! the new key, and blobs wrapped by the older keys (which stay in the file) remain readable.

use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Where the key file is.
#[derive(Args, Debug)]
pub struct MasterKeyArgs {
    /// Data directory whose master-key.json is meant (unless --master-key-file names another file)
    #[arg(long, global = true, env = "OSSD_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The master key file, when it is not DATA_DIR/master-key.json
    #[arg(long, global = true, env = "OSSD_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: MasterKeyCommand,
}

/// Master key operations.
#[derive(Subcommand, Debug)]
pub enum MasterKeyCommand {
    /// Add a new key and make it current (stop the server first; back the file up before)
    Rotate,
}

/// Runs the command.
pub fn run(args: MasterKeyArgs) -> anyhow::Result<()> {
    let path =
        args.master_key_file.unwrap_or_else(|| args.data_dir.join(ossd_store::MASTER_KEY_FILE));
    match args.command {
        MasterKeyCommand::Rotate => {
            let id = ossd_store::crypt::Keyring::rotate_file(&path)
                .with_context(|| format!("rotating the master key in {}", path.display()))?;
            println!("master key {id} is now current in {}", path.display());
        }
    }
    Ok(())
}
