//! Where blobs live when they are not the data directory's own files: an OpenDAL service named
//! by a URL (`--blobs`), and the credentials for it (given apart from the URL, never printed).
//!
//! ```text
//! fs:///var/lib/ossd-blobs
//! s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1
//! oss://bucket/prefix?endpoint=https://oss-cn-hangzhou.aliyuncs.com
//! oss://bucket/prefix?endpoint=http://10.0.0.5:9000           (path-style: an IP address)
//! oss://bucket/prefix?endpoint=http://store.internal&addressing=path
//! ```
//!
//! OSS is addressed virtual-hosted-style (`bucket.endpoint-host`) unless the endpoint's host is
//! an IP address or `localhost`, which no bucket name can prefix in DNS, or `addressing=path`
//! says otherwise (an OSS-compatible server without wildcard DNS, such as another ossd).

use std::fmt;

use percent_encoding::percent_decode_str;

/// The OpenDAL services a store can keep its blobs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobService {
    /// A directory (local, or a shared file system mounted on every node).
    Fs,
    /// An S3-compatible object store (AWS S3, Ceph RGW, MinIO, Garage, s3proxy…).
    S3,
    /// Alibaba Cloud OSS (or anything speaking its API).
    Oss,
}

impl BlobService {
    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            BlobService::Fs => "fs",
            BlobService::S3 => "s3",
            BlobService::Oss => "oss",
        }
    }
}

/// An access key for the blob service. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct BlobCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

impl fmt::Debug for BlobCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// A parsed `--blobs` URL plus credentials. `Display` gives the URL back (it holds no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobLocation {
    /// The service.
    pub service: BlobService,
    /// The bucket (empty for `fs`).
    pub bucket: String,
    /// The directory (`fs`) or key prefix (`s3`, `oss`) blobs go under; `/`-separated, no
    /// leading or trailing slash (empty: the bucket's root).
    pub root: String,
    /// The service endpoint (`endpoint=`), e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// The region (`region=`, `s3` only) [default: us-east-1].
    pub region: Option<String>,
    /// Credentials; `None`: the service's own lookup (for `s3`, the AWS environment and files).
    pub credentials: Option<BlobCredentials>,
    /// `oss` only: `Some(true)` path-style, `Some(false)` virtual-hosted-style (`addressing=`);
    /// `None`: path-style for an IP address or `localhost`, else virtual-hosted-style
    /// ([`BlobLocation::oss_path_style`]).
    pub path_style: Option<bool>,
}

/// Why a `--blobs` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid blobs location: {0}")]
pub struct BadLocation(pub String);

fn bad(msg: impl Into<String>) -> BadLocation {
    BadLocation(msg.into())
}

impl BlobLocation {
    /// Parses `fs:///path`, `s3://bucket[/prefix][?endpoint=…&region=…]` or
    /// `oss://bucket[/prefix][?endpoint=…&addressing=path|virtual]`. Credentials in the URL (`user:secret@`) are
    /// refused: a URL ends up in process lists and logs.
    pub fn parse(url: &str) -> Result<BlobLocation, BadLocation> {
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| bad("expected SERVICE://… (fs, s3 or oss)"))?;
        let service = match scheme {
            "fs" => BlobService::Fs,
            "s3" => BlobService::S3,
            "oss" => BlobService::Oss,
            other => return Err(bad(format!("unknown service {other:?}: use fs, s3 or oss"))),
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut loc = BlobLocation {
            service,
            bucket: String::new(),
            root: String::new(),
            endpoint: None,
            region: None,
            credentials: None,
            path_style: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| bad(format!("{name}: not UTF-8")))?
                .into_owned();
            if value.is_empty() {
                return Err(bad(format!("{name} is empty")));
            }
            match (name, service) {
                ("endpoint", BlobService::S3 | BlobService::Oss) => {
                    if !(value.starts_with("http://") || value.starts_with("https://")) {
                        return Err(bad("endpoint must start with http:// or https://"));
                    }
                    loc.endpoint = Some(value);
                }
                ("region", BlobService::S3) => loc.region = Some(value),
                ("addressing", BlobService::Oss) => {
                    loc.path_style = Some(match value.as_str() {
                        "path" => true,
                        "virtual" => false,
                        _ => return Err(bad("addressing must be path or virtual")),
                    });
                }
                _ => {
                    return Err(bad(format!(
                        "unknown parameter {name:?} for {scheme} (s3: endpoint, region; oss: endpoint, addressing; fs: none)"
                    )));
                }
            }
        }
        match service {
            BlobService::Fs => {
                if !path.starts_with('/') {
                    return Err(bad("fs needs an absolute path: fs:///path/to/blobs"));
                }
                loc.root = path.trim_end_matches('/').to_owned();
                if loc.root.is_empty() {
                    return Err(bad("fs: the root directory / is refused"));
                }
            }
            BlobService::S3 | BlobService::Oss => {
                let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
                if bucket.contains('@') {
                    return Err(bad(
                        "credentials in the URL are refused: use the environment or --blobs-secret-file",
                    ));
                }
                if bucket.is_empty() {
                    return Err(bad(format!(
                        "{scheme}: the bucket is missing: {scheme}://BUCKET/prefix"
                    )));
                }
                loc.bucket = bucket.to_owned();
                loc.root = prefix.trim_matches('/').to_owned();
                if loc.root.split('/').any(|s| s == ".." || s == ".") {
                    return Err(bad("the prefix may not contain . or .. segments"));
                }
            }
        }
        Ok(loc)
    }
}

impl fmt::Display for BlobLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.service {
            BlobService::Fs => write!(f, "fs://{}", self.root)?,
            s => {
                write!(f, "{}://{}", s.scheme(), self.bucket)?;
                if !self.root.is_empty() {
                    write!(f, "/{}", self.root)?;
                }
                let mut sep = '?';
                if let Some(e) = &self.endpoint {
                    write!(f, "{sep}endpoint={e}")?;
                    sep = '&';
                }
                if let Some(r) = &self.region {
                    write!(f, "{sep}region={r}")?;
                    sep = '&';
                }
                if let Some(p) = self.path_style {
                    write!(f, "{sep}addressing={}", if p { "path" } else { "virtual" })?;
                }
            }
        }
        Ok(())
    }
}

impl BlobLocation {
    /// Whether `oss` requests name the bucket in the path: as `addressing=` says, else when the
    /// endpoint's host is an IP address or `localhost`.
    pub fn oss_path_style(&self) -> bool {
        if let Some(p) = self.path_style {
            return p;
        }
        let Some(endpoint) = &self.endpoint else { return false };
        let rest = endpoint.split_once("://").map_or(endpoint.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if authority.starts_with('[') {
            return true; // an IPv6 address
        }
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::Ipv4Addr>().is_ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;

    #[test]
    fn oss_is_path_style_for_addresses_and_when_told() {
        let style = |url: &str| BlobLocation::parse(url).unwrap().oss_path_style();
        assert!(!style("oss://b?endpoint=https://oss-cn-hangzhou.aliyuncs.com"));
        assert!(!style("oss://b"));
        assert!(style("oss://b/p?endpoint=http://127.0.0.1:9000"));
        assert!(style("oss://b/p?endpoint=http://[::1]:9000/"));
        assert!(style("oss://b/p?endpoint=http://LOCALHOST"));
        assert!(style("oss://b?endpoint=http://store.internal&addressing=path"));
        assert!(!style("oss://b?endpoint=http://10.0.0.5&addressing=virtual"));
        let loc = BlobLocation::parse("oss://b/p?endpoint=http://h&addressing=path").unwrap();
        assert_eq!(loc.to_string(), "oss://b/p?endpoint=http://h&addressing=path");
        assert!(BlobLocation::parse("oss://b?addressing=cname").is_err());
        assert!(BlobLocation::parse("s3://b?addressing=path").is_err());
    }

    #[test]
    fn parses_the_three_services() {
        let fs = BlobLocation::parse("fs:///srv/blobs/").unwrap();
        assert_eq!((fs.service, fs.root.as_str()), (BlobService::Fs, "/srv/blobs"));
        let s3 = BlobLocation::parse(
            "s3://bkt/a/b/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1",
        )
        .unwrap();
        assert_eq!(s3.bucket, "bkt");
        assert_eq!(s3.root, "a/b");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s3.to_string(), "s3://bkt/a/b?endpoint=http://127.0.0.1:9000&region=eu-west-1");
        let oss =
            BlobLocation::parse("oss://b?endpoint=https://oss-cn-hangzhou.aliyuncs.com").unwrap();
        assert_eq!((oss.service, oss.root.as_str()), (BlobService::Oss, ""));
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for url in [
            "blobs",
            "gcs://b",
            "fs://relative",
            "fs:///",
            "s3://",
            "s3://key:secret@bucket/p",
            "s3://b?endpoint=127.0.0.1:9000",
            "s3://b?token=x",
            "oss://b?region=x",
            "fs:///x?endpoint=http://a",
            "s3://b/../up",
            "s3://b?region=",
        ] {
            assert!(BlobLocation::parse(url).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = BlobCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "very-secret-value".into(),
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("AKID") && !shown.contains("very-secret-value"), "{shown}");
    }
}
