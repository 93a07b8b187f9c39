//! Record types stored in and returned by the store; all are plain data, serializable, and
//! independent of the backend (a blob is named by an opaque [`BlobId`], never by a path).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::values::{BucketAcl, ObjectAcl, ObjectType, ServerSideEncryption, StorageClass};

/// Name of one immutable blob of bytes: `"<generation>-<32 lowercase hex>"` for a blob file, or
/// `"i<generation>-<32 lowercase hex>"` for a small blob kept inline in the metadata database.
///
/// The generation is the store's start counter at creation time, which lets the orphan sweep
/// skip blobs the running process may still be about to commit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobId(String);

impl BlobId {
    /// A fresh random id in `generation`.
    pub(crate) fn generate(generation: u64) -> BlobId {
        BlobId(format!("{generation}-{:032x}", rand::random::<u128>()))
    }

    /// A fresh random id in `generation` for a blob kept inline in the metadata database.
    pub(crate) fn generate_inline(generation: u64) -> BlobId {
        BlobId(format!("i{generation}-{:032x}", rand::random::<u128>()))
    }

    /// Parses and validates an id (so a damaged record can never name a path outside blobs/).
    pub fn parse(s: &str) -> Option<BlobId> {
        Self::is_valid(s).then(|| BlobId(s.to_owned()))
    }

    /// Whether `s` is a well-formed id (what [`BlobId::parse`] accepts): an optional `i`, a
    /// generation of 1 to 20 digits that fits a `u64`, `-`, and 32 lowercase hex digits. One pass
    /// over the bytes (every record read checks the ids of its segments).
    pub(crate) fn is_valid(s: &str) -> bool {
        let b = s.as_bytes();
        let b = b.strip_prefix(b"i").unwrap_or(b);
        // Neither part can hold a `-`, so the dash is the 33rd byte from the end.
        let Some(dash) = b.len().checked_sub(33) else { return false };
        let (generation, random) = (&b[..dash], &b[dash + 1..]);
        if b[dash] != b'-' || generation.is_empty() || generation.len() > 20 {
            return false;
        }
        let mut value: u64 = 0;
        for &d in generation {
            let digit = d.wrapping_sub(b'0');
            if digit > 9 {
                return false;
            }
            match value.checked_mul(10).and_then(|v| v.checked_add(u64::from(digit))) {
                Some(v) => value = v,
                None => return false,
            }
        }
        // Every byte checked without stopping early: a fixed 32-byte loop the compiler vectorises.
        let hex = |c: u8| (c.wrapping_sub(b'0') < 10) | (c.wrapping_sub(b'a') < 6);
        <&[u8; 32]>::try_from(random).is_ok_and(|r| r.iter().fold(true, |ok, &c| ok & hex(c)))
    }

    /// The id as text (also the blob's file name).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the blob's bytes live inline in the metadata database rather than in a file.
    pub fn is_inline(&self) -> bool {
        self.0.starts_with('i')
    }

    /// The store generation that created the blob.
    pub fn generation(&self) -> u64 {
        let s = self.0.strip_prefix('i').unwrap_or(&self.0);
        s.split_once('-').and_then(|(g, _)| g.parse().ok()).unwrap_or(0)
    }

    /// The random part, used to spread blobs over shard directories.
    pub(crate) fn random_part(&self) -> &str {
        self.0.split_once('-').map_or("", |(_, r)| r)
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BlobId {
    type Error = String;

    /// Validates `s` and keeps it (no copy: a decoded record's id is taken as it is).
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if BlobId::is_valid(&s) { Ok(BlobId(s)) } else { Err(format!("malformed blob id {s:?}")) }
    }
}

impl From<BlobId> for String {
    fn from(id: BlobId) -> String {
        id.0
    }
}

/// A finished blob with the digests computed while it was written. A file blob is durable
/// when [`crate::BlobWriter::finish`] returns; an inline blob carries its bytes here until the
/// commit of the operation that references it stores them (they are never serialized).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    /// Its name.
    pub id: BlobId,
    /// Length in bytes.
    pub size: u64,
    /// MD5 of the bytes (the ETag of a simple upload, the Content-MD5 check).
    pub md5: [u8; 16],
    /// CRC-64/XZ of the bytes (`x-oss-hash-crc64ecma`).
    pub crc64: u64,
    /// The bytes of a fresh inline blob, on their way to the commit.
    #[serde(skip)]
    pub(crate) inline: InlineBytes,
}

/// Bytes of a fresh inline blob, shared by the clones of its [`Blob`]; `None` once stored (or
/// for a file blob). They take no part in comparisons: a blob is its id and digests, whether
/// or not its bytes are still attached.
#[derive(Clone, Default)]
pub(crate) struct InlineBytes(pub(crate) Option<std::sync::Arc<[u8]>>);

impl PartialEq for InlineBytes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for InlineBytes {}

impl fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(b) => write!(f, "<{} inline bytes>", b.len()),
            None => f.write_str("-"),
        }
    }
}

/// One contiguous piece of an object: the whole of blob `blob`, `len` bytes long.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The blob holding the bytes.
    pub blob: BlobId,
    /// Its length; the object's size is the sum over its segments.
    pub len: u64,
}

/// A bucket and its settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    /// Bucket name (the table key).
    pub name: String,
    /// Owner id.
    pub owner: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// Canned ACL.
    pub acl: BucketAcl,
    /// Default storage class of its objects.
    pub storage_class: StorageClass,
    /// Region the bucket reports.
    pub region: String,
    /// Sub-resource configurations by name, e.g. "cors" -> canonical XML.
    pub configs: BTreeMap<String, String>,
}

/// An object's metadata and the location of its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// Object key; any UTF-8 string, never interpreted as a path.
    pub key: String,
    /// Length in bytes (sum of `segments[..].len`).
    pub size: u64,
    /// ETag as sent on the wire, including the quotes.
    pub etag: String,
    /// Last-Modified, ms since the Unix epoch.
    pub last_modified_ms: i64,
    /// Content-Type.
    pub content_type: Option<String>,
    /// Content-Encoding.
    pub content_encoding: Option<String>,
    /// Content-Disposition.
    pub content_disposition: Option<String>,
    /// Cache-Control.
    pub cache_control: Option<String>,
    /// Expires, verbatim.
    pub expires: Option<String>,
    /// Content-Language.
    pub content_language: Option<String>,
    /// User metadata as lower-cased full header names ("x-oss-meta-...") and values.
    pub user_meta: Vec<(String, String)>,
    /// Object ACL.
    pub acl: ObjectAcl,
    /// Storage class.
    pub storage_class: StorageClass,
    /// How the object was made (only appendable objects take appends).
    pub object_type: ObjectType,
    /// CRC-64/XZ of the whole object.
    pub crc64: u64,
    /// The bytes, in order.
    pub segments: Vec<Segment>,
    /// Object tags as (key, value) pairs in the order given; empty when untagged.
    pub tags: Vec<(String, String)>,
    /// For a symlink (`object_type` `Symlink`, no segments): the key of its target in the same
    /// bucket, decoded (not URL-encoded).
    pub symlink_target: Option<String>,
    /// Server-side encryption at rest (`x-oss-server-side-encryption`): when set, every blob of
    /// the object is encrypted, each carrying its own wrapped data key in its header.
    pub server_side_encryption: Option<ServerSideEncryption>,
    /// Version id (see [`crate::version`]): `None` in a bucket whose versioning was never
    /// enabled (such a record is the null version once it is), `Some("null")` for a null
    /// version written while versioning was suspended, else a 64-character id.
    pub version_id: Option<String>,
    /// A delete marker: no bytes, no ACL, only a key, a version id and a time.
    pub delete_marker: bool,
    /// Orders the versions of one key (strictly increasing per key; 0 before versioning).
    pub seq: u64,
}

impl ObjectRecord {
    /// Whether this is the null version.
    pub fn is_null_version(&self) -> bool {
        self.version_id.as_deref().is_none_or(|v| v == crate::version::NULL_VERSION)
    }

    /// The version id as OSS shows it (`null` for the null version).
    pub fn version_label(&self) -> &str {
        self.version_id.as_deref().unwrap_or(crate::version::NULL_VERSION)
    }
}

/// Parameters of ListObjects (v1 semantics; v2 maps start-after/continuation-token to `marker`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    /// Only keys starting with this.
    pub prefix: String,
    /// "" = none; may be several characters.
    pub delimiter: String,
    /// Exclusive start-after.
    pub marker: String,
    /// Maximum number of keys plus common prefixes returned.
    pub max_keys: usize,
    /// Also list keys whose current version is a delete marker (ListObjectVersions needs them;
    /// ListObjects skips them, and a common prefix holding only such keys).
    pub include_markers: bool,
}

/// One page of ListObjects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// Objects in key byte order.
    pub objects: Vec<ObjectRecord>,
    /// Rolled-up prefixes, in byte order.
    pub common_prefixes: Vec<String>,
    /// More entries follow.
    pub is_truncated: bool,
    /// When truncated: the last key or common prefix returned.
    pub next_marker: Option<String>,
}

/// An unfinished multipart upload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// Upload id, unique within the bucket.
    pub upload_id: String,
    /// Target object key.
    pub key: String,
    /// Initiation time, ms since the Unix epoch.
    pub initiated_ms: i64,
    /// Metadata for the final object (segments empty).
    pub template: ObjectRecord,
}

/// One uploaded part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    /// Part number (1..=10000 in OSS).
    pub number: u32,
    /// The part's bytes.
    pub blob: Blob,
    /// ETag as sent on the wire, including the quotes.
    pub etag: String,
    /// Upload time, ms since the Unix epoch.
    pub last_modified_ms: i64,
}

/// One page of ListParts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartsPage {
    /// Parts in number order.
    pub parts: Vec<PartRecord>,
    /// More parts follow.
    pub is_truncated: bool,
    /// When truncated: the last part number returned.
    pub next_marker: Option<u32>,
}

/// Parameters of ListMultipartUploads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListUploadsQuery {
    /// Only keys starting with this.
    pub prefix: String,
    /// "" = none; may be several characters.
    pub delimiter: String,
    /// Start after this key (or, with `upload_id_marker`, after that upload of this key).
    pub key_marker: String,
    /// With `key_marker`: start after this upload id of `key_marker`.
    pub upload_id_marker: String,
    /// Maximum number of uploads plus common prefixes returned.
    pub max_uploads: usize,
}

/// One page of ListMultipartUploads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadsPage {
    /// Uploads sorted by (key, upload id).
    pub uploads: Vec<UploadRecord>,
    /// Rolled-up key prefixes, in byte order.
    pub common_prefixes: Vec<String>,
    /// More entries follow.
    pub is_truncated: bool,
    /// When truncated: the key (or common prefix) of the last entry returned.
    pub next_key_marker: Option<String>,
    /// When truncated and the last entry was an upload: its id.
    pub next_upload_id_marker: Option<String>,
}

/// Per-storage-class counters of a bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassStats {
    /// Objects of this class.
    pub object_count: u64,
    /// Their bytes.
    pub storage_bytes: u64,
}

/// Counters of a bucket (GetBucketStat), maintained in the same transactions as the records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketStats {
    /// Objects in the bucket: in a versioned bucket every stored version (current or not)
    /// except delete markers.
    pub object_count: u64,
    /// Sum of the sizes of those objects (parts of unfinished uploads not included).
    pub storage_bytes: u64,
    /// Unfinished multipart uploads.
    pub multipart_upload_count: u64,
    /// Parts held by unfinished uploads.
    pub part_count: u64,
    /// Bytes held by those parts.
    pub part_bytes: u64,
    /// When the counters last changed, ms since the Unix epoch.
    pub last_modified_ms: i64,
    /// Object counters by storage class (classes with no objects are absent).
    pub by_storage_class: BTreeMap<StorageClass, ClassStats>,
    /// Delete markers (current or not) in a versioned bucket.
    pub delete_marker_count: u64,
}
