//! Access keys besides root: created, listed, disabled and deleted by the operator through the admin
//! API, each with per-bucket grants (read, write, owner). Kept in `DATA/keys.json`, written
//! atomically; with metadata shared by several nodes (PostgreSQL), in the metadata's settings
//! document `access_keys` instead (same JSON), so that every node knows every key: a node's
//! `keys.json` is imported once, by the first node that starts while the metadata has none, and
//! each node reloads the document when the change feed says it changed (`cluster.rs`). While a
//! node's feed is lost it could miss a change (a key disabled or deleted on another node), so
//! it then reads the document from the metadata for every lookup instead of trusting memory.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use ossd_store::{Store, StoreError};

/// The settings document that holds the keys when the metadata is shared.
pub const KEYS_SETTING: &str = "access_keys";

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
    /// Reading or writing the keys in the shared metadata failed.
    #[error("access keys in the metadata: {0}")]
    Store(#[from] StoreError),
}

/// Where the keys are kept.
enum Backing {
    /// `DATA/keys.json`.
    File(PathBuf),
    /// Settings document [`KEYS_SETTING`] of metadata shared with other nodes.
    Shared(Store),
}

/// The key registry.
pub struct Keys {
    backing: Backing,
    keys: RwLock<BTreeMap<String, KeyRecord>>,
    /// Whether `keys` is known to be current: always with a file; with shared metadata while
    /// the change feed is heard ([`Keys::set_current`]).
    current: AtomicBool,
}

/// Parses a key file or document (`None`: no keys yet).
fn parse(bytes: Option<&[u8]>) -> Result<BTreeMap<String, KeyRecord>, KeyError> {
    let file: KeyFile = match bytes {
        Some(b) => serde_json::from_slice(b).map_err(|e| KeyError::Corrupt(e.to_string()))?,
        None => KeyFile::default(),
    };
    if file.version > 1 {
        return Err(KeyError::Corrupt(format!("unknown version {}", file.version)));
    }
    Ok(file.keys.into_iter().map(|k| (k.access_key_id.clone(), k)).collect())
}

/// The JSON of a set of keys.
fn serialize(keys: &BTreeMap<String, KeyRecord>) -> Result<Vec<u8>, KeyError> {
    let file = KeyFile { version: 1, keys: keys.values().cloned().collect() };
    serde_json::to_vec_pretty(&file).map_err(|e| KeyError::Corrupt(e.to_string()))
}

/// The bytes of `DATA/keys.json`, if it exists.
fn read_file(path: &Path) -> Result<Option<Vec<u8>>, KeyError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_string(n: usize) -> String {
    (0..n).map(|_| ALNUM[rand::random_range(0..ALNUM.len())] as char).collect()
}

impl Keys {
    /// Loads `DATA/keys.json` (absent = no keys).
    pub fn load(data_dir: &Path) -> Result<Keys, KeyError> {
        let path = data_dir.join("keys.json");
        let keys = parse(read_file(&path)?.as_deref())?;
        Ok(Keys {
            backing: Backing::File(path),
            keys: RwLock::new(keys),
            current: AtomicBool::new(true),
        })
    }

    /// Loads the keys of shared metadata (blocking), first importing `DATA/keys.json` if the
    /// metadata holds no keys yet. A `keys.json` found later is not read again.
    pub fn load_shared(store: Store, data_dir: &Path) -> Result<Keys, KeyError> {
        let doc = match read_file(&data_dir.join("keys.json"))? {
            Some(local) => {
                // Checked before it is offered, so a corrupt file fails the start.
                parse(Some(&local))?;
                store.modify_setting(KEYS_SETTING, &mut |old| match old {
                    None => Some(local.clone()),
                    Some(_) => None,
                })?
            }
            None => store.setting(KEYS_SETTING)?,
        };
        let keys = parse(doc.as_deref())?;
        // Not trusted until the change feed is heard (`cluster.rs`): a change made on another
        // node between this read and the first notification would be missed.
        Ok(Keys {
            backing: Backing::Shared(store),
            keys: RwLock::new(keys),
            current: AtomicBool::new(false),
        })
    }

    /// Reads the keys again from the shared metadata (blocking; nothing to do with a file).
    pub fn reload(&self) -> Result<(), KeyError> {
        let Backing::Shared(store) = &self.backing else { return Ok(()) };
        // Locked before the read: a change this node is making (under the same lock) is then
        // either committed before the read or made after the reload, never undone by it.
        let mut m = self.keys.write().map_err(|_| KeyError::Corrupt("lock poisoned".into()))?;
        *m = parse(store.setting(KEYS_SETTING)?.as_deref())?;
        Ok(())
    }

    /// Whether the keys in memory are current (`true` once the change feed is heard again and
    /// the keys reloaded, `false` when it is lost). While they are not, every lookup reads the
    /// keys from the shared metadata (blocking). Nothing changes with a file.
    pub fn set_current(&self, on: bool) {
        self.current.store(on, Ordering::Release);
    }

    /// The keys as stored, if memory may be stale (feed lost); `None` when memory is current.
    /// Only the read of the stored keys blocks (in `block_in_place`, so it may be called from a
    /// request's task): the common case, memory current, costs no hand-off of the worker.
    fn stored_if_stale(&self) -> Result<Option<BTreeMap<String, KeyRecord>>, KeyError> {
        match &self.backing {
            Backing::Shared(store) if !self.current.load(Ordering::Acquire) => {
                let doc = crate::state::blocking(|| store.setting(KEYS_SETTING))?;
                Ok(Some(parse(doc.as_deref())?))
            }
            _ => Ok(None),
        }
    }

    /// The keys in memory.
    fn memory(&self) -> Result<RwLockReadGuard<'_, BTreeMap<String, KeyRecord>>, KeyError> {
        self.keys.read().map_err(|_| KeyError::Corrupt("lock poisoned".into()))
    }

    /// The key, if it exists (reading the metadata while the keys are not current).
    pub fn get(&self, id: &str) -> Result<Option<KeyRecord>, KeyError> {
        if let Some(mut stored) = self.stored_if_stale()? {
            return Ok(stored.remove(id));
        }
        Ok(self.memory()?.get(id).cloned())
    }

    /// All keys, by id (reading the metadata while the keys are not current).
    pub fn list(&self) -> Result<Vec<KeyRecord>, KeyError> {
        if let Some(stored) = self.stored_if_stale()? {
            return Ok(stored.into_values().collect());
        }
        Ok(self.memory()?.values().cloned().collect())
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
        self.modify(|m| {
            m.insert(rec.access_key_id.clone(), rec.clone());
            Ok(())
        })?;
        Ok(rec)
    }

    /// Applies `f` to one key and persists.
    pub fn update(
        &self,
        id: &str,
        mut f: impl FnMut(&mut KeyRecord),
    ) -> Result<KeyRecord, KeyError> {
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
        // Memory may skip the write when no key has a grant on the bucket, but only while it is
        // current.
        let any = !self.current.load(Ordering::Acquire)
            || self
                .keys
                .read()
                .map(|m| m.values().any(|k| k.grants.contains_key(bucket)))
                .unwrap_or(true);
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

    /// Applies `f` to all keys and persists them. With shared metadata, `f` runs on the keys
    /// as stored, inside the transaction that stores the result (again if it loses a race with
    /// another node), so no node's change is lost.
    fn modify(
        &self,
        mut f: impl FnMut(&mut BTreeMap<String, KeyRecord>) -> Result<(), KeyError>,
    ) -> Result<(), KeyError> {
        let mut m = self.keys.write().map_err(|_| KeyError::Corrupt("lock poisoned".into()))?;
        match &self.backing {
            Backing::File(path) => {
                let mut next = m.clone();
                f(&mut next)?;
                write_atomic(path, &serialize(&next)?)?;
                *m = next;
            }
            Backing::Shared(store) => {
                let mut failed = None;
                let mut next = None;
                let mut step = |old: Option<&[u8]>| -> Result<Vec<u8>, KeyError> {
                    let mut keys = parse(old)?;
                    f(&mut keys)?;
                    let doc = serialize(&keys)?;
                    next = Some(keys);
                    Ok(doc)
                };
                store.modify_setting(KEYS_SETTING, &mut |old| match step(old) {
                    Ok(doc) => {
                        failed = None;
                        Some(doc)
                    }
                    Err(e) => {
                        failed = Some(e);
                        None
                    }
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
                if let Some(keys) = next {
                    *m = keys;
                }
                // The other nodes apply the change before the caller answers; waited for
                // without the lock, which their feed handling here takes too.
                drop(m);
                let _ = store.settle_config();
            }
        }
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
