//! Encryption at rest (`x-oss-server-side-encryption: AES256`): every blob of an encrypted
//! object is AES-256-GCM in fixed-size chunks under a data key of its own, and that data key is
//! stored in the blob's header wrapped (AES-256-GCM) by a master key kept outside the metadata,
//! in a key file (see [`keyring`]). The blob format is in [`stream`] and docs/design.md.

pub(crate) mod keyring;
pub(crate) mod stream;

pub use keyring::{KeyFileError, Keyring};

/// Plaintext bytes per chunk: a range read decrypts only the chunks it touches.
pub(crate) const CHUNK: usize = 64 * 1024;
/// GCM tag bytes after each chunk.
pub(crate) const TAG: usize = 16;
/// First bytes of an encrypted blob.
pub(crate) const MAGIC: &[u8; 8] = b"OSSDSSE1";
/// Bytes of a wrapped data key: nonce (12), encrypted key (32), tag (16).
pub(crate) const WRAPPED: usize = 12 + 32 + TAG;
/// Header: magic, master key id (u32 BE), wrapped data key, nonce prefix (8).
pub(crate) const HEADER: usize = MAGIC.len() + 4 + WRAPPED + 8;

/// Stored size of an encrypted blob of `plain` bytes: the header, the bytes, and one tag per
/// chunk; the last chunk is always shorter than [`CHUNK`] (empty when `plain` is a multiple).
pub fn encrypted_len(plain: u64) -> u64 {
    HEADER as u64 + (plain / CHUNK as u64 + 1) * TAG as u64 + plain
}
