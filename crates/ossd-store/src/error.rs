//! The one error type of the store: logical outcomes the server maps to OSS error codes, plus I/O,
//! database and corruption failures that become `InternalError`.

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `create_bucket` found a bucket of that name.
    #[error("bucket already exists")]
    BucketExists,
    /// The named bucket does not exist.
    #[error("no such bucket")]
    NoSuchBucket,
    /// `delete_bucket` found objects or unfinished multipart uploads in the bucket.
    #[error("bucket is not empty")]
    BucketNotEmpty,
    /// The object does not exist.
    #[error("no such key")]
    NoSuchKey,
    /// The version named does not exist (never did, or was deleted).
    #[error("no such version")]
    NoSuchVersion,
    /// The version named is a delete marker, which has no data, metadata or ACL.
    #[error("the version is a delete marker")]
    DeleteMarker {
        /// Its version id.
        version_id: String,
    },
    /// The multipart upload does not exist (never created, completed or aborted).
    #[error("no such upload")]
    NoSuchUpload,
    /// `append_object` was given a position other than the object's current length.
    #[error("position is not equal to the object length {current}")]
    PositionNotEqualToLength {
        /// The object's current length, which is the only position accepted.
        current: u64,
    },
    /// A write with [`crate::Overwrite::Forbid`] found the key taken.
    #[error("object already exists")]
    ObjectExists,
    /// `append_object` targets an object that was not created by an append.
    #[error("object is not appendable")]
    ObjectNotAppendable,
    /// The disk is full: new data is refused until space is freed (deletes still work).
    #[error("the disk of the store is full")]
    OutOfSpace,
    /// A file system operation failed (also: a record references a blob file that is missing).
    #[error("store i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The metadata database failed; after a failed commit redb refuses further writes.
    #[error("metadata database error: {0}")]
    Db(Box<redb::Error>),
    /// The PostgreSQL metadata database failed or could not be reached (the message never
    /// holds a password).
    #[error("metadata database error: {0}")]
    Meta(String),
    /// Persisted data could not be understood (unknown format version, undecodable record,
    /// malformed blob id, a stored key that is not UTF-8). A caller's inconsistent record or
    /// any other broken invariant of the store's own code is [`StoreError::Internal`].
    #[error("corrupt store data: {0}")]
    Corrupt(String),
    /// An invariant of the store's own code was violated (a bug, not bad data on disk).
    #[error("store internal error: {0}")]
    Internal(String),
}

impl StoreError {
    /// True for outcomes decided by the data (missing bucket, wrong position...), which are
    /// detected before an operation changes anything; false for failures of the machinery.
    pub fn is_logical(&self) -> bool {
        !matches!(
            self,
            StoreError::Io(_)
                | StoreError::Db(_)
                | StoreError::Meta(_)
                | StoreError::Corrupt(_)
                | StoreError::Internal(_)
        )
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        StoreError::Db(Box::new(e))
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(Box::new(e.into()))
            }
        }
    )*};
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
