//! PutBucket: the `<CreateBucketConfiguration>` request body.

use super::root;
use crate::error::ApiError;

/// A PutBucket body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateBucketConfiguration {
    /// `<StorageClass>`, trimmed, as written (the handler checks the value).
    pub storage_class: Option<String>,
}

impl CreateBucketConfiguration {
    /// Parses a PutBucket body: empty (only whitespace: no configuration) or a
    /// `<CreateBucketConfiguration>`.
    pub fn parse(raw: &[u8]) -> Result<CreateBucketConfiguration, ApiError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(CreateBucketConfiguration::default());
        }
        let doc = root(raw, "CreateBucketConfiguration")?;
        Ok(CreateBucketConfiguration {
            storage_class: doc.child_text("StorageClass").map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn class(raw: &[u8]) -> Result<Option<String>, ErrorCode> {
        CreateBucketConfiguration::parse(raw).map(|c| c.storage_class).map_err(|e| e.code)
    }

    #[test]
    fn create_bucket_bodies() {
        assert_eq!(class(b" \r\n\t"), Ok(None));
        assert_eq!(class(b""), Ok(None));
        let body = b"<CreateBucketConfiguration><StorageClass> IA </StorageClass></CreateBucketConfiguration>";
        assert_eq!(class(body), Ok(Some("IA".into())));
        let escaped = b"<?xml version=\"1.0\"?><CreateBucketConfiguration><StorageClass>a&amp;b</StorageClass></CreateBucketConfiguration>";
        assert_eq!(class(escaped), Ok(Some("a&b".into())));
        assert_eq!(class(b"<CreateBucketConfiguration></CreateBucketConfiguration>"), Ok(None));
        assert_eq!(class(b"<Other/>"), Err(ErrorCode::MalformedXML));
        assert_eq!(class(b"<CreateBucketConfiguration>"), Err(ErrorCode::MalformedXML));
    }
}
