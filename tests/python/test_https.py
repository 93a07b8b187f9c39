"""HTTPS: both official SDKs against ossd serving TLS with a test CA made at test time (the
`openssl` command line), trusted through REQUESTS_CA_BUNDLE as an operator's private CA would
be; and refused by both when the CA is not trusted (neither SDK skips verification by default)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from conftest import REGION, OssdServer, new_credentials


def make_ca_and_cert(d: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ossd test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf")
    return d / "ca.pem", d / "cert.pem", d / "key.pem"


def v2_client(srv: OssdServer, **settings) -> oss.Client:
    """An alibabacloud-oss-v2 client of `srv` (path style, root key)."""
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        srv.creds.access_key_id, srv.creds.access_key_secret)
    cfg.region = REGION
    cfg.endpoint = srv.endpoint
    cfg.use_path_style = True
    for k, v in settings.items():
        setattr(cfg, k, v)
    return oss.Client(cfg)


@pytest.fixture
def https_server(tmp_path):
    ca, cert, key = make_ca_and_cert(tmp_path)
    srv = OssdServer(tmp_path / "data", new_credentials())
    srv.extra_args = ["--tls-cert", str(cert), "--tls-key", str(key)]
    srv.verify = str(ca)
    # The certificate names 127.0.0.1 too: the SDKs use path style on an IP endpoint.
    srv.scheme = "https"
    srv.start()
    yield srv, ca
    srv.kill()


def test_both_sdks_over_https_with_a_private_ca(https_server, monkeypatch):
    srv, ca = https_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    creds = srv.creds
    auth = oss2.Auth(creds.access_key_id, creds.access_key_secret)
    bucket = oss2.Bucket(auth, srv.endpoint, "tls-bucket")
    bucket.create_bucket()
    bucket.put_object("hello.txt", b"over https")
    assert bucket.get_object("hello.txt").read() == b"over https"

    client = v2_client(srv)
    client.put_object(oss.PutObjectRequest(bucket="tls-bucket", key="v2.txt", body=b"v2 over https"))
    got = client.get_object(oss.GetObjectRequest(bucket="tls-bucket", key="v2.txt"))
    assert got.body.read() == b"v2 over https"
    url = client.presign(oss.GetObjectRequest(bucket="tls-bucket", key="v2.txt")).url
    assert url.startswith("https://127.0.0.1:")
    assert requests.get(url, timeout=5).content == b"v2 over https"


def test_an_untrusted_certificate_is_refused_by_both_sdks(https_server, monkeypatch):
    srv, _ = https_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    creds = srv.creds
    bucket = oss2.Bucket(oss2.Auth(creds.access_key_id, creds.access_key_secret),
                         srv.endpoint, "tls-bucket")
    with pytest.raises(oss2.exceptions.RequestError) as e:
        bucket.create_bucket()
    assert "CERTIFICATE_VERIFY_FAILED" in str(e.value)

    with pytest.raises(Exception) as e2:
        v2_client(srv, retry_max_attempts=1).put_bucket(oss.PutBucketRequest(bucket="tls-bucket"))
    assert "CERTIFICATE_VERIFY_FAILED" in str(e2.value)
