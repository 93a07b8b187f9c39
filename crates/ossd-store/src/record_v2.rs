//! The record bodies of format version 2, kept to read records written before version 3 (see
//! [`crate::codec`]): the object record without version id, delete-marker flag and sequence
//! number, the upload record whose template is such an object record, and the bucket counters
//! without the delete-marker count.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::codec::Persisted;
use crate::record::{BucketStats, ClassStats, ObjectRecord, Segment, UploadRecord};
use crate::record_v1::{object_v1, upload_v1};
use crate::values::{ObjectAcl, ObjectType, ServerSideEncryption, StorageClass};

/// [`ObjectRecord`] as version 2 stored it (the same fields, in the same order, minus the ones
/// version 3 appended).
#[derive(Deserialize)]
struct ObjectRecordV2 {
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
    tags: Vec<(String, String)>,
    symlink_target: Option<String>,
    server_side_encryption: Option<ServerSideEncryption>,
}

impl From<ObjectRecordV2> for ObjectRecord {
    fn from(v: ObjectRecordV2) -> ObjectRecord {
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
            tags: v.tags,
            symlink_target: v.symlink_target,
            server_side_encryption: v.server_side_encryption,
            version_id: None,
            delete_marker: false,
            seq: 0,
        }
    }
}

/// [`UploadRecord`] as version 2 stored it.
#[derive(Deserialize)]
struct UploadRecordV2 {
    upload_id: String,
    key: String,
    initiated_ms: i64,
    template: ObjectRecordV2,
}

/// [`BucketStats`] as versions 1 and 2 stored it.
#[derive(Deserialize)]
struct BucketStatsV2 {
    object_count: u64,
    storage_bytes: u64,
    multipart_upload_count: u64,
    part_count: u64,
    part_bytes: u64,
    last_modified_ms: i64,
    by_storage_class: BTreeMap<StorageClass, ClassStats>,
}

impl Persisted for ObjectRecord {
    fn take_v1(body: &[u8]) -> postcard::Result<(Self, &[u8])> {
        object_v1(body)
    }

    fn take_v2(body: &[u8]) -> postcard::Result<(Self, &[u8])> {
        postcard::take_from_bytes::<ObjectRecordV2>(body).map(|(v, rest)| (v.into(), rest))
    }
}

impl Persisted for UploadRecord {
    fn take_v1(body: &[u8]) -> postcard::Result<(Self, &[u8])> {
        upload_v1(body)
    }

    fn take_v2(body: &[u8]) -> postcard::Result<(Self, &[u8])> {
        let (v, rest) = postcard::take_from_bytes::<UploadRecordV2>(body)?;
        let rec = UploadRecord {
            upload_id: v.upload_id,
            key: v.key,
            initiated_ms: v.initiated_ms,
            template: v.template.into(),
        };
        Ok((rec, rest))
    }
}

impl Persisted for BucketStats {
    fn take_v2(body: &[u8]) -> postcard::Result<(Self, &[u8])> {
        let (v, rest) = postcard::take_from_bytes::<BucketStatsV2>(body)?;
        let stats = BucketStats {
            object_count: v.object_count,
            storage_bytes: v.storage_bytes,
            multipart_upload_count: v.multipart_upload_count,
            part_count: v.part_count,
            part_bytes: v.part_bytes,
            last_modified_ms: v.last_modified_ms,
            by_storage_class: v.by_storage_class,
            delete_marker_count: 0,
        };
        Ok((stats, rest))
    }
}
