//! The checkpoints of multipart transfers, written atomically after every part: an upload's (the
//! upload id and the parts already stored, with their ETag and CRC-64) and a download's (the
//! object's identity and the parts already written to the temporary file).

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

/// One part of a download written to the temporary file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DoneRange {
    /// Part number (1-based).
    pub number: u32,
    /// CRC-64 of the part's bytes.
    pub crc64: u64,
}

/// A download's checkpoint: the object as it was when the download started (size, ETag,
/// Last-Modified) and the parts already in the temporary file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DownloadCheckpoint {
    /// Source bucket.
    pub bucket: String,
    /// Source key.
    pub key: String,
    /// The local destination (absolute).
    pub target: String,
    /// The temporary file the parts go to (renamed to `target` at the end).
    pub temp: String,
    /// The object's size.
    pub size: u64,
    /// The object's ETag.
    pub etag: String,
    /// The object's Last-Modified.
    pub last_modified: String,
    /// Part size.
    pub part_size: u64,
    /// Parts written.
    pub parts: Vec<DoneRange>,
}

/// Where the checkpoint of uploading `source` to `bucket/key` lives in `dir`.
pub fn path_for(dir: &Path, source: &str, bucket: &str, key: &str) -> PathBuf {
    dir.join(format!("{:016x}.ucp.json", fnv(&[source, bucket, key])))
}

/// Where the checkpoint of downloading `bucket/key` to `target` lives in `dir`.
pub fn download_path_for(dir: &Path, bucket: &str, key: &str, target: &str) -> PathBuf {
    dir.join(format!("{:016x}.dcp.json", fnv(&[bucket, key, target])))
}

/// FNV-1a over NUL-separated names: a stable file name without path separators.
fn fnv(names: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, n) in names.iter().enumerate() {
        let sep: &[u8] = if i == 0 { &[] } else { &[0] };
        for b in sep.iter().chain(n.as_bytes()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Reads a JSON checkpoint; `None` when there is none or it does not parse.
fn load_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes a JSON checkpoint atomically (temporary file, then rename).
fn save_json<T: serde::Serialize>(value: &T, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(CliError::io(format!("creating {}", dir.display())))?;
    }
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_vec(value).map_err(|e| CliError::Usage(e.to_string()))?;
    std::fs::write(&tmp, text).map_err(CliError::io(format!("writing {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(CliError::io(format!("writing {}", path.display())))
}

impl DownloadCheckpoint {
    /// Loads a checkpoint; `None` when there is none or it does not parse.
    pub fn load(path: &Path) -> Option<DownloadCheckpoint> {
        load_json(path)
    }

    /// Writes the checkpoint atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        save_json(self, path)
    }
}

impl Checkpoint {
    /// Loads a checkpoint; `None` when there is none or it does not parse.
    pub fn load(path: &Path) -> Option<Checkpoint> {
        load_json(path)
    }

    /// Writes the checkpoint atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        save_json(self, path)
    }
}
