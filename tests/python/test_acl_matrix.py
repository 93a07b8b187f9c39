"""What anonymous requests may do, for every bucket ACL × object ACL (OSS "Object ACLs" docs:
`default` inherits the bucket ACL; an explicit object ACL takes precedence over the bucket ACL
for reading and writing the object; public-read-write lets anyone read and write the object).
Bucket-level operations (ListObjects, PutObject of a new key) follow the bucket ACL only."""

from __future__ import annotations

import itertools

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import REGION, assert_oss_error, oss2_bucket, v2_error

BUCKET_ACLS = ["private", "public-read", "public-read-write"]
OBJECT_ACLS = ["default", "private", "public-read", "public-read-write"]


def effective(bucket_acl: str, object_acl: str) -> str:
    return bucket_acl if object_acl == "default" else object_acl


def expected(bucket_acl: str, object_acl: str) -> dict[str, int]:
    eff = effective(bucket_acl, object_acl)
    readable = eff in ("public-read", "public-read-write")
    writable = eff == "public-read-write"
    return {
        "GetObject": 200 if readable else 403,
        "HeadObject": 200 if readable else 403,
        "GetObjectRange": 206 if readable else 403,
        "PutObjectOver": 200 if writable else 403,
        "DeleteObject": 204 if writable else 403,
        "ListObjects": 200 if bucket_acl in ("public-read", "public-read-write") else 403,
        "ListObjectsV2": 200 if bucket_acl in ("public-read", "public-read-write") else 403,
        "PutObjectNew": 200 if bucket_acl == "public-read-write" else 403,
        # configuration stays with the owner whatever the ACLs
        "GetObjectAcl": 403,
        "PutObjectAcl": 403,
        "GetBucketAcl": 403,
    }


CASES = list(itertools.product(BUCKET_ACLS, OBJECT_ACLS))


@pytest.mark.parametrize("bucket_acl,object_acl", CASES,
                         ids=[f"bucket={b}-object={o}" for b, o in CASES])
def test_anonymous_matrix(raw, endpoint, creds, bucket_factory, bucket_acl, object_acl):
    name = bucket_factory("acl", permission=bucket_acl)
    owner = oss2_bucket(endpoint, creds, name)
    assert owner.get_bucket_acl().acl == bucket_acl
    headers = {} if object_acl == "default" else {"x-oss-object-acl": object_acl}
    # one object per mutating operation so that each starts from the same state
    for key in ("read", "over", "del"):
        owner.put_object(key, b"original " + key.encode(), headers=headers)
        assert owner.get_object_acl(key).acl == object_acl
    exp = expected(bucket_acl, object_acl)
    got: dict[str, int] = {}

    def anon(op, method, key=None, params=None, data=None, headers=None):
        r = raw.request(method, name, key, params=params, data=data, headers=headers, sign=False)
        got[op] = r.status_code
        if r.status_code >= 400:
            assert_oss_error(r, r.status_code, "AccessDenied")
        return r

    r = anon("GetObject", "GET", "read")
    if r.status_code == 200:
        assert r.content == b"original read"
    r = anon("GetObjectRange", "GET", "read", headers={"Range": "bytes=0-3"})
    if r.status_code == 206:
        assert r.content == b"orig"
    r = anon("HeadObject", "HEAD", "read")
    if r.status_code == 200:
        assert int(r.headers["Content-Length"]) == len(b"original read")
    anon("ListObjects", "GET", params=[("prefix", "")])
    anon("ListObjectsV2", "GET", params=[("list-type", "2")])
    anon("PutObjectOver", "PUT", "over", data=b"overwritten")
    anon("DeleteObject", "DELETE", "del")
    anon("PutObjectNew", "PUT", "brand-new", data=b"new")
    anon("GetObjectAcl", "GET", "read", params=[("acl", None)])
    anon("PutObjectAcl", "PUT", "read", params=[("acl", None)],
         headers={"x-oss-object-acl": "public-read-write"})
    anon("GetBucketAcl", "GET", params=[("acl", None)])

    assert got == exp, {op: (got[op], exp[op]) for op in exp if got[op] != exp[op]}

    # the owner's view agrees with what was allowed
    assert owner.get_object("over").read() == (
        b"overwritten" if exp["PutObjectOver"] == 200 else b"original over")
    assert owner.object_exists("del") == (exp["DeleteObject"] != 204)
    assert owner.object_exists("brand-new") == (exp["PutObjectNew"] == 200)
    assert owner.get_object_acl("read").acl == object_acl


def test_anonymous_overwrite_resets_object_acl(raw, endpoint, creds, bucket_factory):
    """A PutObject without x-oss-object-acl replaces the object, ACL included (back to
    default): after an anonymous overwrite of a public-read-write object in a private bucket,
    the object is private again for anonymous users."""
    name = bucket_factory("acl")
    owner = oss2_bucket(endpoint, creds, name)
    owner.put_object("k", b"v1", headers={"x-oss-object-acl": "public-read-write"})
    assert raw.request("PUT", name, "k", data=b"v2", sign=False).status_code == 200
    assert owner.get_object_acl("k").acl == "default"
    assert_oss_error(raw.request("GET", name, "k", sign=False), 403, "AccessDenied")


def test_changing_bucket_acl_applies_immediately(raw, endpoint, creds, bucket_factory):
    name = bucket_factory("acl")
    owner = oss2_bucket(endpoint, creds, name)
    owner.put_object("k", b"v")
    assert raw.request("GET", name, "k", sign=False).status_code == 403
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert raw.request("GET", name, "k", sign=False).status_code == 200
    owner.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    assert raw.request("GET", name, "k", sign=False).status_code == 403


def test_anonymous_missing_object(raw, bucket_factory):
    """Reading a key that does not exist: 404 NoSuchKey when the bucket is readable, 403 when
    it is not (no existence leak)."""
    private = bucket_factory("acl")
    public = bucket_factory("acl", permission="public-read")
    assert_oss_error(raw.request("GET", private, "nope", sign=False), 403, "AccessDenied")
    assert_oss_error(raw.request("GET", public, "nope", sign=False), 404, "NoSuchKey")


def test_v2_anonymous_client(endpoint, creds, bucket_factory):
    """The v2 SDK with AnonymousCredentialsProvider (no signature at all)."""
    public = bucket_factory("acl", permission="public-read")
    private = bucket_factory("acl")
    for name in (public, private):
        oss2_bucket(endpoint, creds, name).put_object("k", b"anon-v2")
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.AnonymousCredentialsProvider()
    cfg.region = REGION
    cfg.endpoint = endpoint
    cfg.use_path_style = True
    cfg.retry_max_attempts = 1
    client = oss.Client(cfg)
    got = client.get_object(oss.GetObjectRequest(bucket=public, key="k"))
    assert got.body.read() == b"anon-v2"
    with pytest.raises(oss.exceptions.OperationError) as ei:
        client.get_object(oss.GetObjectRequest(bucket=private, key="k"))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (403, "AccessDenied")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        client.put_object(oss.PutObjectRequest(bucket=public, key="w", body=b"x"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "AccessDenied")


# ------------------------------------------------------------------ refused uploads and keep-alive


def _read_response(sock) -> tuple[bytes, dict[str, str], bytes]:
    """One HTTP/1.1 response from `sock` (Content-Length bodies only): status line, headers
    (lower-case names), body. Raises ConnectionError if the peer closes first."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full response head: {buf[:200]!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    need = int(headers.get("content-length", "0"))
    while len(rest) < need:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of a response body")
        rest += chunk
    return lines[0], headers, rest[:need]


@pytest.mark.parametrize("body_timing", ["with-headers", "after-response"])
def test_refused_upload_keep_alive(endpoint, bucket_name, body_timing):
    """A PUT refused (403) before its body was read: the server either says `Connection:
    close` or keeps the connection usable for the next request (RFC 9112 §9.3/§9.6). Closing
    silently makes keep-alive clients (oss2, requests) fail their next request at random."""
    import socket
    import urllib.parse
    u = urllib.parse.urlsplit(endpoint)
    body = b"x" * 100_000
    head = (f"PUT /{bucket_name}/refused HTTP/1.1\r\nHost: {u.netloc}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        s.sendall(head + body if body_timing == "with-headers" else head)
        status, headers, _ = _read_response(s)
        assert status.split()[1] == b"403", status
        if headers.get("connection", "").lower() == "close":
            return
        # no "Connection: close": the connection must still work
        try:
            if body_timing == "after-response":
                s.sendall(body)
            s.sendall(f"GET /{bucket_name}/refused HTTP/1.1\r\nHost: {u.netloc}\r\n\r\n"
                      .encode())
            status2, _, _ = _read_response(s)
        except (ConnectionError, OSError) as e:
            pytest.fail(f"server closed the connection after a 403 without `Connection: close` "
                        f"({e!r})")
        assert status2.split()[1] == b"403", status2
