//! The record bodies of format version 1, kept to read records written before version 2 (see
//! [`crate::codec`]): the object record without tags, symlink target and encryption, and the
//! upload record whose template is such an object record.

use serde::Deserialize;

use crate::codec::Persisted;
use crate::record::{BucketRecord, ObjectRecord, PartRecord, Segment, UploadRecord};
use crate::values::{ObjectAcl, ObjectType, StorageClass};

/// [`ObjectRecord`] as version 1 stored it (the same fields, in the same order, minus the
/// ones version 2 appended).
#[derive(Deserialize)]
struct ObjectRecordV1 {
    key: String,
    size: u64,
    etag: String,
    last_modified_ms: i64,
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    cache_control: Option<String>,
    expires: Option<String>,
    content_language: Option<String>,
    user_meta: Vec<(String, String)>,
    acl: ObjectAcl,
    storage_class: StorageClass,
    object_type: ObjectType,
    crc64: u64,
    segments: Vec<Segment>,
}

impl From<ObjectRecordV1> for ObjectRecord {
    fn from(v: ObjectRecordV1) -> ObjectRecord {
        ObjectRecord {
            key: v.key,
            size: v.size,
            etag: v.etag,
            last_modified_ms: v.last_modified_ms,
            content_type: v.content_type,
            content_encoding: v.content_encoding,
            content_disposition: v.content_disposition,
            cache_control: v.cache_control,
            expires: v.expires,
            content_language: v.content_language,
            user_meta: v.user_meta,
            acl: v.acl,
            storage_class: v.storage_class,
            object_type: v.object_type,
            crc64: v.crc64,
            segments: v.segments,
            tags: Vec::new(),
            symlink_target: None,
            server_side_encryption: None,
            version_id: None,
            delete_marker: false,
            seq: 0,
        }
    }
}

/// [`UploadRecord`] as version 1 stored it.
#[derive(Deserialize)]
struct UploadRecordV1 {
    upload_id: String,
    key: String,
    initiated_ms: i64,
    template: ObjectRecordV1,
}

/// Decodes a version-1 object record body.
pub(crate) fn object_v1(body: &[u8]) -> postcard::Result<(ObjectRecord, &[u8])> {
    postcard::take_from_bytes::<ObjectRecordV1>(body).map(|(v, rest)| (v.into(), rest))
}

/// Decodes a version-1 upload record body.
pub(crate) fn upload_v1(body: &[u8]) -> postcard::Result<(UploadRecord, &[u8])> {
    let (v, rest) = postcard::take_from_bytes::<UploadRecordV1>(body)?;
    let rec = UploadRecord {
        upload_id: v.upload_id,
        key: v.key,
        initiated_ms: v.initiated_ms,
        template: v.template.into(),
    };
    Ok((rec, rest))
}

impl Persisted for BucketRecord {}
impl Persisted for PartRecord {}
impl Persisted for Segment {}
