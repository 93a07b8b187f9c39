"""Common response headers, error document format, HEAD errors and unimplemented sub-resources."""

import base64

import oss2
import pytest
import requests

from conftest import (
    MSG_NO_SUCH_BUCKET, assert_common_headers, assert_oss_error, error_fields, unique_bucket_name,
    v2_error,
)
import alibabacloud_oss_v2 as oss


def test_healthz(endpoint):
    r = requests.get(f"{endpoint}/-/healthz", timeout=5)
    assert r.status_code == 200


def test_common_headers_on_success(raw, bucket, bucket_name):
    bucket.put_object("k", b"hello")
    for method, key, params in [
        ("GET", None, None),                 # ListBuckets
        ("GET", bucket_name, None),          # ListObjects
        ("GET", bucket_name, [("acl", None)]),
        ("GET", bucket_name, [("bucketInfo", None)]),
        ("GET", bucket_name, [("location", None)]),
    ]:
        if key is None:
            r = raw.request(method)
        else:
            r = raw.request(method, bucket_name, params=params)
        assert r.status_code == 200, (method, key, params, r.status_code, r.text[:300])
        assert_common_headers(r.headers)
    for method in ("GET", "HEAD"):
        r = raw.request(method, bucket_name, "k")
        assert r.status_code == 200
        assert_common_headers(r.headers)
    r = raw.request("PUT", bucket_name, "k2", data=b"x")
    assert r.status_code == 200
    assert_common_headers(r.headers)
    r = raw.request("DELETE", bucket_name, "k2")
    assert r.status_code == 204
    assert_common_headers(r.headers)


def test_request_ids_differ(raw, bucket_name):
    ids = {raw.request("GET", bucket_name).headers["x-oss-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_oss2_result_request_id(bucket):
    res = bucket.put_object("a", b"1")
    assert len(res.request_id) == 24
    assert res.request_id == res.headers["x-oss-request-id"]


def test_error_document_format(raw, bucket_name):
    r = raw.request("GET", bucket_name, "missing-key")
    fields = assert_oss_error(r, 404, "NoSuchKey")
    assert fields["Message"], fields
    assert r.headers["Content-Type"].startswith("application/xml")
    assert r.text.lstrip().startswith("<?xml"), r.text[:100]


def test_no_such_bucket_has_bucket_name(raw):
    name = unique_bucket_name("missing")
    r = raw.request("GET", name)
    fields = assert_oss_error(r, 404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)
    assert fields.get("BucketName") == name, fields


def test_head_error_uses_x_oss_err_header(raw, bucket_name):
    r = raw.request("HEAD", bucket_name, "nope")
    assert r.status_code == 404
    assert r.content == b""
    fields = error_fields(base64.b64decode(r.headers["x-oss-err"]))
    assert fields["Code"] == "NoSuchKey"
    assert fields["RequestId"] == r.headers["x-oss-request-id"]
    assert_common_headers(r.headers)


def test_head_object_missing_oss2(bucket):
    with pytest.raises(oss2.exceptions.NoSuchKey) as ei:
        bucket.head_object("nope")
    assert ei.value.status == 404
    assert ei.value.code == "NoSuchKey"
    assert len(ei.value.request_id) == 24


def test_head_object_missing_bucket_oss2(endpoint, creds):
    from conftest import oss2_bucket
    b = oss2_bucket(endpoint, creds, unique_bucket_name("missing"))
    with pytest.raises(oss2.exceptions.NoSuchBucket) as ei:
        b.head_object("nope")
    assert ei.value.message == MSG_NO_SUCH_BUCKET


def test_head_object_missing_v2(v2, bucket_name):
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="nope"))
    err = v2_error(ei)
    assert err.status_code == 404
    assert err.code == "NoSuchKey"
    assert len(err.request_id) == 24


def test_get_object_meta_missing_v2(v2, bucket_name):
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_object_meta(oss.GetObjectMetaRequest(bucket=bucket_name, key="nope"))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (404, "NoSuchKey")


@pytest.mark.parametrize("method,sub", [
    ("GET", "lifecycle"), ("PUT", "lifecycle"), ("GET", "logging"), ("PUT", "logging"),
])
def test_unimplemented_subresource_is_501(raw, bucket_name, method, sub):
    data = b"<x/>" if method == "PUT" else None
    r = raw.request(method, bucket_name, params=[(sub, None)], data=data)
    assert_oss_error(r, 501, "NotImplemented")


def test_unimplemented_via_oss2(bucket):
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bucket.get_bucket_lifecycle()
    assert (ei.value.status, ei.value.code) == (501, "NotImplemented")
