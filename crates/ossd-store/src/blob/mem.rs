//! Blobs in a map, for tests and `Store::open_in_memory`.

use std::collections::HashMap;
use std::io::{self, Cursor, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use super::{BlobBackend, BlobSink};
use crate::StoreError;
use crate::record::BlobId;

/// Blob bytes shared between the map and readers.
#[derive(Clone)]
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Blobs in a map (tests and `Store::open_in_memory`).
#[derive(Default)]
pub(crate) struct MemBlobs {
    map: Arc<Mutex<HashMap<BlobId, SharedBytes>>>,
}

impl BlobBackend for MemBlobs {
    fn clear_staging(&self) -> io::Result<usize> {
        Ok(0)
    }

    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink>> {
        Ok(Box::new(MemSink { map: Arc::clone(&self.map), id: id.clone(), buf: Vec::new() }))
    }

    fn open(&self, id: &BlobId, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = map.get(id).cloned().ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("blob {id} not found"))
        })?;
        let mut cursor = Cursor::new(bytes);
        cursor.set_position(offset);
        Ok(Box::new(cursor))
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        Ok(self.map.lock().unwrap_or_else(PoisonError::into_inner).contains_key(id))
    }

    fn remove(&self, id: &BlobId) -> io::Result<()> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        Ok(())
    }

    fn for_each(
        &self,
        visit: &mut dyn FnMut(BlobId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let ids: Vec<BlobId> =
            self.map.lock().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect();
        ids.into_iter().try_for_each(visit)
    }
}

/// A blob being written to memory.
struct MemSink {
    map: Arc<Mutex<HashMap<BlobId, SharedBytes>>>,
    id: BlobId,
    buf: Vec<u8>,
}

impl Write for MemSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobSink for MemSink {
    fn commit(self: Box<Self>) -> io::Result<()> {
        let MemSink { map, id, buf } = *self;
        map.lock().unwrap_or_else(PoisonError::into_inner).insert(id, SharedBytes(Arc::new(buf)));
        Ok(())
    }
}
