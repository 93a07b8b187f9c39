"""Object operations: Put/Get (ranges, conditions, response overrides), Head, GetObjectMeta,
Delete, DeleteMultipleObjects, Copy, Append, object ACL."""

import calendar
import email.utils
import hashlib
import os
import time
import xml.etree.ElementTree as ET

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import (
    MSG_INVALID_DIGEST, MSG_MALFORMED_XML, MSG_NO_SUCH_BUCKET, assert_common_headers,
    assert_oss_error, crc64_of, etag_of, http_date, md5_b64, oss2_bucket, unique_bucket_name,
    v2_error,
)

BODY = b"0123456789"  # 10 bytes


# ---------------------------------------------------------------- Put / Get basics


def test_put_get_roundtrip_oss2(bucket):
    data = os.urandom(256 * 1024 + 7)
    res = bucket.put_object("bin/data.bin", data)
    assert res.status == 200
    assert res.etag == hashlib.md5(data).hexdigest().upper()
    assert res.crc == crc64_of(data)          # oss2 already compared it (enable_crc=True)
    got = bucket.get_object("bin/data.bin")
    assert got.read() == data                  # oss2 checks the crc64 of the stream on read
    assert got.content_length == len(data)
    assert got.etag == res.etag
    assert got.object_type == "Normal"
    assert got.server_crc == crc64_of(data)


def test_put_get_raw_headers(raw, bucket_name):
    r = raw.request("PUT", bucket_name, "raw.txt", data=BODY)
    assert r.status_code == 200
    assert r.headers["ETag"] == etag_of(BODY)
    assert r.headers["x-oss-hash-crc64ecma"] == str(crc64_of(BODY))
    assert r.headers.get("Content-MD5") in (None, md5_b64(BODY))
    g = raw.request("GET", bucket_name, "raw.txt")
    assert g.status_code == 200
    assert g.content == BODY
    assert g.headers["Content-Length"] == "10"
    assert g.headers["ETag"] == etag_of(BODY)
    assert g.headers["x-oss-hash-crc64ecma"] == str(crc64_of(BODY))
    assert g.headers["x-oss-object-type"] == "Normal"
    assert g.headers["x-oss-storage-class"] == "Standard"
    assert g.headers["Content-Type"] == "text/plain"   # OSS derives it from the extension
    assert g.headers.get("Accept-Ranges") == "bytes"
    lm = email.utils.parsedate_to_datetime(g.headers["Last-Modified"])
    assert abs(lm.timestamp() - time.time()) < 300
    assert g.headers["Last-Modified"].endswith(" GMT")


def test_put_empty_object(bucket, raw, bucket_name):
    res = bucket.put_object("empty", b"")
    assert res.etag == "D41D8CD98F00B204E9800998ECF8427E"
    assert bucket.get_object("empty").read() == b""
    h = bucket.head_object("empty")
    assert h.content_length == 0
    assert h.server_crc == 0


def test_overwrite(bucket):
    bucket.put_object("k", b"first version")
    bucket.put_object("k", b"second")
    assert bucket.get_object("k").read() == b"second"
    assert bucket.head_object("k").content_length == 6


def test_put_get_v2(v2, bucket_name):
    data = os.urandom(100_000)
    res = v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="v2/obj", body=data))
    assert res.status_code == 200
    assert res.etag == etag_of(data)
    assert res.hash_crc64 == str(crc64_of(data))
    got = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="v2/obj"))
    assert got.body.read() == data
    assert got.content_length == len(data)
    assert got.etag == etag_of(data)
    assert got.hash_crc64 == str(crc64_of(data))
    assert got.object_type == "Normal"


def test_get_missing_key(bucket, raw, bucket_name):
    with pytest.raises(oss2.exceptions.NoSuchKey) as ei:
        bucket.get_object("missing")
    assert ei.value.status == 404
    assert_oss_error(raw.request("GET", bucket_name, "missing"), 404, "NoSuchKey")


# ---------------------------------------------------------------- Range


@pytest.fixture
def ten(bucket):
    bucket.put_object("ten", BODY)
    return "ten"


@pytest.mark.parametrize("rng,start,end", [
    ("bytes=0-4", 0, 4),
    ("bytes=3-3", 3, 3),
    ("bytes=-3", 7, 9),           # suffix
    ("bytes=6-", 6, 9),           # open-ended
    ("bytes=0-", 0, 9),
    ("bytes=0-9", 0, 9),
])
def test_range_valid(raw, bucket_name, ten, rng, start, end):
    r = raw.request("GET", bucket_name, ten, headers={"Range": rng})
    assert r.status_code == 206, r.text[:200]
    assert r.content == BODY[start:end + 1]
    assert r.headers["Content-Range"] == f"bytes {start}-{end}/10"
    assert r.headers["Content-Length"] == str(end - start + 1)
    assert_common_headers(r.headers)


@pytest.mark.parametrize("rng", [
    "bytes=20-30",     # start beyond the end
    "bytes=5-2",       # start after end
    "bytes=abc",       # not a range
    "bytes=5-20",      # end beyond the size (OSS default behaviour: ignored)
])
def test_range_invalid_ignored_by_default(raw, bucket_name, ten, rng):
    """OSS without `x-oss-range-behavior: standard` ignores an invalid Range and returns the
    whole object with 200 (help.aliyun.com scope-download / range-request docs)."""
    r = raw.request("GET", bucket_name, ten, headers={"Range": rng})
    assert r.status_code == 200, (rng, r.status_code, r.text[:200])
    assert r.content == BODY
    assert "Content-Range" not in r.headers


def test_range_standard_unsatisfiable(raw, bucket_name, ten):
    r = raw.request("GET", bucket_name, ten,
                    headers={"Range": "bytes=20-30", "x-oss-range-behavior": "standard"})
    assert_oss_error(r, 416, "InvalidRange", "The requested range cannot be satisfied")


def test_range_standard_end_clamped(raw, bucket_name, ten):
    r = raw.request("GET", bucket_name, ten,
                    headers={"Range": "bytes=5-20", "x-oss-range-behavior": "standard"})
    assert r.status_code == 206
    assert r.content == BODY[5:]
    assert r.headers["Content-Range"] == "bytes 5-9/10"


def test_range_suffix_longer_than_object(raw, bucket_name, ten):
    r = raw.request("GET", bucket_name, ten, headers={"Range": "bytes=-100"})
    assert r.status_code in (200, 206)
    assert r.content == BODY


def test_range_oss2(bucket, ten):
    assert bucket.get_object(ten, byte_range=(2, 5)).read() == BODY[2:6]
    assert bucket.get_object(ten, byte_range=(None, 4)).read() == BODY[-4:]
    res = bucket.get_object(ten, byte_range=(7, None))
    assert res.read() == BODY[7:]
    assert res.content_range == "bytes 7-9/10"
    assert res.status == 206


def test_range_v2(v2, bucket_name, ten):
    res = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key=ten, range_header="bytes=1-3"))
    assert res.status_code == 206
    assert res.body.read() == BODY[1:4]
    assert res.content_range == "bytes 1-3/10"
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key=ten,
                                           range_header="bytes=10-", range_behavior="standard"))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (416, "InvalidRange")


def test_range_on_large_object(bucket):
    data = os.urandom(3 * 1024 * 1024 + 11)
    bucket.put_object("big", data)
    start, end = 1024 * 1024 - 5, 2 * 1024 * 1024 + 5
    assert bucket.get_object("big", byte_range=(start, end)).read() == data[start:end + 1]
    assert bucket.get_object("big", byte_range=(None, 17)).read() == data[-17:]


# ---------------------------------------------------------------- Conditional requests


@pytest.fixture
def cond(raw, bucket_name):
    r = raw.request("PUT", bucket_name, "cond", data=BODY)
    assert r.status_code == 200
    head = raw.request("HEAD", bucket_name, "cond")
    return {
        "etag": head.headers["ETag"],
        "lm": calendar.timegm(email.utils.parsedate(head.headers["Last-Modified"])),
    }


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_match(raw, bucket_name, cond, method):
    ok = raw.request(method, bucket_name, "cond", headers={"If-Match": cond["etag"]})
    assert ok.status_code == 200
    bad = raw.request(method, bucket_name, "cond", headers={"If-Match": '"0000"'})
    assert_oss_error(bad, 412, "PreconditionFailed")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_none_match(raw, bucket_name, cond, method):
    r = raw.request(method, bucket_name, "cond", headers={"If-None-Match": cond["etag"]})
    assert r.status_code == 304
    assert r.content == b""
    assert_common_headers(r.headers)
    ok = raw.request(method, bucket_name, "cond", headers={"If-None-Match": '"0000"'})
    assert ok.status_code == 200


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_modified_since(raw, bucket_name, cond, method):
    later = raw.request(method, bucket_name, "cond",
                        headers={"If-Modified-Since": http_date(cond["lm"] + 3600)})
    assert later.status_code == 304
    same = raw.request(method, bucket_name, "cond",
                       headers={"If-Modified-Since": http_date(cond["lm"])})
    assert same.status_code == 304
    earlier = raw.request(method, bucket_name, "cond",
                          headers={"If-Modified-Since": http_date(cond["lm"] - 3600)})
    assert earlier.status_code == 200


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_unmodified_since(raw, bucket_name, cond, method):
    earlier = raw.request(method, bucket_name, "cond",
                          headers={"If-Unmodified-Since": http_date(cond["lm"] - 3600)})
    assert_oss_error(earlier, 412, "PreconditionFailed")
    later = raw.request(method, bucket_name, "cond",
                        headers={"If-Unmodified-Since": http_date(cond["lm"] + 3600)})
    assert later.status_code == 200


def test_conditionals_oss2(bucket):
    etag = bucket.put_object("c", BODY).etag
    with pytest.raises(oss2.exceptions.NotModified) as ei:
        bucket.get_object("c", headers={"If-None-Match": f'"{etag}"'})
    assert ei.value.status == 304
    with pytest.raises(oss2.exceptions.PreconditionFailed):
        bucket.get_object("c", headers={"If-Match": '"ABC"'})
    with pytest.raises(oss2.exceptions.PreconditionFailed):
        bucket.head_object("c", headers={"If-Match": '"ABC"'})
    assert bucket.get_object("c", headers={"If-Match": f'"{etag}"'}).read() == BODY


def test_conditionals_v2(v2, bucket_name):
    put = v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="c", body=BODY))
    res = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="c", if_match=put.etag))
    assert res.body.read() == BODY
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="c", if_match='"ABC"'))
    assert v2_error(ei).status_code == 412
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="c", if_none_match=put.etag))
    assert v2_error(ei).status_code == 304


# ---------------------------------------------------------------- response-* overrides


def test_response_header_overrides(raw, bucket_name):
    raw.request("PUT", bucket_name, "ovr", data=BODY, headers={"Content-Type": "text/plain"})
    params = [
        ("response-content-type", "application/x-ossd"),
        ("response-content-disposition", 'attachment; filename="x.bin"'),
        ("response-cache-control", "no-cache"),
        ("response-content-language", "de-DE"),
        ("response-expires", "Thu, 01 Jan 2037 00:00:00 GMT"),
        ("response-content-encoding", "x-ossd"),
    ]
    r = raw.request("GET", bucket_name, "ovr", params=params)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"] == "application/x-ossd"
    assert r.headers["Content-Disposition"] == 'attachment; filename="x.bin"'
    assert r.headers["Cache-Control"] == "no-cache"
    assert r.headers["Content-Language"] == "de-DE"
    assert r.headers["Expires"] == "Thu, 01 Jan 2037 00:00:00 GMT"
    assert r.headers["Content-Encoding"] == "x-ossd"
    assert r.content == BODY
    # the stored metadata is unchanged
    h = raw.request("HEAD", bucket_name, "ovr")
    assert h.headers["Content-Type"] == "text/plain"
    assert "Content-Disposition" not in h.headers


def test_response_override_oss2(bucket):
    bucket.put_object("o.txt", BODY)
    res = bucket.get_object("o.txt", params={"response-content-type": "image/png"})
    assert res.headers["Content-Type"] == "image/png"
    assert res.read() == BODY


def test_response_override_v2(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="o.txt", body=BODY))
    res = v2.get_object(oss.GetObjectRequest(
        bucket=bucket_name, key="o.txt", response_content_disposition="inline",
        response_content_type="text/csv"))
    assert res.content_type == "text/csv"
    assert res.content_disposition == "inline"


# ---------------------------------------------------------------- HeadObject / GetObjectMeta


def test_head_object(bucket, raw, bucket_name):
    bucket.put_object("h.txt", BODY, headers={"x-oss-meta-color": "blue"})
    h = raw.request("HEAD", bucket_name, "h.txt")
    g = raw.request("GET", bucket_name, "h.txt")
    assert h.status_code == 200
    assert h.content == b""
    for name in ("Content-Length", "ETag", "Last-Modified", "Content-Type",
                 "x-oss-meta-color", "x-oss-hash-crc64ecma", "x-oss-object-type",
                 "x-oss-storage-class"):
        assert h.headers.get(name) == g.headers.get(name), name
    assert h.headers["Content-Length"] == "10"
    assert h.headers["x-oss-meta-color"] == "blue"
    res = bucket.head_object("h.txt")
    assert res.content_length == 10
    assert res.etag == etag_of(BODY).strip('"')
    assert res.headers["x-oss-meta-color"] == "blue"


def test_get_object_meta(bucket, raw, bucket_name):
    bucket.put_object("m", BODY)
    res = bucket.get_object_meta("m")
    assert res.content_length == 10
    assert res.etag == etag_of(BODY).strip('"')
    assert res.last_modified > 0
    r = raw.request("HEAD", bucket_name, "m", params=[("objectMeta", None)])
    assert r.status_code == 200
    assert r.headers["ETag"] == etag_of(BODY)
    assert r.headers["Content-Length"] == "10"
    assert r.content == b""
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object_meta("nothing")


def test_head_and_meta_v2(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="m", body=BODY,
                                       metadata={"owner": "me"}))
    h = v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="m"))
    assert h.content_length == 10
    assert h.etag == etag_of(BODY)
    assert h.metadata == {"owner": "me"}
    assert h.object_type == "Normal"
    m = v2.get_object_meta(oss.GetObjectMetaRequest(bucket=bucket_name, key="m"))
    assert m.content_length == 10
    assert m.etag == etag_of(BODY)
    assert m.hash_crc64 == str(crc64_of(BODY))


# ---------------------------------------------------------------- DeleteObject


def test_delete_object(bucket, raw, bucket_name):
    bucket.put_object("d", b"x")
    r = raw.request("DELETE", bucket_name, "d")
    assert r.status_code == 204
    assert r.content == b""
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("d")
    again = raw.request("DELETE", bucket_name, "d")
    assert again.status_code == 204
    assert bucket.delete_object("never-existed").status == 204


def test_delete_object_v2(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="d", body=b"x"))
    assert v2.delete_object(oss.DeleteObjectRequest(bucket=bucket_name, key="d")).status_code == 204
    assert v2.delete_object(oss.DeleteObjectRequest(bucket=bucket_name, key="d")).status_code == 204
    assert not v2.is_object_exist(bucket_name, "d")


# ---------------------------------------------------------------- DeleteMultipleObjects


def _delete_xml(keys, quiet):
    items = "".join(f"<Object><Key>{k}</Key></Object>" for k in keys)
    return (f'<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>{str(quiet).lower()}</Quiet>'
            f"{items}</Delete>").encode()


def test_delete_multiple_verbose_oss2(bucket):
    for k in ("a", "b/c", "d e"):
        bucket.put_object(k, b"1")
    res = bucket.batch_delete_objects(["a", "b/c", "d e", "not-there"])
    assert sorted(res.deleted_keys) == sorted(["a", "b/c", "d e", "not-there"])
    assert [o.key for o in oss2.ObjectIterator(bucket)] == []


def test_delete_multiple_quiet(raw, bucket, bucket_name):
    for k in ("q1", "q2", "keep"):
        bucket.put_object(k, b"1")
    body = _delete_xml(["q1", "q2", "missing"], quiet=True)
    r = raw.request("POST", bucket_name, params=[("delete", None)], data=body, content_md5=True)
    assert r.status_code == 200, r.text[:300]
    root = ET.fromstring(r.content)
    assert root.tag == "DeleteResult"
    assert root.findall("Deleted") == []
    assert [o.key for o in oss2.ObjectIterator(bucket)] == ["keep"]


def test_delete_multiple_verbose_raw(raw, bucket, bucket_name):
    bucket.put_object("v1", b"1")
    body = _delete_xml(["v1", "v2"], quiet=False)
    r = raw.request("POST", bucket_name, params=[("delete", None)], data=body, content_md5=True)
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert sorted(d.findtext("Key") for d in root.findall("Deleted")) == ["v1", "v2"]


def test_delete_multiple_bad_md5(raw, bucket, bucket_name):
    bucket.put_object("x", b"1")
    body = _delete_xml(["x"], quiet=True)
    r = raw.request("POST", bucket_name, params=[("delete", None)], data=body,
                    headers={"Content-MD5": md5_b64(b"other")})
    assert_oss_error(r, 400, "InvalidDigest", MSG_INVALID_DIGEST)
    assert bucket.get_object("x").read() == b"1"


def test_delete_multiple_malformed(raw, bucket_name):
    body = b"<Delete><Object><Key>x</Key></Delete>"
    r = raw.request("POST", bucket_name, params=[("delete", None)], data=body, content_md5=True)
    assert_oss_error(r, 400, "MalformedXML", MSG_MALFORMED_XML)


def test_delete_multiple_v2(v2, bucket, bucket_name):
    keys = ["x/1", "x/中 文", "x/+%"]
    for k in keys:
        bucket.put_object(k, b"1")
    res = v2.delete_multiple_objects(oss.DeleteMultipleObjectsRequest(
        bucket=bucket_name, objects=[oss.DeleteObject(key=k) for k in keys]))
    assert res.status_code == 200
    assert sorted(d.key for d in res.deleted_objects) == sorted(keys)
    assert [o.key for o in oss2.ObjectIterator(bucket)] == []
    bucket.put_object("quiet", b"1")
    res = v2.delete_multiple_objects(oss.DeleteMultipleObjectsRequest(
        bucket=bucket_name, objects=[oss.DeleteObject(key="quiet")], quiet=True))
    assert not res.deleted_objects
    assert not bucket.object_exists("quiet")


# ---------------------------------------------------------------- CopyObject


def test_copy_same_bucket_copies_metadata(bucket, bucket_name):
    bucket.put_object("src", BODY, headers={"Content-Type": "text/x-src",
                                            "x-oss-meta-a": "1", "Cache-Control": "max-age=5"})
    res = bucket.copy_object(bucket_name, "src", "dst")
    assert res.status == 200
    assert res.etag == etag_of(BODY).strip('"')
    got = bucket.get_object("dst")
    assert got.read() == BODY
    assert got.headers["Content-Type"] == "text/x-src"
    assert got.headers["x-oss-meta-a"] == "1"
    assert got.headers["Cache-Control"] == "max-age=5"
    assert bucket.get_object("src").read() == BODY


def test_copy_replace_metadata(bucket, bucket_name):
    bucket.put_object("src", BODY, headers={"x-oss-meta-a": "1", "Content-Type": "text/a"})
    bucket.copy_object(bucket_name, "src", "dst", headers={
        "x-oss-metadata-directive": "REPLACE", "x-oss-meta-b": "2", "Content-Type": "text/b"})
    h = bucket.head_object("dst")
    assert h.headers["x-oss-meta-b"] == "2"
    assert "x-oss-meta-a" not in h.headers
    assert h.content_type == "text/b"
    assert bucket.head_object("src").headers["x-oss-meta-a"] == "1"


def test_copy_explicit_copy_directive_ignores_new_meta(bucket, bucket_name):
    bucket.put_object("src", BODY, headers={"x-oss-meta-a": "1"})
    bucket.copy_object(bucket_name, "src", "dst", headers={
        "x-oss-metadata-directive": "COPY", "x-oss-meta-b": "2"})
    h = bucket.head_object("dst")
    assert h.headers["x-oss-meta-a"] == "1"
    assert "x-oss-meta-b" not in h.headers


def test_copy_across_buckets(endpoint, creds, bucket, bucket_name, bucket_factory):
    other = bucket_factory("dst")
    data = os.urandom(70_000)
    bucket.put_object("dir/ü src.bin", data, headers={"x-oss-meta-k": "v"})
    ob = oss2_bucket(endpoint, creds, other)
    ob.copy_object(bucket_name, "dir/ü src.bin", "copied/ü dst.bin")
    got = ob.get_object("copied/ü dst.bin")
    assert got.read() == data
    assert got.headers["x-oss-meta-k"] == "v"


def test_copy_result_xml(raw, bucket, bucket_name):
    bucket.put_object("s", BODY)
    r = raw.request("PUT", bucket_name, "t", headers={"x-oss-copy-source": f"/{bucket_name}/s"})
    assert r.status_code == 200, r.text[:300]
    root = ET.fromstring(r.content)
    assert root.tag == "CopyObjectResult"
    assert root.findtext("ETag") == etag_of(BODY)
    assert root.findtext("LastModified")


def test_copy_missing_source(bucket, bucket_name):
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.copy_object(bucket_name, "nope", "dst")
    with pytest.raises(oss2.exceptions.NoSuchBucket) as ei:
        bucket.copy_object(unique_bucket_name("gone"), "nope", "dst")
    assert ei.value.message == MSG_NO_SUCH_BUCKET


def test_update_object_meta_in_place(bucket):
    bucket.put_object("u", BODY, headers={"x-oss-meta-old": "1"})
    bucket.update_object_meta("u", {"x-oss-meta-new": "2", "Content-Type": "text/new"})
    h = bucket.head_object("u")
    assert h.headers["x-oss-meta-new"] == "2"
    assert "x-oss-meta-old" not in h.headers
    assert h.content_type == "text/new"
    assert bucket.get_object("u").read() == BODY


def test_copy_v2(v2, bucket, bucket_name, bucket_factory):
    other = bucket_factory("v2dst")
    bucket.put_object("src", BODY, headers={"x-oss-meta-a": "1"})
    res = v2.copy_object(oss.CopyObjectRequest(bucket=other, key="dst", source_bucket=bucket_name,
                                               source_key="src"))
    assert res.status_code == 200
    assert res.etag == etag_of(BODY)
    res = v2.copy_object(oss.CopyObjectRequest(bucket=other, key="dst2", source_bucket=bucket_name,
                                               source_key="src", metadata_directive="REPLACE",
                                               metadata={"b": "2"}))
    h = v2.head_object(oss.HeadObjectRequest(bucket=other, key="dst2"))
    assert h.metadata == {"b": "2"}
    h = v2.head_object(oss.HeadObjectRequest(bucket=other, key="dst"))
    assert h.metadata == {"a": "1"}


# ---------------------------------------------------------------- AppendObject


def test_append_object(bucket, raw, bucket_name):
    r1 = bucket.append_object("app", 0, b"abc", init_crc=0)
    assert r1.next_position == 3
    assert r1.crc == crc64_of(b"abc")
    r2 = bucket.append_object("app", r1.next_position, b"defg", init_crc=r1.crc)
    assert r2.next_position == 7
    assert r2.crc == crc64_of(b"abcdefg")
    assert bucket.get_object("app").read() == b"abcdefg"
    h = raw.request("HEAD", bucket_name, "app")
    assert h.headers["x-oss-object-type"] == "Appendable"
    assert h.headers["x-oss-next-append-position"] == "7"
    assert h.headers["x-oss-hash-crc64ecma"] == str(crc64_of(b"abcdefg"))


def test_append_raw_headers(raw, bucket_name):
    r = raw.request("POST", bucket_name, "ar", params=[("append", None), ("position", "0")],
                    data=b"hello")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["x-oss-next-append-position"] == "5"
    assert r.headers["x-oss-hash-crc64ecma"] == str(crc64_of(b"hello"))
    assert_common_headers(r.headers)


def test_append_wrong_position(bucket, raw, bucket_name):
    bucket.append_object("app", 0, b"abc")
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as ei:
        bucket.append_object("app", 1, b"x")
    assert ei.value.status == 409
    assert ei.value.next_position == 3
    r = raw.request("POST", bucket_name, "app", params=[("append", None), ("position", "0")],
                    data=b"zz")
    assert_oss_error(r, 409, "PositionNotEqualToLength")
    assert r.headers["x-oss-next-append-position"] == "3"
    assert bucket.get_object("app").read() == b"abc"


def test_append_to_normal_object(bucket):
    bucket.put_object("normal", b"abc")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable) as ei:
        bucket.append_object("normal", 3, b"x")
    assert ei.value.status == 409


def test_append_nonzero_position_on_new_key(bucket):
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as ei:
        bucket.append_object("fresh", 5, b"x")
    assert ei.value.next_position == 0


def test_put_over_appendable(bucket):
    bucket.append_object("ap", 0, b"abc")
    bucket.put_object("ap", b"normal now")
    h = bucket.head_object("ap")
    assert h.object_type == "Normal"
    assert bucket.get_object("ap").read() == b"normal now"


def test_append_v2(v2, bucket_name):
    r = v2.append_object(oss.AppendObjectRequest(bucket=bucket_name, key="a", position=0,
                                                 body=b"12"))
    assert r.next_position == 2
    r = v2.append_object(oss.AppendObjectRequest(bucket=bucket_name, key="a", position=2,
                                                 body=b"345"))
    assert r.next_position == 5
    assert r.hash_crc64 == str(crc64_of(b"12345"))
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.append_object(oss.AppendObjectRequest(bucket=bucket_name, key="a", position=1,
                                                 body=b"x"))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (409, "PositionNotEqualToLength")
    got = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="a"))
    assert got.body.read() == b"12345"
    assert got.object_type == "Appendable"
    assert got.next_append_position == 5


# ---------------------------------------------------------------- Object ACL


def test_object_acl_roundtrip(bucket):
    bucket.put_object("acl", b"x")
    assert bucket.get_object_acl("acl").acl == "default"
    for acl in (oss2.OBJECT_ACL_PUBLIC_READ, oss2.OBJECT_ACL_PUBLIC_READ_WRITE,
                oss2.OBJECT_ACL_PRIVATE, oss2.OBJECT_ACL_DEFAULT):
        assert bucket.put_object_acl("acl", acl).status == 200
        assert bucket.get_object_acl("acl").acl == acl


def test_object_acl_on_put(bucket):
    bucket.put_object("acl2", b"x", headers={"x-oss-object-acl": "public-read"})
    assert bucket.get_object_acl("acl2").acl == "public-read"


def test_object_acl_xml_and_errors(raw, bucket, bucket_name):
    bucket.put_object("acl3", b"x")
    r = raw.request("GET", bucket_name, "acl3", params=[("acl", None)])
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.tag == "AccessControlPolicy"
    assert root.findtext("AccessControlList/Grant") == "default"
    assert root.findtext("Owner/ID")
    bad = raw.request("PUT", bucket_name, "acl3", params=[("acl", None)],
                      headers={"x-oss-object-acl": "nope"})
    assert_oss_error(bad, 400, "InvalidArgument")
    missing = raw.request("GET", bucket_name, "missing", params=[("acl", None)])
    assert_oss_error(missing, 404, "NoSuchKey")


def test_object_acl_v2(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="a", body=b"x", acl="private"))
    assert v2.get_object_acl(oss.GetObjectAclRequest(bucket=bucket_name, key="a")).acl == "private"
    v2.put_object_acl(oss.PutObjectAclRequest(bucket=bucket_name, key="a", acl="public-read"))
    assert v2.get_object_acl(oss.GetObjectAclRequest(bucket=bucket_name, key="a")).acl == \
        "public-read"
