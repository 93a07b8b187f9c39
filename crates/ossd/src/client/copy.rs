//! Server-side copy (oss->oss): CopyObject below the threshold, UploadPartCopy with parallel parts
//! at or above it (CopyObject is limited to 1 GB on OSS); then both objects' CRC-64 compared.

use super::Ctx;
use super::cp::Transfer;
use super::error::{CliError, Result};
use super::http::Req;
use super::progress::Progress;
use super::upload::Stats;
use super::url::OssUrl;
use std::sync::Arc;

/// Copies `src` to `dst` on the server.
pub async fn copy(
    ctx: &Ctx,
    t: &Transfer,
    src: &OssUrl,
    dst: &OssUrl,
    progress: &Progress,
) -> Result<Stats> {
    let source = format!("/{}/{}", src.bucket, ossd_sig::v4::uri_encode(&src.key, true));
    let head = ctx.client.call(Req::new("HEAD", Some(&src.bucket), Some(&src.key))).await?;
    let size: u64 = head.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut parts = 0;
    if size < t.threshold {
        ctx.client
            .call(
                Req::new("PUT", Some(&dst.bucket), Some(&dst.key)).h("x-oss-copy-source", &source),
            )
            .await?;
    } else {
        let part_size = t.part_size.max(size.div_ceil(10_000)).max(100 * 1024);
        parts = size.div_ceil(part_size);
        let r = ctx
            .client
            .call(Req::new("POST", Some(&dst.bucket), Some(&dst.key)).q("uploads", None))
            .await?;
        let root = ossd_proto::xml::parse(&r.body)
            .map_err(|e| CliError::Integrity(format!("InitiateMultipartUpload answer: {e}")))?;
        let id = root
            .child_text("UploadId")
            .ok_or_else(|| CliError::Integrity("InitiateMultipartUpload gave no UploadId".into()))?
            .to_owned();
        let sem = Arc::new(tokio::sync::Semaphore::new(t.jobs.max(1)));
        let mut tasks = Vec::new();
        for n in 1..=parts {
            let (sem, client, source, id) =
                (sem.clone(), ctx.client.clone(), source.clone(), id.clone());
            let (bucket, key) = (dst.bucket.clone(), dst.key.clone());
            let start = (n - 1) * part_size;
            let end = (start + part_size).min(size) - 1;
            tasks.push(tokio::spawn(async move {
                let _permit =
                    sem.acquire().await.map_err(|_| CliError::Usage("cancelled".into()))?;
                let r = client
                    .call(
                        Req::new("PUT", Some(&bucket), Some(&key))
                            .q("partNumber", Some(&n.to_string()))
                            .q("uploadId", Some(&id))
                            .h("x-oss-copy-source", &source)
                            .h("x-oss-copy-source-range", &format!("bytes={start}-{end}")),
                    )
                    .await?;
                let root = ossd_proto::xml::parse(&r.body)
                    .map_err(|e| CliError::Integrity(format!("UploadPartCopy answer: {e}")))?;
                let etag = root.child_text("ETag").or(r.header("etag")).unwrap_or("").to_owned();
                Ok::<_, CliError>((n, etag, end - start + 1))
            }));
        }
        let mut body =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>");
        for task in tasks {
            let (n, etag, len) =
                task.await.map_err(|e| CliError::Usage(format!("a part task failed: {e}")))??;
            body.push_str("<Part><PartNumber>");
            body.push_str(&n.to_string());
            body.push_str("</PartNumber><ETag>");
            ossd_proto::xml::escape_into(&mut body, &etag);
            body.push_str("</ETag></Part>");
            progress.add(len);
        }
        body.push_str("</CompleteMultipartUpload>");
        ctx.client
            .call(
                Req::new("POST", Some(&dst.bucket), Some(&dst.key))
                    .q("uploadId", Some(&id))
                    .body(body),
            )
            .await?;
    }
    let b = ctx.client.call(Req::new("HEAD", Some(&dst.bucket), Some(&dst.key))).await?;
    if let (Some(x), Some(y)) = (head.crc64(), b.crc64())
        && x != y
    {
        return Err(CliError::Integrity(format!("CRC-64 of {dst} ({y}) differs from {src} ({x})")));
    }
    if size < t.threshold {
        progress.add(size);
    }
    Ok(Stats { bytes: size, parts, resumed_parts: 0 })
}
