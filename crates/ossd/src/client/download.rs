//! Downloads of one object: a single GET below the threshold; above it parallel ranged GETs into a
//! temporary file beside the destination, with a checkpoint rewritten atomically after every part,
//! so that a rerun after an interrupt skips the parts already written. The temporary file is
//! renamed to the destination only after the CRC-64 of the whole file, read back from disk, equals
//! the object's (`x-oss-hash-crc64ecma`).

use super::Ctx;
use super::checkpoint::{DoneRange, DownloadCheckpoint, download_path_for};
use super::cp::{Transfer, verify_crc};
use super::error::{CliError, Result};
use super::http::Req;
use super::progress::Progress;
use super::upload::{Stats, check};
use ossd_store::crc64;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The temporary file a download of `path` is written to (same directory, so the final rename
/// stays on one file system).
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".ossd-part");
    path.with_file_name(name)
}

/// `path` made absolute without requiring it to exist (its directory is canonicalised).
fn absolute(path: &Path) -> String {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(n)) => d.join(n).display().to_string(),
        _ => path.display().to_string(),
    }
}

/// CRC-64 of a whole file, read back from disk.
fn file_crc(path: &Path) -> Result<u64> {
    let what = format!("reading {}", path.display());
    let mut f = std::fs::File::open(path).map_err(CliError::io(what.clone()))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut crc = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(CliError::io(what.clone()))?;
        if n == 0 {
            return Ok(crc);
        }
        crc = crc64::combine(crc, crc64::checksum(&buf[..n]), n as u64);
    }
}

/// Downloads `bucket/key` to `path`.
pub async fn download(
    ctx: &Ctx,
    t: &Transfer,
    bucket: &str,
    key: &str,
    path: &Path,
    progress: &Arc<Progress>,
) -> Result<Stats> {
    let what = path.display().to_string();
    let url = format!("oss://{bucket}/{key}");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(CliError::io(format!("creating {}", dir.display())))?;
    }
    let temp = temp_path(path);
    let head = ctx.client.call(Req::new("HEAD", Some(bucket), Some(key))).await?;
    let size: u64 = head.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    if size < t.threshold {
        let r = ctx.client.call(Req::new("GET", Some(bucket), Some(key))).await?;
        verify_crc(&r, &r.body, &url)?;
        std::fs::write(&temp, &r.body).map_err(CliError::io(format!("writing {what}")))?;
        std::fs::rename(&temp, path).map_err(CliError::io(format!("writing {what}")))?;
        progress.add(r.body.len() as u64);
        return Ok(Stats { bytes: r.body.len() as u64, parts: 0, resumed_parts: 0 });
    }
    let etag = head.header("etag").unwrap_or("").to_owned();
    let last_modified = head.header("last-modified").unwrap_or("").to_owned();
    let part_size = t.part_size.max(1);
    let parts = size.div_ceil(part_size);
    let target = absolute(path);
    let cp_path = download_path_for(&t.checkpoint_dir, bucket, key, &target);
    // A checkpoint is used only for the same object (size, ETag, Last-Modified unchanged), the
    // same part size and a temporary file of the right length; else the download starts over.
    let temp_len = std::fs::metadata(&temp).map(|m| m.len()).ok();
    let resumed = DownloadCheckpoint::load(&cp_path).filter(|c| {
        c.bucket == bucket
            && c.key == key
            && c.target == target
            && c.size == size
            && c.etag == etag
            && c.last_modified == last_modified
            && c.part_size == part_size
            && c.temp == temp.display().to_string()
            && temp_len == Some(size)
    });
    let (file, mut cp) = match resumed {
        Some(c) => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&temp)
                .map_err(CliError::io(format!("opening {}", temp.display())))?;
            (f, c)
        }
        None => {
            let f = std::fs::File::create(&temp)
                .map_err(CliError::io(format!("creating {}", temp.display())))?;
            f.set_len(size).map_err(CliError::io(format!("writing {}", temp.display())))?;
            let c = DownloadCheckpoint {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                target: target.clone(),
                temp: temp.display().to_string(),
                size,
                etag: etag.clone(),
                last_modified,
                part_size,
                parts: Vec::new(),
            };
            c.save(&cp_path)?;
            (f, c)
        }
    };
    let resumed_parts = cp.parts.len() as u64;
    let part_len = |n: u64| part_size.min(size - (n - 1) * part_size);
    for p in &cp.parts {
        progress.add(part_len(u64::from(p.number)));
    }
    let todo: Vec<u64> =
        (1..=parts).filter(|n| !cp.parts.iter().any(|p| u64::from(p.number) == *n)).collect();
    let file = Arc::new(file);
    let sem = Arc::new(tokio::sync::Semaphore::new(t.jobs.max(1)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<DoneRange>>();
    for n in todo {
        let (file, sem, tx, client) = (file.clone(), sem.clone(), tx.clone(), ctx.client.clone());
        let limiter = t.limiter.clone();
        let (bucket, key, etag, temp) =
            (bucket.to_owned(), key.to_owned(), etag.clone(), temp.display().to_string());
        let start = (n - 1) * part_size;
        let end = start + part_len(n) - 1;
        tokio::spawn(async move {
            let result = async {
                let _permit =
                    sem.acquire().await.map_err(|_| CliError::Usage("cancelled".into()))?;
                limiter.take(end - start + 1).await;
                // If-Match: a part of another version of the object is refused (412), not mixed in.
                let mut req = Req::new("GET", Some(&bucket), Some(&key))
                    .h("range", &format!("bytes={start}-{end}"));
                if !etag.is_empty() {
                    req = req.h("if-match", &etag);
                }
                let r = client.call(req).await?;
                if r.body.len() as u64 != end - start + 1 {
                    return Err(CliError::Integrity(format!(
                        "range {start}-{end} of oss://{bucket}/{key} came back short"
                    )));
                }
                file.write_all_at(&r.body, start)
                    .map_err(CliError::io(format!("writing {temp}")))?;
                Ok(DoneRange {
                    number: u32::try_from(n).unwrap_or(u32::MAX),
                    crc64: crc64::checksum(&r.body),
                })
            }
            .await;
            let _ = tx.send(result);
        });
    }
    drop(tx);
    while let Some(done) = rx.recv().await {
        let done = match done {
            Ok(d) => d,
            Err(CliError::Oss(e)) if e.code == "PreconditionFailed" => {
                // The object changed during the download: the next run starts over.
                let _ = std::fs::remove_file(&cp_path);
                let _ = std::fs::remove_file(&temp);
                return Err(CliError::Integrity(format!(
                    "{url} changed during the download (its ETag is no longer {etag}); run again"
                )));
            }
            Err(e) => return Err(e),
        };
        progress.add(part_len(u64::from(done.number)));
        cp.parts.push(done);
        cp.save(&cp_path)?;
    }
    drop(file);
    // The whole file as it is on disk, resumed parts included, against the object's CRC-64.
    let whole = file_crc(&temp)?;
    if let Err(e) = check(head.crc64(), whole, &url) {
        let _ = std::fs::remove_file(&cp_path);
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    std::fs::rename(&temp, path).map_err(CliError::io(format!("writing {what}")))?;
    let _ = std::fs::remove_file(&cp_path);
    Ok(Stats { bytes: size, parts, resumed_parts })
}
