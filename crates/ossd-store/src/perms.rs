//! Permissions of the data directory: object bytes, metadata and keys are the owner's alone.
//!
//! New directories are created 0700 and new files 0600 (a umask can only narrow these). At
//! start [`tighten_permissions`] narrows what an older version or an operator left wider: the
//! data directory itself, `meta.redb`, `blobs/`, `tmp/`, the 256 first-level shard directories
//! and the named extra files (the key files). It does not walk the blob files or the up to
//! 65,536 second-level shard directories, so it costs the same with a million objects: they
//! sit below directories that are now 0700, which no other user can enter.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of the store's directories.
pub(crate) const DIR_MODE: u32 = 0o700;

/// A mode [`tighten_permissions`] narrowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeFix {
    /// The file or directory.
    pub path: PathBuf,
    /// Its permission bits before.
    pub was: u32,
    /// Its permission bits now.
    pub now: u32,
}

/// Creates `dir` and its missing parents with mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Takes group and other permissions away from the data directory `dir`, the store's files
/// and directories in it, and the files `extra` (names in `dir`); returns what it changed.
/// Entries that do not exist are skipped.
pub fn tighten_permissions(dir: &Path, extra: &[&str]) -> io::Result<Vec<ModeFix>> {
    let mut fixed = Vec::new();
    let mut paths = vec![dir.to_path_buf()];
    for name in ["meta.redb", "blobs", "tmp", crate::space::RESERVE_FILE].iter().chain(extra) {
        paths.push(dir.join(name));
    }
    paths.extend((0..=0xffu8).map(|a| dir.join("blobs").join(format!("{a:02x}"))));
    for (i, path) in paths.into_iter().enumerate() {
        // The data directory may be a symbolic link to the real one; its entries are not followed.
        let meta = match if i == 0 { fs::metadata(&path) } else { fs::symlink_metadata(&path) } {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        let was = meta.permissions().mode() & 0o7777;
        let now = was & !0o077;
        if now != was {
            fs::set_permissions(&path, fs::Permissions::from_mode(now))?;
            fixed.push(ModeFix { path, was, now });
        }
    }
    Ok(fixed)
}
