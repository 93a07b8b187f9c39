//! Real requests through the whole server in-process (`ossd_server::testing::InProcess`): the
//! router and the OSS pipeline against a real store in a temporary directory, requests signed
//! with ossd-sig's own signers (V1 and V4) or anonymous. No socket, no port, no binary: each test
//! takes milliseconds.
#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

mod buckets;
mod cors;
mod lifecycle;
mod objects;
mod policies;
mod post_object;
mod refusals;
mod surfaces;
mod tagging;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use ossd_server::testing::InProcess;
use ossd_server::{AccessKey, ConnLimits, ServerConfig};
use std::time::Duration;

/// The root key of every harness.
const ROOT_ID: &str = "LTAI5tRootKeyForTests";
const ROOT_SECRET: &str = "root-secret-for-in-process-tests";
/// The region served (V4 scopes name it).
const REGION: &str = "cn-hangzhou";
/// The server's own host, path-style.
const HOST: &str = "127.0.0.1:9000";

/// A server in a fresh temporary data directory.
struct Harness {
    server: InProcess,
    _dir: tempfile::TempDir,
}

/// How a request is authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    Anonymous,
    /// Signature V1 (`Authorization: OSS id:sig`, `Date`) with the root key.
    V1,
    /// Signature V4 (`OSS4-HMAC-SHA256`, `x-oss-date`, unsigned payload) with the root key.
    V4,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            master_key_file: None,
            data_dir: dir.path().to_owned(),
            meta: None,
            region: REGION.to_owned(),
            domains: vec![],
            root: AccessKey { id: ROOT_ID.to_owned(), secret: ROOT_SECRET.to_owned() },
            shutdown_grace: Duration::from_secs(1),
            public_endpoint: None,
            internal_endpoint: None,
            limits: ConnLimits::default(),
            lifecycle_interval: Duration::from_secs(3600),
            tls: None,
            http_listen: None,
            metrics_listen: None,
            ready_min_free_bytes: 0,
            drain_delay: Duration::ZERO,
            blobs: None,
            console: ossd_server::ConsoleConfig::default(),
        };
        Harness { server: InProcess::open(config).unwrap(), _dir: dir }
    }

    /// A request for `bucket`/`key` (either may be absent), signed with `auth` when sent.
    fn call(
        &self,
        auth: Auth,
        method: &'static str,
        bucket: Option<&str>,
        key: Option<&str>,
    ) -> Call<'_> {
        Call {
            harness: self,
            auth,
            method,
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            virtual_hosted: false,
            raw_path: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: Bytes::new(),
            tamper_after_signing: None,
        }
    }

    /// Creates bucket `b` (root, V4) and checks it answered 200.
    async fn bucket(&self, b: &str) {
        let r = self.call(Auth::V4, "PUT", Some(b), None).send().await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    }

    /// Stores `body` under `b`/`k` (root, V1) and returns its ETag.
    async fn put(&self, b: &str, k: &str, body: &'static [u8]) -> String {
        let r = self.call(Auth::V1, "PUT", Some(b), Some(k)).body(body).send().await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
        header(&r, "etag").unwrap().to_owned()
    }
}

/// One request being built.
struct Call<'h> {
    harness: &'h Harness,
    auth: Auth,
    method: &'static str,
    bucket: Option<String>,
    key: Option<String>,
    virtual_hosted: bool,
    raw_path: Option<&'static str>,
    query: Vec<(String, Option<String>)>,
    headers: Vec<(String, String)>,
    body: Bytes,
    /// A header set to another value once the request is signed (a forged request).
    tamper_after_signing: Option<(&'static str, &'static str)>,
}

impl Call<'_> {
    /// Adds a query parameter (`None`: the name alone, as a sub-resource is sent).
    fn query(mut self, name: &str, value: Option<&str>) -> Self {
        self.query.push((name.to_owned(), value.map(str::to_owned)));
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Addresses the bucket in the Host (`bucket.localhost:9000`) instead of the path.
    fn virtual_hosted(mut self) -> Self {
        self.virtual_hosted = true;
        self
    }

    /// Sends this path as it is, unsigned and without a bucket (the server's own surfaces).
    fn raw_path(mut self, path: &'static str) -> Self {
        self.raw_path = Some(path);
        self
    }

    async fn send(mut self) -> Response<Bytes> {
        let key =
            self.key.as_deref().map(|k| ossd_sig::v4::uri_encode(k, true)).unwrap_or_default();
        let (host, mut target) = match (&self.bucket, self.virtual_hosted) {
            (Some(b), true) => (format!("{b}.localhost:9000"), format!("/{key}")),
            (Some(b), false) => (HOST.to_owned(), format!("/{b}/{key}")),
            (None, _) => (HOST.to_owned(), "/".to_owned()),
        };
        if let Some(p) = self.raw_path {
            target = p.to_owned();
        }
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| {
                let k = ossd_sig::v4::uri_encode(k, false);
                match v {
                    Some(v) => format!("{k}={}", ossd_sig::v4::uri_encode(v, false)),
                    None => k,
                }
            })
            .collect();
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query.join("&"));
        }
        self.sign();
        if let Some((name, value)) = self.tamper_after_signing {
            for (_, v) in self.headers.iter_mut().filter(|(k, _)| k == name) {
                *v = value.to_owned();
            }
        }
        let mut req = Request::builder().method(self.method).uri(target).header("host", host);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let req = req.body(self.body).unwrap();
        self.harness.server.send(req).await.unwrap()
    }

    /// Adds the date and `Authorization` headers `auth` asks for.
    fn sign(&mut self) {
        let now = std::time::SystemTime::now();
        let unix = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        match self.auth {
            Auth::Anonymous => return,
            Auth::V1 => self.headers.push(("date".into(), httpdate::fmt_http_date(now))),
            Auth::V4 => {
                let date = ossd_sig::timefmt::format_iso8601_basic(unix).unwrap();
                self.headers.push(("x-oss-date".into(), date));
                self.headers.push(("x-oss-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
            }
        }
        let signed = ossd_sig::SignedRequest {
            method: self.method,
            bucket: self.bucket.as_deref(),
            key: self.key.as_deref(),
            query: &self.query,
            headers: &self.headers,
        };
        let authorization = match self.auth {
            Auth::V4 => ossd_sig::v4::authorization(ROOT_ID, ROOT_SECRET, REGION, &signed, &[]),
            _ => ossd_sig::v1::authorization(ROOT_ID, ROOT_SECRET, &signed),
        };
        self.headers.push(("authorization".into(), authorization));
    }
}

/// A response header as text.
fn header<'r>(r: &'r Response<Bytes>, name: &str) -> Option<&'r str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

fn text(r: &Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

/// The `<Code>` of an OSS error answer: from the body, or for HEAD from `x-oss-err`.
fn code(r: &Response<Bytes>) -> String {
    use base64::Engine;
    let doc = match header(r, "x-oss-err") {
        Some(b64) => {
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap())
                .unwrap()
        }
        None => text(r),
    };
    let start = doc.find("<Code>").map(|i| i + "<Code>".len());
    let end = doc.find("</Code>");
    match (start, end) {
        (Some(s), Some(e)) => doc[s..e].to_owned(),
        _ => panic!("not an OSS error: {} {doc}", r.status()),
    }
}
