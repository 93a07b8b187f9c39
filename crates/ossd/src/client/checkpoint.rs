//! The checkpoint of a multipart upload: enough to resume after an interrupt (the upload id and
//! the parts already stored, with their ETag and CRC-64), written atomically after every part.

use super::error::{CliError, Result};
use std::path::{Path, PathBuf};

/// One finished part.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DonePart {
    /// Part number (1-based).
    pub number: u32,
    /// The ETag the server gave.
    pub etag: String,
    /// CRC-64 of the part's bytes.
    pub crc64: u64,
}

/// The checkpoint file's content.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    /// The local file (absolute).
    pub source: String,
    /// Its size when the upload started.
    pub size: u64,
    /// Its modification time (nanoseconds since the epoch) when the upload started.
    pub mtime_ns: u128,
    /// Destination bucket.
    pub bucket: String,
    /// Destination key.
    pub key: String,
    /// Part size.
    pub part_size: u64,
    /// The multipart upload id.
    pub upload_id: String,
    /// Finished parts.
    pub parts: Vec<DonePart>,
}

/// Where the checkpoint of uploading `source` to `bucket/key` lives in `dir`.
pub fn path_for(dir: &Path, source: &str, bucket: &str, key: &str) -> PathBuf {
    // FNV-1a over the three names: a stable file name without path separators.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in source.bytes().chain([0]).chain(bucket.bytes()).chain([0]).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    dir.join(format!("{h:016x}.ucp.json"))
}

impl Checkpoint {
    /// Loads a checkpoint; `None` when there is none or it does not parse.
    pub fn load(path: &Path) -> Option<Checkpoint> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the checkpoint atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(CliError::io(format!("creating {}", dir.display())))?;
        }
        let tmp = path.with_extension("tmp");
        let text = serde_json::to_vec(self).map_err(|e| CliError::Usage(e.to_string()))?;
        std::fs::write(&tmp, text).map_err(CliError::io(format!("writing {}", tmp.display())))?;
        std::fs::rename(&tmp, path).map_err(CliError::io(format!("writing {}", path.display())))
    }
}
