//! Streaming a request body into a new blob (PutObject, AppendObject, UploadPart), with a bounded
//! amount of memory per upload and no thread held while the client is slow.

use super::object::io_error;
use super::parse_content_md5;
use crate::body::Body;
use crate::headers;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, blocking, store_error};
use http::{Response, header};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::{Blob, BlobWriter};
use std::io::Write;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Bytes per chunk hashed and written to a blob file at once. An upload holds at most two: one
/// being received, one being written. Larger than the store's file buffer (32 KiB), so a full
/// chunk goes to the file without another copy.
pub const WRITE_BUF: usize = 64 * 1024;

/// A chunk being hashed and written on the blocking pool; gives back the writer and the emptied
/// buffer.
type Running = JoinHandle<std::io::Result<(BlobWriter, Vec<u8>)>>;

/// Chunk writes running at once, server-wide: hashing is bound by the CPU, so more than a few
/// per core only adds threads (each with its own allocator cache) without adding speed. An
/// upload waits here with its chunk; the client meanwhile waits on TCP flow control.
fn chunk_writers() -> &'static Arc<Semaphore> {
    static WRITERS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    WRITERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Arc::new(Semaphore::new((2 * cores).max(4)))
    })
}

/// Sets the headers of an upload's answer: the ETag, and the blob's CRC-64 and MD5.
pub fn upload_answer(r: &mut Response<Body>, etag: &str, blob: &Blob) {
    use base64::Engine;
    render::set(r, header::ETAG, etag);
    render::set(r, headers::X_OSS_HASH_CRC64ECMA, &blob.crc64.to_string());
    let md5 = base64::engine::general_purpose::STANDARD.encode(blob.md5);
    render::set(r, headers::CONTENT_MD5, &md5);
}

/// Streams a request body into a new blob: never buffered whole, at most `limit` bytes,
/// Content-MD5 checked, encrypted at rest when `encrypted`.
pub async fn write_body(
    state: &AppState,
    ctx: &Ctx,
    mut body: RequestBody,
    limit: u64,
    encrypted: bool,
) -> Result<Blob, ApiError> {
    let declared = ctx.header(header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::new(ErrorCode::EntityTooLarge));
    }
    let expected_md5 = ctx.header(headers::CONTENT_MD5).map(parse_content_md5).transpose()?;
    // A small body of known length is kept in memory and stored inline by the commit.
    let mut writer = match declared {
        Some(len) if len <= state.store.inline_max() => {
            state.store.blob_writer_with(Some(len), encrypted).map_err(store_error)?
        }
        _ => blocking(|| state.store.blob_writer_with(None, encrypted)).map_err(store_error)?,
    };
    let mut total: u64 = 0;
    let mut next_data = async |body: &mut RequestBody| -> Result<Option<bytes::Bytes>, ApiError> {
        let Some(data) = body.data().await? else { return Ok(None) };
        total += data.len() as u64;
        if total > limit {
            return Err(ApiError::new(ErrorCode::EntityTooLarge));
        }
        Ok(Some(data))
    };
    let writer = if writer.id().is_inline() {
        // An inline blob is written to memory: no buffering, and no hand-off of the worker.
        while let Some(data) = next_data(&mut body).await? {
            writer.write_all(&data).map_err(io_error)?;
        }
        writer
    } else {
        // A blob file is hashed and written on the blocking pool, one chunk at a time, while this
        // task receives the next chunk: the network, the digests and the disk overlap, and no
        // thread waits for the client. If the body fails, the chunk being written finishes and
        // drops the writer, which removes the temp file.
        let capacity = WRITE_BUF.min(declared.map_or(WRITE_BUF, |n| n as usize));
        let mut buf: Vec<u8> = Vec::with_capacity(capacity);
        let mut idle = Some((writer, Vec::new()));
        let mut running: Option<Running> = None;
        while let Some(data) = next_data(&mut body).await? {
            let mut rest = &data[..];
            while !rest.is_empty() {
                let take = (WRITE_BUF - buf.len()).min(rest.len());
                buf.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if buf.len() == WRITE_BUF {
                    let (w, spare) = take_writer(&mut idle, &mut running).await?;
                    let chunk = std::mem::replace(&mut buf, spare);
                    buf.reserve_exact(WRITE_BUF);
                    running = Some(write_chunk(w, chunk).await);
                }
            }
        }
        let (mut w, spare) = take_writer(&mut idle, &mut running).await?;
        drop(spare);
        if !buf.is_empty() {
            (w, _) = finish(write_chunk(w, buf).await).await?;
        }
        w
    };
    if let Some(expected) = expected_md5
        && writer.md5() != expected
    {
        return Err(ApiError::new(ErrorCode::InvalidDigest));
    }
    if writer.id().is_inline() { writer.finish() } else { blocking(|| writer.finish()) }
        .map_err(store_error)
}

/// Hashes and writes `chunk` on the blocking pool, once one of the [`chunk_writers`] is free.
async fn write_chunk(mut writer: BlobWriter, mut chunk: Vec<u8>) -> Running {
    let permit = chunk_writers().clone().acquire_owned().await;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        writer.write_all(&chunk)?;
        chunk.clear();
        Ok((writer, chunk))
    })
}

/// The writer and a spare buffer: from the chunk being written once it is done, else the idle pair.
async fn take_writer(
    idle: &mut Option<(BlobWriter, Vec<u8>)>,
    running: &mut Option<Running>,
) -> Result<(BlobWriter, Vec<u8>), ApiError> {
    match (running.take(), idle.take()) {
        (Some(r), _) => finish(r).await,
        (None, Some(pair)) => Ok(pair),
        (None, None) => {
            tracing::error!("upload lost its blob writer");
            Err(ApiError::internal())
        }
    }
}

/// Waits for a chunk write.
async fn finish(r: Running) -> Result<(BlobWriter, Vec<u8>), ApiError> {
    match r.await {
        Ok(result) => result.map_err(io_error),
        Err(e) => {
            tracing::error!(error = %e, "blob writer task failed");
            Err(ApiError::internal())
        }
    }
}
