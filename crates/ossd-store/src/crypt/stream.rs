//! The encrypted blob format and its streaming encryption and decryption.
//!
//! ```text
//! header:  "OSSDSSE1" | master key id (u32 BE) | wrapped data key (60) | nonce prefix (8)
//! chunks:  AES-256-GCM(data key, nonce = prefix ++ chunk index (u32 BE),
//!                      aad = blob id ++ [1 if last else 0], up to 64 KiB) ++ tag (16)
//! ```
//!
//! Every chunk but the last holds exactly [`CHUNK`] plaintext bytes; the last holds fewer (none
//! when the size is a multiple), so a reader knows the last chunk by its length, and a blob cut
//! at a chunk boundary, chunks swapped or moved to another blob all fail authentication. The data
//! key is random per blob and wrapped with the blob id as associated data.

use std::io::{self, Read};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use super::{CHUNK, HEADER, Keyring, MAGIC, TAG, WRAPPED};
use crate::record::BlobId;

fn invalid(m: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, m.into())
}

fn nonce(prefix: &[u8; 8], index: u32) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(prefix);
    n[8..].copy_from_slice(&index.to_be_bytes());
    n
}

/// The associated data of a chunk: the blob id and whether it is the last chunk.
fn chunk_aad(id: &BlobId, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(id.as_str().len() + 1);
    aad.extend_from_slice(id.as_str().as_bytes());
    aad.push(u8::from(last));
    aad
}

/// Encrypts a blob as it is written: takes plaintext, gives the bytes to store.
pub(crate) struct Encryptor {
    cipher: Aes256Gcm,
    prefix: [u8; 8],
    id: BlobId,
    index: u32,
    pending: Vec<u8>,
    header: Option<[u8; HEADER]>,
}

impl Encryptor {
    /// A new data key for blob `id`, wrapped with the current master key.
    pub(crate) fn new(keys: &Keyring, id: &BlobId) -> io::Result<Encryptor> {
        let data_key: [u8; 32] = rand::random();
        let prefix: [u8; 8] = rand::random();
        let (key_id, wrapped) = keys.wrap(&data_key, id.as_str().as_bytes())?;
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&key_id.to_be_bytes());
        header[12..12 + WRAPPED].copy_from_slice(&wrapped);
        header[12 + WRAPPED..].copy_from_slice(&prefix);
        Ok(Encryptor {
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(data_key)),
            prefix,
            id: id.clone(),
            index: 0,
            pending: Vec::with_capacity(CHUNK),
            header: Some(header),
        })
    }

    fn seal(&mut self, last: bool, out: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        if let Some(h) = self.header.take() {
            out(&h)?;
        }
        let n = nonce(&self.prefix, self.index);
        let aad = chunk_aad(&self.id, last);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&n), Payload { msg: &self.pending, aad: &aad })
            .map_err(|_| io::Error::other("chunk encryption failed"))?;
        self.index = self
            .index
            .checked_add(1)
            .ok_or_else(|| io::Error::other("blob too large for its chunk counter"))?;
        self.pending.clear();
        out(&ct)
    }

    /// Takes `data`; every full chunk is encrypted and handed to `out`.
    pub(crate) fn update(
        &mut self,
        mut data: &[u8],
        out: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        while !data.is_empty() {
            let take = (CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == CHUNK {
                self.seal(false, out)?;
            }
        }
        Ok(())
    }

    /// Encrypts the last (short, possibly empty) chunk.
    pub(crate) fn finish(mut self, out: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        self.seal(true, out)
    }
}

/// Opens the stored bytes of a blob at a stored offset.
pub(crate) type RawOpener<'a> = &'a dyn Fn(u64) -> io::Result<Box<dyn Read + Send>>;

/// Reads the plaintext of an encrypted blob from a plaintext offset, decrypting only the chunks
/// from the one holding that offset on.
pub(crate) struct Decryptor {
    raw: Box<dyn Read + Send>,
    cipher: Aes256Gcm,
    prefix: [u8; 8],
    id: BlobId,
    index: u32,
    plain: Vec<u8>,
    pos: usize,
    skip: usize,
    done: bool,
}

impl Decryptor {
    /// Reads the header through `open(0)`, then positions at the chunk holding `offset`.
    pub(crate) fn open(
        keys: &Keyring,
        id: &BlobId,
        offset: u64,
        open: RawOpener<'_>,
    ) -> io::Result<Decryptor> {
        let mut first = open(0)?;
        let mut header = [0u8; HEADER];
        first
            .read_exact(&mut header)
            .map_err(|e| invalid(format!("encrypted blob {id}: header: {e}")))?;
        if &header[..8] != MAGIC {
            return Err(invalid(format!("blob {id} is not an encrypted blob")));
        }
        let key_id = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
        let data_key =
            keys.unwrap_key(key_id, &header[12..12 + WRAPPED], id.as_str().as_bytes())?;
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&header[12 + WRAPPED..]);
        let index =
            u32::try_from(offset / CHUNK as u64).map_err(|_| invalid("offset beyond the blob"))?;
        let raw = if index == 0 {
            first
        } else {
            drop(first);
            open(HEADER as u64 + u64::from(index) * (CHUNK + TAG) as u64)?
        };
        Ok(Decryptor {
            raw,
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(data_key)),
            prefix,
            id: id.clone(),
            index,
            plain: Vec::new(),
            pos: 0,
            skip: (offset % CHUNK as u64) as usize,
            done: false,
        })
    }

    /// Reads and decrypts the next chunk into `plain`; false at the end.
    fn next_chunk(&mut self) -> io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        // Grown as read: a small blob's only chunk does not cost a 64 KiB buffer.
        let mut ct = Vec::new();
        (&mut self.raw).take((CHUNK + TAG) as u64).read_to_end(&mut ct)?;
        let n = ct.len();
        let last = n < CHUNK + TAG;
        if n < TAG {
            return Err(invalid(format!("encrypted blob {} is truncated", self.id)));
        }
        let aad = chunk_aad(&self.id, last);
        let nonce = nonce(&self.prefix, self.index);
        self.plain = self
            .cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct[..n], aad: &aad })
            .map_err(|_| invalid(format!("encrypted blob {} fails authentication", self.id)))?;
        self.index = self.index.wrapping_add(1);
        self.done = last;
        self.pos = std::mem::take(&mut self.skip);
        if self.pos > self.plain.len() {
            return Err(invalid(format!("offset beyond the end of blob {}", self.id)));
        }
        Ok(true)
    }
}

impl Read for Decryptor {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
        let n = (self.plain.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The whole plaintext of an encrypted blob held in memory (an inline blob).
pub(crate) fn decrypt_all(keys: &Keyring, id: &BlobId, stored: &[u8]) -> io::Result<Vec<u8>> {
    let owned = stored.to_vec();
    let open = move |off: u64| -> io::Result<Box<dyn Read + Send>> {
        let start = usize::try_from(off).unwrap_or(usize::MAX).min(owned.len());
        Ok(Box::new(io::Cursor::new(owned[start..].to_vec())))
    };
    let mut out = Vec::new();
    Decryptor::open(keys, id, 0, &open)?.read_to_end(&mut out)?;
    Ok(out)
}
