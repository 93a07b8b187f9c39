//! Test harness: start/stop the binary, a minimal HTTP/1.1 client, and V1 request signing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const AK: &str = "test-ak";
pub const SK: &str = "test-sk";

/// A running ossd process with its own data directory.
pub struct Ossd {
    pub addr: SocketAddr,
    pub child: Option<Child>,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Ossd {
    /// Starts a server on a fresh temporary data directory.
    pub fn start() -> Ossd {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut s = Ossd::start_in(&dir);
        s._tmp = Some(tmp);
        s
    }

    /// Starts a server on an existing data directory.
    pub fn start_in(dir: &Path) -> Ossd {
        Ossd::start_in_with(dir, &StartOpts::default())
    }

    /// Starts a server on a fresh temporary data directory, with extra options.
    pub fn start_with(opts: &StartOpts) -> Ossd {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut s = Ossd::start_in_with(&dir, opts);
        s._tmp = Some(tmp);
        s
    }

    /// Starts a server on an existing data directory, with extra options.
    pub fn start_in_with(dir: &Path, opts: &StartOpts) -> Ossd {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let mut cmd = match opts.nofile {
            // prlimit sets the limit and then runs the server in its place (same process id).
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(env!("CARGO_BIN_EXE_ossd"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_ossd")),
        };
        cmd.args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(dir)
            .args(["--log-level", opts.log_level.as_deref().unwrap_or("warn")])
            .args(["--shutdown-grace", "5"])
            .args(&opts.args)
            .env("OSSD_ROOT_ACCESS_KEY_ID", AK)
            .env("OSSD_ROOT_ACCESS_KEY_SECRET", SK)
            .stdout(Stdio::null());
        match &opts.log_to {
            Some(path) => cmd.stderr(std::fs::File::create(path).expect("log file")),
            None => cmd.stderr(Stdio::inherit()),
        };
        let child = cmd.spawn().expect("spawn ossd");
        let s = Ossd { addr, child: Some(child), dir: dir.to_path_buf(), _tmp: None };
        let probe = Ossd::client_for(opts.probe.unwrap_or(addr));
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if probe.try_send(&Req::new("GET", "/-/healthz")).is_ok_and(|r| r.status == 200) {
                return s;
            }
            assert!(Instant::now() < deadline, "ossd did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A handle that only talks to an already running server (it owns no process).
    pub fn client_for(addr: SocketAddr) -> Ossd {
        Ossd { addr, child: None, dir: PathBuf::new(), _tmp: None }
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit status code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return st.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("ossd did not stop after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, no clean-up.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn send(&self, req: &Req) -> Resp {
        self.try_send(req).expect("request")
    }

    pub fn try_send(&self, req: &Req) -> std::io::Result<Resp> {
        let mut s = TcpStream::connect(self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.target());
        let host = req.host.clone().unwrap_or_else(|| self.addr.to_string());
        head.push_str(&format!("Host: {host}\r\nConnection: close\r\n"));
        for (k, v) in &req.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", req.body.len()));
        s.write_all(head.as_bytes())?;
        s.write_all(&req.body)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        Ok(Resp::parse(&raw, req.method == "HEAD"))
    }

    /// Sends the request signed with the root key (V1 header).
    pub fn signed(&self, mut req: Req) -> Resp {
        req.sign(AK, SK);
        self.send(&req)
    }
}

impl Drop for Ossd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Options for [`Ossd::start_with`].
#[derive(Default)]
pub struct StartOpts {
    /// Extra arguments of `ossd serve`.
    pub args: Vec<String>,
    /// Where stderr (the log) goes; inherited when `None`.
    pub log_to: Option<PathBuf>,
    /// The log filter (`warn` when `None`).
    pub log_level: Option<String>,
    /// Soft and hard open-files limit for the server process (set with `prlimit`).
    pub nofile: Option<u64>,
    /// Where to ask `/-/healthz` over plain HTTP before returning (the main address when
    /// `None`; an HTTPS server is probed on its plain or metrics listener).
    pub probe: Option<SocketAddr>,
}

/// A request to send.
#[derive(Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub host: Option<String>,
}

impl Req {
    pub fn new(method: &str, path_and_query: &str) -> Req {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (path_and_query.to_owned(), String::new()),
        };
        Req {
            method: method.into(),
            path,
            query,
            headers: Vec::new(),
            body: Vec::new(),
            host: None,
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Req {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Req {
        self.body = b.into();
        self
    }
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
    /// Adds Date and a V1 Authorization header (path-style: bucket is the first path segment).
    pub fn sign(&mut self, ak: &str, sk: &str) {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        self.headers.push(("Date".into(), date.clone()));
        let decoded: String = percent_decode(&self.path);
        let rest = decoded.trim_start_matches('/');
        let (bucket, key) = match rest.split_once('/') {
            Some((b, k)) => {
                (Some(b.to_owned()), if k.is_empty() { None } else { Some(k.to_owned()) })
            }
            None if rest.is_empty() => (None, None),
            None => (Some(rest.to_owned()), None),
        };
        let query: Vec<(String, Option<String>)> = self
            .query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), Some(percent_decode(v))),
                None => (percent_decode(p), None),
            })
            .collect();
        let headers: Vec<(String, String)> =
            self.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
        let sreq = ossd_sig::SignedRequest {
            method: &self.method,
            bucket: bucket.as_deref(),
            key: key.as_deref(),
            query: &query,
            headers: &headers,
        };
        let sts = ossd_sig::v1::string_to_sign(&sreq, &date);
        let sig = ossd_sig::v1::sign(sk, &sts);
        self.headers.push(("Authorization".into(), format!("OSS {ak}:{sig}")));
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf8")
}

/// A parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    fn parse(raw: &[u8], head: bool) -> Resp {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
        let head_text = std::str::from_utf8(&raw[..split]).expect("utf8 head");
        let mut lines = head_text.split("\r\n");
        let status_line = lines.next().expect("status line");
        let status: u16 =
            status_line.split(' ').nth(1).expect("status").parse().expect("status num");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let body = if head { Vec::new() } else { raw[split + 4..].to_vec() };
        Resp { status, headers, body }
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(k, _)| k == name).count()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The text of `<Code>` in an error body (or decoded from x-oss-err for HEAD).
    pub fn code(&self) -> String {
        let text = if self.body.is_empty() {
            use base64::Engine;
            self.header("x-oss-err")
                .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        } else {
            self.text()
        };
        between(&text, "<Code>", "</Code>").unwrap_or_default()
    }
}

pub fn between(s: &str, a: &str, b: &str) -> Option<String> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(s[i..j].to_owned())
}

/// Creates a bucket and asserts success.
pub fn make_bucket(s: &Ossd, name: &str) {
    let r = s.signed(Req::new("PUT", &format!("/{name}/")));
    assert_eq!(r.status, 200, "create bucket {name}: {}", r.text());
}
