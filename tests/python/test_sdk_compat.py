"""Issue 14: what the official SDKs expect just beyond the core — ossd's own endpoints, the calls
SDK fixtures make in every teardown, signature edges, copy and multipart details, bucket documents.

Sources: OSS API reference (ListBuckets, GetBucketInfo, GetBucketStat, DescribeRegions,
ListLiveChannel, GetBucketVersioning, ListObjectVersions, CopyObject, ListParts,
ListMultipartUploads, Object naming: "cannot start with / or \\", EC 0016-00000005). The C SDK
cases are reproduced byte for byte from aliyun-oss-c-sdk (`oss_util.c` `oss_get_bucket_uri`:
the V1 resource `/bucket` on an IP endpoint; `oss_delete_objects`: Content-MD5 of 20 bytes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from test_access_keys import Cli
from conftest import (
    REGION, Credentials, assert_oss_error, http_date, oss2_bucket, oss2_service,
    v2_client, v2_error,
)


def host_of(endpoint: str) -> str:
    return endpoint.split("://", 1)[1]


# ------------------------------------------------------------------ 1. ossd's own endpoints

def test_endpoints_are_ossd_own(endpoint, creds, bucket, bucket_name):
    host = host_of(endpoint)
    listed = [b for b in oss2_service(endpoint, creds).list_buckets().buckets
              if b.name == bucket_name]
    assert [(b.extranet_endpoint, b.intranet_endpoint) for b in listed] == [(host, host)]
    info = bucket.get_bucket_info()
    assert (info.extranet_endpoint, info.intranet_endpoint) == (host, host)
    # The v2 SDK reads the same values.
    v2 = v2_client(endpoint, creds)
    r = v2.get_bucket_info(oss.GetBucketInfoRequest(bucket=bucket_name))
    assert r.bucket_info.extranet_endpoint == host


def test_configured_public_and_internal_endpoints(spawn_server, monkeypatch):
    monkeypatch.setenv("OSSD_PUBLIC_ENDPOINT", "oss.example.test:9443")
    monkeypatch.setenv("OSSD_INTERNAL_ENDPOINT", "10.0.0.5:9000")
    srv = spawn_server()
    b = oss2_bucket(srv.endpoint, srv.creds, "ep-bucket")
    b.create_bucket()
    info = b.get_bucket_info()
    assert (info.extranet_endpoint, info.intranet_endpoint) == (
        "oss.example.test:9443", "10.0.0.5:9000")
    regions = oss2_service(srv.endpoint, srv.creds).describe_regions()
    assert [(r.region, r.internet_endpoint, r.internal_endpoint) for r in regions.regions] == [
        (f"oss-{REGION}", "oss.example.test:9443", "10.0.0.5:9000")]


# ------------------------------------------------------------------ 2. fixture calls

def test_list_live_channels_is_empty(bucket):
    r = bucket.list_live_channel()
    assert (r.channels, r.is_truncated) == ([], False)


def test_never_versioned_bucket_versioning_and_versions(endpoint, creds, bucket, bucket_name):
    assert bucket.get_bucket_versioning().status is None
    for k in ("a/1", "a/2", "b", "c d+e"):
        bucket.put_object(k, b"x" * len(k))
    r = bucket.list_object_versions()
    assert [(v.key, v.versionid, v.is_latest) for v in r.versions] == [
        ("a/1", "null", True), ("a/2", "null", True), ("b", "null", True),
        ("c d+e", "null", True)]
    assert r.delete_marker == []
    r = bucket.list_object_versions(delimiter="/")
    assert [v.key for v in r.versions] == ["b", "c d+e"]
    assert r.common_prefix == ["a/"]
    # Paging with key-marker / version-id-marker.
    page = bucket.list_object_versions(max_keys=2)
    assert page.is_truncated and [v.key for v in page.versions] == ["a/1", "a/2"]
    assert (page.next_key_marker, page.next_versionid_marker) == ("a/2", "null")
    rest = bucket.list_object_versions(key_marker=page.next_key_marker,
                                       versionid_marker=page.next_versionid_marker)
    assert [v.key for v in rest.versions] == ["b", "c d+e"] and not rest.is_truncated
    # The v2 SDK's paginator and its parameters.
    v2 = v2_client(endpoint, creds)
    got = []
    for p in v2.list_object_versions_paginator(limit=3).iter_page(
            oss.ListObjectVersionsRequest(bucket=bucket_name, prefix="a/")):
        got += [(v.key, v.version_id, v.is_latest) for v in p.version]
    assert got == [("a/1", "null", True), ("a/2", "null", True)]
    assert v2.get_bucket_versioning(
        oss.GetBucketVersioningRequest(bucket=bucket_name)).version_status is None
    # Wrong arguments: OSS's InvalidArgument.
    for kw in ({"max_keys": 1001}, {"versionid_marker": "nope", "key_marker": "a"},
               {"versionid_marker": "null"}):
        with pytest.raises(oss2.exceptions.OssError) as e:
            bucket.list_object_versions(**kw)
        assert (e.value.status, e.value.code) == (400, "InvalidArgument"), kw
    # The rest of versioning is in test_versioning.py.


def test_describe_regions(endpoint, creds):
    r = oss2_service(endpoint, creds).describe_regions()
    assert [(x.region, x.internet_endpoint) for x in r.regions] == [
        (f"oss-{REGION}", host_of(endpoint))]
    r = oss2_service(endpoint, creds).describe_regions(f"oss-{REGION}")
    assert len(r.regions) == 1
    with pytest.raises(oss2.exceptions.OssError) as e:
        oss2_service(endpoint, creds).describe_regions("oss-mars-1")
    assert e.value.status == 404


# ------------------------------------------------------------------ 3. bucket before signature

def test_bad_access_key_on_missing_bucket_is_no_such_bucket(endpoint):
    b = oss2_bucket(endpoint, Credentials("LTAInotakey", "nope"), "ossd-no-such-bucket-here")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        b.get_object("k")
    v2 = v2_client(endpoint, Credentials("LTAInotakey", "nope"))
    with pytest.raises(oss.exceptions.OperationError) as e:
        v2.get_bucket_info(oss.GetBucketInfoRequest(bucket="ossd-no-such-bucket-here"))
    assert v2_error(e).status_code == 404


# ------------------------------------------------------------------ 4. non-ASCII header values

@pytest.mark.parametrize("version", ["v1", "v4"])
def test_utf8_metadata_is_signed_stored_and_returned(endpoint, creds, bucket_name, version):
    # oss2 sends a bytes value as is (a str beyond Latin-1 cannot be sent by http.client) and
    # signs those bytes; requests hands the answer back as Latin-1 text.
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    b.put_object("u.txt", b"x", headers={"x-oss-meta-unicode": "测试".encode()})
    raw = b.head_object("u.txt").headers["x-oss-meta-unicode"]
    assert raw.encode("latin-1").decode() == "测试"
    assert [o.key for o in oss2.ObjectIterator(b)] == ["u.txt"]


# ------------------------------------------------------------------ 5, 6. the C SDK

def c_sdk_v1(secret: str, method: str, date: str, resource: str, content_md5: str = "",
             content_type: str = "") -> str:
    sts = f"{method}\n{content_md5}\n{content_type}\n{date}\n{resource}"
    return base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()).decode()


def test_c_sdk_bucket_resource_without_trailing_slash(endpoint, creds, bucket, bucket_name):
    """The C SDK on an IP endpoint signs bucket-level requests with `/bucket`."""
    bucket.put_object("k", b"x")
    for resource, params in ((f"/{bucket_name}", ""), (f"/{bucket_name}?acl", "?acl")):
        date = http_date()
        sig = c_sdk_v1(creds.access_key_secret, "GET", date, resource)
        r = requests.get(f"{endpoint}/{bucket_name}{params}", timeout=30, headers={
            "Date": date, "Authorization": f"OSS {creds.access_key_id}:{sig}"})
        assert r.status_code == 200, (resource, r.text)
    # A wrong secret is still refused in that form.
    date = http_date()
    sig = c_sdk_v1("wrong", "GET", date, f"/{bucket_name}")
    r = requests.get(f"{endpoint}/{bucket_name}", timeout=30, headers={
        "Date": date, "Authorization": f"OSS {creds.access_key_id}:{sig}"})
    assert_oss_error(r, 403, "SignatureDoesNotMatch")


def test_c_sdk_batch_delete_content_md5_of_20_bytes(endpoint, creds, bucket, bucket_name, raw):
    bucket.put_object("a", b"x")
    bucket.put_object("b", b"x")
    body = b"<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>"
    digest = hashlib.md5(body).digest()
    c_md5 = base64.b64encode(digest + b"\0\0\0\0").decode()
    r = raw.request("POST", bucket_name, params=[("delete", None)], data=body,
                    headers={"Content-MD5": c_md5, "Content-Type": "application/xml"})
    assert r.status_code == 200, r.text
    assert not bucket.object_exists("a")
    # 20 bytes whose first 16 are not the MD5, and other wrong lengths, stay refused.
    body = b"<Delete><Quiet>true</Quiet><Object><Key>b</Key></Object></Delete>"
    for bad in (base64.b64encode(b"\1" * 16 + b"\0\0\0\0").decode(),
                base64.b64encode(hashlib.md5(body).digest() + b"\0").decode(),
                base64.b64encode(hashlib.md5(body).digest()[:15]).decode()):
        r = raw.request("POST", bucket_name, params=[("delete", None)], data=body,
                        headers={"Content-MD5": bad, "Content-Type": "application/xml"})
        assert_oss_error(r, 400, "InvalidDigest")
    assert bucket.object_exists("b")
    # The 20-byte form is accepted for the batch delete only.
    r = raw.request("PUT", bucket_name, "c", data=b"x",
                    headers={"Content-MD5": base64.b64encode(
                        hashlib.md5(b"x").digest() + b"\0\0\0\0").decode()})
    assert_oss_error(r, 400, "InvalidDigest")


# ------------------------------------------------------------------ 7. PutBucket again

def test_put_bucket_on_own_bucket_applies_acl_and_class(endpoint, creds, bucket, bucket_name):
    bucket.put_object("k", b"x")
    bucket.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    assert bucket.get_bucket_acl().acl == "public-read"
    bucket.create_bucket(oss2.BUCKET_ACL_PRIVATE,
                         oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA))
    assert bucket.get_bucket_acl().acl == "private"
    assert bucket.get_bucket_info().storage_class == "IA"
    assert bucket.get_object("k").read() == b"x"


def test_put_bucket_of_another_owner_is_409(endpoint, creds, server, bucket_name):
    k = Cli(server.endpoint, server.creds).json("create")
    other = oss2_bucket(endpoint, Credentials(k["access_key_id"], k["access_key_secret"]),
                        bucket_name)
    with pytest.raises(oss2.exceptions.OssError) as e:
        other.create_bucket()
    assert (e.value.status, e.value.code) == (409, "BucketAlreadyExists")


# ------------------------------------------------------------------ 8, 9. CopyObject

def test_copy_conditions_304_and_412(bucket):
    bucket.put_object("src", b"source")
    etag = bucket.head_object("src").etag
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    for headers in ({"x-oss-copy-source-if-none-match": f'"{etag}"'},
                    {"x-oss-copy-source-if-modified-since": future}):
        with pytest.raises(oss2.exceptions.NotModified) as e:
            bucket.copy_object(bucket.bucket_name, "src", "dst", headers=headers)
        assert e.value.status == 304
    for headers, cond in (({"x-oss-copy-source-if-match": '"0000"'},
                           "x-oss-copy-source-if-match"),
                          ({"x-oss-copy-source-if-unmodified-since":
                            "Mon, 01 Jan 2001 00:00:00 GMT"},
                           "x-oss-copy-source-if-unmodified-since")):
        with pytest.raises(oss2.exceptions.PreconditionFailed) as e:
            bucket.copy_object(bucket.bucket_name, "src", "dst", headers=headers)
        assert e.value.details.get("Condition") == cond
    assert not bucket.object_exists("dst")


def test_copy_directives(bucket):
    bucket.put_object("src", b"source", headers={"Content-Type": "text/plain",
                                                 "x-oss-meta-a": "1"})
    # Directive values are case-insensitive.
    bucket.copy_object(bucket.bucket_name, "src", "r", headers={
        "x-oss-metadata-directive": "replace", "x-oss-meta-b": "2",
        "Content-Type": "text/csv"})
    h = bucket.head_object("r").headers
    assert (h.get("x-oss-meta-a"), h["x-oss-meta-b"], h["Content-Type"]) == (None, "2", "text/csv")
    bucket.copy_object(bucket.bucket_name, "src", "c", headers={"x-oss-metadata-directive": "copy"})
    assert bucket.head_object("c").headers["x-oss-meta-a"] == "1"
    # REPLACE without a Content-Type: the type OSS gives an upload without one.
    bucket.copy_object(bucket.bucket_name, "src", "n.bin",
                       headers={"x-oss-metadata-directive": "REPLACE"})
    assert bucket.head_object("n.bin").headers["Content-Type"] == "application/octet-stream"
    # Onto itself with new headers and no directive: the request's metadata (how OSS updates
    # metadata), the bytes unchanged.
    bucket.copy_object(bucket.bucket_name, "src", "src", headers={
        "x-oss-meta-z": "9", "Content-Type": "application/json"})
    h = bucket.head_object("src").headers
    assert (h.get("x-oss-meta-a"), h["x-oss-meta-z"], h["Content-Type"]) == (
        None, "9", "application/json")
    assert bucket.get_object("src").read() == b"source"
    bucket.update_object_meta("src", {"x-oss-meta-y": "8"})
    assert bucket.head_object("src").headers["x-oss-meta-y"] == "8"
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.copy_object(bucket.bucket_name, "src", "x",
                           headers={"x-oss-metadata-directive": "MOVE"})
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")


# ------------------------------------------------------------------ 10. multipart details

def test_initiate_headers_reach_the_object_and_complete_acl(bucket):
    up = bucket.init_multipart_upload("mp.bin", headers={
        "Content-Type": "text/csv", "x-oss-meta-k": "v", "Cache-Control": "no-cache",
        "x-oss-storage-class": "IA", "x-oss-object-acl": "public-read"}).upload_id
    parts = bucket.list_parts("mp.bin", up)
    assert parts.parts == [] and parts.next_marker == ""
    p = bucket.upload_part("mp.bin", up, 1, b"data")
    r = bucket.complete_multipart_upload("mp.bin", up, [oss2.models.PartInfo(1, p.etag)],
                                         headers={"x-oss-object-acl": "private"})
    assert r.status == 200
    h = bucket.head_object("mp.bin").headers
    assert (h["Content-Type"], h["x-oss-meta-k"], h["Cache-Control"],
            h["x-oss-storage-class"]) == ("text/csv", "v", "no-cache", "IA")
    assert bucket.get_object_acl("mp.bin").acl == "private"


def test_list_parts_and_uploads_documents(bucket, raw, bucket_name):
    up = bucket.init_multipart_upload("k1", headers={"x-oss-storage-class": "IA"}).upload_id
    bucket.upload_part("k1", up, 1, b"x")
    r = raw.request("GET", bucket_name, "k1", params=[("uploadId", up)])
    root = ET.fromstring(r.content)
    assert root.findtext("StorageClass") == "IA"
    assert root.findtext("NextPartNumberMarker") == "1"
    up2 = bucket.init_multipart_upload("k2").upload_id
    r = raw.request("GET", bucket_name, params=[("uploads", None)])
    root = ET.fromstring(r.content)
    assert root.findtext("IsTruncated") == "false"
    assert (root.findtext("NextKeyMarker"), root.findtext("NextUploadIdMarker")) == ("k2", up2)


def test_complete_all(bucket):
    up = bucket.init_multipart_upload("all.bin").upload_id
    bucket.upload_part("all.bin", up, 1, b"a" * (100 * 1024))
    bucket.upload_part("all.bin", up, 2, b"b")
    bucket.complete_multipart_upload("all.bin", up, None, headers={"x-oss-complete-all": "yes"})
    assert bucket.get_object("all.bin").read() == b"a" * (100 * 1024) + b"b"


# ------------------------------------------------------------------ 11. storage class

def test_objects_take_the_bucket_storage_class(endpoint, creds, bucket_factory):
    name = bucket_factory("ia")
    b = oss2_bucket(endpoint, creds, name)
    b.create_bucket(oss2.BUCKET_ACL_PRIVATE,
                    oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA))
    b.put_object("k", b"x")
    assert b.head_object("k").headers["x-oss-storage-class"] == "IA"
    assert [o.storage_class for o in oss2.ObjectIterator(b)] == ["IA"]
    b.put_object("s", b"x", headers={"x-oss-storage-class": "Standard"})
    assert b.head_object("s").headers["x-oss-storage-class"] == "Standard"


# ------------------------------------------------------------------ 12. bucket documents

STAT_FIELDS = [
    "Storage", "ObjectCount", "MultipartUploadCount", "LiveChannelCount", "LastModifiedTime",
    "StandardStorage", "StandardObjectCount", "InfrequentAccessStorage",
    "InfrequentAccessRealStorage", "InfrequentAccessObjectCount", "ArchiveStorage",
    "ArchiveRealStorage", "ArchiveObjectCount", "ColdArchiveStorage", "ColdArchiveRealStorage",
    "ColdArchiveObjectCount", "DeepColdArchiveStorage", "DeepColdArchiveRealStorage",
    "DeepColdArchiveObjectCount", "DeleteMarkerCount",
]


def test_bucket_stat_and_info_documents(endpoint, creds, bucket, bucket_name, raw):
    r = raw.request("GET", bucket_name, params=[("stat", None)])
    root = ET.fromstring(r.content)
    assert [c.tag for c in root] == STAT_FIELDS
    assert all(c.text == "0" for c in root), r.text
    v2 = v2_client(endpoint, creds)
    s = v2.get_bucket_stat(oss.GetBucketStatRequest(bucket=bucket_name))
    assert (s.storage, s.object_count, s.delete_marker_count) == (0, 0, 0)
    assert s.deep_cold_archive_object_count == 0
    info = v2.get_bucket_info(oss.GetBucketInfoRequest(bucket=bucket_name)).bucket_info
    assert info.block_public_access is False
    assert info.resource_group_id == "rg-default-id"
    assert info.data_redundancy_type == "LRS"
    assert info.sse_rule.sse_algorithm is not None


# ------------------------------------------------------------------ 14. Content-Type defaults

def test_content_type_when_the_request_has_none(endpoint, creds, bucket, bucket_name, raw):
    # A presigned PUT with no type (what the v2 SDK's presigner sends): octet-stream.
    v2 = v2_client(endpoint, creds)
    pre = v2.presign(oss.PutObjectRequest(bucket=bucket_name, key="photo.jpg"))
    r = requests.put(pre.url, data=b"jpeg bytes", timeout=30)
    assert r.status_code == 200, r.text
    h = v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="photo.jpg"))
    assert h.content_type == "application/octet-stream"
    # A header-signed upload without one: from the name, as OSS documents.
    r = raw.request("PUT", bucket_name, "page.html", data=b"<p>")
    assert r.status_code == 200
    assert bucket.head_object("page.html").headers["Content-Type"] == "text/html"
