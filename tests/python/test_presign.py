"""Presigned URLs (OSS docs: "Add signatures to URLs", V1 and V4): URLs made by oss2 `sign_url` (V1 and
ProviderAuthV4) and alibabacloud-oss-v2 `presign` (V4 default and V1), used with plain `requests`;
expiry, tampering, header+query together, and missing V1 query parameters."""

from __future__ import annotations

import base64
import datetime
import hashlib
import time
import urllib.parse

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests
from alibabacloud_oss_v2.signer import SignerV1, SignerV4
from alibabacloud_oss_v2.types import Credentials as V2Credentials
from alibabacloud_oss_v2.types import HttpRequest, SigningContext

from conftest import (
    REGION, Credentials, assert_oss_error, etag_of, http_date, oss2_bucket, v1_signature, v2_client,
)

KEY = "presign/dir/a b+c&d=é.txt"     # '/', space, '+', '&', '=', non-ASCII: all must survive
MSG_MISSING_V1 = ("Query-string authentication requires the Signature, Expires and "
                  "OSSAccessKeyId parameters")


def split_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    """URL without its query, and the decoded query pairs in order."""
    parts = urllib.parse.urlsplit(url)
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base, urllib.parse.parse_qsl(parts.query, keep_blank_values=True)


def join_url(base: str, pairs: list[tuple[str, str]]) -> str:
    return base + "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="")


def replace_param(url: str, name: str, value: str | None) -> str:
    """The URL with query parameter `name` set to `value` (None removes it)."""
    base, pairs = split_url(url)
    assert any(k == name for k, _ in pairs), (name, url)
    out = [(k, value if k == name else v) for k, v in pairs if not (k == name and value is None)]
    return join_url(base, out)


def flip(sig: str) -> str:
    """The signature with its first character changed (still well-formed)."""
    c = sig[0]
    if c.isalpha():
        return ("B" if c == "A" else "A") + sig[1:]
    return ("1" if c == "0" else "0") + sig[1:]


def query_names(url: str) -> set[str]:
    return {k for k, _ in split_url(url)[1]}


def oss2_signer(endpoint, creds, bucket_name, version):
    return oss2_bucket(endpoint, creds, bucket_name, version=version)


# ------------------------------------------------------------------------------ oss2 sign_url


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_oss2_sign_url_get(endpoint, creds, bucket, bucket_name, version):
    data = b"presigned get " + version.encode()
    bucket.put_object(KEY, data, headers={"Content-Type": "text/x-pre"})
    url = oss2_signer(endpoint, creds, bucket_name, version).sign_url("GET", KEY, 120)
    names = query_names(url)
    if version == "v1":
        assert {"OSSAccessKeyId", "Expires", "Signature"} <= names, url
    else:
        assert {"x-oss-signature-version", "x-oss-credential", "x-oss-date", "x-oss-expires",
                "x-oss-signature"} <= names, url
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, r.text[:500]
    assert r.content == data
    assert r.headers["ETag"] == etag_of(data)
    assert r.headers["Content-Type"] == "text/x-pre"
    # The same URL works again until it expires.
    assert requests.get(url, timeout=30).content == data


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_oss2_sign_url_put(endpoint, creds, bucket, bucket_name, version):
    signer = oss2_signer(endpoint, creds, bucket_name, version)
    data = b"uploaded through a presigned PUT (" + version.encode() + b")"
    url = signer.sign_url("PUT", KEY, 120)
    r = requests.put(url, data=data, timeout=30)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["ETag"] == etag_of(data)
    assert bucket.get_object(KEY).read() == data


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_oss2_sign_url_put_with_signed_headers(endpoint, creds, bucket, bucket_name, version):
    """Content-Type and x-oss-meta-* given to sign_url are part of the signature: sending them
    works, changing them breaks the signature."""
    signer = oss2_signer(endpoint, creds, bucket_name, version)
    headers = {"Content-Type": "text/plain", "x-oss-meta-owner": "alice"}
    url = signer.sign_url("PUT", KEY, 120, headers=headers)
    r = requests.put(url, data=b"with meta", headers=headers, timeout=30)
    assert r.status_code == 200, r.text[:500]
    head = bucket.head_object(KEY)
    assert head.headers["Content-Type"] == "text/plain"
    assert head.headers["x-oss-meta-owner"] == "alice"
    r = requests.put(url, data=b"other meta", timeout=30,
                     headers={"Content-Type": "text/plain", "x-oss-meta-owner": "mallory"})
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    r = requests.put(url, data=b"other type", timeout=30,
                     headers={"Content-Type": "text/html", "x-oss-meta-owner": "alice"})
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    assert bucket.get_object(KEY).read() == b"with meta"


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_oss2_sign_url_wrong_method_or_key(endpoint, creds, bucket, bucket_name, version):
    bucket.put_object(KEY, b"x")
    bucket.put_object("other", b"y")
    signer = oss2_signer(endpoint, creds, bucket_name, version)
    url = signer.sign_url("GET", KEY, 120)
    assert_oss_error(requests.put(url, data=b"z", timeout=30), 403, "SignatureDoesNotMatch")
    assert_oss_error(requests.delete(url, timeout=30), 403, "SignatureDoesNotMatch")
    # Same query string, another object.
    base, _ = split_url(url)
    other = base.rsplit("/", 1)[0] + "/other?" + urllib.parse.urlsplit(url).query
    assert_oss_error(requests.get(other, timeout=30), 403, "SignatureDoesNotMatch")
    assert bucket.get_object(KEY).read() == b"x"


# ------------------------------------------------------------------------- v2 presign


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_v2_presign_get_and_put(endpoint, creds, bucket, bucket_name, version):
    client = v2_client(endpoint, creds, version)
    data = b"v2 presigned put " + version.encode()
    put = client.presign(oss.PutObjectRequest(bucket=bucket_name, key=KEY,
                                              content_type="application/x-v2"),
                         expires=datetime.timedelta(minutes=5))
    assert put.method == "PUT"
    if version == "v4":
        assert "x-oss-signature-version=OSS4-HMAC-SHA256" in put.url
    else:
        assert "OSSAccessKeyId=" in put.url
    r = requests.put(put.url, data=data, headers=dict(put.signed_headers or {}), timeout=30)
    assert r.status_code == 200, r.text[:500]
    assert bucket.get_object(KEY).read() == data
    assert bucket.head_object(KEY).headers["Content-Type"] == "application/x-v2"

    get = client.presign(oss.GetObjectRequest(bucket=bucket_name, key=KEY),
                         expires=datetime.timedelta(minutes=5))
    assert get.method == "GET"
    r = requests.get(get.url, headers=dict(get.signed_headers or {}), timeout=30)
    assert r.status_code == 200, r.text[:500]
    assert r.content == data
    # expiration is reported and in the future
    assert get.expiration is not None
    assert get.expiration.timestamp() > time.time() + 60


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_v2_presign_head_and_range(endpoint, creds, bucket, bucket_name, version):
    data = bytes(range(256)) * 10
    bucket.put_object("bin", data)
    client = v2_client(endpoint, creds, version)
    head = client.presign(oss.HeadObjectRequest(bucket=bucket_name, key="bin"))
    r = requests.head(head.url, headers=dict(head.signed_headers or {}), timeout=30)
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == len(data)
    get = client.presign(oss.GetObjectRequest(bucket=bucket_name, key="bin",
                                              range_header="bytes=10-19"))
    # Range is not a signed header: the caller sends it alongside the URL
    r = requests.get(get.url, headers={**dict(get.signed_headers or {}), "Range": "bytes=10-19"},
                     timeout=30)
    assert r.status_code == 206, r.text[:300]
    assert r.content == data[10:20]


# ------------------------------------------------------------------------- expiry


def sdk_v4_query_url(endpoint, creds, bucket_name, key, method, signing_time, expires_secs):
    """A V4 presigned URL computed by the v2 SDK's own V4 signer at a chosen signing time."""
    url = f"{endpoint}/{bucket_name}/{urllib.parse.quote(key)}"
    req = HttpRequest(method, url)
    ctx = SigningContext(product="oss", region=REGION, bucket=bucket_name, key=key, request=req,
                         credentials=V2Credentials(creds.access_key_id, creds.access_key_secret),
                         signing_time=signing_time)
    ctx.auth_method_query = True
    ctx.expiration_time = signing_time + datetime.timedelta(seconds=expires_secs)
    SignerV4().sign(ctx)
    return req.url


def sdk_v1_query_url(endpoint, creds, bucket_name, key, method, expires_at: int):
    """A V1 presigned URL computed by the v2 SDK's V1 signer with a chosen Expires."""
    url = f"{endpoint}/{bucket_name}/{urllib.parse.quote(key)}"
    req = HttpRequest(method, url)
    ctx = SigningContext(bucket=bucket_name, key=key, request=req,
                         credentials=V2Credentials(creds.access_key_id, creds.access_key_secret))
    ctx.auth_method_query = True
    ctx.expiration_time = datetime.datetime.fromtimestamp(expires_at, datetime.timezone.utc)
    SignerV1().sign(ctx)
    return req.url


def test_sdk_signers_valid_urls_work(endpoint, creds, bucket, bucket_name):
    """The hand-driven SDK signers used by the expiry tests produce URLs the server accepts when
    they are valid (so the expiry tests below fail only for the expiry)."""
    bucket.put_object(KEY, b"fresh")
    now = datetime.datetime.now(datetime.timezone.utc)
    v4 = sdk_v4_query_url(endpoint, creds, bucket_name, KEY, "GET", now, 300)
    r = requests.get(v4, timeout=30)
    assert r.status_code == 200 and r.content == b"fresh", r.text[:500]
    v1 = sdk_v1_query_url(endpoint, creds, bucket_name, KEY, "GET", int(time.time()) + 300)
    r = requests.get(v1, timeout=30)
    assert r.status_code == 200 and r.content == b"fresh", r.text[:500]


def test_expired_v1_url_access_denied(endpoint, creds, bucket, bucket_name):
    bucket.put_object(KEY, b"x")
    url = bucket.sign_url("GET", KEY, -5)          # Expires 5 s in the past
    assert_oss_error(requests.get(url, timeout=30), 403, "AccessDenied")
    url = sdk_v1_query_url(endpoint, creds, bucket_name, KEY, "PUT", int(time.time()) - 60)
    assert_oss_error(requests.put(url, data=b"y", timeout=30), 403, "AccessDenied")
    assert bucket.get_object(KEY).read() == b"x"


def test_expired_checked_before_signature(bucket, bucket_name):
    """spec §3.2: OSS checks expiry first, so an expired URL with a bad signature is still
    AccessDenied, not SignatureDoesNotMatch."""
    bucket.put_object(KEY, b"x")
    url = bucket.sign_url("GET", KEY, -5)
    url = replace_param(url, "Signature", flip(dict(split_url(url)[1])["Signature"]))
    assert_oss_error(requests.get(url, timeout=30), 403, "AccessDenied")


@pytest.mark.v4
def test_expired_v4_url_access_denied(endpoint, creds, bucket, bucket_name):
    bucket.put_object(KEY, b"x")
    signed_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    url = sdk_v4_query_url(endpoint, creds, bucket_name, KEY, "GET", signed_at, 60)
    assert "x-oss-expires=60" in url
    assert_oss_error(requests.get(url, timeout=30), 403, "AccessDenied")
    url = sdk_v4_query_url(endpoint, creds, bucket_name, KEY, "PUT", signed_at, 120)
    assert_oss_error(requests.put(url, data=b"y", timeout=30), 403, "AccessDenied")
    assert bucket.get_object(KEY).read() == b"x"


@pytest.mark.v4
def test_short_lived_urls_expire(endpoint, creds, bucket, bucket_name):
    """URLs from the SDKs' public API with a 2-second lifetime work at once and fail later.
    (The v2 SDK truncates the lifetime to whole seconds, so 1 s could become x-oss-expires=0.)"""
    bucket.put_object(KEY, b"short")
    o2 = oss2_signer(endpoint, creds, bucket_name, "v4").sign_url("GET", KEY, 2)
    v2 = v2_client(endpoint, creds, "v4").presign(
        oss.GetObjectRequest(bucket=bucket_name, key=KEY), expires=datetime.timedelta(seconds=2))
    v1 = bucket.sign_url("GET", KEY, 2)
    for url in (o2, v2.url, v1):
        r = requests.get(url, timeout=30)
        assert r.status_code == 200 and r.content == b"short", r.text[:300]
    time.sleep(3.2)
    for url in (o2, v2.url, v1):
        assert_oss_error(requests.get(url, timeout=30), 403, "AccessDenied")


# ------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_tampered_signature(endpoint, creds, bucket, bucket_name, version):
    bucket.put_object(KEY, b"x")
    url = oss2_signer(endpoint, creds, bucket_name, version).sign_url("GET", KEY, 120)
    name = "Signature" if version == "v1" else "x-oss-signature"
    sig = dict(split_url(url)[1])[name]
    fields = assert_oss_error(requests.get(replace_param(url, name, flip(sig)), timeout=30),
                              403, "SignatureDoesNotMatch")
    assert fields.get("OSSAccessKeyId") == creds.access_key_id, fields
    assert "StringToSign" in fields, fields
    # the untouched URL still works
    assert requests.get(url, timeout=30).status_code == 200


def test_tampered_v1_expires(bucket, bucket_name):
    """Extending Expires invalidates the signature (Expires is what was signed)."""
    bucket.put_object(KEY, b"x")
    url = bucket.sign_url("GET", KEY, 60)
    expires = int(dict(split_url(url)[1])["Expires"])
    r = requests.get(replace_param(url, "Expires", str(expires + 3600)), timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")


@pytest.mark.v4
def test_tampered_v4_expires_and_extra_param(endpoint, creds, bucket, bucket_name):
    """V4 signs every query parameter: changing x-oss-expires or adding a parameter breaks it."""
    bucket.put_object(KEY, b"x")
    url = oss2_signer(endpoint, creds, bucket_name, "v4").sign_url("GET", KEY, 60)
    r = requests.get(replace_param(url, "x-oss-expires", "3600"), timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    r = requests.get(url + "&response-content-type=text%2Fhtml", timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")


@pytest.mark.v4
def test_v4_wrong_secret(endpoint, creds, bucket, bucket_name):
    bucket.put_object(KEY, b"x")
    url = oss2_signer(endpoint, Credentials(creds.access_key_id, "not-the-secret"),
                      bucket_name, "v4").sign_url("GET", KEY, 60)
    assert_oss_error(requests.get(url, timeout=30), 403, "SignatureDoesNotMatch")


def test_unknown_access_key_in_url(endpoint, bucket, bucket_name):
    bucket.put_object(KEY, b"x")
    url = oss2_bucket(endpoint, Credentials("LTAIUNKNOWN000000000", "s"), bucket_name).sign_url(
        "GET", KEY, 60)
    assert_oss_error(requests.get(url, timeout=30), 403, "InvalidAccessKeyId")


# ------------------------------------------------------------------ header and query together


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_header_and_query_auth_together(endpoint, creds, bucket, bucket_name, version):
    """spec §3.2: signature parameters in the URL and an Authorization header → 400
    InvalidArgument (even when both are valid)."""
    bucket.put_object(KEY, b"x")
    url = oss2_signer(endpoint, creds, bucket_name, version).sign_url("GET", KEY, 120)
    headers = {"Date": http_date()}
    sig = v1_signature(creds.access_key_secret, "GET", headers, bucket_name, KEY, [])
    headers["Authorization"] = f"OSS {creds.access_key_id}:{sig}"
    assert_oss_error(requests.get(url, headers=headers, timeout=30), 400, "InvalidArgument")


# ------------------------------------------------------------------ missing V1 parameters


@pytest.mark.parametrize("missing", ["OSSAccessKeyId", "Expires", "Signature"])
def test_missing_v1_query_param(bucket, bucket_name, missing):
    bucket.put_object(KEY, b"x")
    url = replace_param(bucket.sign_url("GET", KEY, 120), missing, None)
    assert missing not in query_names(url)
    assert_oss_error(requests.get(url, timeout=30), 403, "AccessDenied", MSG_MISSING_V1)


def test_empty_v1_query_param(bucket, bucket_name):
    bucket.put_object(KEY, b"x")
    url = replace_param(bucket.sign_url("GET", KEY, 120), "Signature", "")
    assert_oss_error(requests.get(url, timeout=30), 403, "AccessDenied")


def test_presigned_put_body_integrity(bucket, bucket_name):
    """A presigned PUT with Content-MD5 signed in: the right body is stored, a different body
    with the same header is refused (InvalidDigest) and the object is unchanged."""
    body = b"integrity" * 1000
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    url = bucket.sign_url("PUT", KEY, 120, headers={"Content-MD5": md5})
    r = requests.put(url, data=body, headers={"Content-MD5": md5}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    r = requests.put(url, data=body + b"!", headers={"Content-MD5": md5}, timeout=30)
    assert_oss_error(r, 400, "InvalidDigest")
    assert bucket.get_object(KEY).read() == body


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_v2_presigned_multipart_flow(endpoint, creds, bucket, bucket_name, version):
    """What a browser does with server-issued URLs: initiate, upload parts, complete (and abort)
    through v2 presigned URLs only."""
    import xml.etree.ElementTree as ET
    client = v2_client(endpoint, creds, version)

    def send(pr, data=None):
        return requests.request(pr.method, pr.url, data=data,
                                headers=dict(pr.signed_headers or {}), timeout=30)

    r = send(client.presign(oss.InitiateMultipartUploadRequest(bucket=bucket_name, key=KEY)))
    assert r.status_code == 200, r.text[:500]
    upload_id = ET.fromstring(r.content).findtext("UploadId")
    assert upload_id
    parts = [b"a" * 102400, b"tail"]
    etags = []
    for n, data in enumerate(parts, 1):
        r = send(client.presign(oss.UploadPartRequest(bucket=bucket_name, key=KEY,
                                                      upload_id=upload_id, part_number=n)), data)
        assert r.status_code == 200, r.text[:500]
        etags.append(r.headers["ETag"])
    assert etags == [etag_of(p) for p in parts]
    r = send(client.presign(oss.CompleteMultipartUploadRequest(
        bucket=bucket_name, key=KEY, upload_id=upload_id, complete_all="yes")))
    assert r.status_code == 200, r.text[:500]
    assert bucket.get_object(KEY).read() == b"".join(parts)

    r = send(client.presign(oss.InitiateMultipartUploadRequest(bucket=bucket_name, key="ab")))
    upload_id = ET.fromstring(r.content).findtext("UploadId")
    r = send(client.presign(oss.AbortMultipartUploadRequest(bucket=bucket_name, key="ab",
                                                            upload_id=upload_id)))
    assert r.status_code == 204, r.text[:500]
    assert list(oss2.MultipartUploadIterator(bucket)) == []


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_signed_response_overrides(endpoint, creds, bucket, bucket_name, version):
    """response-* parameters are signed (V1 sub-resources, V4 all parameters) and applied."""
    bucket.put_object(KEY, b"<b>x</b>", headers={"Content-Type": "text/plain"})
    params = {"response-content-type": "text/html",
              "response-content-disposition": 'attachment; filename="x.html"'}
    url = oss2_signer(endpoint, creds, bucket_name, version).sign_url("GET", KEY, 120,
                                                                     params=params)
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"] == "text/html"
    assert r.headers["Content-Disposition"] == 'attachment; filename="x.html"'
    # changing the override after signing breaks the signature
    r = requests.get(replace_param(url, "response-content-type", "text/javascript"), timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
