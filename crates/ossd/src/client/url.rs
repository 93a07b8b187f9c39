//! ossutil's resource URLs: `oss://bucket`, `oss://bucket/prefix/`, `oss://bucket/key`.

use super::error::{CliError, Result};

/// A parsed `oss://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OssUrl {
    /// The bucket.
    pub bucket: String,
    /// The key or prefix (may be empty).
    pub key: String,
}

impl OssUrl {
    /// True for strings that name OSS resources rather than local paths.
    pub fn is_oss(s: &str) -> bool {
        s.starts_with("oss://")
    }

    /// Parses `oss://bucket[/key]`.
    pub fn parse(s: &str) -> Result<OssUrl> {
        let rest = s
            .strip_prefix("oss://")
            .ok_or_else(|| CliError::Usage(format!("{s:?} is not an oss://bucket[/key] URL")))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(CliError::Usage(format!("{s:?} names no bucket")));
        }
        Ok(OssUrl { bucket: bucket.to_owned(), key: key.to_owned() })
    }

    /// Parses a URL that must name an object.
    pub fn object(s: &str) -> Result<OssUrl> {
        let u = OssUrl::parse(s)?;
        if u.key.is_empty() {
            return Err(CliError::Usage(format!("{s:?} names no object (oss://bucket/key)")));
        }
        Ok(u)
    }

    /// Parses a URL that must name only a bucket.
    pub fn bucket(s: &str) -> Result<String> {
        let u = OssUrl::parse(s)?;
        if !u.key.is_empty() {
            return Err(CliError::Usage(format!("{s:?}: expected oss://bucket")));
        }
        Ok(u.bucket)
    }
}

impl std::fmt::Display for OssUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oss://{}/{}", self.bucket, self.key)
    }
}
