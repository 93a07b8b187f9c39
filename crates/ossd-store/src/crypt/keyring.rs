//! The master keys: a JSON key file (by default `master-key.json` in the data directory, mode
//! 0600), created with one random key when missing. Several keys may be listed; new blobs use
//! `current`, and every blob header names the key that wrapped its data key, so a rotation adds
//! a key, makes it current, and keeps the old ones until no blob uses them (docs/design.md).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use serde::{Deserialize, Serialize};

use super::WRAPPED;

/// Why the key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// It cannot be read or created.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Its content is not a key file.
    #[error("master key file {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The key file's content.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    /// Id of the key that wraps new data keys.
    current: u32,
    /// Every key by id, 64 lowercase hex digits each.
    keys: BTreeMap<u32, String>,
}

/// The master keys in memory.
pub struct Keyring {
    current: u32,
    keys: BTreeMap<u32, Aes256Gcm>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        f.debug_struct("Keyring").field("current", &self.current).finish_non_exhaustive()
    }
}

fn parse_hex_key(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

fn hex_key(k: &[u8; 32]) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

impl Keyring {
    /// A keyring of one random key that is never written anywhere (in-memory stores).
    pub fn ephemeral() -> Keyring {
        let key: [u8; 32] = rand::random();
        Keyring {
            current: 1,
            keys: BTreeMap::from([(1, Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)))]),
        }
    }

    /// Reads the key file at `path`, or creates it (mode 0600, one random key) when missing.
    pub fn load_or_create(path: &Path) -> Result<Keyring, KeyFileError> {
        let io = |source| KeyFileError::Io { path: path.to_owned(), source };
        match std::fs::read(path) {
            Ok(bytes) => Self::parse(path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                let file = KeyFile { current: 1, keys: BTreeMap::from([(1, hex_key(&key))]) };
                write_key_file(path, &file).map_err(io)?;
                Self::parse(path, &std::fs::read(path).map_err(io)?)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Adds a new random key to the key file at `path` and makes it current (rotation's first
    /// step); returns its id. The old keys stay listed: blobs wrapped by them stay readable.
    pub fn rotate_file(path: &Path) -> Result<u32, KeyFileError> {
        let io = |source| KeyFileError::Io { path: path.to_owned(), source };
        let bytes = std::fs::read(path).map_err(io)?;
        let mut file: KeyFile = serde_json::from_slice(&bytes)
            .map_err(|e| KeyFileError::Invalid { path: path.to_owned(), reason: e.to_string() })?;
        let id = file.keys.keys().next_back().map_or(1, |k| k + 1);
        file.keys.insert(id, hex_key(&rand::random()));
        file.current = id;
        write_key_file(path, &file).map_err(io)?;
        Ok(id)
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Keyring, KeyFileError> {
        let invalid = |reason: String| KeyFileError::Invalid { path: path.to_owned(), reason };
        let file: KeyFile = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        let mut keys = BTreeMap::new();
        for (id, hex) in &file.keys {
            let k = parse_hex_key(hex)
                .ok_or_else(|| invalid(format!("key {id} is not 64 hex digits")))?;
            keys.insert(*id, Aes256Gcm::new(&Key::<Aes256Gcm>::from(k)));
        }
        if !keys.contains_key(&file.current) {
            return Err(invalid(format!("the current key {} is not listed", file.current)));
        }
        Ok(Keyring { current: file.current, keys })
    }

    /// The id of the key new data keys are wrapped with.
    pub fn current_id(&self) -> u32 {
        self.current
    }

    /// Wraps `data_key` for the blob named `aad` with the current key.
    pub(crate) fn wrap(
        &self,
        data_key: &[u8; 32],
        aad: &[u8],
    ) -> std::io::Result<(u32, [u8; WRAPPED])> {
        let nonce: [u8; 12] = rand::random();
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or_else(|| std::io::Error::other("no current master key"))?;
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: data_key, aad })
            .map_err(|_| std::io::Error::other("cannot wrap a data key"))?;
        let mut out = [0u8; WRAPPED];
        if ct.len() != WRAPPED - 12 {
            return Err(std::io::Error::other("wrapped data key has the wrong length"));
        }
        out[..12].copy_from_slice(&nonce);
        out[12..].copy_from_slice(&ct);
        Ok((self.current, out))
    }

    /// Unwraps a data key wrapped by key `id` for the blob named `aad`.
    pub(crate) fn unwrap_key(
        &self,
        id: u32,
        wrapped: &[u8],
        aad: &[u8],
    ) -> std::io::Result<[u8; 32]> {
        let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
        let cipher = self
            .keys
            .get(&id)
            .ok_or_else(|| bad(format!("master key {id} is not in the key file")))?;
        let (nonce, ct) = wrapped.split_at(12);
        let key =
            cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| {
                bad("the data key does not unwrap (wrong master key or damaged header)".into())
            })?;
        <[u8; 32]>::try_from(key.as_slice())
            .map_err(|_| bad("unwrapped data key has the wrong length".into()))
    }
}

/// Writes the key file through a temporary file created with mode 0600, then renames it.
fn write_key_file(path: &Path, file: &KeyFile) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(file).map_err(std::io::Error::other)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&text)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
