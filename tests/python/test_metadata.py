"""Object metadata: standard headers, x-oss-meta-*, Content-MD5, ETag, Last-Modified, CRC64."""

import email.utils
import gzip
import os
import time

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import (
    MSG_INVALID_DIGEST, assert_oss_error, crc64_of, etag_of, md5_b64, v2_error,
)

STD_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Disposition": 'attachment; filename="report.html"',
    "Cache-Control": "public, max-age=600",
    "Expires": "Wed, 21 Oct 2037 07:28:00 GMT",
}


def test_standard_headers_roundtrip(raw, bucket_name):
    body = b"<h1>hi</h1>"
    hdrs = dict(STD_HEADERS, **{"x-oss-meta-author": "Ada Lovelace", "x-oss-meta-n": "42"})
    assert raw.request("PUT", bucket_name, "r.html", data=body, headers=hdrs).status_code == 200
    for method in ("GET", "HEAD"):
        r = raw.request(method, bucket_name, "r.html")
        assert r.status_code == 200
        for name, value in STD_HEADERS.items():
            assert r.headers.get(name) == value, (method, name, r.headers.get(name))
        assert r.headers["x-oss-meta-author"] == "Ada Lovelace"
        assert r.headers["x-oss-meta-n"] == "42"


def test_content_encoding_is_stored_not_applied(raw, bucket_name):
    payload = gzip.compress(b"a" * 1000)
    r = raw.request("PUT", bucket_name, "z.txt", data=payload,
                    headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})
    assert r.status_code == 200
    g = raw.session.get(raw.url(bucket_name, "z.txt", None), stream=True,
                        headers=_signed_get_headers(raw, bucket_name, "z.txt"))
    assert g.status_code == 200
    assert g.headers["Content-Encoding"] == "gzip"
    assert g.raw.read(decode_content=False) == payload


def _signed_get_headers(raw, bucket, key):
    from conftest import http_date, v1_signature
    h = {"Date": http_date(), "Accept-Encoding": "identity"}
    sig = v1_signature(raw.creds.access_key_secret, "GET", h, bucket, key, [])
    h["Authorization"] = f"OSS {raw.creds.access_key_id}:{sig}"
    return h


def test_user_metadata_oss2(bucket):
    bucket.put_object("m.bin", b"x", headers={"x-oss-meta-Mixed-Case": "Value With Spaces",
                                              "x-oss-meta-empty-ish": "-"})
    h = bucket.head_object("m.bin")
    assert h.headers["x-oss-meta-mixed-case"] == "Value With Spaces"
    assert h.headers["x-oss-meta-empty-ish"] == "-"


def test_user_metadata_v2(v2, bucket_name):
    meta = {"project": "ossd", "stage": "test-1"}
    v2.put_object(oss.PutObjectRequest(
        bucket=bucket_name, key="meta", body=b"x", metadata=meta, content_type="image/png",
        cache_control="no-store", content_disposition="inline", expires="Thu, 01 Jan 2037 00:00:00 GMT"))
    h = v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="meta"))
    assert h.metadata == meta
    assert h.content_type == "image/png"
    assert h.cache_control == "no-store"
    assert h.content_disposition == "inline"
    assert h.expires == "Thu, 01 Jan 2037 00:00:00 GMT"
    g = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="meta"))
    assert g.metadata == meta
    assert g.body.read() == b"x"


def test_metadata_replaced_on_overwrite(bucket):
    bucket.put_object("o", b"1", headers={"x-oss-meta-a": "1", "Cache-Control": "no-cache"})
    bucket.put_object("o", b"2", headers={"x-oss-meta-b": "2"})
    h = bucket.head_object("o")
    assert "x-oss-meta-a" not in h.headers
    assert "Cache-Control" not in h.headers
    assert h.headers["x-oss-meta-b"] == "2"


def test_default_content_type(raw, bucket_name):
    raw.request("PUT", bucket_name, "noext", data=b"x")
    assert raw.request("HEAD", bucket_name, "noext").headers["Content-Type"] == \
        "application/octet-stream"


def test_content_md5_correct(raw, bucket_name):
    r = raw.request("PUT", bucket_name, "md5", data=b"payload", content_md5=True)
    assert r.status_code == 200
    assert r.headers["ETag"] == etag_of(b"payload")


def test_content_md5_wrong(raw, bucket_name):
    r = raw.request("PUT", bucket_name, "md5bad", data=b"payload",
                    headers={"Content-MD5": md5_b64(b"other")})
    assert_oss_error(r, 400, "InvalidDigest", MSG_INVALID_DIGEST)
    assert raw.request("HEAD", bucket_name, "md5bad").status_code == 404


def test_content_md5_wrong_oss2(bucket):
    with pytest.raises(oss2.exceptions.InvalidDigest) as ei:
        bucket.put_object("md5bad", b"payload", headers={"Content-MD5": md5_b64(b"nope")})
    assert ei.value.message == MSG_INVALID_DIGEST
    assert not bucket.object_exists("md5bad")


def test_content_md5_wrong_v2(v2, bucket_name):
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="k", body=b"payload",
                                           content_md5=md5_b64(b"zzz")))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (400, "InvalidDigest")


def test_etag_is_quoted_uppercase_md5(raw, bucket_name):
    for i, body in enumerate([b"", b"a", os.urandom(5000)]):
        r = raw.request("PUT", bucket_name, f"e{i}", data=body)
        assert r.headers["ETag"] == etag_of(body)
        etag = r.headers["ETag"]
        assert etag.startswith('"') and etag.endswith('"')
        assert etag[1:-1] == etag[1:-1].upper() and len(etag) == 34


def test_last_modified_advances(raw, bucket_name):
    raw.request("PUT", bucket_name, "lm", data=b"1")
    first = email.utils.parsedate_to_datetime(
        raw.request("HEAD", bucket_name, "lm").headers["Last-Modified"])
    time.sleep(1.1)
    raw.request("PUT", bucket_name, "lm", data=b"2")
    second = email.utils.parsedate_to_datetime(
        raw.request("HEAD", bucket_name, "lm").headers["Last-Modified"])
    assert second > first
    assert abs(second.timestamp() - time.time()) < 300


@pytest.mark.parametrize("size", [0, 1, 4096, 1024 * 1024 + 3])
def test_crc64_matches_sdk(bucket, size):
    data = os.urandom(size)
    put = bucket.put_object(f"crc{size}", data)
    assert put.crc == crc64_of(data)
    got = bucket.get_object(f"crc{size}")
    assert got.server_crc == crc64_of(data)
    assert got.read() == data  # oss2 raises InconsistentError if the stream crc differs


def test_crc64_v2_upload_check(v2, bucket_name):
    # The v2 SDK compares x-oss-hash-crc64ecma with its own crc after upload and download.
    data = os.urandom(200_001)
    res = v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="c", body=data))
    assert res.hash_crc64 == str(crc64_of(data))
    got = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="c"))
    assert got.body.read() == data
    assert got.hash_crc64 == str(crc64_of(data))
