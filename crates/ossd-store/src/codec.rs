//! Versioned encoding of persisted records: one format-version byte, then postcard.
//! A later release bumps [`RECORD_VERSION`] and migrates; this one refuses what it does not know.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;

/// Format version written in front of every record value.
pub(crate) const RECORD_VERSION: u8 = 1;

/// Encodes `value` as `[RECORD_VERSION] ++ postcard(value)`.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let out = vec![RECORD_VERSION];
    postcard::to_extend(value, out)
        .map_err(|e| StoreError::Internal(format!("cannot encode record: {e}")))
}

/// Decodes a value written by [`encode`]; unknown versions and trailing bytes are corruption.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(StoreError::Corrupt(format!("empty {what} record")));
    };
    if version != RECORD_VERSION {
        return Err(StoreError::Corrupt(format!(
            "{what} record has format version {version}; this build reads version {RECORD_VERSION}"
        )));
    }
    let (value, rest) = postcard::take_from_bytes(body)
        .map_err(|e| StoreError::Corrupt(format!("undecodable {what} record: {e}")))?;
    if !rest.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "{what} record has {} trailing bytes",
            rest.len()
        )));
    }
    Ok(value)
}
