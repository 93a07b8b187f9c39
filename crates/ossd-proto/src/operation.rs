//! The operation table: from method, target and query to one typed [`Operation`], and what each
//! operation needs from whoever asks ([`Access`]), in one place.

use crate::request::{Query, Target};

/// What an operation needs from the principal. The pipeline decides authorization once from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed or not: the operation is answered before authentication (preflight,
    /// health) or refused whoever asks (not implemented, method not allowed).
    Anyone,
    /// Any signed request (a key or root); anonymous requests are refused.
    Signed,
    /// Reading objects or listings of the bucket: a read grant, or an ACL of `public-read` and up.
    Read,
    /// Writing objects of the bucket: a write grant, or an ACL of `public-read-write`.
    Write,
    /// Managing the bucket itself: its owner or an `owner` grant.
    Owner,
    /// Authorized by the signed policy of a PostObject form, then as [`Access::Write`].
    Form,
}

/// The facts of one operation that authorization and logging need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// The OSS name of the operation.
    pub name: &'static str,
    /// What the principal needs.
    pub access: Access,
    /// The object's own ACL (unless `default`) decides for principals without a bucket grant:
    /// every read of object bytes and every write that replaces or removes an object.
    pub object_acl: bool,
    /// The operation can set an object ACL from `x-oss-object-acl` (or the form field of that
    /// name), which needs the same right as PutObjectAcl.
    pub sets_acl: bool,
    /// The operation changes what is stored.
    pub mutates: bool,
}

const fn info(
    name: &'static str,
    access: Access,
    object_acl: bool,
    sets_acl: bool,
    mutates: bool,
) -> OpInfo {
    OpInfo { name, access, object_acl, sets_acl, mutates }
}

/// One OSS operation: what the request asks for, with the parts of the address it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // variants are named exactly like the OSS API operations
pub enum Operation {
    ListBuckets,
    PutBucket,
    DeleteBucket,
    HeadBucket,
    GetBucketInfo,
    GetBucketLocation,
    GetBucketStat,
    GetBucketAcl,
    PutBucketAcl,
    ListObjects,
    ListObjectsV2,
    PutBucketCors,
    GetBucketCors,
    PutBucketReferer,
    GetBucketReferer,
    PutBucketWebsite,
    GetBucketWebsite,
    DeleteBucketWebsite,
    PutBucketPublicAccessBlock,
    GetBucketPublicAccessBlock,
    DeleteBucketPublicAccessBlock,
    PutBucketEncryption,
    GetBucketEncryption,
    DeleteBucketEncryption,
    DeleteBucketCors,
    PutBucketTags,
    GetBucketTags,
    PutBucketLifecycle,
    GetBucketLifecycle,
    DeleteBucketLifecycle,
    DeleteBucketTags,
    DeleteMultipleObjects,
    PostObject,
    ListMultipartUploads,
    Preflight {
        key: Option<String>,
    },
    PutObject {
        key: String,
    },
    CopyObject {
        key: String,
    },
    AppendObject {
        key: String,
    },
    GetObject {
        key: String,
    },
    HeadObject {
        key: String,
    },
    GetObjectMeta {
        key: String,
    },
    DeleteObject {
        key: String,
    },
    PutSymlink {
        key: String,
    },
    GetSymlink {
        key: String,
    },
    GetObjectAcl {
        key: String,
    },
    PutObjectAcl {
        key: String,
    },
    PutObjectTagging {
        key: String,
    },
    GetObjectTagging {
        key: String,
    },
    DeleteObjectTagging {
        key: String,
    },
    InitiateMultipartUpload {
        key: String,
    },
    UploadPart {
        key: String,
    },
    UploadPartCopy {
        key: String,
    },
    CompleteMultipartUpload {
        key: String,
    },
    AbortMultipartUpload {
        key: String,
    },
    ListParts {
        key: String,
    },
    ListLiveChannels,
    GetBucketVersioning,
    PutBucketVersioning,
    ListObjectVersions,
    DescribeRegions,
    /// A request naming an OSS sub-resource ossd does not implement: `501 NotImplemented`.
    NotImplemented {
        what: String,
    },
    /// A method or sub-resource that makes no sense for the resource: `405 MethodNotAllowed`.
    MethodNotAllowed,
    /// More than one operation-selecting sub-resource (`?acl&cors`): `400 InvalidArgument`.
    Ambiguous,
}

impl Operation {
    /// The operation's row of the table: name, access class, and what authorization must look at.
    pub fn info(&self) -> OpInfo {
        use Access::*;
        use Operation as O;
        match self {
            O::ListBuckets => info("ListBuckets", Signed, false, false, false),
            O::PutBucket => info("PutBucket", Signed, false, false, true),
            O::DeleteBucket => info("DeleteBucket", Owner, false, false, true),
            O::HeadBucket => info("HeadBucket", Owner, false, false, false),
            O::GetBucketInfo => info("GetBucketInfo", Owner, false, false, false),
            O::GetBucketLocation => info("GetBucketLocation", Owner, false, false, false),
            O::GetBucketStat => info("GetBucketStat", Owner, false, false, false),
            O::GetBucketAcl => info("GetBucketAcl", Owner, false, false, false),
            O::PutBucketAcl => info("PutBucketAcl", Owner, false, false, true),
            O::ListObjects => info("ListObjects", Read, false, false, false),
            O::ListObjectsV2 => info("ListObjectsV2", Read, false, false, false),
            O::PutBucketCors => info("PutBucketCors", Owner, false, false, true),
            O::GetBucketCors => info("GetBucketCors", Owner, false, false, false),
            O::DeleteBucketCors => info("DeleteBucketCors", Owner, false, false, true),
            O::PutBucketReferer => info("PutBucketReferer", Owner, false, false, true),
            O::GetBucketReferer => info("GetBucketReferer", Owner, false, false, false),
            O::PutBucketWebsite => info("PutBucketWebsite", Owner, false, false, true),
            O::GetBucketWebsite => info("GetBucketWebsite", Owner, false, false, false),
            O::DeleteBucketWebsite => info("DeleteBucketWebsite", Owner, false, false, true),
            O::PutBucketPublicAccessBlock => {
                info("PutBucketPublicAccessBlock", Owner, false, false, true)
            }
            O::GetBucketPublicAccessBlock => {
                info("GetBucketPublicAccessBlock", Owner, false, false, false)
            }
            O::DeleteBucketPublicAccessBlock => {
                info("DeleteBucketPublicAccessBlock", Owner, false, false, true)
            }
            O::PutBucketLifecycle => info("PutBucketLifecycle", Owner, false, false, true),
            O::GetBucketLifecycle => info("GetBucketLifecycle", Owner, false, false, false),
            O::DeleteBucketLifecycle => info("DeleteBucketLifecycle", Owner, false, false, true),
            O::PutBucketTags => info("PutBucketTags", Owner, false, false, true),
            O::GetBucketTags => info("GetBucketTags", Owner, false, false, false),
            O::DeleteBucketTags => info("DeleteBucketTags", Owner, false, false, true),
            O::PutBucketEncryption => info("PutBucketEncryption", Owner, false, false, true),
            O::GetBucketEncryption => info("GetBucketEncryption", Owner, false, false, false),
            O::DeleteBucketEncryption => info("DeleteBucketEncryption", Owner, false, false, true),
            O::DeleteMultipleObjects => info("DeleteMultipleObjects", Write, true, false, true),
            O::PostObject => info("PostObject", Form, true, true, true),
            O::ListMultipartUploads => info("ListMultipartUploads", Read, false, false, false),
            O::Preflight { .. } => info("OptionObject", Anyone, false, false, false),
            O::PutObject { .. } => info("PutObject", Write, true, true, true),
            O::CopyObject { .. } => info("CopyObject", Write, true, true, true),
            O::AppendObject { .. } => info("AppendObject", Write, true, true, true),
            O::GetObject { .. } => info("GetObject", Read, true, false, false),
            O::HeadObject { .. } => info("HeadObject", Read, true, false, false),
            O::GetObjectMeta { .. } => info("GetObjectMeta", Read, true, false, false),
            O::DeleteObject { .. } => info("DeleteObject", Write, true, false, true),
            O::PutSymlink { .. } => info("PutSymlink", Write, true, true, true),
            O::GetSymlink { .. } => info("GetSymlink", Read, true, false, false),
            O::GetObjectAcl { .. } => info("GetObjectAcl", Owner, false, false, false),
            O::PutObjectAcl { .. } => info("PutObjectAcl", Owner, false, false, true),
            // Tags are read like the object's bytes and changed like the object: the object's own
            // ACL decides for principals without a bucket grant (OSS documents only the RAM
            // actions oss:Get/Put/DeleteObjectTagging; ossd maps them to its read and write classes).
            O::PutObjectTagging { .. } => info("PutObjectTagging", Write, true, false, true),
            O::GetObjectTagging { .. } => info("GetObjectTagging", Read, true, false, false),
            O::DeleteObjectTagging { .. } => info("DeleteObjectTagging", Write, true, false, true),
            O::InitiateMultipartUpload { .. } => {
                info("InitiateMultipartUpload", Write, false, true, true)
            }
            O::UploadPart { .. } => info("UploadPart", Write, false, false, true),
            O::UploadPartCopy { .. } => info("UploadPartCopy", Write, false, false, true),
            O::CompleteMultipartUpload { .. } => {
                info("CompleteMultipartUpload", Write, true, true, true)
            }
            O::AbortMultipartUpload { .. } => {
                info("AbortMultipartUpload", Write, false, false, true)
            }
            O::ListParts { .. } => info("ListParts", Read, false, false, false),
            O::ListLiveChannels => info("ListLiveChannel", Owner, false, false, false),
            O::GetBucketVersioning => info("GetBucketVersioning", Owner, false, false, false),
            O::PutBucketVersioning => info("PutBucketVersioning", Owner, false, false, true),
            O::ListObjectVersions => info("ListObjectVersions", Read, false, false, false),
            O::DescribeRegions => info("DescribeRegions", Signed, false, false, false),
            O::NotImplemented { .. } => info("NotImplemented", Anyone, false, false, false),
            O::MethodNotAllowed => info("MethodNotAllowed", Anyone, false, false, false),
            O::Ambiguous => info("AmbiguousSubResource", Anyone, false, false, false),
        }
    }

    /// The OSS name of the operation, for logs.
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// The object key the operation touches, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Operation::Preflight { key } => key.as_deref(),
            Operation::PutObject { key }
            | Operation::CopyObject { key }
            | Operation::AppendObject { key }
            | Operation::GetObject { key }
            | Operation::HeadObject { key }
            | Operation::GetObjectMeta { key }
            | Operation::DeleteObject { key }
            | Operation::PutSymlink { key }
            | Operation::GetSymlink { key }
            | Operation::GetObjectAcl { key }
            | Operation::PutObjectAcl { key }
            | Operation::PutObjectTagging { key }
            | Operation::GetObjectTagging { key }
            | Operation::DeleteObjectTagging { key }
            | Operation::InitiateMultipartUpload { key }
            | Operation::UploadPart { key }
            | Operation::UploadPartCopy { key }
            | Operation::CompleteMultipartUpload { key }
            | Operation::AbortMultipartUpload { key }
            | Operation::ListParts { key } => Some(key),
            _ => None,
        }
    }
}

/// Sub-resources that select one of the operations ossd implements. A request naming one of them
/// never falls back to the base operation of its method (`DELETE /bucket?acl` is not DeleteBucket).
pub const SELECTORS: &[&str] = &[
    "acl",
    "append",
    "bucketInfo",
    "cors",
    "delete",
    "encryption",
    "lifecycle",
    "location",
    "objectMeta",
    "publicAccessBlock",
    "referer",
    "stat",
    "symlink",
    "tagging",
    "uploadId",
    "uploads",
    "website",
];

/// Query parameters that name OSS features ossd does not implement: a request carrying any of
/// them is answered `501 NotImplemented` and changes nothing, whatever its method. The OSS
/// sub-resources of the SDKs' signing lists and of the OSS API reference, less the ones ossd
/// implements ([`SELECTORS`]) and the plain arguments of those (`partNumber`, `position`,
/// `response-*`, `continuation-token`, signature parameters).
pub const NOT_IMPLEMENTED: &[&str] = &[
    "MetaQuery",
    "accessMonitor",
    "accessPoint",
    "accessPointPolicy",
    "archiveDirectRead",
    "asyncFetch",
    "bucketArchiveDirectRead",
    "callback",
    "callback-var",
    "cleanRestoredObject",
    "cloudboxes",
    "cname",
    "comp",
    "dataPipeline",
    "dataRedundancyTransition",
    "endTime",
    "group",
    "httpsConfig",
    "img",
    "inventory",
    "inventoryId",
    "legalHold",
    "link",
    "logging",
    "metaQuery",
    "metadataConfiguration",
    "metadataInventoryTable",
    "metadataJournalTable",
    "objectInfo",
    "objectWorm",
    "overwriteConfig",
    "policy",
    "policyStatus",
    "processConfiguration",
    "qos",
    "qosInfo",
    "qosRequester",
    "quota",
    "redundancyTransition",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "requesterQosInfo",
    "reservedCapacity",
    "resourceGroup",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
    "responseHeader",
    "restore",
    "retention",
    "rtc",
    "seal",
    "select",
    "selectObject",
    "sequential",
    "startTime",
    "status",
    "style",
    "styleName",
    "transferAcceleration",
    "userDefinedLogFieldsConfig",
    "vod",
    "worm",
    "wormExtend",
    "wormId",
    "x-oss-access-point-name",
    "x-oss-async-process",
    "x-oss-process",
    "x-oss-write-get-object-response",
];

/// Sub-resources of which ossd implements one use only; every other use is `501 NotImplemented`:
/// `GET /?regions` (DescribeRegions), `GET /bucket?live` (ListLiveChannel: always empty, ossd has
/// no live channels), `GET`/`PUT /bucket?versioning` (Get/PutBucketVersioning) and
/// `GET /bucket?versions` (ListObjectVersions).
pub const PARTLY_IMPLEMENTED: &[&str] = &["live", "regions", "versioning", "versions"];

/// Plain arguments of implemented operations that OSS signs as sub-resources (V1): neither a
/// selector nor a feature of their own.
pub const ARGUMENTS: &[&str] = &[
    "continuation-token",
    "partNumber",
    "position",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "security-token",
    "versionId",
];

/// True when [`classify`] would return [`Operation::Preflight`]: an `OPTIONS` request naming a
/// bucket. Lets the preflight path skip building the operation (and copying the key).
pub fn is_preflight(method: &str, target: &Target) -> bool {
    method == "OPTIONS" && target.bucket.is_some()
}

/// Classifies a request. `copy_source` tells whether `x-oss-copy-source` was sent.
pub fn classify(method: &str, target: &Target, query: &Query, copy_source: bool) -> Operation {
    if is_preflight(method, target) {
        return Operation::Preflight { key: target.key.clone() };
    }
    if let Some(what) = query.pairs.iter().find_map(|(k, _)| {
        NOT_IMPLEMENTED.binary_search(&k.as_str()).ok().map(|i| NOT_IMPLEMENTED[i])
    }) {
        return Operation::NotImplemented { what: what.to_owned() };
    }
    if let Some(what) = query.pairs.iter().find_map(|(k, _)| {
        PARTLY_IMPLEMENTED.binary_search(&k.as_str()).ok().map(|i| PARTLY_IMPLEMENTED[i])
    }) {
        return match (method, target.bucket.is_some(), target.key.is_some(), what) {
            ("GET", false, _, "regions") => Operation::DescribeRegions,
            ("GET", true, false, "live") => Operation::ListLiveChannels,
            ("GET", true, false, "versioning") => Operation::GetBucketVersioning,
            ("PUT", true, false, "versioning") => Operation::PutBucketVersioning,
            ("GET", true, false, "versions") => Operation::ListObjectVersions,
            _ => Operation::NotImplemented { what: what.to_owned() },
        };
    }
    let Some(_bucket) = &target.bucket else {
        // Account-level Block Public Access (`/?publicAccessBlock` on the service) is not
        // implemented; the bucket-level one is.
        if query.has("publicAccessBlock") {
            return Operation::NotImplemented { what: "publicAccessBlock".to_owned() };
        }
        return match method {
            "GET" => Operation::ListBuckets,
            _ => Operation::MethodNotAllowed,
        };
    };
    // The one selector the request names, if any.
    let mut selector = None;
    for (k, _) in &query.pairs {
        if let Some(s) = SELECTORS.iter().find(|s| **s == k) {
            match selector {
                Some(prev) if prev != *s => return Operation::Ambiguous,
                _ => selector = Some(*s),
            }
        }
    }
    use Operation as O;
    match &target.key {
        None => match (method, selector) {
            ("GET", Some("acl")) => O::GetBucketAcl,
            ("GET", Some("cors")) => O::GetBucketCors,
            ("GET", Some("encryption")) => O::GetBucketEncryption,
            ("GET", Some("location")) => O::GetBucketLocation,
            ("GET", Some("referer")) => O::GetBucketReferer,
            ("GET", Some("publicAccessBlock")) => O::GetBucketPublicAccessBlock,
            ("GET", Some("website")) => O::GetBucketWebsite,
            ("GET", Some("bucketInfo")) => O::GetBucketInfo,
            ("GET", Some("stat")) => O::GetBucketStat,
            ("GET", Some("tagging")) => O::GetBucketTags,
            ("GET", Some("lifecycle")) => O::GetBucketLifecycle,
            ("GET", Some("uploads")) => O::ListMultipartUploads,
            ("GET", None) if query.get("list-type") == Some("2") => O::ListObjectsV2,
            ("GET", None) => O::ListObjects,
            ("HEAD", None) => O::HeadBucket,
            ("PUT", Some("acl")) => O::PutBucketAcl,
            ("PUT", Some("cors")) => O::PutBucketCors,
            ("PUT", Some("encryption")) => O::PutBucketEncryption,
            ("PUT", Some("referer")) => O::PutBucketReferer,
            ("PUT", Some("publicAccessBlock")) => O::PutBucketPublicAccessBlock,
            ("PUT", Some("website")) => O::PutBucketWebsite,
            ("PUT", Some("tagging")) => O::PutBucketTags,
            ("PUT", Some("lifecycle")) => O::PutBucketLifecycle,
            ("PUT", None) => O::PutBucket,
            ("DELETE", Some("cors")) => O::DeleteBucketCors,
            ("DELETE", Some("encryption")) => O::DeleteBucketEncryption,
            ("DELETE", Some("publicAccessBlock")) => O::DeleteBucketPublicAccessBlock,
            ("DELETE", Some("website")) => O::DeleteBucketWebsite,
            ("DELETE", Some("tagging")) => O::DeleteBucketTags,
            ("DELETE", Some("lifecycle")) => O::DeleteBucketLifecycle,
            ("DELETE", None) => O::DeleteBucket,
            ("POST", Some("delete")) => O::DeleteMultipleObjects,
            ("POST", None) => O::PostObject,
            _ => O::MethodNotAllowed,
        },
        Some(key) => {
            let key = key.clone();
            match (method, selector) {
                ("GET", Some("acl")) => O::GetObjectAcl { key },
                ("GET", Some("objectMeta")) => O::GetObjectMeta { key },
                ("GET", Some("uploadId")) => O::ListParts { key },
                ("GET", Some("tagging")) => O::GetObjectTagging { key },
                ("GET", Some("symlink")) => O::GetSymlink { key },
                ("GET", None) => O::GetObject { key },
                ("HEAD", Some("objectMeta")) => O::GetObjectMeta { key },
                ("HEAD", None) => O::HeadObject { key },
                ("PUT", Some("acl")) => O::PutObjectAcl { key },
                ("PUT", Some("tagging")) => O::PutObjectTagging { key },
                ("PUT", Some("symlink")) => O::PutSymlink { key },
                ("PUT", Some("uploadId")) if copy_source => O::UploadPartCopy { key },
                ("PUT", Some("uploadId")) => O::UploadPart { key },
                ("PUT", None) if copy_source => O::CopyObject { key },
                ("PUT", None) => O::PutObject { key },
                ("DELETE", Some("uploadId")) => O::AbortMultipartUpload { key },
                ("DELETE", Some("tagging")) => O::DeleteObjectTagging { key },
                ("DELETE", None) => O::DeleteObject { key },
                ("POST", Some("append")) => O::AppendObject { key },
                ("POST", Some("uploads")) => O::InitiateMultipartUpload { key },
                ("POST", Some("uploadId")) => O::CompleteMultipartUpload { key },
                _ => O::MethodNotAllowed,
            }
        }
    }
}
