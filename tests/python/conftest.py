"""Fixtures for the ossd conformance suite (official oss2 and alibabacloud-oss-v2 SDKs).

Server contract: `$OSSD_BIN` (default target/release/ossd) is started as
`ossd serve --listen 127.0.0.1:PORT --data-dir DIR --region cn-hangzhou` with
OSSD_ROOT_ACCESS_KEY_ID / OSSD_ROOT_ACCESS_KEY_SECRET in the environment, and is ready when
`GET /-/healthz` answers 200. With OSSD_ENDPOINT (+ the two key variables) set, the suite uses
that running server instead (tests that restart or kill a server always start their own).
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "target" / "release" / "ossd"
REGION = "cn-hangzhou"
READY_TIMEOUT = 10.0
REQUEST_ID_RE = re.compile(r"^[0-9A-F]{24}$")

# Exact OSS texts (OSS docs: OPTIONS Object and the error pages).
MSG_NO_SUCH_BUCKET = "The specified bucket does not exist."
MSG_NO_SUCH_CORS = "The CORS Configuration does not exist."
MSG_BUCKET_NOT_EMPTY = "The bucket has objects. Please delete them first."
MSG_INVALID_DIGEST = "The Content-MD5 you specified was invalid."
MSG_MALFORMED_XML = (
    "The XML you provided was not well-formed or did not validate against our published schema."
)
MSG_CORS_FORBIDDEN = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are "
    "not whitelisted by the resource's CORS spec."
)


# --------------------------------------------------------------------------------------------
# Server process management
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ossd_binary() -> Path:
    path = Path(os.environ.get("OSSD_BIN") or DEFAULT_BIN)
    if not path.is_file():
        pytest.exit(
            f"ossd binary not found at {path}: run `cargo build --release` first or set OSSD_BIN",
            returncode=3,
        )
    return path


@dataclass
class Credentials:
    access_key_id: str
    access_key_secret: str


def require_env(var: str, require: str, what: str) -> str:
    """The value of `var`; without it the test is skipped, or fails when `require`=1 (CI)."""
    value = os.environ.get(var, "")
    if not value:
        if os.environ.get(require) == "1":
            pytest.fail(f"{require}=1 but {var} is not set")
        pytest.skip(f"no {what}: set {var}")
    return value


def wait_until(check, timeout: float) -> bool:
    """Calls `check` every 0.25 s until it is true or `timeout` seconds passed; its last answer."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def assert_wrong_blob_secret_fails_the_start(tmp_path: Path, url: str, access_key_id: str,
                                             scheme: str) -> None:
    """A node given a wrong secret for its `--blobs` service `url` does not start; its log names
    the service but never the secret."""
    bad = tmp_path / "bad.toml"
    bad.write_text(f'access_key_id = "{access_key_id}"\nsecret_access_key = "wrong-secret-value"\n')
    srv = OssdServer(tmp_path / "data-bad", new_credentials())
    srv.log_path = tmp_path / "node-bad.log"
    srv.extra_args = ["--blobs", url, "--blobs-secret-file", str(bad)]
    with pytest.raises(RuntimeError, match="exited"):
        srv.start()
    srv.kill()
    log = srv.log_path.read_text(errors="replace")
    assert "wrong-secret-value" not in log
    assert f"blobs at {scheme}://" in log


def new_credentials() -> Credentials:
    return Credentials("LTAI" + secrets.token_hex(8).upper(), secrets.token_urlsafe(24))


class OssdServer:
    """One ossd process on 127.0.0.1:port with its own data directory."""

    def __init__(self, data_dir: Path, creds: Credentials, port: int | None = None):
        self.data_dir = Path(data_dir)
        self.creds = creds
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"ossd-{self.data_dir.name}.log"
        self.starts = 0
        # More `ossd serve` flags (e.g. --tls-cert), and how `requests` checks the certificate.
        self.extra_args: list[str] = []
        self.verify: bool | str = True
        self.scheme = "http"
        self.host = "127.0.0.1"

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> "OssdServer":
        binary = ossd_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["OSSD_ROOT_ACCESS_KEY_ID"] = self.creds.access_key_id
        env["OSSD_ROOT_ACCESS_KEY_SECRET"] = self.creds.access_key_secret
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts + 1} =====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [
                str(binary), "serve",
                "--listen", f"127.0.0.1:{self.port}",
                "--data-dir", str(self.data_dir),
                "--region", REGION,
                *self.extra_args,
            ],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        self.starts += 1
        self.wait_ready()
        return self

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"ossd exited with {self.proc.returncode} before it was ready:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                r = requests.get(f"{self.endpoint}/-/healthz", timeout=2, verify=self.verify)
                if r.status_code == 200:
                    return
                last = f"healthz answered {r.status_code}"
            except (OSError, requests.RequestException) as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"ossd not ready after {timeout}s ({last}):\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait; returns the exit code (kills and raises if it hangs)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise RuntimeError(f"ossd did not exit within {timeout}s of SIGTERM")
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class ExternalServer:
    endpoint: str
    creds: Credentials


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    endpoint = os.environ.get("OSSD_ENDPOINT")
    if endpoint:
        ak = os.environ.get("OSSD_ROOT_ACCESS_KEY_ID")
        sk = os.environ.get("OSSD_ROOT_ACCESS_KEY_SECRET")
        if not ak or not sk:
            pytest.exit("OSSD_ENDPOINT needs OSSD_ROOT_ACCESS_KEY_ID/SECRET", returncode=3)
        yield ExternalServer(endpoint.rstrip("/"), Credentials(ak, sk))
        return
    base = tmp_path_factory.mktemp("ossd-session")
    srv = OssdServer(base / "data", new_credentials())
    try:
        srv.start()
    except RuntimeError as e:
        pytest.exit(str(e), returncode=3)
    yield srv
    try:
        srv.stop()
    except RuntimeError:
        pass


@pytest.fixture
def spawn_server(tmp_path):
    """Factory for private ossd instances (restart and crash tests); all killed at teardown."""
    started: list[OssdServer] = []

    def _spawn(data_dir: Path | None = None, creds: Credentials | None = None,
               port: int | None = None) -> OssdServer:
        srv = OssdServer(data_dir or (tmp_path / f"data{len(started)}"),
                         creds or new_credentials(), port)
        started.append(srv)
        return srv.start()

    yield _spawn
    for srv in started:
        srv.kill()


@pytest.fixture(scope="session")
def endpoint(server) -> str:
    return server.endpoint


@pytest.fixture(scope="session")
def creds(server) -> Credentials:
    return server.creds


# --------------------------------------------------------------------------------------------
# SDK clients
# --------------------------------------------------------------------------------------------


def oss2_auth(creds: Credentials, version: str = "v1"):
    if version == "v1":
        return oss2.Auth(creds.access_key_id, creds.access_key_secret)
    if version == "v4":
        provider = oss2.credentials.StaticCredentialsProvider(
            creds.access_key_id, creds.access_key_secret)
        return oss2.ProviderAuthV4(provider)
    raise ValueError(version)


def oss2_bucket(endpoint: str, creds: Credentials, name: str, version: str = "v1",
                **kw) -> oss2.Bucket:
    return oss2.Bucket(oss2_auth(creds, version), endpoint, name, region=REGION,
                       connect_timeout=30, **kw)


def oss2_service(endpoint: str, creds: Credentials, version: str = "v1") -> oss2.Service:
    return oss2.Service(oss2_auth(creds, version), endpoint, region=REGION, connect_timeout=30)


def v2_client(endpoint: str, creds: Credentials, version: str = "v4") -> oss.Client:
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret)
    cfg.region = REGION
    cfg.endpoint = endpoint
    cfg.use_path_style = True
    cfg.retry_max_attempts = 1
    if version == "v1":
        cfg.signature_version = "v1"
    return oss.Client(cfg)


def unique_bucket_name(tag: str = "t") -> str:
    return f"ossd-py-{tag}-{secrets.token_hex(6)}"


def purge_bucket(endpoint: str, creds: Credentials, name: str) -> None:
    """Delete every object and then the bucket; ignore every error (best-effort cleanup)."""
    b = oss2_bucket(endpoint, creds, name)
    try:
        keys = [o.key for o in oss2.ObjectIterator(b)]
        for i in range(0, len(keys), 1000):
            b.batch_delete_objects(keys[i:i + 1000])
    except Exception:
        pass
    try:
        # A bucket that was versioned keeps versions and delete markers: remove them one by one.
        if b.get_bucket_versioning().status:
            while True:
                page = b.list_object_versions(max_keys=1000)
                entries = page.versions + page.delete_marker
                if not entries:
                    break
                for v in entries:
                    b.delete_object(v.key, params={"versionId": v.versionid})
    except Exception:
        pass
    try:
        b.delete_bucket()
    except Exception:
        pass


@pytest.fixture
def bucket_factory(endpoint, creds):
    """Creates buckets through oss2 (V1, root key) and removes them after the test."""
    made: list[str] = []

    def _make(tag: str = "t", name: str | None = None, **create_kw) -> str:
        name = name or unique_bucket_name(tag)
        oss2_bucket(endpoint, creds, name).create_bucket(**create_kw)
        made.append(name)
        return name

    yield _make
    for name in made:
        purge_bucket(endpoint, creds, name)


@pytest.fixture
def bucket_name(bucket_factory) -> str:
    return bucket_factory()


@pytest.fixture
def bucket(endpoint, creds, bucket_name) -> oss2.Bucket:
    """oss2 Bucket (signature V1, enable_crc=True) on a fresh bucket."""
    return oss2_bucket(endpoint, creds, bucket_name)


@pytest.fixture
def bucket_v4(endpoint, creds, bucket_name) -> oss2.Bucket:
    """oss2 Bucket signing with ProviderAuthV4 on a fresh bucket."""
    return oss2_bucket(endpoint, creds, bucket_name, version="v4")


@pytest.fixture
def service(endpoint, creds) -> oss2.Service:
    return oss2_service(endpoint, creds)


@pytest.fixture(params=["v1", pytest.param("v4", marks=pytest.mark.v4)])
def v2(request, endpoint, creds) -> oss.Client:
    """alibabacloud-oss-v2 client, once with signature_version='v1' and once with default V4."""
    return v2_client(endpoint, creds, request.param)


def v2_error(excinfo) -> oss.exceptions.ServiceError:
    """Unwraps the ServiceError inside the OperationError raised by the v2 SDK."""
    err = excinfo.value
    inner = err.unwrap() if isinstance(err, oss.exceptions.OperationError) else err
    assert isinstance(inner, oss.exceptions.ServiceError), repr(err)
    return inner


# --------------------------------------------------------------------------------------------
# Raw HTTP with a small V1 signer
# --------------------------------------------------------------------------------------------

SUBRESOURCES = frozenset([
    "acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle", "delete",
    "append", "tagging", "objectMeta", "uploadId", "partNumber", "security-token", "position",
    "img", "style", "styleName", "replication", "replicationProgress", "replicationLocation",
    "cname", "bucketInfo", "comp", "qos", "live", "status", "vod", "startTime", "endTime",
    "symlink", "x-oss-process", "response-content-type", "response-content-language",
    "response-expires", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "stat", "restore", "objectInfo", "versions", "versioning",
    "versionId", "policy", "requestPayment", "encryption", "inventory", "inventoryId",
    "continuation-token", "worm", "wormId", "wormExtend", "callback", "callback-var",
    "transferAcceleration", "qosInfo", "resourceGroup", "publicAccessBlock",
])


def http_date(ts: float | None = None) -> str:
    return email.utils.formatdate(ts if ts is not None else time.time(), usegmt=True)


def v1_signature(secret: str, method: str, headers: dict, bucket: str | None, key: str | None,
                 params: list[tuple[str, str | None]]) -> str:
    lower = {k.lower(): v for k, v in headers.items()}
    oss_headers = sorted((k, str(v).strip()) for k, v in lower.items() if k.startswith("x-oss-"))
    canon_headers = "".join(f"{k}:{v}\n" for k, v in oss_headers)
    resource = "/"
    if bucket:
        resource = f"/{bucket}/{key or ''}"
    sub = sorted((k, v) for k, v in params if k in SUBRESOURCES)
    if sub:
        resource += "?" + "&".join(k if v in (None, "") else f"{k}={v}" for k, v in sub)
    date = lower.get("x-oss-date") or lower.get("date", "")
    to_sign = "\n".join([
        method, lower.get("content-md5", ""), lower.get("content-type", ""), date,
        canon_headers + resource,
    ])
    digest = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class RawClient:
    """Hand-built requests against the server (path-style), V1-signed unless sign=False."""

    def __init__(self, endpoint: str, creds: Credentials):
        self.endpoint = endpoint
        self.creds = creds
        self.session = requests.Session()

    def url(self, bucket: str | None, key: str | None, params) -> str:
        path = "/"
        if bucket:
            path += bucket + "/"
            if key:
                path += urllib.parse.quote(key, safe="/")
        if params:
            parts = []
            for k, v in params:
                if v is None:
                    parts.append(urllib.parse.quote(k, safe=""))
                else:
                    parts.append(urllib.parse.quote(k, safe="") + "="
                                 + urllib.parse.quote(str(v), safe=""))
            path += "?" + "&".join(parts)
        return self.endpoint + path

    def request(self, method: str, bucket: str | None = None, key: str | None = None,
                params=None, headers: dict | None = None, data: bytes | None = None,
                sign: bool = True, access_key_id: str | None = None,
                access_key_secret: str | None = None, content_md5: bool = False,
                allow_redirects: bool = False) -> requests.Response:
        if isinstance(params, dict):
            params = list(params.items())
        params = list(params or [])
        hdrs = dict(headers or {})
        if data is not None and content_md5:
            hdrs["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        if sign:
            hdrs.setdefault("Date", http_date())
            ak = access_key_id or self.creds.access_key_id
            sk = access_key_secret or self.creds.access_key_secret
            sig = v1_signature(sk, method, hdrs, bucket, key, params)
            hdrs["Authorization"] = f"OSS {ak}:{sig}"
        req = requests.Request(method, self.url(bucket, key, params), headers=hdrs, data=data)
        prepared = self.session.prepare_request(req)
        if data is None and method in ("PUT", "POST"):
            prepared.headers["Content-Length"] = "0"
        return self.session.send(prepared, allow_redirects=allow_redirects, timeout=30)


@pytest.fixture(scope="session")
def raw(server) -> RawClient:
    return RawClient(server.endpoint, server.creds)


# --------------------------------------------------------------------------------------------
# Assertion helpers
# --------------------------------------------------------------------------------------------


def error_fields(body: bytes | str) -> dict:
    """Children of an OSS <Error> document as a dict (fails the test if it is not one)."""
    root = ET.fromstring(body)
    assert root.tag == "Error", f"not an OSS error document: {body[:300]!r}"
    return {child.tag: (child.text or "") for child in root}


def assert_common_headers(headers) -> None:
    """OSS docs, common response headers: x-oss-request-id (24 upper-case hex), Date (RFC 1123 GMT), Server."""
    rid = headers.get("x-oss-request-id")
    assert rid is not None, f"no x-oss-request-id in {dict(headers)}"
    assert REQUEST_ID_RE.match(rid), f"x-oss-request-id {rid!r} is not 24 upper-case hex chars"
    date = headers.get("Date")
    assert date, "no Date header"
    assert date.endswith(" GMT"), date
    assert email.utils.parsedate_to_datetime(date) is not None
    assert headers.get("Server") == "AliyunOSS", f"Server: {headers.get('Server')!r}"


def assert_oss_error(resp: requests.Response, status: int, code: str,
                     message: str | None = None) -> dict:
    """Checks status, XML error body (Code, Message, RequestId, HostId) and common headers."""
    assert resp.status_code == status, (
        f"expected {status} {code}, got {resp.status_code}: {resp.text[:500]}")
    assert_common_headers(resp.headers)
    if resp.request.method == "HEAD":
        encoded = resp.headers.get("x-oss-err")
        assert encoded, "HEAD error without x-oss-err header"
        fields = error_fields(base64.b64decode(encoded))
    else:
        ctype = resp.headers.get("Content-Type", "")
        assert "xml" in ctype, f"error Content-Type {ctype!r}"
        fields = error_fields(resp.content)
    assert fields.get("Code") == code, fields
    if message is not None:
        assert fields.get("Message") == message, fields
    assert fields.get("RequestId") == resp.headers["x-oss-request-id"], fields
    assert "HostId" in fields, fields
    return fields


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def etag_of(data: bytes) -> str:
    """OSS PutObject ETag: quoted upper-case hex MD5 (spec §2.2)."""
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


def crc64_of(data: bytes) -> int:
    crc = oss2.utils.Crc64()
    crc.update(data)
    return crc.crc


def vary_tokens(headers) -> set[str]:
    values = headers.get("Vary", "")
    return {t.strip().lower() for t in values.split(",") if t.strip()}
