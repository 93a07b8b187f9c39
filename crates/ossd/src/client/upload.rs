//! Uploads of one file: a single PUT below the threshold; above it a multipart upload with
//! parallel parts and a checkpoint (resumed after an interrupt). Every byte is checked against the
//! server's CRC-64 (`x-oss-hash-crc64ecma`).

use super::Ctx;
use super::checkpoint::{Checkpoint, DonePart, path_for};
use super::cp::Transfer;
use super::error::{CliError, Result};
use super::http::Req;
use super::progress::Progress;
use ossd_store::crc64;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// What a transfer did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Stats {
    /// Bytes moved.
    pub bytes: u64,
    /// Parts (0 for a single request).
    pub parts: u64,
    /// Parts found done in a checkpoint and not sent again.
    pub resumed_parts: u64,
}

fn read_at(file: &std::fs::File, offset: u64, len: u64, what: &str) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    file.read_exact_at(&mut buf, offset).map_err(CliError::io(format!("reading {what}")))?;
    Ok(buf)
}

fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// Uploads `path` to `bucket/key`.
pub async fn upload_file(
    ctx: &Ctx,
    t: &Transfer,
    path: &Path,
    bucket: &str,
    key: &str,
    progress: &Arc<Progress>,
) -> Result<Stats> {
    let what = path.display().to_string();
    let file = std::fs::File::open(path).map_err(CliError::io(format!("opening {what}")))?;
    let meta = file.metadata().map_err(CliError::io(format!("reading {what}")))?;
    let size = meta.len();
    if size < t.threshold {
        let body = read_at(&file, 0, size, &what)?;
        t.limiter.take(size).await;
        let local = crc64::checksum(&body);
        let r = ctx.client.call(Req::new("PUT", Some(bucket), Some(key)).body(body)).await?;
        check(r.crc64(), local, &format!("oss://{bucket}/{key}"))?;
        progress.add(size);
        return Ok(Stats { bytes: size, parts: 0, resumed_parts: 0 });
    }
    let part_size = t.part_size.max(size.div_ceil(10_000)).max(100 * 1024);
    let parts = size.div_ceil(part_size);
    let abs = std::fs::canonicalize(path).map_or(what.clone(), |p| p.display().to_string());
    let cp_path = path_for(&t.checkpoint_dir, &abs, bucket, key);
    let mtime = mtime_ns(&meta);
    let resumed = Checkpoint::load(&cp_path).filter(|c| {
        c.source == abs
            && c.size == size
            && c.mtime_ns == mtime
            && c.bucket == bucket
            && c.key == key
            && c.part_size == part_size
    });
    // A checkpoint whose upload the server no longer knows (aborted, expired) is dropped.
    let resumed = match resumed {
        Some(c) => {
            let probe = Req::new("GET", Some(bucket), Some(key))
                .q("uploadId", Some(&c.upload_id))
                .q("max-parts", Some("1"));
            match ctx.client.call(probe).await {
                Ok(_) => Some(c),
                Err(CliError::Oss(e)) if e.code == "NoSuchUpload" => None,
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    let mut cp = match resumed {
        Some(c) => c,
        None => {
            let r = ctx
                .client
                .call(Req::new("POST", Some(bucket), Some(key)).q("uploads", None))
                .await?;
            let root = ossd_proto::xml::parse(&r.body)
                .map_err(|e| CliError::Integrity(format!("InitiateMultipartUpload answer: {e}")))?;
            let upload_id = root
                .child_text("UploadId")
                .ok_or_else(|| {
                    CliError::Integrity("InitiateMultipartUpload gave no UploadId".into())
                })?
                .to_owned();
            let c = Checkpoint {
                source: abs.clone(),
                size,
                mtime_ns: mtime,
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                part_size,
                upload_id,
                parts: Vec::new(),
            };
            c.save(&cp_path)?;
            c
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
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<DonePart>>();
    for n in todo.iter().copied() {
        let (file, sem, tx, client) = (file.clone(), sem.clone(), tx.clone(), ctx.client.clone());
        let limiter = t.limiter.clone();
        let (bucket, key, id, what) =
            (bucket.to_owned(), key.to_owned(), cp.upload_id.clone(), what.clone());
        let len = part_len(n);
        tokio::spawn(async move {
            let result = async {
                let _permit =
                    sem.acquire().await.map_err(|_| CliError::Usage("cancelled".into()))?;
                let body = read_at(&file, (n - 1) * part_size, len, &what)?;
                limiter.take(len).await;
                let local = crc64::checksum(&body);
                let req = Req::new("PUT", Some(&bucket), Some(&key))
                    .q("partNumber", Some(&n.to_string()))
                    .q("uploadId", Some(&id))
                    .body(body);
                let r = client.call(req).await?;
                check(r.crc64(), local, &format!("part {n} of oss://{bucket}/{key}"))?;
                let etag = r.header("etag").unwrap_or("").to_owned();
                Ok(DonePart { number: u32::try_from(n).unwrap_or(u32::MAX), etag, crc64: local })
            }
            .await;
            let _ = tx.send(result);
        });
    }
    drop(tx);
    while let Some(done) = rx.recv().await {
        let done = match done {
            Ok(d) => d,
            Err(CliError::Oss(e)) if e.code == "NoSuchUpload" => {
                let _ = std::fs::remove_file(&cp_path);
                return Err(CliError::Oss(e));
            }
            Err(e) => return Err(e),
        };
        progress.add(part_len(u64::from(done.number)));
        cp.parts.push(done);
        cp.save(&cp_path)?;
    }
    cp.parts.sort_by_key(|p| p.number);
    let mut body =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>");
    let mut whole = 0u64;
    for p in &cp.parts {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            p.number, p.etag
        ));
        whole = crc64::combine(whole, p.crc64, part_len(u64::from(p.number)));
    }
    body.push_str("</CompleteMultipartUpload>");
    let r = ctx
        .client
        .call(
            Req::new("POST", Some(bucket), Some(key)).q("uploadId", Some(&cp.upload_id)).body(body),
        )
        .await?;
    let server = match r.crc64() {
        Some(c) => Some(c),
        None => ctx.client.call(Req::new("HEAD", Some(bucket), Some(key))).await?.crc64(),
    };
    check(server, whole, &format!("oss://{bucket}/{key}"))?;
    let _ = std::fs::remove_file(&cp_path);
    Ok(Stats { bytes: size, parts, resumed_parts })
}

/// Fails when the server's CRC-64 is known and differs from ours.
pub fn check(server: Option<u64>, local: u64, what: &str) -> Result<()> {
    match server {
        Some(s) if s != local => Err(CliError::Integrity(format!(
            "CRC-64 mismatch on {what}: the server has {s}, the local bytes {local}"
        ))),
        _ => Ok(()),
    }
}
