//! ossd: the server binary and its command line (`ossd serve`).

mod client;
mod config;
mod keys_cli;

use anyhow::Context;
use clap::{Parser, Subcommand};
use config::{FileConfig, ServeArgs};
use std::time::Duration;

/// mimalloc instead of glibc's malloc: a request allocates and frees dozens of small buffers, which
/// cost a quarter of a small GET's instructions under glibc, and glibc's per-thread arenas kept
/// ~100 MiB after a burst of concurrent PUTs (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An object storage server that speaks the Alibaba Cloud OSS API, with bucket CORS exactly as OSS defines it.
#[derive(Parser, Debug)]
#[command(name = "ossd", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (embedded default: metadata in redb, object bytes in files under --data-dir).
    Serve(ServeArgs),
    /// Manage access keys on a running server (create, list, disable, enable, delete, grant, revoke).
    Key(keys_cli::KeyArgs),
    /// Client commands (ossutil-style, oss://bucket/key URLs).
    #[command(flatten)]
    Client(client::ClientCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Client(c) = cli.command {
        return client::run(c);
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ossd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Key(args) => keys_cli::run(args),
        Command::Client(_) => Ok(()),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(p) => FileConfig::load(p)?,
        None => FileConfig::default(),
    };
    let settings = config::resolve(args, file)?;
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log_level)
        .with_context(|| format!("invalid --log-level {:?}", settings.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    if settings.log_json {
        builder.json().flatten_event(true).init();
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
    std::fs::create_dir_all(&settings.server.data_dir).with_context(|| {
        format!("creating data directory {}", settings.server.data_dir.display())
    })?;
    let root = config::root_key(&settings.server.data_dir)?;
    let mut server_config = settings.server;
    server_config.root = root;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let server = ossd_server::Server::bind(settings.listen, server_config.clone()).await?;
        let addr = server.local_addr()?;
        tracing::info!(
            listen = %addr,
            data_dir = %server_config.data_dir.display(),
            region = %server_config.region,
            access_key_id = %server_config.root.id,
            "ossd {} serving",
            env!("CARGO_PKG_VERSION")
        );
        server.run(shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    tracing::info!("ossd stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("stop signal received");
}
