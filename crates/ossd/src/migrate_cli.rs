//! `ossd migrate`: copies a stopped embedded store (a data directory) into the store another
//! configuration serves (another data directory, with its metadata there or in a `--to-meta`
//! PostgreSQL database and its bytes there or in a `--to-blobs` service), then verifies the copy
//! and prints a summary; exits non-zero on any mismatch.
//! See docs/scale-out.md.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use ossd_store::migrate::{MigrateReport, migrate};
use ossd_store::verify::{BucketCheck, verify};

/// Files of a data directory that the destination's data directory gets too when it has none:
/// the access keys and the root key (per node, see docs/scale-out.md).
const NODE_FILES: [&str; 2] = ["keys.json", crate::config::ROOT_KEY_FILE];

/// Source and destination.
#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Data directory of the store to copy; no ossd may be running on it
    #[arg(long)]
    pub from_data_dir: PathBuf,
    /// The source's master key file [default: FROM_DATA_DIR/master-key.json]
    #[arg(long)]
    pub from_master_key_file: Option<PathBuf>,
    /// Data directory of the destination (its metadata unless --to-meta, its bytes unless
    /// --to-blobs); the destination is what `ossd serve --data-dir TO_DATA_DIR [--meta TO_META]
    /// [--blobs TO_BLOBS]` serves
    #[arg(long)]
    pub to_data_dir: PathBuf,
    /// Object bytes of the destination in this service, as `ossd serve --blobs` takes it
    /// (s3://…, oss://…, fs://…); credentials as for serve (--to-blobs-secret-file, else
    /// OSSD_BLOBS_ACCESS_KEY_ID/OSSD_BLOBS_SECRET_ACCESS_KEY, else the service's variables)
    #[arg(long)]
    pub to_blobs: Option<String>,
    /// TOML file with the --to-blobs credentials: access_key_id = "…", secret_access_key = "…"
    #[arg(long)]
    pub to_blobs_secret_file: Option<PathBuf>,
    /// Metadata of the destination in this PostgreSQL database, as `ossd serve --meta` takes
    /// it (postgres://user@host:port/database); its password from --to-meta-password-file,
    /// else OSSD_META_PASSWORD or PGPASSWORD [default: redb in TO_DATA_DIR]
    #[arg(long)]
    pub to_meta: Option<String>,
    /// File whose first line is the password of the --to-meta database
    #[arg(long)]
    pub to_meta_password_file: Option<PathBuf>,
    /// The destination's master key file [default: TO_DATA_DIR/master-key.json]; created as a
    /// copy of the source's when missing, refused when it differs from it
    #[arg(long)]
    pub to_master_key_file: Option<PathBuf>,
    /// Only verify an earlier copy (no writes to the destination)
    #[arg(long)]
    pub verify_only: bool,
}

/// Runs the command.
pub fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let from = &args.from_data_dir;
    if !from.join("meta.redb").is_file() {
        bail!("{} holds no ossd store (no meta.redb)", from.display());
    }
    let src_key =
        args.from_master_key_file.clone().unwrap_or_else(|| from.join(ossd_store::MASTER_KEY_FILE));
    let dst_key = args
        .to_master_key_file
        .clone()
        .unwrap_or_else(|| args.to_data_dir.join(ossd_store::MASTER_KEY_FILE));
    let blobs = crate::blobs_config::resolve(
        args.to_blobs.clone(),
        None,
        args.to_blobs_secret_file.clone(),
        &|name| std::env::var(name).ok().filter(|v| !v.is_empty()),
    )?;
    let meta = crate::meta_setting::postgres(
        args.to_meta.as_deref(),
        args.to_meta_password_file.as_deref(),
        &|name| std::env::var(name).ok(),
    )?;
    // The source is opened like a server would open it: its file lock refuses a store in use.
    let src = ossd_server::open_store(from, Some(src_key.clone()), None, None, false)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| {
            format!("opening the source {} (stop the ossd serving it first)", from.display())
        })?;
    std::fs::create_dir_all(&args.to_data_dir)
        .with_context(|| format!("creating {}", args.to_data_dir.display()))?;
    if !args.verify_only {
        same_master_key(&src_key, &dst_key)?;
        for name in NODE_FILES {
            copy_if_missing(&from.join(name), &args.to_data_dir.join(name))?;
        }
    }
    let dst = ossd_server::open_store(
        &args.to_data_dir,
        Some(dst_key),
        blobs.as_ref(),
        meta.as_ref(),
        false,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .with_context(|| match &meta {
        Some(pg) => {
            format!("opening the destination {} with metadata in {pg}", args.to_data_dir.display())
        }
        None => format!("opening the destination {}", args.to_data_dir.display()),
    })?;
    let out = std::io::stdout();
    if !args.verify_only {
        let report = migrate(&src, &dst, &mut |bucket, r| {
            let _ = writeln!(
                out.lock(),
                "copied bucket {bucket} ({} versions added, {} already there so far)",
                r.added,
                r.already_there
            );
        })
        .context("copying")?;
        print_copy(&report);
    }
    let checks = verify(&src, &dst).context("verifying")?;
    let bad = print_checks(&checks);
    if bad > 0 {
        bail!("verification failed: {bad} mismatch(es)");
    }
    println!("verified: {} bucket(s), every count and checksum matches", checks.len());
    Ok(())
}

fn print_copy(r: &MigrateReport) {
    println!(
        "copy done: {} bucket(s), {} version(s) added, {} already there",
        r.buckets, r.added, r.already_there
    );
    if !r.skipped_uploads.is_empty() {
        println!(
            "not copied: {} unfinished multipart upload(s) (complete or abort them on the \
             source and run again, or let clients start them over):",
            r.skipped_uploads.len()
        );
        for u in &r.skipped_uploads {
            println!("  {}/{} upload id {}", u.bucket, u.key, u.upload_id);
        }
    }
}

/// Prints one line per bucket and its mismatches; returns how many mismatches there are.
fn print_checks(checks: &[BucketCheck]) -> usize {
    let mut bad = 0;
    for c in checks {
        let (s, d) = (c.source, c.destination);
        println!(
            "bucket {}: objects {}/{}, versions {}/{}, delete markers {}/{}, bytes {}/{} \
             (source/destination), {} read back: {}",
            c.bucket,
            s.objects,
            d.objects,
            s.versions,
            d.versions,
            s.delete_markers,
            d.delete_markers,
            s.bytes,
            d.bytes,
            c.bytes_checked,
            if c.mismatches.is_empty() { "OK" } else { "MISMATCH" }
        );
        for m in &c.mismatches {
            println!("  {m}");
        }
        bad += c.mismatches.len();
    }
    bad
}

/// Makes `dst` a copy of the master key file `src` unless it exists; if it does, it must be
/// the same (encrypted blobs are copied as they are, wrapped by the source's keys).
fn same_master_key(src: &Path, dst: &Path) -> anyhow::Result<()> {
    if !src.exists() {
        // A source without a key file holds no encrypted object.
        return Ok(());
    }
    let want = std::fs::read(src).with_context(|| format!("reading {}", src.display()))?;
    match std::fs::read(dst) {
        Ok(have) if have == want => Ok(()),
        Ok(_) => bail!(
            "the destination's master key file {} differs from the source's {}: encrypted \
             objects are copied as they are and need the source's keys (remove it, or point \
             --to-master-key-file at a copy of the source's)",
            dst.display(),
            src.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_private(dst, &want),
        Err(e) => Err(e).with_context(|| format!("reading {}", dst.display())),
    }
}

/// Copies `src` to `dst` (mode 0600) if `src` exists and `dst` does not.
fn copy_if_missing(src: &Path, dst: &Path) -> anyhow::Result<()> {
    if !src.exists() || dst.exists() {
        return Ok(());
    }
    let bytes = std::fs::read(src).with_context(|| format!("reading {}", src.display()))?;
    write_private(dst, &bytes)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
