//! HTTPS: a test CA and server certificate made at test time (rcgen); HTTP/1.1 and HTTP/2 chosen
//! by ALPN with the OSS pipeline behind both; the certificate reloaded on SIGHUP for new
//! connections while an open one keeps working; the plain listener beside HTTPS; the connection
//! cap over TLS connections too.

use crate::harness::{AK, Ossd, Req, SK, StartOpts, free_port, make_bucket};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A test CA that signs server certificates for `localhost` and `127.0.0.1`.
pub struct TestCa {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, "ossd test CA");
        p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = p.self_signed(&key).expect("CA");
        TestCa { cert, key }
    }

    /// Writes a new server certificate (serial `serial`) and key as `cert.pem` / `key.pem` in
    /// `dir`; returns the certificate's DER.
    pub fn issue(&self, dir: &Path, serial: u64) -> CertificateDer<'static> {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let mut p = rcgen::CertificateParams::new(names).expect("params");
        p.serial_number = Some(rcgen::SerialNumber::from(serial));
        p.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = p.signed_by(&key, &self.cert, &self.key).expect("sign");
        // Written aside and renamed, as an operator's renewal would.
        for (name, text) in [("cert.pem", cert.pem()), ("key.pem", key.serialize_pem())] {
            let tmp = dir.join(format!("{name}.new"));
            std::fs::write(&tmp, text).expect("write");
            std::fs::rename(&tmp, dir.join(name)).expect("rename");
        }
        cert.der().clone()
    }

    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }
}

/// An HTTPS server with a plain listener beside it (also used to wait for it to start).
pub fn start_https(dir: &Path, extra: &[&str]) -> (Ossd, SocketAddr) {
    let plain: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let mut args = vec![
        "--tls-cert".to_owned(),
        dir.join("cert.pem").display().to_string(),
        "--tls-key".to_owned(),
        dir.join("key.pem").display().to_string(),
        "--http-listen".to_owned(),
        plain.to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let s = Ossd::start_with(&StartOpts { args, probe: Some(plain), ..StartOpts::default() });
    (s, plain)
}

/// A test CA, a certificate (`serial`) for it in a fresh directory, and an HTTPS server using it.
fn https_fixture(serial: u64, extra: &[&str]) -> (tempfile::TempDir, TestCa, Ossd, SocketAddr) {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = TestCa::new();
    ca.issue(tmp.path(), serial);
    let (s, plain) = start_https(tmp.path(), extra);
    (tmp, ca, s, plain)
}

/// Connects over TLS trusting only `ca`, offering `alpn`.
async fn connect(
    addr: SocketAddr,
    ca: &TestCa,
    alpn: &[&[u8]],
) -> std::io::Result<TlsStream<TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der()).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").expect("name");
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await
}

/// The certificate the server presented on `s`.
fn served(s: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    s.get_ref().1.peer_certificates().expect("peer certificates")[0].clone().into_owned()
}

/// A request built from the harness's (signed) `Req`, for a hyper client on `host`.
fn hyper_req(r: &Req, host: &str, h2: bool) -> http::Request<Full<bytes::Bytes>> {
    with_body(r, host, h2, Full::new(bytes::Bytes::from(r.body.clone())))
}

/// The same with `body` as the body.
fn with_body<B>(r: &Req, host: &str, h2: bool, body: B) -> http::Request<B> {
    let uri = if h2 { format!("https://{host}{}", r.target()) } else { r.target() };
    let mut b = http::Request::builder().method(r.method.as_str()).uri(uri);
    if !h2 {
        b = b.header("host", host);
    }
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(body).expect("request")
}

fn signed(mut r: Req) -> Req {
    r.sign(AK, SK);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_http1_and_http2_by_alpn() {
    let (_tmp, ca, s, plain) = tokio::task::block_in_place(|| https_fixture(1, &[]));
    tokio::task::block_in_place(|| make_bucket(&Ossd::client_for(plain), "tls"));
    let host = format!("localhost:{}", s.addr.port());

    // HTTP/2: a signed PUT and GET of an object through the OSS pipeline.
    let tls = connect(s.addr, &ca, &[b"h2"]).await.expect("connect");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    let put = signed(Req::new("PUT", "/tls/over-h2").body("sent over HTTP/2"));
    let r = send.send_request(hyper_req(&put, &host, true)).await.expect("PUT");
    assert_eq!(r.version(), http::Version::HTTP_2);
    assert_eq!(r.status(), 200);
    let get = signed(Req::new("GET", "/tls/over-h2"));
    let r = send.send_request(hyper_req(&get, &host, true)).await.expect("GET");
    assert_eq!(r.status(), 200);
    let body = r.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"sent over HTTP/2");

    // HTTP/1.1 when the client offers only that (or nothing).
    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        let tls = connect(s.addr, &ca, alpn).await.expect("connect");
        let (mut send, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.expect("h1 handshake");
        tokio::spawn(conn);
        let r = send.send_request(hyper_req(&get, &host, false)).await.expect("GET");
        assert_eq!(r.version(), http::Version::HTTP_11);
        assert_eq!(r.status(), 200);
    }

    // The plain listener beside HTTPS serves the same store.
    let r = tokio::task::block_in_place(|| {
        Ossd::client_for(plain).signed(Req::new("GET", "/tls/over-h2"))
    });
    assert_eq!(r.text(), "sent over HTTP/2");
    // A client that does not trust the CA is refused by its own TLS stack.
    let other = TestCa::new();
    assert!(connect(s.addr, &other, &[]).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_for_new_connections_and_keeps_open_ones() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = TestCa::new();
    let first = ca.issue(tmp.path(), 1001);
    let (s, _) = tokio::task::block_in_place(|| start_https(tmp.path(), &[]));
    let host = format!("localhost:{}", s.addr.port());
    let health = Req::new("GET", "/-/healthz");

    let tls = connect(s.addr, &ca, &[b"http/1.1"]).await.expect("connect");
    assert_eq!(served(&tls), first);
    let (mut open, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.expect("handshake");
    tokio::spawn(conn);
    assert_eq!(
        open.send_request(hyper_req(&health, &host, false)).await.expect("req").status(),
        200
    );

    // A broken file is refused and the old certificate stays.
    std::fs::write(tmp.path().join("cert.pem"), "not a certificate").expect("write");
    hup(&s);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tls = connect(s.addr, &ca, &[]).await.expect("connect after a bad reload");
    assert_eq!(served(&tls), first);

    let second = ca.issue(tmp.path(), 1002);
    assert_ne!(first, second);
    hup(&s);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let tls = connect(s.addr, &ca, &[]).await.expect("connect");
        if served(&tls) == second {
            break;
        }
        assert!(Instant::now() < deadline, "the new certificate was not served after SIGHUP");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The connection opened before the reload still works.
    assert_eq!(
        open.send_request(hyper_req(&health, &host, false)).await.expect("req").status(),
        200
    );
}

fn hup(s: &Ossd) {
    let pid = s.child.as_ref().expect("child").id().to_string();
    let st = std::process::Command::new("kill").args(["-HUP", &pid]).status().expect("kill");
    assert!(st.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_covers_tls_connections() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = TestCa::new();
    ca.issue(tmp.path(), 7);
    // One slot, taken by the first TLS connection.
    let (s, plain) =
        tokio::task::block_in_place(|| start_https(tmp.path(), &["--max-connections", "1"]));
    // The start-up probe's connection may still hold the slot for a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    let first = loop {
        match connect(s.addr, &ca, &[]).await {
            Ok(c) => break c,
            Err(e) => assert!(Instant::now() < deadline, "first connection: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The second is closed without a handshake (a TLS client cannot read a plain 503).
    let second = tokio::time::timeout(Duration::from_secs(5), connect(s.addr, &ca, &[])).await;
    assert!(matches!(second, Ok(Err(_))), "a connection over the cap was served");
    drop(first);
    // The refusal is counted (the plain listener shares the cap: retry until the slot is free).
    let plain = Ossd::client_for(plain);
    let deadline = Instant::now() + Duration::from_secs(5);
    let metrics = loop {
        match tokio::task::block_in_place(|| {
            let mut r = Req::new("GET", "/-/metrics");
            r.sign(AK, SK);
            plain.try_send(&r)
        }) {
            Ok(r) if r.status == 200 => break r.text(),
            _ => assert!(Instant::now() < deadline, "metrics not served after the slot was freed"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let m = crate::metrics::parse_exposition(&metrics).expect("exposition");
    assert!(m["ossd_refused_connections_total"] >= 1.0, "{metrics}");
    assert_eq!(m["ossd_max_connections"], 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let (_tmp, ca, s, _) =
        tokio::task::block_in_place(|| https_fixture(9, &["--idle-timeout", "1"]));
    let host = format!("localhost:{}", s.addr.port());
    let tls = connect(s.addr, &ca, &[b"h2"]).await.expect("connect");
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .expect("h2 handshake");
    let conn = tokio::spawn(conn);
    let health = Req::new("GET", "/-/healthz");
    assert_eq!(
        send.send_request(hyper_req(&health, &host, true)).await.expect("req").status(),
        200
    );
    // The server ends the connection (GOAWAY, then close) once it has been idle for a second.
    let ended = tokio::time::timeout(Duration::from_secs(10), conn).await;
    assert!(ended.is_ok(), "an idle HTTP/2 connection stayed open");
    assert!(send.send_request(hyper_req(&health, &host, true)).await.is_err());
}

/// A request body fed through a channel: it ends when the sender is dropped.
struct ChanBody(tokio::sync::mpsc::Receiver<bytes::Bytes>);

impl hyper::body::Body for ChanBody {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_runs_at_most_32_requests_at_once() {
    let (_tmp, ca, s, plain) = tokio::task::block_in_place(|| https_fixture(11, &[]));
    let plain = Ossd::client_for(plain);
    tokio::task::block_in_place(|| make_bucket(&plain, "streams"));
    let host = format!("localhost:{}", s.addr.port());
    let tls = connect(s.addr, &ca, &[b"h2"]).await.expect("connect");
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    let request = |r: &Req| {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        (with_body(r, &host, true, ChanBody(rx)), tx)
    };
    // 32 uploads that announce 10 bytes and send 5: each stays in flight, waiting for its body.
    let mut held = Vec::new();
    for i in 0..32 {
        let put = signed(Req::new("PUT", &format!("/streams/k{i}")).header("Content-Length", "10"));
        let (req, tx) = request(&put);
        tx.send(bytes::Bytes::from_static(b"12345")).await.expect("send");
        let mut sender = send.clone();
        held.push((tokio::spawn(async move { sender.send_request(req).await }), tx));
    }
    let in_flight = || {
        let r = plain.signed(Req::new("GET", "/-/metrics"));
        let m = crate::metrics::parse_exposition(&r.text()).expect("exposition");
        m.get("ossd_requests_in_flight").copied().unwrap_or(-1.0)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    // 32 uploads, plus the metrics request itself.
    while tokio::task::block_in_place(in_flight) != 33.0 {
        assert!(Instant::now() < deadline, "the 32 uploads did not all start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A 33rd request on the same connection waits for a stream.
    let (req, tx) = request(&Req::new("GET", "/-/healthz"));
    drop(tx);
    let mut sender = send.clone();
    let mut third = tokio::spawn(async move { sender.send_request(req).await });
    assert!(tokio::time::timeout(Duration::from_millis(500), &mut third).await.is_err());
    assert_eq!(tokio::task::block_in_place(in_flight), 33.0, "no 34th request ran");
    // One upload finishes: its stream frees a slot for the waiting request.
    let (first, tx) = held.remove(0);
    tx.send(bytes::Bytes::from_static(b"67890")).await.expect("send");
    drop(tx);
    assert_eq!(first.await.expect("join").expect("PUT").status(), 200);
    let r = tokio::time::timeout(Duration::from_secs(10), third).await.expect("served");
    assert_eq!(r.expect("join").expect("GET").status(), 200);
}

/// `systemctl reload` sends SIGHUP whatever the configuration: without TLS it changes nothing
/// (its default action would end the process).
#[test]
fn sighup_without_tls_keeps_the_server_serving() {
    let s = Ossd::start();
    hup(&s);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.send(&Req::new("GET", "/-/healthz")).status, 200);
}

/// A client that connects to the HTTPS port and never starts the handshake is closed after the
/// idle timeout, and its connection slot is free again.
#[test]
fn a_silent_tls_client_is_closed_after_the_idle_timeout() {
    use std::io::Read;
    let (_tmp, _ca, s, _) = https_fixture(13, &["--idle-timeout", "1"]);
    let mut silent = std::net::TcpStream::connect(s.addr).expect("connect");
    silent.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut buf = [0u8; 16];
    let n = silent.read(&mut buf).expect("closed by the server, not by our read timeout");
    assert_eq!(n, 0, "the server sent bytes to a client that said nothing");
}

/// The console's session cookie is `Secure` when the sign-in came over HTTPS, and not on the plain
/// listener beside it (a browser would drop a `Secure` cookie set over plain HTTP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_cookie_is_secure_over_https_only() {
    let (_tmp, ca, s, plain) = tokio::task::block_in_place(|| https_fixture(1, &[]));
    let host = format!("localhost:{}", s.addr.port());
    let body = serde_json::json!({ "access_key_id": AK, "access_key_secret": SK }).to_string();
    let sign_in = Req::new("POST", "/-/console/api/session")
        .header("Content-Type", "application/json")
        .body(body);
    let tls = connect(s.addr, &ca, &[b"http/1.1"]).await.expect("connect");
    let (mut send, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.expect("h1 handshake");
    tokio::spawn(conn);
    let r = send.send_request(hyper_req(&sign_in, &host, false)).await.expect("sign in");
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").expect("set-cookie").to_str().expect("ascii");
    assert!(cookie.split("; ").any(|a| a == "Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let r = tokio::task::block_in_place(|| Ossd::client_for(plain).send(&sign_in));
    assert_eq!(r.status, 200);
    let cookie = r.header("set-cookie").expect("set-cookie");
    assert!(!cookie.split("; ").any(|a| a == "Secure"), "{cookie}");
}
