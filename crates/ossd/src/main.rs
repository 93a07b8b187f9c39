//! ossd: the server binary and its command line (`ossd serve`).

mod alloc;
mod blobs_config;
mod client;
mod config;
mod keys_cli;
mod master_key_cli;
mod meta_setting;
mod migrate_cli;
mod nofile;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use config::{FileConfig, ServeArgs};
use std::time::Duration;

/// An object storage server that speaks the Alibaba Cloud OSS API, with bucket CORS exactly as OSS defines it.
#[derive(Parser, Debug)]
#[command(name = "ossd", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The client commands' global flags, also accepted before the subcommand.
    #[command(flatten)]
    pre: client::PreArgs,
}

#[derive(Subcommand, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at start; the serve flags are the big one"
)]
enum Command {
    /// Run the server (embedded default: metadata in redb, object bytes in files under --data-dir;
    /// --blobs puts the bytes in an S3, OSS or fs store shared by several nodes).
    Serve(ServeArgs),
    /// Manage access keys on a running server (create, list, disable, enable, delete, grant, revoke).
    Key(keys_cli::KeyArgs),
    /// Manage the master key of encryption at rest (rotate).
    MasterKey(master_key_cli::MasterKeyArgs),
    /// Copy a stopped embedded store (a data directory) into another data directory and/or a
    /// --to-blobs service, then verify every count and checksum (docs/scale-out.md).
    Migrate(migrate_cli::MigrateArgs),
    /// Client commands (ossutil-style, oss://bucket/key URLs).
    #[command(flatten)]
    Client(client::ClientCommand),
}

/// How long an idle blocking thread is kept for reuse.
const BLOCKING_IDLE: Duration = Duration::from_secs(2);

fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    let Cli { command, pre } = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let command = match command {
        Command::Client(mut c) => {
            if let Some((_, sub)) = matches.subcommand() {
                client::apply_pre(&mut c, &pre, sub);
            }
            return client::run(c);
        }
        other => other,
    };
    let given = pre.given();
    if !given.is_empty() {
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "{} before the subcommand belong(s) to the client commands; give the \
                     flags of serve and key after the subcommand (e.g. ossd serve --region R)",
                    given.join(", ")
                ),
            )
            .exit();
    }
    match run(command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ossd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args),
        Command::Key(args) => keys_cli::run(args),
        Command::MasterKey(args) => master_key_cli::run(args),
        Command::Migrate(args) => migrate_cli::run(args),
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
    let data_dir = &settings.server.data_dir;
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir)
    }
    .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    // Other local users get nothing: modes left wider (by an older version, by hand) are
    // narrowed once, here; new files and directories are created 0600 and 0700.
    let fixed = ossd_store::tighten_permissions(
        data_dir,
        &["keys.json", config::ROOT_KEY_FILE, ossd_store::MASTER_KEY_FILE],
    )
    .with_context(|| format!("checking the permissions of {}", data_dir.display()))?;
    for f in fixed {
        tracing::warn!(
            path = %f.path.display(),
            was = %format!("{:o}", f.was),
            now = %format!("{:o}", f.now),
            "was readable by other users; permissions narrowed"
        );
    }
    let root = config::root_key(&settings.server.data_dir)?;
    let mut server_config = settings.server;
    server_config.root = root;
    let files = nofile::raise();
    let limit = files.now;
    server_config.limits.max_connections =
        settings.max_connections.unwrap_or_else(|| nofile::default_max_connections(limit));
    let show = |n: Option<u64>| n.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    match &files.error {
        None => tracing::info!(
            soft = %show(files.now),
            hard = %show(files.hard),
            was = %show(files.before),
            max_connections = server_config.limits.max_connections,
            "open-files limit"
        ),
        Some(e) => tracing::warn!(
            soft = %show(files.now),
            hard = %show(files.hard),
            error = %e,
            max_connections = server_config.limits.max_connections,
            "could not raise the open-files limit to the hard limit"
        ),
    }
    if nofile::cap_exceeds_limit(server_config.limits.max_connections, limit) {
        tracing::warn!(
            max_connections = server_config.limits.max_connections,
            open_files = %show(limit),
            "max-connections needs more descriptors than the open-files limit allows; \
             accepting will fail (and back off) before the cap is reached"
        );
    }
    alloc::start_housekeeping();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Blocking threads (blob reads and writes, store commits) end after this idle time;
        // until then each keeps the memory its allocator heap cached (tokio's default is 10 s).
        .thread_keep_alive(BLOCKING_IDLE)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let server = ossd_server::Server::bind(settings.listen, server_config.clone()).await?;
        let addr = server.local_addr()?;
        if let Some(h) = server.http_addr() {
            tracing::info!(http_listen = %h, "also serving plain HTTP");
        }
        if let Some(m) = server.metrics_addr() {
            tracing::info!(metrics_listen = %m, "serving /-/metrics, /-/healthz and /-/readyz");
        }
        tracing::info!(
            listen = %addr,
            scheme = if server_config.tls.is_some() { "https" } else { "http" },
            data_dir = %server_config.data_dir.display(),
            meta = %server_config.meta.as_ref().map_or_else(|| "redb".to_owned(), |m| m.redacted()),
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
