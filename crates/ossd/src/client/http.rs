//! One signed HTTP/1.1 request at a time over a fresh TCP connection (hyper's client connection).

use super::error::{CliError, OssError, Result};
use super::profile::{Profile, SignVersion};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::time::Duration;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request (send and receive) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// A request to send.
#[derive(Debug, Clone, Default)]
pub struct Req {
    /// Method.
    pub method: &'static str,
    /// Bucket, if any.
    pub bucket: Option<String>,
    /// Object key (decoded), if any.
    pub key: Option<String>,
    /// Query parameters (decoded).
    pub query: Vec<(String, Option<String>)>,
    /// Extra headers (names lower-case).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl Req {
    /// A request without body.
    pub fn new(method: &'static str, bucket: Option<&str>, key: Option<&str>) -> Req {
        Req {
            method,
            bucket: bucket.map(str::to_owned),
            key: key.filter(|k| !k.is_empty()).map(str::to_owned),
            ..Req::default()
        }
    }

    /// Adds a query parameter (`None`: a bare sub-resource such as `?cors`).
    pub fn q(mut self, k: &str, v: Option<&str>) -> Req {
        self.query.push((k.to_owned(), v.map(str::to_owned)));
        self
    }

    /// Adds a header.
    pub fn h(mut self, k: &str, v: &str) -> Req {
        self.headers.push((k.to_ascii_lowercase(), v.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, b: impl Into<Bytes>) -> Req {
        self.body = b.into();
        self
    }
}

/// A received answer.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-case, in order.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Bytes,
}

impl Resp {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The server's CRC-64 of the object or part, if it sent one.
    pub fn crc64(&self) -> Option<u64> {
        self.header("x-oss-hash-crc64ecma").and_then(|v| v.trim().parse().ok())
    }

    /// The OSS error this answer carries (XML body or, for HEAD, headers only).
    pub fn oss_error(&self) -> OssError {
        // A HEAD answer has no body: ossd and OSS put the error document, base64, in `x-oss-err`.
        let from_header =
            self.body.is_empty().then(|| self.header("x-oss-err")).flatten().and_then(|v| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()
            });
        let root = ossd_proto::xml::parse(from_header.as_deref().unwrap_or(&self.body)).ok();
        let field = |n: &str| root.as_ref().and_then(|r| r.child_text(n)).map(str::to_owned);
        OssError {
            status: self.status,
            code: field("Code").unwrap_or_else(|| format!("HTTP{}", self.status)),
            message: field("Message").unwrap_or_default(),
            request_id: field("RequestId")
                .or_else(|| self.header("x-oss-request-id").map(str::to_owned))
                .unwrap_or_default(),
            ec: field("EC")
                .or_else(|| self.header("x-oss-ec").map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved kept).
pub fn enc(s: &str) -> String {
    ossd_sig::v4::uri_encode(s, false)
}

/// A client bound to one profile.
#[derive(Debug, Clone)]
pub struct Client {
    /// The resolved settings.
    pub profile: Profile,
}

impl Client {
    /// The request target (path and query) and the Host of `req`, without signature.
    pub fn target(&self, req: &Req, extra: &[(String, String)]) -> (String, String) {
        let bucket = req.bucket.as_deref();
        let host = self.profile.host_for(bucket);
        let key = req.key.as_deref().map(|k| ossd_sig::v4::uri_encode(k, true)).unwrap_or_default();
        let mut path = match bucket {
            Some(b) if self.profile.path_style => format!("/{b}/{key}"),
            _ => format!("/{key}"),
        };
        let mut parts: Vec<String> = req
            .query
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{}={}", enc(k), enc(v)),
                None => enc(k),
            })
            .collect();
        parts.extend(extra.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))));
        if !parts.is_empty() {
            path.push('?');
            path.push_str(&parts.join("&"));
        }
        (host, path)
    }

    /// Adds the date and authorization headers to `req` (nothing when anonymous).
    fn sign(&self, req: &mut Req) {
        let now = std::time::SystemTime::now();
        let unix = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        match self.profile.sign_version {
            SignVersion::V1 => {
                req.headers.push(("date".into(), httpdate::fmt_http_date(now)));
            }
            SignVersion::V4 => {
                let d = ossd_sig::timefmt::format_iso8601_basic(unix).unwrap_or_default();
                req.headers.push(("x-oss-date".into(), d));
                req.headers.push(("x-oss-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
            }
        }
        let Some((ak, sk)) = &self.profile.credentials else { return };
        let signed = ossd_sig::SignedRequest {
            method: req.method,
            bucket: req.bucket.as_deref(),
            key: req.key.as_deref(),
            query: &req.query,
            headers: &req.headers,
        };
        let auth = match self.profile.sign_version {
            SignVersion::V1 => ossd_sig::v1::authorization(ak, sk, &signed),
            SignVersion::V4 => {
                ossd_sig::v4::authorization(ak, sk, &self.profile.region, &signed, &[])
            }
        };
        req.headers.push(("authorization".into(), auth));
    }

    /// Sends `req` and returns the answer whatever its status.
    pub async fn send(&self, mut req: Req) -> Result<Resp> {
        self.sign(&mut req);
        let (host, target) = self.target(&req, &[]);
        let net = |detail: String| CliError::Network { endpoint: host.clone(), detail };
        let addr = if host.contains(':') { host.clone() } else { format!("{host}:80") };
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&addr))
            .await
            .map_err(|_| net("connect timed out".into()))?
            .map_err(|e| net(e.to_string()))?;
        // Headers and body go out in separate writes: without NODELAY each request waits for
        // the peer's delayed ACK.
        let _ = stream.set_nodelay(true);
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(io)
            .await
            .map_err(|e| net(e.to_string()))?;
        tokio::spawn(conn);
        let mut builder = hyper::Request::builder().method(req.method).uri(target.as_str());
        builder = builder.header("host", &host);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !req.body.is_empty() || matches!(req.method, "PUT" | "POST") {
            builder = builder.header("content-length", req.body.len().to_string());
        }
        let request = builder
            .body(Full::new(req.body.clone()))
            .map_err(|e| CliError::Usage(format!("cannot build the request: {e}")))?;
        let exchange = async {
            let resp = sender.send_request(request).await.map_err(|e| net(e.to_string()))?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())
                })
                .collect();
            let body = resp.into_body().collect().await.map_err(|e| net(e.to_string()))?.to_bytes();
            Ok(Resp { status, headers, body })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| net("request timed out".into()))?
    }

    /// Sends `req`; a non-2xx answer becomes [`CliError::Oss`].
    pub async fn call(&self, req: Req) -> Result<Resp> {
        let r = self.send(req).await?;
        if (200..300).contains(&r.status) { Ok(r) } else { Err(CliError::Oss(r.oss_error())) }
    }
}
