//! Access keys besides root: created, listed, disabled and deleted by the operator through the admin
//! API, each with per-bucket grants (read, write, owner). Kept in `DATA/keys.json`, written atomically.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// What a key may do on one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Read objects and list.
    Read,
    /// Read, plus write and delete objects and multipart uploads.
    Write,
    /// Everything, including the bucket's ACL, CORS rules and deletion.
    Owner,
}

impl Permission {
    /// Parses `read`, `write` or `owner`.
    pub fn parse(s: &str) -> Option<Permission> {
        match s {
            "read" => Some(Permission::Read),
            "write" => Some(Permission::Write),
            "owner" => Some(Permission::Owner),
            _ => None,
        }
    }
}

/// One access key as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The public id.
    pub access_key_id: String,
    /// The secret.
    pub access_key_secret: String,
    /// A note for the operator.
    #[serde(default)]
    pub name: String,
    /// Disabled keys are refused with `InvalidAccessKeyId`.
    pub enabled: bool,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
    /// Bucket name → permission.
    #[serde(default)]
    pub grants: BTreeMap<String, Permission>,
}

#[derive(Serialize, Deserialize, Default)]
struct KeyFile {
    version: u32,
    keys: Vec<KeyRecord>,
}

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No such key.
    #[error("no such access key")]
    NotFound,
    /// Reading or writing keys.json failed.
    #[error("access key file: {0}")]
    Io(#[from] std::io::Error),
    /// keys.json does not parse.
    #[error("access key file is corrupt: {0}")]
    Corrupt(String),
}

/// The key registry.
pub struct Keys {
    path: PathBuf,
    keys: RwLock<BTreeMap<String, KeyRecord>>,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_string(n: usize) -> String {
    (0..n).map(|_| ALNUM[rand::random_range(0..ALNUM.len())] as char).collect()
}

impl Keys {
    /// Loads `DATA/keys.json` (absent = no keys).
    pub fn load(data_dir: &Path) -> Result<Keys, KeyError> {
        let path = data_dir.join("keys.json");
        let file: KeyFile = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| KeyError::Corrupt(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => KeyFile::default(),
            Err(e) => return Err(e.into()),
        };
        if file.version > 1 {
            return Err(KeyError::Corrupt(format!("unknown version {}", file.version)));
        }
        let keys = file.keys.into_iter().map(|k| (k.access_key_id.clone(), k)).collect();
        Ok(Keys { path, keys: RwLock::new(keys) })
    }

    /// The key, if it exists.
    pub fn get(&self, id: &str) -> Option<KeyRecord> {
        self.keys.read().ok()?.get(id).cloned()
    }

    /// All keys, by id.
    pub fn list(&self) -> Vec<KeyRecord> {
        self.keys.read().map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    /// Creates a new enabled key with no grants.
    pub fn create(&self, name: &str, now_ms: i64) -> Result<KeyRecord, KeyError> {
        let rec = KeyRecord {
            access_key_id: format!("LTAI{}", random_string(20)),
            access_key_secret: random_string(30),
            name: name.to_owned(),
            enabled: true,
            created_ms: now_ms,
            grants: BTreeMap::new(),
        };
        let r = rec.clone();
        self.modify(|m| {
            m.insert(r.access_key_id.clone(), r);
            Ok(())
        })?;
        Ok(rec)
    }

    /// Applies `f` to one key and persists.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut KeyRecord)) -> Result<KeyRecord, KeyError> {
        let mut out = None;
        self.modify(|m| {
            let k = m.get_mut(id).ok_or(KeyError::NotFound)?;
            f(k);
            out = Some(k.clone());
            Ok(())
        })?;
        out.ok_or(KeyError::NotFound)
    }

    /// Deletes a key.
    pub fn delete(&self, id: &str) -> Result<(), KeyError> {
        self.modify(|m| m.remove(id).map(|_| ()).ok_or(KeyError::NotFound))
    }

    /// Removes every grant on a bucket (after DeleteBucket).
    pub fn forget_bucket(&self, bucket: &str) -> Result<(), KeyError> {
        let any = self
            .keys
            .read()
            .map(|m| m.values().any(|k| k.grants.contains_key(bucket)))
            .unwrap_or(false);
        if !any {
            return Ok(());
        }
        self.modify(|m| {
            for k in m.values_mut() {
                k.grants.remove(bucket);
            }
            Ok(())
        })
    }

    fn modify(
        &self,
        f: impl FnOnce(&mut BTreeMap<String, KeyRecord>) -> Result<(), KeyError>,
    ) -> Result<(), KeyError> {
        let mut m = self.keys.write().map_err(|_| KeyError::Corrupt("lock poisoned".into()))?;
        let mut next = m.clone();
        f(&mut next)?;
        let file = KeyFile { version: 1, keys: next.values().cloned().collect() };
        let text =
            serde_json::to_vec_pretty(&file).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        write_atomic(&self.path, &text)?;
        *m = next;
        Ok(())
    }
}

/// Writes a 0600 file: temporary file, fsync, rename, fsync of the directory.
fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
