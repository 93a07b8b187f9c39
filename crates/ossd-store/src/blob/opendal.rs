//! Blobs in any OpenDAL service (`fs`, `s3`, `oss`): `blobs/<aa>/<bb>/<id>` under the
//! location's root, deletion marks `gc/<id>` beside them (`gc.rs`).
//!
//! Bounded memory both ways: a write gathers at most one chunk ([`WRITE_CHUNK`]) and hands it to
//! OpenDAL's multipart writer, so a 1 GiB blob is sent as 8 MiB parts and is invisible until
//! the last one is completed (a blob of less than one chunk is a single PUT at commit); a read
//! streams one ranged GET from the offset on, through a channel of [`READ_AHEAD`] pieces.
//! Requests run on the backend's own runtime (`bridge.rs`).

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::StreamExt;
use opendal::layers::RetryLayer;
use opendal::{EntryMode, ErrorKind, Operator, services};
use tokio::sync::mpsc;

use super::bridge::{Bridge, wait};
use super::location::{BlobLocation, BlobService};
use super::{BlobBackend, BlobSink};
use crate::StoreError;
use crate::record::BlobId;

/// Bytes gathered before they go out as one part of a multipart upload (S3 wants at least 5 MiB
/// per part but the last; 8 MiB parts reach OSS's 5 GiB object limit in 640 parts).
pub const WRITE_CHUNK: usize = 8 * 1024 * 1024;

/// Pieces of a read (as the HTTP body delivers them) fetched ahead of the reader.
const READ_AHEAD: usize = 4;

/// Listed entries handed over at once.
const LIST_AHEAD: usize = 1024;

/// Worker threads of the backend's runtime (they only drive network I/O).
const THREADS: usize = 2;

/// Directory of committed blobs under the root.
const BLOBS: &str = "blobs/";
/// Directory of deletion marks under the root.
const MARKS: &str = "gc/";

/// The blob backend over an OpenDAL operator.
pub struct OpendalBlobs {
    op: Operator,
    bridge: Arc<Bridge>,
    /// Where the `fs` service stages blobs being written (`<root>/staging`).
    staging: Option<PathBuf>,
}

/// OpenDAL's errors as I/O errors (NotFound stays NotFound).
fn io_err(e: opendal::Error) -> io::Error {
    let kind = match e.kind() {
        ErrorKind::NotFound => io::ErrorKind::NotFound,
        ErrorKind::PermissionDenied => io::ErrorKind::PermissionDenied,
        ErrorKind::AlreadyExists => io::ErrorKind::AlreadyExists,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e.to_string())
}

fn blob_path(id: &BlobId) -> String {
    let r = id.random_part();
    let (a, b) = (r.get(0..2).unwrap_or("00"), r.get(2..4).unwrap_or("00"));
    format!("{BLOBS}{a}/{b}/{id}")
}

fn mark_path(id: &BlobId) -> String {
    format!("{MARKS}{id}")
}

/// The blob id a listed path names (its last segment), if it is one.
fn id_of(path: &str) -> Option<BlobId> {
    path.rsplit('/').next().and_then(BlobId::parse)
}

impl OpendalBlobs {
    /// Connects to `loc` (no request is sent: a wrong endpoint or key shows on first use, and
    /// [`OpendalBlobs::check`] tries it).
    pub fn open(loc: &BlobLocation) -> io::Result<OpendalBlobs> {
        static TRANSPORT: Once = Once::new();
        TRANSPORT.call_once(|| {
            // The workspace builds rustls with ring only; make it the process default (another
            // part of the process may have done so first, which is fine).
            let _ = rustls::crypto::ring::default_provider().install_default();
            opendal_http_transport_reqwest::install_default();
        });
        let staging =
            (loc.service == BlobService::Fs).then(|| PathBuf::from(&loc.root).join("staging"));
        let op = match loc.service {
            BlobService::Fs => {
                let staging = format!("{}/staging", loc.root);
                let b = services::Fs::default().root(&loc.root).atomic_write_dir(&staging);
                Operator::new(b).map_err(io_err)?
            }
            BlobService::S3 => {
                let mut b = services::S3::default()
                    .bucket(&loc.bucket)
                    .root(&format!("/{}", loc.root))
                    .region(loc.region.as_deref().unwrap_or("us-east-1"));
                if let Some(e) = &loc.endpoint {
                    b = b.endpoint(e);
                }
                if let Some(c) = &loc.credentials {
                    b = b
                        .access_key_id(&c.access_key_id)
                        .secret_access_key(&c.secret_access_key)
                        .disable_config_load();
                }
                Operator::new(b).map_err(io_err)?
            }
            BlobService::Oss => {
                let mut b =
                    services::Oss::default().bucket(&loc.bucket).root(&format!("/{}", loc.root));
                if loc.oss_path_style() {
                    b = b.addressing_style("path");
                }
                if let Some(e) = &loc.endpoint {
                    b = b.endpoint(e);
                }
                if let Some(c) = &loc.credentials {
                    b = b.access_key_id(&c.access_key_id).access_key_secret(&c.secret_access_key);
                }
                Operator::new(b).map_err(io_err)?
            }
        };
        let op = op.layer(RetryLayer::new().with_jitter());
        Ok(OpendalBlobs { op, bridge: Arc::new(Bridge::new(THREADS)?), staging })
    }

    /// Lists the service once (a wrong endpoint, bucket or key fails here, at start).
    pub fn check(&self) -> io::Result<()> {
        let op = self.op.clone();
        self.bridge
            .run(async move { op.list_with(BLOBS).limit(1).await.map(|_| ()) })?
            .map_err(io_err)
    }

    /// Streams the entries under `dir` (recursively) to `visit` with their modification time.
    fn walk(
        &self,
        dir: &'static str,
        visit: &mut dyn FnMut(BlobId, SystemTime) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let (tx, mut rx) = mpsc::channel::<io::Result<(BlobId, SystemTime)>>(LIST_AHEAD);
        let op = self.op.clone();
        self.bridge.spawn(async move {
            let mut lister = match op.lister_with(dir).recursive(true).await {
                Ok(l) => l,
                Err(e) if e.kind() == ErrorKind::NotFound => return,
                Err(e) => {
                    let _ = tx.send(Err(io_err(e))).await;
                    return;
                }
            };
            while let Some(entry) = lister.next().await {
                let item = match entry {
                    Err(e) => Err(io_err(e)),
                    Ok(entry) => {
                        if entry.metadata().mode() != EntryMode::FILE {
                            continue;
                        }
                        let Some(id) = id_of(entry.path()) else { continue };
                        // S3 and OSS list the time; a file system listing may not.
                        let time = match entry.metadata().last_modified() {
                            Some(t) => Ok(t),
                            None => op.stat(entry.path()).await.map_err(io_err).and_then(|m| {
                                m.last_modified().ok_or_else(|| {
                                    io::Error::other("the blob service gives no modification time")
                                })
                            }),
                        };
                        match time {
                            Ok(t) => Ok((id, SystemTime::from(t))),
                            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                            Err(e) => Err(e),
                        }
                    }
                };
                let stop = item.is_err();
                if tx.send(item).await.is_err() || stop {
                    return;
                }
            }
        });
        while let Some(item) = wait(rx.recv()) {
            let (id, time) = item?;
            visit(id, time)?;
        }
        Ok(())
    }
}

impl BlobBackend for OpendalBlobs {
    fn clear_staging(&self) -> io::Result<usize> {
        // Nothing to clear that is surely ours: other nodes may be writing. An object store keeps
        // an unfinished multipart upload out of sight (a bucket lifecycle rule aborts old ones);
        // `fs` leaves its temporary files in `staging/`, which the collection removes once they
        // are a grace period old (`sweep_staging`).
        Ok(0)
    }

    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink>> {
        Ok(Box::new(RemoteSink {
            op: self.op.clone(),
            bridge: Arc::clone(&self.bridge),
            path: blob_path(id),
            buf: Vec::new(),
            writer: None,
            done: false,
        }))
    }

    fn open(&self, id: &BlobId, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(READ_AHEAD);
        let (op, path) = (self.op.clone(), blob_path(id));
        self.bridge.spawn(async move {
            let stream = async { op.reader(&path).await?.into_bytes_stream(offset..).await };
            let mut stream = match stream.await {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(io_err(e))).await;
                    return;
                }
            };
            while let Some(piece) = stream.next().await {
                let stop = piece.is_err();
                if tx.send(piece).await.is_err() || stop {
                    return;
                }
            }
        });
        // The first piece (or the error: a missing blob) comes before `open` returns.
        let first = match wait(rx.recv()) {
            Some(piece) => piece?,
            None => Bytes::new(),
        };
        Ok(Box::new(RemoteReader { rx, piece: first }))
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        let (op, path) = (self.op.clone(), blob_path(id));
        match self.bridge.run(async move { op.stat(&path).await })? {
            Ok(m) => Ok(m.mode() == EntryMode::FILE),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(e)),
        }
    }

    fn remove(&self, id: &BlobId) -> io::Result<()> {
        let (op, path) = (self.op.clone(), blob_path(id));
        // OpenDAL treats a missing path as deleted.
        self.bridge.run(async move { op.delete(&path).await })?.map_err(io_err)
    }

    fn for_each(
        &self,
        visit: &mut dyn FnMut(BlobId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.walk(BLOBS, &mut |id, _| visit(id))
    }

    fn is_remote(&self) -> bool {
        // Even `fs` (possibly a network file system) goes through the backend's runtime.
        true
    }

    fn sweep_staging(&self, cutoff: SystemTime) -> io::Result<usize> {
        let Some(dir) = &self.staging else { return Ok(0) };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_file() && meta.modified()? < cutoff {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }

    fn for_each_dated(
        &self,
        visit: &mut dyn FnMut(BlobId, SystemTime) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.walk(BLOBS, visit)
    }

    fn mark(&self, id: &BlobId) -> io::Result<()> {
        let (op, path) = (self.op.clone(), mark_path(id));
        self.bridge
            .run(async move { op.write(&path, Bytes::new()).await })?
            .map(|_| ())
            .map_err(io_err)
    }

    fn for_each_mark(
        &self,
        visit: &mut dyn FnMut(BlobId, SystemTime) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.walk(MARKS, visit)
    }

    fn unmark(&self, id: &BlobId) -> io::Result<()> {
        let (op, path) = (self.op.clone(), mark_path(id));
        self.bridge.run(async move { op.delete(&path).await })?.map_err(io_err)
    }
}

/// A blob being written: bytes gathered up to [`WRITE_CHUNK`], then sent as one part.
struct RemoteSink {
    op: Operator,
    bridge: Arc<Bridge>,
    path: String,
    buf: Vec<u8>,
    /// The multipart writer, opened when the first full chunk goes out.
    writer: Option<opendal::Writer>,
    /// Committed (or failed for good): nothing more to send or abort.
    done: bool,
}

impl RemoteSink {
    /// Sends the gathered bytes as the next part.
    fn send_chunk(&mut self) -> io::Result<()> {
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        let (op, path, writer) = (self.op.clone(), self.path.clone(), self.writer.take());
        let writer = self.bridge.run(async move {
            let mut w = match writer {
                Some(w) => w,
                None => op.writer_with(&path).chunk(WRITE_CHUNK).await?,
            };
            w.write(chunk).await.map(|()| w)
        })?;
        self.writer = Some(writer.map_err(io_err)?);
        Ok(())
    }
}

impl Write for RemoteSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.done {
            return Err(io::Error::other("blob already committed"));
        }
        if self.buf.capacity() == 0 {
            self.buf.reserve(WRITE_CHUNK.min(data.len().max(64 * 1024)));
        }
        let n = data.len().min(WRITE_CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == WRITE_CHUNK {
            self.send_chunk()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobSink for RemoteSink {
    fn commit(mut self: Box<Self>) -> io::Result<()> {
        if self.done {
            return Err(io::Error::other("blob already committed"));
        }
        self.done = true;
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        let (op, path, writer) = (self.op.clone(), self.path.clone(), self.writer.take());
        let result = self.bridge.run(async move {
            match writer {
                // Less than one chunk in all: one PUT.
                None => op.write(&path, chunk).await.map(|_| ()),
                Some(mut w) => {
                    let sent = async {
                        if !chunk.is_empty() {
                            w.write(chunk).await?;
                        }
                        w.close().await.map(|_| ())
                    }
                    .await;
                    if sent.is_err() {
                        let _ = w.abort().await;
                    }
                    sent
                }
            }
        })?;
        result.map_err(io_err)
    }
}

impl Drop for RemoteSink {
    fn drop(&mut self) {
        // Dropped before its commit: abandon the multipart upload (in the background; the
        // service keeps an unfinished upload invisible anyway).
        if let Some(mut w) = self.writer.take()
            && !self.done
        {
            self.bridge.spawn(async move {
                let _ = w.abort().await;
            });
        }
    }
}

/// A blob read from an offset on, piece by piece as the response body arrives.
struct RemoteReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    /// The rest of the current piece.
    piece: Bytes,
}

impl Read for RemoteReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.piece.is_empty() {
            match wait(self.rx.recv()) {
                Some(piece) => self.piece = piece?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.piece.len());
        buf[..n].copy_from_slice(&self.piece[..n]);
        let _ = self.piece.split_to(n);
        Ok(n)
    }
}
