//! `cp SRC DST [-r]`: local->oss, oss->local, oss->oss (server-side CopyObject).

use super::error::{CliError, Result};
use super::http::Resp;
use super::progress::Progress;
use super::upload::{self, Stats};
use super::url::OssUrl;
use super::{Ctx, GlobalArgs, output};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `cp`.
#[derive(Args, Debug)]
pub struct CpArgs {
    /// Source: a local path or oss://bucket/key (with -r a directory or prefix)
    pub src: String,
    /// Destination: a local path or oss://bucket/key (a trailing / appends the file name)
    pub dst: String,
    /// Copy a directory or prefix recursively
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Files of at least this size go multipart (bytes; K, M, G suffixes, 1024-based)
    #[arg(long, default_value = "100M", value_parser = parse_size)]
    pub bigfile_threshold: u64,
    /// Part size of multipart transfers (raised so that a file has at most 10000 parts)
    #[arg(long, default_value = "8M", value_parser = parse_size)]
    pub part_size: u64,
    /// Parts transferred at the same time
    #[arg(short = 'j', long, alias = "parallel", default_value_t = 3)]
    pub jobs: usize,
    /// Average upload/download rate cap in bytes per second (K, M, G suffixes; 0: none)
    #[arg(long, default_value = "0", value_parser = parse_size)]
    pub bandwidth_limit: u64,
    /// Where multipart checkpoints are kept (an interrupted upload resumes from there)
    #[arg(long, default_value = ".ossd_checkpoint")]
    pub checkpoint_dir: PathBuf,
    #[command(flatten)]
    pub g: GlobalArgs,
}

/// Parses `123`, `100K`, `8M`, `1G`, `8Mi`, `8MiB` (1024-based).
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim().trim_end_matches(['B', 'b']).trim_end_matches('i');
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        Some('T' | 't') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a size (e.g. 100M)"))
}

/// The transfer settings one file needs.
pub struct Transfer {
    /// Multipart threshold.
    pub threshold: u64,
    /// Part size.
    pub part_size: u64,
    /// Parallel parts.
    pub jobs: usize,
    /// Checkpoint directory.
    pub checkpoint_dir: PathBuf,
    /// The rate cap shared by every part of every file.
    pub limiter: Arc<super::limit::Limiter>,
}

/// Fails when the answer's CRC-64 differs from the CRC-64 of `body`.
pub fn verify_crc(r: &Resp, body: &[u8], what: &str) -> Result<()> {
    upload::check(r.crc64(), ossd_store::crc64::checksum(body), what)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(CliError::io(format!("reading {}", dir.display())))?;
    for e in rd {
        let e = e.map_err(CliError::io(format!("reading {}", dir.display())))?;
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn join_key(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        format!("{prefix}{rel}")
    } else {
        format!("{prefix}/{rel}")
    }
}

fn file_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Runs `cp`.
pub async fn run(ctx: &Ctx, a: &CpArgs) -> Result<()> {
    let t = Transfer {
        threshold: a.bigfile_threshold,
        part_size: a.part_size,
        jobs: a.jobs,
        checkpoint_dir: a.checkpoint_dir.clone(),
        limiter: Arc::new(super::limit::Limiter::new(a.bandwidth_limit)),
    };
    // (what to do, total bytes known up front for the progress line)
    enum Job {
        Up(PathBuf, String, String),
        Down(String, String, PathBuf),
        Copy(OssUrl, OssUrl),
    }
    let mut jobs = Vec::new();
    let mut total = 0u64;
    match (OssUrl::is_oss(&a.src), OssUrl::is_oss(&a.dst)) {
        (false, true) => {
            let dst = OssUrl::parse(&a.dst)?;
            let src = Path::new(&a.src);
            if src.is_dir() {
                if !a.recursive {
                    return Err(CliError::Usage(format!("{} is a directory: use -r", a.src)));
                }
                let mut files = Vec::new();
                walk(src, &mut files)?;
                files.sort();
                for f in files {
                    let rel =
                        f.strip_prefix(src).unwrap_or(&f).to_string_lossy().replace('\\', "/");
                    total += f.metadata().map_or(0, |m| m.len());
                    jobs.push(Job::Up(f, dst.bucket.clone(), join_key(&dst.key, &rel)));
                }
            } else {
                let key = if dst.key.is_empty() || dst.key.ends_with('/') {
                    format!(
                        "{}{}",
                        dst.key,
                        src.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
                    )
                } else {
                    dst.key.clone()
                };
                total = src.metadata().map_err(CliError::io(format!("reading {}", a.src)))?.len();
                jobs.push(Job::Up(src.to_path_buf(), dst.bucket, key));
            }
        }
        (true, false) => {
            let src = OssUrl::parse(&a.src)?;
            let dst = PathBuf::from(&a.dst);
            if a.recursive {
                let (entries, _) =
                    super::buckets::list(ctx, &src.bucket, &src.key, false, None).await?;
                for e in entries {
                    let rel =
                        e.key.strip_prefix(&src.key).unwrap_or(&e.key).trim_start_matches('/');
                    if rel.is_empty() || e.key.ends_with('/') {
                        continue;
                    }
                    total += e.size;
                    jobs.push(Job::Down(src.bucket.clone(), e.key.clone(), dst.join(rel)));
                }
            } else {
                let src = OssUrl::object(&a.src)?;
                let target = if dst.is_dir() || a.dst.ends_with('/') {
                    dst.join(file_name(&src.key))
                } else {
                    dst
                };
                jobs.push(Job::Down(src.bucket, src.key, target));
            }
        }
        (true, true) => {
            let src = OssUrl::parse(&a.src)?;
            let dst = OssUrl::parse(&a.dst)?;
            if a.recursive {
                let (entries, _) =
                    super::buckets::list(ctx, &src.bucket, &src.key, false, None).await?;
                for e in entries {
                    let rel =
                        e.key.strip_prefix(&src.key).unwrap_or(&e.key).trim_start_matches('/');
                    total += e.size;
                    jobs.push(Job::Copy(
                        OssUrl { bucket: src.bucket.clone(), key: e.key.clone() },
                        OssUrl { bucket: dst.bucket.clone(), key: join_key(&dst.key, rel) },
                    ));
                }
            } else {
                let src = OssUrl::object(&a.src)?;
                let key = if dst.key.is_empty() || dst.key.ends_with('/') {
                    format!("{}{}", dst.key, file_name(&src.key))
                } else {
                    dst.key.clone()
                };
                jobs.push(Job::Copy(src, OssUrl { bucket: dst.bucket, key }));
            }
        }
        (false, false) => {
            return Err(CliError::Usage("one of SRC and DST must be an oss:// URL".into()));
        }
    }
    let progress = Arc::new(Progress::new(total, ctx.json));
    let mut sum = Stats::default();
    let mut files = 0u64;
    for job in jobs {
        let s = match job {
            Job::Up(p, b, k) => upload::upload_file(ctx, &t, &p, &b, &k, &progress).await?,
            Job::Down(b, k, p) => super::download::download(ctx, &t, &b, &k, &p, &progress).await?,
            Job::Copy(s, d) => super::copy::copy(ctx, &t, &s, &d, &progress).await?,
        };
        files += 1;
        sum.bytes += s.bytes;
        sum.parts += s.parts;
        sum.resumed_parts += s.resumed_parts;
    }
    progress.finish();
    if ctx.json {
        output::json(&serde_json::json!({"files": files, "bytes": sum.bytes, "parts": sum.parts,
            "resumed_parts": sum.resumed_parts}));
    } else {
        let resumed = if sum.resumed_parts > 0 {
            format!(", {} part(s) resumed from a checkpoint", sum.resumed_parts)
        } else {
            String::new()
        };
        println!("copied {files} file(s), {}{resumed}", output::size(sum.bytes));
    }
    Ok(())
}
