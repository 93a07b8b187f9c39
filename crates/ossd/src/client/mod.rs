//! The client subcommands (`ossd mb|rb|ls|cp|rm|stat|cat|sign|cors`), at home for ossutil users:
//! `oss://bucket/key` URLs, ossutil's flags, environment and configuration file.

mod buckets;
mod checkpoint;
mod copy;
mod cors;
mod cors_json;
mod cp;
mod download;
mod error;
mod explain;
mod http;
mod limit;
mod objects;
mod output;
mod pre;
mod profile;
mod progress;
#[cfg(test)]
mod tests;
mod upload;
mod url;

use clap::{Args, Subcommand};
pub use error::CliError;
pub use pre::PreArgs;
use profile::GlobalArgs;

/// Exit status of a failed command (explain: refused = 1, lint: warnings = 1).
pub const EXIT_ERROR: u8 = 2;

/// The client commands.
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Create a bucket: mb oss://bucket [--acl ACL] [--storage-class CLASS]
    Mb(MbArgs),
    /// Delete a bucket: rb oss://bucket [--force] (force deletes its objects and uploads first)
    Rb(RbArgs),
    /// List buckets, or the objects under oss://bucket[/prefix] (size, time, class)
    Ls(LsArgs),
    /// Copy local<->oss or oss->oss (server-side); multipart and resumable above --bigfile-threshold
    Cp(cp::CpArgs),
    /// Delete an object, or with -r every object under a prefix
    Rm(RmArgs),
    /// Show a bucket's or an object's details
    Stat(UrlArgs),
    /// Print an object's content to stdout (--output json: a JSON object, content as text or base64)
    Cat(UrlArgs),
    /// Print a presigned URL for an object
    Sign(objects::SignArgs),
    /// Bucket CORS: put, get, delete, options (a real preflight), explain, lint
    Cors(cors::CorsArgs),
}

/// `mb`.
#[derive(Args, Debug)]
pub struct MbArgs {
    /// oss://bucket
    pub url: String,
    /// private, public-read or public-read-write
    #[arg(long)]
    pub acl: Option<String>,
    /// Standard, IA, Archive, ColdArchive, DeepColdArchive
    #[arg(long)]
    pub storage_class: Option<String>,
    #[command(flatten)]
    pub g: GlobalArgs,
}

/// `rb`.
#[derive(Args, Debug)]
pub struct RbArgs {
    /// oss://bucket
    pub url: String,
    /// Delete every object and unfinished multipart upload first
    #[arg(short = 'f', long)]
    pub force: bool,
    #[command(flatten)]
    pub g: GlobalArgs,
}

/// `ls`.
#[derive(Args, Debug)]
pub struct LsArgs {
    /// oss://bucket[/prefix]; none lists the buckets
    pub url: Option<String>,
    /// Recursive (the default for ossutil 2.x; kept for 1.x habits)
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// One level only: objects and "directories" (delimiter /)
    #[arg(short = 'd', long = "dirs")]
    pub dirs: bool,
    /// Stop after N entries
    #[arg(long, alias = "limited-num")]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub g: GlobalArgs,
}

/// `rm`.
#[derive(Args, Debug)]
pub struct RmArgs {
    /// oss://bucket/key, or with -r oss://bucket[/prefix]
    pub url: String,
    /// Delete every object under the prefix
    #[arg(short = 'r', long)]
    pub recursive: bool,
    #[command(flatten)]
    pub g: GlobalArgs,
}

/// A command taking one URL.
#[derive(Args, Debug)]
pub struct UrlArgs {
    /// oss://bucket[/key]
    pub url: String,
    #[command(flatten)]
    pub g: GlobalArgs,
}

/// Everything a command needs: the client and the output mode.
pub struct Ctx {
    /// The HTTP client.
    pub client: http::Client,
    /// `--output json`.
    pub json: bool,
}

impl Ctx {
    fn new(g: &GlobalArgs) -> error::Result<Ctx> {
        let json = output::is_json(&g.output)?;
        let profile = profile::Profile::resolve(g)?;
        Ok(Ctx { client: http::Client { profile }, json })
    }
}

fn global(cmd: &ClientCommand) -> &GlobalArgs {
    match cmd {
        ClientCommand::Mb(a) => &a.g,
        ClientCommand::Rb(a) => &a.g,
        ClientCommand::Ls(a) => &a.g,
        ClientCommand::Cp(a) => &a.g,
        ClientCommand::Rm(a) => &a.g,
        ClientCommand::Stat(a) | ClientCommand::Cat(a) => &a.g,
        ClientCommand::Sign(a) => &a.g,
        ClientCommand::Cors(a) => &a.g,
    }
}

fn global_mut(cmd: &mut ClientCommand) -> &mut GlobalArgs {
    match cmd {
        ClientCommand::Mb(a) => &mut a.g,
        ClientCommand::Rb(a) => &mut a.g,
        ClientCommand::Ls(a) => &mut a.g,
        ClientCommand::Cp(a) => &mut a.g,
        ClientCommand::Rm(a) => &mut a.g,
        ClientCommand::Stat(a) | ClientCommand::Cat(a) => &mut a.g,
        ClientCommand::Sign(a) => &mut a.g,
        ClientCommand::Cors(a) => &mut a.g,
    }
}

/// Applies the flags given before the subcommand; `sub` is the subcommand's matches.
pub fn apply_pre(cmd: &mut ClientCommand, pre: &PreArgs, sub: &clap::ArgMatches) {
    pre.apply(global_mut(cmd), sub);
}

/// Runs a client command; prints errors (as JSON with `--output json`) and returns the exit status.
pub fn run(cmd: ClientCommand) -> std::process::ExitCode {
    let json = global(&cmd).output == "json";
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::io("starting the runtime"))
        .and_then(|rt| rt.block_on(dispatch(cmd)));
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            if json {
                println!("{}", e.to_json());
            } else {
                eprintln!("ossd: error: {e}");
            }
            std::process::ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn dispatch(cmd: ClientCommand) -> error::Result<u8> {
    // Offline commands need no endpoint or credentials.
    if let ClientCommand::Cors(a) = &cmd
        && let Some(code) = cors::run_offline(a)?
    {
        return Ok(code);
    }
    let ctx = Ctx::new(global(&cmd))?;
    match cmd {
        ClientCommand::Mb(a) => buckets::mb(&ctx, &a).await.map(|()| 0),
        ClientCommand::Rb(a) => buckets::rb(&ctx, &a).await.map(|()| 0),
        ClientCommand::Ls(a) => buckets::ls(&ctx, &a).await.map(|()| 0),
        ClientCommand::Cp(a) => cp::run(&ctx, &a).await.map(|()| 0),
        ClientCommand::Rm(a) => objects::rm(&ctx, &a).await.map(|()| 0),
        ClientCommand::Stat(a) => objects::stat(&ctx, &a).await.map(|()| 0),
        ClientCommand::Cat(a) => objects::cat(&ctx, &a).await.map(|()| 0),
        ClientCommand::Sign(a) => objects::sign(&ctx, &a).map(|()| 0),
        ClientCommand::Cors(a) => cors::run(&ctx, &a).await,
    }
}
