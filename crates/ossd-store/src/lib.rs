//! ossd-store: metadata (redb) and object bytes (files) behind narrow traits, with crash-safe writes.
//!
//! The layout on disk and the durability rules are in `docs/design.md`. In short: bytes go to
//! a temp file that is fsynced and renamed into `blobs/` before the metadata commit that
//! references them, so a crash leaves either the old object or the new one, plus at worst an
//! orphan blob that [`Store::sweep_orphans`] removes later.
//!
//! ```ignore
//! let store = Store::open(Path::new("/var/lib/ossd"))?;
//! let mut w = store.blob_writer()?;
//! w.write_all(b"hello")?;
//! let blob = w.finish()?;
//! let rec = ObjectRecord { key: "k".into(), size: blob.size, crc64: blob.crc64,
//!     segments: vec![Segment { blob: blob.id, len: blob.size }], ..Default::default() };
//! store.put_object("bucket", rec)?;
//! ```

mod blob;
mod changes;
mod codec;
pub mod crc64;
pub mod crypt;
mod dbfile;
mod error;
mod gc;
mod group;
mod import;
mod lease;
mod list_versions;
mod meta;
pub mod migrate;
mod perms;
mod read;
mod record;
mod record_v1;
mod record_v2;
mod settings;
mod space;
pub mod stats;
mod store;
mod txn;
mod values;
pub mod verify;
pub mod version;
mod walk;
mod writer;

#[cfg(test)]
mod tests;

pub use blob::location::{BadLocation, BlobCredentials, BlobLocation, BlobService};
pub use blob::{BlobBackend, BlobSink, BlobWriter, ObjectReader, OpendalBlobs};
pub use changes::{ChangeFeed, MetaChange, SETTLE_LIMIT};
pub use error::StoreError;
pub use gc::GcReport;
pub use group::{Commit, Committing};
pub use import::Imported;
pub use list_versions::{VersionsEntry, VersionsPage, VersionsQuery};
pub use meta::postgres::{DEFAULT_POOL_SIZE, PgConfig, PgUrlError, SslMode};
pub use perms::{ModeFix, tighten_permissions};
pub use read::{ObjectRead, ReadPin};
pub use record::{
    Blob, BlobId, BucketRecord, BucketStats, ClassStats, ListPage, ListQuery, ListUploadsQuery,
    ObjectRecord, PartRecord, PartsPage, Segment, UploadRecord, UploadsPage,
};
pub use settings::SettingChange;
pub use store::{
    DEFAULT_CACHE_BYTES, DEFAULT_INLINE_MAX, DEFAULT_RESERVE_BYTES, MASTER_KEY_FILE, Overwrite,
    Store, StoreOptions,
};
pub use values::{
    BucketAcl, InvalidValue, ObjectAcl, ObjectType, ServerSideEncryption, StorageClass,
};
pub use version::{VersionSel, Versioning};
pub use walk::VersionWalk;
pub use writer::Written;
