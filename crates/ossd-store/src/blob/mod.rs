//! Blob storage: the narrow [`BlobBackend`] trait and its backends (files in `fs.rs`, memory
//! for tests in `mem.rs`, any OpenDAL service in `opendal.rs`), and the hashing [`BlobWriter`]
//! and multi-segment [`ObjectReader`] built on top of any backend.

mod bridge;
mod fs;
pub mod location;
mod mem;
mod opendal;

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::SystemTime;

use md5::{Digest, Md5};

pub(crate) use self::fs::FsBlobs;
pub(crate) use self::mem::MemBlobs;
pub use self::opendal::OpendalBlobs;
#[cfg(test)]
pub(crate) use self::opendal::WRITE_CHUNK;
use crate::crypt::Keyring;
use crate::crypt::stream::Encryptor;
use crate::record::{Blob, BlobId, InlineBytes, Segment};
use crate::space::Space;
use crate::{StoreError, crc64};

/// Where blob bytes live. Blobs are immutable once committed; ids are chosen by the store.
/// A scale-out backend (object storage via OpenDAL) implements this same contract.
pub trait BlobBackend: Send + Sync + 'static {
    /// Removes staging leftovers of earlier processes (called once at open); returns how many.
    fn clear_staging(&self) -> io::Result<usize>;
    /// Starts writing blob `id`; nothing is visible under `id` until [`BlobSink::commit`].
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink>>;
    /// Reads blob `id` from byte `offset` on.
    fn open(&self, id: &BlobId, offset: u64) -> io::Result<Box<dyn Read + Send>>;
    /// Whether blob `id` is committed.
    fn exists(&self, id: &BlobId) -> io::Result<bool>;
    /// Deletes blob `id`; a missing blob is not an error.
    fn remove(&self, id: &BlobId) -> io::Result<()>;
    /// Calls `visit` for every committed blob (order unspecified; `visit` may remove blobs).
    fn for_each(
        &self,
        visit: &mut dyn FnMut(BlobId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Whether a read or write may wait on the network: the server then never touches blobs
    /// on an async worker (small reads included).
    fn is_remote(&self) -> bool {
        false
    }

    // The grace-period collection (`gc.rs`), for backends shared by several nodes. Backends
    // that only serve one process (files, memory) delete at once and need none of these.

    /// Calls `visit` for every committed blob with the time it was written.
    fn for_each_dated(
        &self,
        _visit: &mut dyn FnMut(BlobId, SystemTime) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Err(unsupported("listing blobs with their dates").into())
    }

    /// Records that blob `id` was found unreferenced, now: a deletion mark, whose own
    /// write time starts the blob's grace period. Setting it again restarts that period.
    fn mark(&self, _id: &BlobId) -> io::Result<()> {
        Err(unsupported("deletion marks"))
    }

    /// Calls `visit` for every deletion mark with the time it was set.
    fn for_each_mark(
        &self,
        _visit: &mut dyn FnMut(BlobId, SystemTime) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Err(unsupported("deletion marks").into())
    }

    /// Removes the deletion mark of blob `id`; a missing mark is not an error.
    fn unmark(&self, _id: &BlobId) -> io::Result<()> {
        Err(unsupported("deletion marks"))
    }

    /// Removes staging leftovers of crashed writers (of any node) last written before
    /// `cutoff`; returns how many. A live writer's staging is newer: it writes all the time.
    fn sweep_staging(&self, _cutoff: SystemTime) -> io::Result<usize> {
        Ok(0)
    }
}

/// The error of a backend asked for something it does not keep.
fn unsupported(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, format!("this blob backend keeps no {what}"))
}

/// A blob being written. Dropping it without [`BlobSink::commit`] discards the bytes.
pub trait BlobSink: Write + Send {
    /// Makes the bytes durable and visible under the blob's id.
    fn commit(self: Box<Self>) -> io::Result<()>;
}

/// Where a [`BlobWriter`] puts the bytes.
enum Sink {
    /// A blob file (or whatever the backend stores).
    Backend(Box<dyn BlobSink>),
    /// Memory, for a small blob that the commit stores inline in the metadata database;
    /// refuses to grow beyond `limit` bytes.
    Inline { buf: Vec<u8>, limit: usize },
}

/// Writes one new blob, computing size, MD5 and CRC-64 on the way.
/// Dropping it without [`BlobWriter::finish`] discards the bytes.
pub struct BlobWriter {
    id: BlobId,
    sink: Sink,
    /// Told when a write finds the disk full (`None` for inline blobs, which write no file).
    space: Option<Arc<Space>>,
    md5: Md5,
    crc64: crc64::Hasher,
    size: u64,
    /// Encrypts the bytes on their way to the sink (an object with server-side encryption).
    enc: Option<Encryptor>,
}

impl BlobWriter {
    pub(crate) fn new(id: BlobId, sink: Box<dyn BlobSink>, space: Arc<Space>) -> BlobWriter {
        BlobWriter {
            id,
            sink: Sink::Backend(sink),
            space: Some(space),
            md5: Md5::new(),
            crc64: crc64::Hasher::new(),
            size: 0,
            enc: None,
        }
    }

    /// Encrypts every byte this writer stores (called before the first write).
    pub(crate) fn encrypt_with(&mut self, keys: &Keyring) -> io::Result<()> {
        self.enc = Some(Encryptor::new(keys, &self.id)?);
        Ok(())
    }

    /// A writer that keeps at most `limit` bytes in memory for an inline blob.
    pub(crate) fn inline(id: BlobId, limit: usize) -> BlobWriter {
        let buf = Vec::with_capacity(limit);
        BlobWriter {
            id,
            sink: Sink::Inline { buf, limit },
            space: None,
            md5: Md5::new(),
            crc64: crc64::Hasher::new(),
            size: 0,
            enc: None,
        }
    }

    /// The id the blob will have.
    pub fn id(&self) -> &BlobId {
        &self.id
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// MD5 of the bytes written so far (lets the server check Content-MD5 before making the blob durable).
    pub fn md5(&self) -> [u8; 16] {
        self.md5.clone().finalize().into()
    }

    /// Finishes the blob and returns it. A file blob is made durable here (fsync, rename into
    /// place, fsync the directory); an inline blob becomes durable with the commit that
    /// references it, so it must be handed to the store with that operation.
    pub fn finish(mut self) -> Result<Blob, StoreError> {
        if let Some(enc) = self.enc.take() {
            let (sink, space) = (&mut self.sink, &self.space);
            enc.finish(&mut |c| write_all_to(sink, space, c))?;
        }
        let BlobWriter { id, sink, space, md5, crc64, size, enc: _ } = self;
        let inline = match sink {
            Sink::Backend(sink) => {
                if let Err(e) = sink.commit() {
                    return Err(match space {
                        Some(space) => space.note(e.into()),
                        None => e.into(),
                    });
                }
                InlineBytes(None)
            }
            Sink::Inline { buf, .. } => InlineBytes(Some(Arc::from(buf))),
        };
        Ok(Blob { id, size, md5: md5.finalize().into(), crc64: crc64.finish(), inline })
    }
}

/// Writes some of `buf` to `sink`; a full disk is told to `space`.
fn write_to(sink: &mut Sink, space: &Option<Arc<Space>>, buf: &[u8]) -> io::Result<usize> {
    match sink {
        Sink::Backend(sink) => match sink.write(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                if crate::space::is_full_io(&e)
                    && let Some(space) = space
                {
                    space.mark_full();
                }
                Err(e)
            }
        },
        Sink::Inline { buf: held, limit } => {
            if held.len() + buf.len() > *limit {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("more than the {limit} bytes declared for an inline blob"),
                ));
            }
            held.extend_from_slice(buf);
            Ok(buf.len())
        }
    }
}

/// Writes all of `buf` to `sink`.
fn write_all_to(sink: &mut Sink, space: &Option<Arc<Space>>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match write_to(sink, space, buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.enc {
            // Encrypted: the whole of `buf` is taken (the chunks go out in full).
            Some(enc) => {
                let (sink, space) = (&mut self.sink, &self.space);
                enc.update(buf, &mut |c| write_all_to(sink, space, c))?;
                buf.len()
            }
            None => write_to(&mut self.sink, &self.space, buf)?,
        };
        let written = buf.get(..n).unwrap_or(buf);
        self.md5.update(written);
        self.crc64.update(written);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Backend(sink) => sink.flush(),
            Sink::Inline { .. } => Ok(()),
        }
    }
}

/// Opens a blob (file or inline) at a byte offset; what an [`ObjectReader`] reads through.
pub(crate) type BlobOpener =
    Arc<dyn Fn(&BlobId, u64) -> io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// At most this many segment blobs are opened eagerly by `open_object` (bounding the open
/// files per reader); the others are opened when the read gets to them, and the store's read
/// leases keep them from being unlinked before that (see `Leases` in `lease.rs`).
const EAGER_OPEN: usize = 16;

/// One piece of a read: `len` bytes of `blob` from `offset`.
struct Piece {
    blob: BlobId,
    offset: u64,
    len: u64,
    reader: Option<Box<dyn Read + Send>>,
}

/// Reader over a byte range of an object, across its segments.
pub struct ObjectReader {
    open: BlobOpener,
    pieces: std::collections::VecDeque<Piece>,
    remaining: u64,
}

impl ObjectReader {
    /// Plans the read of `[start, end)` over `segments`; the caller has validated the range.
    pub(crate) fn new(
        open: BlobOpener,
        segments: &[Segment],
        start: u64,
        end: u64,
    ) -> Result<ObjectReader, StoreError> {
        let mut pieces = std::collections::VecDeque::new();
        let mut seg_start = 0u64;
        for seg in segments {
            let seg_end = seg_start + seg.len;
            let lo = start.max(seg_start);
            let hi = end.min(seg_end);
            if lo < hi {
                pieces.push_back(Piece {
                    blob: seg.blob.clone(),
                    offset: lo - seg_start,
                    len: hi - lo,
                    reader: None,
                });
            }
            seg_start = seg_end;
            if seg_start >= end {
                break;
            }
        }
        for piece in pieces.iter_mut().take(EAGER_OPEN) {
            piece.reader = Some(open(&piece.blob, piece.offset)?);
        }
        Ok(ObjectReader { open, pieces, remaining: end.saturating_sub(start) })
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(piece) = self.pieces.front_mut() else {
            return Ok(0);
        };
        let reader = match &mut piece.reader {
            Some(r) => r,
            None => piece.reader.insert((self.open)(&piece.blob, piece.offset)?),
        };
        let want = usize::try_from(piece.len).unwrap_or(usize::MAX).min(buf.len());
        let n = reader.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("blob {} is shorter than its record says", piece.blob),
            ));
        }
        piece.len -= n as u64;
        self.remaining -= n as u64;
        if piece.len == 0 {
            self.pieces.pop_front();
        }
        Ok(n)
    }
}
