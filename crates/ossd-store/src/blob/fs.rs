//! The file-system blob backend: blobs as files `blobs/<aa>/<bb>/<id>`, written to `tmp/`,
//! fsynced and renamed into place (then the directory fsynced).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{BlobBackend, BlobSink};
use crate::StoreError;
use crate::record::BlobId;

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
