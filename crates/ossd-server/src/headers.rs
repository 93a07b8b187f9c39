//! Every header name the server reads or writes that `http::header` does not define, as a
//! `HeaderName` made at compile time (inserting or looking up by `&str` parses and checks the name
//! each time). Standard names (`ETag`, `Content-Type`, the CORS names, …) come from `http::header`;
//! code names a header through one of the two, never through a string literal. A test checks that
//! each name here is lower-case and valid.

use http::HeaderName;

/// Declares the names and `all`, the list the test walks.
macro_rules! names {
    ($($(#[doc = $doc:literal])+ $id:ident = $text:literal;)+) => {
        $($(#[doc = $doc])+ pub const $id: HeaderName = HeaderName::from_static($text);)+
        /// Every name of this module with the text it was declared with.
        #[cfg(test)]
        fn all() -> Vec<(HeaderName, &'static str)> {
            vec![$(($id, $text)),+]
        }
    };
}

names! {
    /// `Content-MD5`: the body's MD5 (requests) or the stored blob's (upload answers).
    CONTENT_MD5 = "content-md5";
    /// `x-oss-version-id`: the version an object operation wrote, read or removed.
    X_OSS_VERSION_ID = "x-oss-version-id";
    /// `x-oss-delete-marker: true`: the version concerned is a delete marker.
    X_OSS_DELETE_MARKER = "x-oss-delete-marker";
    /// `x-oss-copy-source-version-id`: the version of the source CopyObject copied.
    X_OSS_COPY_SOURCE_VERSION_ID = "x-oss-copy-source-version-id";
    /// `x-oss-request-id`, on every answer.
    X_OSS_REQUEST_ID = "x-oss-request-id";
    /// `x-oss-ec`: the error's EC.
    X_OSS_EC = "x-oss-ec";
    /// `x-oss-err`: a HEAD error's XML document, base64-encoded.
    X_OSS_ERR = "x-oss-err";
    /// `x-oss-hash-crc64ecma`: an object's CRC-64.
    X_OSS_HASH_CRC64ECMA = "x-oss-hash-crc64ecma";
    /// `x-oss-object-type`: `Normal`, `Multipart` or `Appendable`.
    X_OSS_OBJECT_TYPE = "x-oss-object-type";
    /// `x-oss-storage-class`.
    X_OSS_STORAGE_CLASS = "x-oss-storage-class";
    /// `x-oss-next-append-position`: where the next AppendObject starts.
    X_OSS_NEXT_APPEND_POSITION = "x-oss-next-append-position";
    /// `x-oss-last-access-time`.
    X_OSS_LAST_ACCESS_TIME = "x-oss-last-access-time";
    /// `x-oss-date`: the request time a signature covers (also a PostObject V4 form field).
    X_OSS_DATE = "x-oss-date";
    /// `x-oss-acl`: a bucket ACL (PutBucket, PutBucketAcl).
    X_OSS_ACL = "x-oss-acl";
    /// `x-oss-object-acl`: an object ACL set with an upload or by PutObjectAcl.
    X_OSS_OBJECT_ACL = "x-oss-object-acl";
    /// `x-oss-forbid-overwrite`: refuse to replace an existing object.
    X_OSS_FORBID_OVERWRITE = "x-oss-forbid-overwrite";
    /// `x-oss-allow-same-action-overlap`: PutBucketLifecycle may hold overlapping rules that share an action.
    X_OSS_ALLOW_SAME_ACTION_OVERLAP = "x-oss-allow-same-action-overlap";
    /// `x-oss-range-behavior`: `standard` makes an unsatisfiable range 416.
    X_OSS_RANGE_BEHAVIOR = "x-oss-range-behavior";
    /// `x-oss-copy-source` (CopyObject, UploadPartCopy).
    X_OSS_COPY_SOURCE = "x-oss-copy-source";
    /// `x-oss-copy-source-range` (UploadPartCopy).
    X_OSS_COPY_SOURCE_RANGE = "x-oss-copy-source-range";
    /// `x-oss-copy-source-if-match`.
    X_OSS_COPY_SOURCE_IF_MATCH = "x-oss-copy-source-if-match";
    /// `x-oss-copy-source-if-none-match`.
    X_OSS_COPY_SOURCE_IF_NONE_MATCH = "x-oss-copy-source-if-none-match";
    /// `x-oss-copy-source-if-modified-since`.
    X_OSS_COPY_SOURCE_IF_MODIFIED_SINCE = "x-oss-copy-source-if-modified-since";
    /// `x-oss-copy-source-if-unmodified-since`.
    X_OSS_COPY_SOURCE_IF_UNMODIFIED_SINCE = "x-oss-copy-source-if-unmodified-since";
    /// `x-oss-metadata-directive`: `COPY` or `REPLACE` (CopyObject).
    X_OSS_METADATA_DIRECTIVE = "x-oss-metadata-directive";
    /// `x-oss-complete-all`: CompleteMultipartUpload of every uploaded part.
    X_OSS_COMPLETE_ALL = "x-oss-complete-all";
    /// `x-oss-security-token`: an STS token, which this server refuses.
    X_OSS_SECURITY_TOKEN = "x-oss-security-token";
    /// `security-token`: the same, as some clients name it.
    SECURITY_TOKEN = "security-token";
    /// `x-oss-content-type`: PostObject's form field for the object's Content-Type.
    X_OSS_CONTENT_TYPE = "x-oss-content-type";
    /// `x-oss-symlink-target`: a symlink's target key, URL-encoded (PutSymlink, GetSymlink).
    X_OSS_SYMLINK_TARGET = "x-oss-symlink-target";
    /// `x-oss-server-side-encryption` (not implemented: refused).
    X_OSS_SERVER_SIDE_ENCRYPTION = "x-oss-server-side-encryption";
    /// `x-oss-server-side-encryption-key-id` (not implemented: refused).
    X_OSS_SERVER_SIDE_ENCRYPTION_KEY_ID = "x-oss-server-side-encryption-key-id";
    /// `x-oss-server-side-data-encryption` (not implemented: refused).
    X_OSS_SERVER_SIDE_DATA_ENCRYPTION = "x-oss-server-side-data-encryption";
    /// `x-oss-callback` (not implemented: refused).
    X_OSS_CALLBACK = "x-oss-callback";
    /// `x-oss-callback-var` (not implemented: refused).
    X_OSS_CALLBACK_VAR = "x-oss-callback-var";
    /// `x-oss-tagging`: a new object's tags, URL-encoded `k1=v1&k2=v2`.
    X_OSS_TAGGING = "x-oss-tagging";
    /// `x-oss-tagging-directive`: CopyObject's `Copy` (the source's tags) or `Replace`.
    X_OSS_TAGGING_DIRECTIVE = "x-oss-tagging-directive";
    /// `x-oss-tagging-count`: on GET/HEAD, how many tags the object has (only when it has some).
    X_OSS_TAGGING_COUNT = "x-oss-tagging-count";
}

/// The prefix of user metadata headers (`x-oss-meta-*`).
pub const USER_META_PREFIX: &str = "x-oss-meta-";

#[cfg(test)]
mod tests {
    use super::{USER_META_PREFIX, all};
    use http::HeaderName;

    #[test]
    fn every_name_is_lower_case_and_valid() {
        let all = all();
        for (name, text) in &all {
            assert_eq!(name.as_str(), *text);
            assert_eq!(*text, text.to_ascii_lowercase(), "{text} is not lower-case");
            assert_eq!(HeaderName::from_bytes(text.as_bytes()).ok().as_ref(), Some(name), "{text}");
        }
        let mut texts: Vec<&str> = all.iter().map(|(_, t)| *t).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), all.len(), "a name is declared twice");
        let meta = format!("{USER_META_PREFIX}a");
        assert_eq!(meta, meta.to_ascii_lowercase());
        assert!(HeaderName::from_bytes(meta.as_bytes()).is_ok());
    }
}
