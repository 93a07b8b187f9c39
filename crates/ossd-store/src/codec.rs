//! Versioned encoding of persisted records: one format-version byte, then postcard.
//!
//! Version 2 added tags, the symlink target and the server-side-encryption algorithm to the
//! object record (and so to an upload's template). A version-1 value is still read: the record
//! types whose body changed decode the old body ([`crate::record_v1`]) and convert it; the value
//! is rewritten as version 2 only when the record is next written (a lazy migration, no pass at
//! open). Version 3 added the version id, the delete-marker flag and the sequence number to the
//! object record, and the delete-marker count to the bucket counters; version-2 bodies of those
//! types are read through [`crate::record_v2`] the same way. Unknown versions are refused.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;

/// Format version written in front of every record value.
pub(crate) const RECORD_VERSION: u8 = 3;

/// A record type kept in the database: how to read the body of each version this build knows.
pub(crate) trait Persisted: Serialize + DeserializeOwned {
    /// Decodes a version-1 body; the default serves the types whose body did not change.
    fn take_v1(body: &[u8]) -> postcard::Result<(Self, &[u8])> {
        Self::take_v2(body)
    }

    /// Decodes a version-2 body; the default serves the types whose body did not change.
    fn take_v2(body: &[u8]) -> postcard::Result<(Self, &[u8])> {
        postcard::take_from_bytes(body)
    }
}

/// Encodes `value` as `[RECORD_VERSION] ++ postcard(value)`.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let out = vec![RECORD_VERSION];
    postcard::to_extend(value, out)
        .map_err(|e| StoreError::Internal(format!("cannot encode record: {e}")))
}

/// Decodes a value written by [`encode`] (this version or an earlier one); unknown versions and
/// trailing bytes are corruption.
pub(crate) fn decode<T: Persisted>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(StoreError::Corrupt(format!("empty {what} record")));
    };
    let taken = match version {
        RECORD_VERSION => postcard::take_from_bytes(body),
        2 => T::take_v2(body),
        1 => T::take_v1(body),
        _ => {
            return Err(StoreError::Corrupt(format!(
                "{what} record has format version {version}; this build reads versions 1 to \
                 {RECORD_VERSION}"
            )));
        }
    };
    let (value, rest) =
        taken.map_err(|e| StoreError::Corrupt(format!("undecodable {what} record: {e}")))?;
    if !rest.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "{what} record has {} trailing bytes",
            rest.len()
        )));
    }
    Ok(value)
}
