//! Blob storage: the narrow [`BlobBackend`] trait, the file-system backend (temp file, fsync,
//! rename, fsync dir), an in-memory backend for tests, and the hashing [`BlobWriter`] and
//! multi-segment [`ObjectReader`] built on top of any backend.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use md5::{Digest, Md5};

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
}

/// A blob being written. Dropping it without [`BlobSink::commit`] discards the bytes.
pub trait BlobSink: Write + Send {
    /// Makes the bytes durable and visible under the blob's id.
    fn commit(self: Box<Self>) -> io::Result<()>;
}

/// Mode of blob files: owner read/write only (a umask can only narrow it).
const FILE_MODE: u32 = 0o600;

/// Creates directory `dir` with mode 0700.
fn create_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().mode(crate::perms::DIR_MODE).create(dir)
}

/// Fsyncs a directory so that entries created or renamed in it survive a crash.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Shared state of the file-system backend.
struct FsInner {
    blobs: PathBuf,
    tmp: PathBuf,
    /// Shard directories known to exist durably, as `aa/bb` numbers (`0..=0xffff`).
    known_dirs: Mutex<HashSet<u16>>,
}

/// Blobs as files `blobs/<aa>/<bb>/<id>`, staged in `tmp/`.
pub(crate) struct FsBlobs {
    inner: Arc<FsInner>,
}

impl FsBlobs {
    /// Uses `root/blobs` and `root/tmp`, creating them if needed.
    pub(crate) fn new(root: &Path) -> io::Result<FsBlobs> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        let mut created = false;
        for dir in [&blobs, &tmp] {
            match create_dir(dir) {
                Ok(()) => created = true,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        if created {
            sync_dir(root)?;
        }
        // The 256 first-level shard directories are created once, here, so that a PUT into a
        // fresh store creates (and fsyncs the parent of) at most its second-level directory.
        let mut made_top = false;
        for a in 0..=0xffu8 {
            match create_dir(&blobs.join(format!("{a:02x}"))) {
                Ok(()) => made_top = true,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        if made_top {
            sync_dir(&blobs)?;
        }
        Ok(FsBlobs {
            inner: Arc::new(FsInner { blobs, tmp, known_dirs: Mutex::new(HashSet::new()) }),
        })
    }
}

impl FsInner {
    /// The two shard directory names of `id`.
    fn shard(id: &BlobId) -> (&str, &str) {
        let r = id.random_part();
        (r.get(0..2).unwrap_or("00"), r.get(2..4).unwrap_or("00"))
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        let (a, b) = Self::shard(id);
        self.blobs.join(a).join(b).join(id.as_str())
    }

    /// Creates `blobs/aa/bb` if needed, fsyncing each parent whose entries changed. `blobs/aa`
    /// normally exists since `FsBlobs::new`; it is created again if someone removed it.
    fn ensure_shard_dir(&self, id: &BlobId) -> io::Result<PathBuf> {
        let (a, b) = Self::shard(id);
        let dir = self.blobs.join(a).join(b);
        let number = u16::from_str_radix(&format!("{a}{b}"), 16).unwrap_or(0);
        let known =
            self.known_dirs.lock().unwrap_or_else(PoisonError::into_inner).contains(&number);
        if !known {
            let top = self.blobs.join(a);
            let mut made = create_dir(&dir);
            if matches!(&made, Err(e) if e.kind() == io::ErrorKind::NotFound) {
                match create_dir(&top) {
                    Ok(()) => sync_dir(&self.blobs)?,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
                made = create_dir(&dir);
            }
            match made {
                Ok(()) => sync_dir(&top)?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
            self.known_dirs.lock().unwrap_or_else(PoisonError::into_inner).insert(number);
        }
        Ok(dir)
    }
}

impl BlobBackend for FsBlobs {
    fn clear_staging(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.inner.tmp)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(&path)?;
            } else {
                fs::remove_file(&path)?;
            }
            removed += 1;
        }
        Ok(removed)
    }

    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink>> {
        let tmp_path = self.inner.tmp.join(format!("{id}.tmp"));
        let file = File::options().write(true).create_new(true).mode(FILE_MODE).open(&tmp_path)?;
        Ok(Box::new(FsSink {
            fs: Arc::clone(&self.inner),
            id: id.clone(),
            tmp_path,
            // Gathers small writes (copies write 8 KiB at a time); a write at least this large
            // (an upload's 64 KiB chunk) goes to the file directly. Every open upload holds one.
            file: Some(BufWriter::with_capacity(32 * 1024, file)),
        }))
    }

    fn open(&self, id: &BlobId, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        let mut file = File::open(self.inner.path(id))?;
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))?;
        }
        Ok(Box::new(file))
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        match fs::symlink_metadata(self.inner.path(id)) {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn remove(&self, id: &BlobId) -> io::Result<()> {
        match fs::remove_file(self.inner.path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn for_each(
        &self,
        visit: &mut dyn FnMut(BlobId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let is_shard = |name: &str| name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
        for top in fs::read_dir(&self.inner.blobs)? {
            let top = top?;
            if !top.file_type()?.is_dir() || !top.file_name().to_str().is_some_and(is_shard) {
                continue;
            }
            for leaf in fs::read_dir(top.path())? {
                let leaf = leaf?;
                if !leaf.file_type()?.is_dir() || !leaf.file_name().to_str().is_some_and(is_shard) {
                    continue;
                }
                // Collect first so that `visit` may delete files of this directory.
                let mut ids = Vec::new();
                for file in fs::read_dir(leaf.path())? {
                    let file = file?;
                    if let Some(id) = file.file_name().to_str().and_then(BlobId::parse) {
                        ids.push(id);
                    }
                }
                for id in ids {
                    visit(id)?;
                }
            }
        }
        Ok(())
    }
}

/// A blob being written to `tmp/`.
struct FsSink {
    fs: Arc<FsInner>,
    id: BlobId,
    tmp_path: PathBuf,
    /// `None` once committed.
    file: Option<BufWriter<File>>,
}

impl Write for FsSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("blob already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl BlobSink for FsSink {
    fn commit(mut self: Box<Self>) -> io::Result<()> {
        let Some(writer) = self.file.take() else {
            return Err(io::Error::other("blob already committed"));
        };
        let file = writer.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_data()?;
        drop(file);
        let result = self.fs.ensure_shard_dir(&self.id).and_then(|dir| {
            fs::rename(&self.tmp_path, dir.join(self.id.as_str()))?;
            sync_dir(&dir)
        });
        if result.is_err() {
            // The rename may not have happened; make Drop clean up the temp file.
            let _ = fs::remove_file(&self.tmp_path);
        }
        result
    }
}

impl Drop for FsSink {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

/// Blob bytes shared between the map and readers.
#[derive(Clone)]
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Blobs in a map (tests and `Store::open_in_memory`).
#[derive(Default)]
pub(crate) struct MemBlobs {
    map: Arc<Mutex<HashMap<BlobId, SharedBytes>>>,
}

impl BlobBackend for MemBlobs {
    fn clear_staging(&self) -> io::Result<usize> {
        Ok(0)
    }

    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink>> {
        Ok(Box::new(MemSink { map: Arc::clone(&self.map), id: id.clone(), buf: Vec::new() }))
    }

    fn open(&self, id: &BlobId, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = map.get(id).cloned().ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("blob {id} not found"))
        })?;
        let mut cursor = Cursor::new(bytes);
        cursor.set_position(offset);
        Ok(Box::new(cursor))
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        Ok(self.map.lock().unwrap_or_else(PoisonError::into_inner).contains_key(id))
    }

    fn remove(&self, id: &BlobId) -> io::Result<()> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        Ok(())
    }

    fn for_each(
        &self,
        visit: &mut dyn FnMut(BlobId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let ids: Vec<BlobId> =
            self.map.lock().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect();
        ids.into_iter().try_for_each(visit)
    }
}

/// A blob being written to memory.
struct MemSink {
    map: Arc<Mutex<HashMap<BlobId, SharedBytes>>>,
    id: BlobId,
    buf: Vec<u8>,
}

impl Write for MemSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobSink for MemSink {
    fn commit(self: Box<Self>) -> io::Result<()> {
        let MemSink { map, id, buf } = *self;
        map.lock().unwrap_or_else(PoisonError::into_inner).insert(id, SharedBytes(Arc::new(buf)));
        Ok(())
    }
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
