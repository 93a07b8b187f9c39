"""Service and bucket operations: ListBuckets, PutBucket, DeleteBucket, GetBucketInfo,
GetBucketLocation, Get/PutBucketAcl, GetBucketStat, InvalidBucketName, NoSuchBucket."""

import secrets
import time
import xml.etree.ElementTree as ET

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import (
    MSG_BUCKET_NOT_EMPTY, MSG_NO_SUCH_BUCKET, assert_oss_error, oss2_bucket, unique_bucket_name,
    v2_error,
)


@pytest.fixture
def three_buckets(bucket_factory):
    prefix = f"ossd-py-lb-{secrets.token_hex(4)}-"
    names = [bucket_factory(name=prefix + s) for s in ("c", "a", "b")]
    return prefix, sorted(names)


# ---------------------------------------------------------------- ListBuckets


def test_list_buckets_prefix(service, three_buckets):
    prefix, names = three_buckets
    res = service.list_buckets(prefix=prefix)
    assert [b.name for b in res.buckets] == names
    assert res.is_truncated is False
    for b in res.buckets:
        assert b.location == "oss-cn-hangzhou"
        assert b.storage_class == "Standard"
        assert abs(b.creation_date - time.time()) < 300


def test_list_buckets_max_keys_and_marker(service, three_buckets):
    prefix, names = three_buckets
    page1 = service.list_buckets(prefix=prefix, max_keys=2)
    assert [b.name for b in page1.buckets] == names[:2]
    assert page1.is_truncated is True
    assert page1.next_marker == names[1]
    page2 = service.list_buckets(prefix=prefix, marker=page1.next_marker, max_keys=2)
    assert [b.name for b in page2.buckets] == names[2:]
    assert page2.is_truncated is False


def test_list_buckets_marker_is_exclusive(service, three_buckets):
    prefix, names = three_buckets
    res = service.list_buckets(prefix=prefix, marker=names[0])
    assert [b.name for b in res.buckets] == names[1:]


def test_list_buckets_xml(raw, three_buckets, creds):
    prefix, names = three_buckets
    r = raw.request("GET", params=[("prefix", prefix), ("max-keys", "10")])
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.tag == "ListAllMyBucketsResult"
    assert root.findtext("Prefix") == prefix
    assert root.findtext("MaxKeys") == "10"
    assert root.find("Owner/ID") is not None
    got = [b.findtext("Name") for b in root.findall("Buckets/Bucket")]
    assert got == names
    for b in root.findall("Buckets/Bucket"):
        assert b.findtext("Location") == "oss-cn-hangzhou"
        assert b.findtext("CreationDate")
        assert b.findtext("StorageClass") == "Standard"


def test_list_buckets_v2(v2, three_buckets):
    prefix, names = three_buckets
    res = v2.list_buckets(oss.ListBucketsRequest(prefix=prefix, max_keys=2))
    assert res.status_code == 200
    assert [b.name for b in res.buckets] == names[:2]
    assert res.is_truncated is True
    res2 = v2.list_buckets(oss.ListBucketsRequest(prefix=prefix, marker=res.next_marker))
    assert [b.name for b in res2.buckets] == names[2:]
    assert not res2.is_truncated


# ---------------------------------------------------------------- PutBucket / GetBucketInfo


def test_create_bucket_default_info(bucket, bucket_name):
    info = bucket.get_bucket_info()
    assert info.name == bucket_name
    assert info.location == "oss-cn-hangzhou"
    assert info.storage_class == "Standard"
    assert info.acl.grant == "private"
    assert info.owner.id
    assert info.creation_date


def test_create_bucket_with_acl_and_storage_class(endpoint, creds, bucket_factory):
    name = bucket_factory(permission=oss2.BUCKET_ACL_PUBLIC_READ,
                          input=oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA))
    b = oss2_bucket(endpoint, creds, name)
    info = b.get_bucket_info()
    assert info.acl.grant == "public-read"
    assert info.storage_class == "IA"
    assert b.get_bucket_acl().acl == "public-read"


def test_put_bucket_v2(v2, endpoint, creds):
    name = unique_bucket_name("v2")
    try:
        res = v2.put_bucket(oss.PutBucketRequest(
            bucket=name, acl="public-read-write",
            create_bucket_configuration=oss.CreateBucketConfiguration(storage_class="Archive")))
        assert res.status_code == 200
        assert len(res.request_id) == 24
        info = v2.get_bucket_info(oss.GetBucketInfoRequest(bucket=name)).bucket_info
        assert info.name == name
        assert info.acl == "public-read-write"
        assert info.storage_class == "Archive"
        assert info.location == "oss-cn-hangzhou"
        res = v2.delete_bucket(oss.DeleteBucketRequest(bucket=name))
        assert res.status_code == 204
    finally:
        from conftest import purge_bucket
        purge_bucket(endpoint, creds, name)


def test_put_bucket_invalid_acl(raw):
    name = unique_bucket_name("acl")
    r = raw.request("PUT", name, headers={"x-oss-acl": "everyone"})
    assert_oss_error(r, 400, "InvalidArgument")
    assert raw.request("GET", name, params=[("bucketInfo", None)]).status_code == 404


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "Upper-case", "-leading-hyphen", "trailing-hyphen-", "under_score",
    "dot.name",
])
def test_invalid_bucket_name(raw, name):
    r = raw.request("PUT", name)
    assert_oss_error(r, 400, "InvalidBucketName")


def test_bucket_name_limits_accepted(bucket_factory):
    bucket_factory(name="a" + secrets.token_hex(1) + "0")              # 3 chars
    bucket_factory(name="z" + secrets.token_hex(31))                   # 63 chars


# ---------------------------------------------------------------- DeleteBucket


def test_delete_empty_bucket(raw, endpoint, creds):
    name = unique_bucket_name("del")
    b = oss2_bucket(endpoint, creds, name)
    b.create_bucket()
    r = raw.request("DELETE", name)
    assert r.status_code == 204
    assert r.content == b""
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        b.get_bucket_info()


def test_delete_bucket_not_empty(bucket, raw, bucket_name):
    bucket.put_object("obj", b"x")
    with pytest.raises(oss2.exceptions.BucketNotEmpty) as ei:
        bucket.delete_bucket()
    assert ei.value.status == 409
    assert ei.value.message == MSG_BUCKET_NOT_EMPTY
    r = raw.request("DELETE", bucket_name)
    assert_oss_error(r, 409, "BucketNotEmpty", MSG_BUCKET_NOT_EMPTY)
    assert bucket.get_object("obj").read() == b"x"


def test_delete_bucket_not_empty_v2(v2, bucket, bucket_name):
    bucket.put_object("obj", b"x")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.delete_bucket(oss.DeleteBucketRequest(bucket=bucket_name))
    err = v2_error(ei)
    assert (err.status_code, err.code, err.message) == (409, "BucketNotEmpty", MSG_BUCKET_NOT_EMPTY)


def test_delete_missing_bucket(raw):
    name = unique_bucket_name("gone")
    r = raw.request("DELETE", name)
    fields = assert_oss_error(r, 404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)
    assert fields.get("BucketName") == name


def test_recreate_after_delete(endpoint, creds, raw):
    name = unique_bucket_name("re")
    b = oss2_bucket(endpoint, creds, name)
    try:
        b.create_bucket()
        b.put_object("k", b"old")
        b.delete_object("k")
        b.delete_bucket()
        b.create_bucket()
        with pytest.raises(oss2.exceptions.NoSuchKey):
            b.get_object("k")
        assert list(oss2.ObjectIterator(b)) == []
    finally:
        from conftest import purge_bucket
        purge_bucket(endpoint, creds, name)


# ---------------------------------------------------------------- Location / ACL / Stat


def test_get_bucket_location(bucket, raw, bucket_name):
    assert bucket.get_bucket_location().location == "oss-cn-hangzhou"
    r = raw.request("GET", bucket_name, params=[("location", None)])
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.tag == "LocationConstraint"
    assert root.text == "oss-cn-hangzhou"


def test_get_bucket_location_v2(v2, bucket_name):
    res = v2.get_bucket_location(oss.GetBucketLocationRequest(bucket=bucket_name))
    assert res.location == "oss-cn-hangzhou"


def test_bucket_acl_roundtrip(bucket):
    assert bucket.get_bucket_acl().acl == "private"
    for acl in (oss2.BUCKET_ACL_PUBLIC_READ, oss2.BUCKET_ACL_PUBLIC_READ_WRITE,
                oss2.BUCKET_ACL_PRIVATE):
        res = bucket.put_bucket_acl(acl)
        assert res.status == 200
        assert bucket.get_bucket_acl().acl == acl
        assert bucket.get_bucket_info().acl.grant == acl


def test_bucket_acl_v2(v2, bucket_name):
    v2.put_bucket_acl(oss.PutBucketAclRequest(bucket=bucket_name, acl="public-read"))
    res = v2.get_bucket_acl(oss.GetBucketAclRequest(bucket=bucket_name))
    assert res.acl == "public-read"
    assert res.owner.id


def test_bucket_acl_xml(raw, bucket_name):
    r = raw.request("GET", bucket_name, params=[("acl", None)])
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.tag == "AccessControlPolicy"
    assert root.findtext("Owner/ID")
    assert root.findtext("AccessControlList/Grant") == "private"


def test_put_bucket_acl_invalid(raw, bucket_name):
    r = raw.request("PUT", bucket_name, params=[("acl", None)], headers={"x-oss-acl": "bogus"})
    assert_oss_error(r, 400, "InvalidArgument")


def test_get_bucket_stat(bucket):
    bucket.put_object("a", b"abc")
    bucket.put_object("b", b"defgh")
    stat = bucket.get_bucket_stat()
    assert stat.object_count == 2
    assert stat.storage_size_in_bytes == 8
    assert stat.multi_part_upload_count == 0
    bucket.delete_object("a")
    stat = bucket.get_bucket_stat()
    assert stat.object_count == 1
    assert stat.storage_size_in_bytes == 5


def test_get_bucket_stat_v2(v2, bucket, bucket_name):
    bucket.put_object("a", b"abcd")
    res = v2.get_bucket_stat(oss.GetBucketStatRequest(bucket=bucket_name))
    assert res.object_count == 1
    assert res.storage == 4


# ---------------------------------------------------------------- NoSuchBucket


def _missing_bucket_calls(b):
    yield "get_bucket_info", lambda: b.get_bucket_info()
    yield "get_bucket_acl", lambda: b.get_bucket_acl()
    yield "put_bucket_acl", lambda: b.put_bucket_acl("private")
    yield "get_bucket_location", lambda: b.get_bucket_location()
    yield "get_bucket_stat", lambda: b.get_bucket_stat()
    yield "list_objects", lambda: b.list_objects()
    yield "list_objects_v2", lambda: b.list_objects_v2()
    yield "put_object", lambda: b.put_object("k", b"x")
    yield "get_object", lambda: b.get_object("k")
    yield "delete_object", lambda: b.delete_object("k")
    yield "append_object", lambda: b.append_object("k", 0, b"x")
    yield "batch_delete", lambda: b.batch_delete_objects(["k"])
    yield "delete_bucket", lambda: b.delete_bucket()
    yield "get_bucket_cors", lambda: b.get_bucket_cors()
    yield "delete_bucket_cors", lambda: b.delete_bucket_cors()
    yield "put_bucket_cors", lambda: b.put_bucket_cors(oss2.models.BucketCors([
        oss2.models.CorsRule(allowed_origins=["*"], allowed_methods=["GET"])]))


def test_no_such_bucket_everywhere(endpoint, creds):
    name = unique_bucket_name("missing")
    b = oss2_bucket(endpoint, creds, name)
    failures = []
    for op, call in _missing_bucket_calls(b):
        try:
            call()
            failures.append(f"{op}: succeeded")
        except oss2.exceptions.NoSuchBucket as e:
            if e.message != MSG_NO_SUCH_BUCKET or e.details.get("BucketName") != name:
                failures.append(f"{op}: {e.details}")
        except oss2.exceptions.OssError as e:
            failures.append(f"{op}: {e.status} {e.code}")
    assert not failures, failures


def test_no_such_bucket_v2(v2):
    name = unique_bucket_name("missing")
    calls = [
        lambda: v2.get_bucket_info(oss.GetBucketInfoRequest(bucket=name)),
        lambda: v2.list_objects_v2(oss.ListObjectsV2Request(bucket=name)),
        lambda: v2.put_object(oss.PutObjectRequest(bucket=name, key="k", body=b"x")),
        lambda: v2.get_bucket_cors(oss.GetBucketCorsRequest(bucket=name)),
    ]
    for call in calls:
        with pytest.raises(oss.exceptions.OperationError) as ei:
            call()
        err = v2_error(ei)
        assert (err.status_code, err.code, err.message) == (404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)
        assert len(err.request_id) == 24
