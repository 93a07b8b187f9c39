"""Symbolic links (OSS docs: PutSymlink, GetSymlink, GetObject and HeadObject on a symlink,
DeleteObject): through oss2 (V1, V4) and alibabacloud-oss-v2 (V1, V4), GET/HEAD following the
link, listings, errors with their EC, copies, and the target's ACL deciding too."""

from __future__ import annotations

import time

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from conftest import assert_oss_error, oss2_bucket, v2_error


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_put_get_follow_list_delete(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    b.put_object("dir/target ünï.txt", b"the target body", headers={"Content-Type": "text/plain"})
    r = b.put_symlink("dir/target ünï.txt", "link", headers={
        "x-oss-meta-who": "link", "Content-Type": "application/x-link",
        "x-oss-storage-class": "IA"})
    assert r.status == 200 and r.headers["ETag"]
    got = b.get_symlink("link")
    assert got.target_key == "dir/target ünï.txt"
    assert got.headers["ETag"] == r.headers["ETag"]

    target = b.head_object("dir/target ünï.txt")
    obj = b.get_object("link")  # oss2 checks the CRC-64 against the body
    assert obj.read() == b"the target body"
    assert obj.etag == target.etag
    assert obj.headers["x-oss-meta-who"] == "link"
    assert obj.headers["Content-Type"] == "application/x-link"
    assert obj.headers["x-oss-object-type"] == "Symlink"
    assert obj.headers["x-oss-storage-class"] == "IA"
    head = b.head_object("link")
    assert head.content_length == len(b"the target body")
    assert b.get_object("link", byte_range=(4, 9)).read() == b"target"

    listed = {o.key: o.type for o in b.list_objects().object_list}
    assert listed == {"dir/target ünï.txt": "Normal", "link": "Symlink"}

    # Deleting the link leaves the target.
    b.delete_object("link")
    assert not b.object_exists("link")
    assert b.get_object("dir/target ünï.txt").read() == b"the target body"


def test_v2_put_get_symlink(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="t", body=b"0123456789"))
    put = v2.put_symlink(oss.PutSymlinkRequest(
        bucket=bucket_name, key="l", target="t", metadata={"k": "v"}, acl="private"))
    assert put.status_code == 200
    got = v2.get_symlink(oss.GetSymlinkRequest(bucket=bucket_name, key="l"))
    assert got.target == "t"
    assert got.metadata == {"k": "v"}
    body = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="l", range_header="bytes=2-4"))
    assert body.body.read() == b"234"
    assert body.metadata == {"k": "v"}
    acl = v2.get_object_acl(oss.GetObjectAclRequest(bucket=bucket_name, key="l"))
    assert acl.acl == "private"


def test_the_target_may_come_later_and_a_missing_target_is_404(bucket):
    bucket.put_symlink("later", "link")
    with pytest.raises(oss2.exceptions.OssError) as ei:
        bucket.get_object("link")
    e = ei.value
    assert (e.status, e.code, e.ec) == (404, "SymlinkTargetNotExist", "0026-00000012")
    bucket.put_object("later", b"now here")
    assert bucket.get_object("link").read() == b"now here"


def test_link_to_link_is_invalid_target_type(bucket):
    bucket.put_object("t", b"x")
    bucket.put_symlink("t", "l1")
    bucket.put_symlink("l1", "l2")
    with pytest.raises(oss2.exceptions.OssError) as ei:
        bucket.get_object("l2")
    assert (ei.value.status, ei.value.code) == (400, "InvalidTargetType")


def test_get_symlink_errors(bucket):
    bucket.put_object("plain", b"x")
    with pytest.raises(oss2.exceptions.OssError) as ei:
        bucket.get_symlink("plain")
    assert (ei.value.status, ei.value.code, ei.value.ec) == (400, "NotSymlink", "0043-00000101")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_symlink("absent")


def test_put_symlink_errors(raw, bucket, bucket_name):
    r = raw.request("PUT", bucket_name, "l", params=[("symlink", None)])
    assert_oss_error(r, 400, "MissingArgument")
    r = raw.request("PUT", bucket_name, "l", params=[("symlink", None)],
                    headers={"x-oss-symlink-target": "%2Fabs"})
    assert_oss_error(r, 400, "InvalidArgument")
    r = raw.request("PUT", bucket_name, "l", params=[("symlink", None)],
                    headers={"x-oss-symlink-target": "%FF"})
    assert_oss_error(r, 400, "InvalidArgument")
    bucket.put_object("l", b"existing")
    r = raw.request("PUT", bucket_name, "l", params=[("symlink", None)],
                    headers={"x-oss-symlink-target": "t", "x-oss-forbid-overwrite": "true"})
    assert_oss_error(r, 409, "FileAlreadyExists")
    assert bucket.get_object("l").read() == b"existing"
    # PutObject over a link makes a normal object again.
    bucket.put_symlink("t", "l")
    bucket.put_object("l", b"normal")
    assert bucket.head_object("l").object_type == "Normal"


def test_last_modified_is_the_later_of_link_and_target(bucket):
    bucket.put_object("t", b"old")
    bucket.put_symlink("t", "l")
    link_lm = oss2.utils.http_to_unixtime(bucket.get_symlink("l").headers["Last-Modified"])
    time.sleep(1.1)
    bucket.put_object("t", b"new")
    target_lm = bucket.head_object("t").last_modified
    assert target_lm > link_lm
    assert bucket.head_object("l").last_modified == target_lm


def test_a_link_does_not_open_a_private_target(endpoint, bucket, bucket_name):
    bucket.put_object("secret", b"private bytes", headers={"x-oss-object-acl": "private"})
    bucket.put_symlink("secret", "open", headers={"x-oss-object-acl": "public-read"})
    url = f"{endpoint}/{bucket_name}/open"
    r = requests.get(url, timeout=10)
    assert_oss_error(r, 403, "AccessDenied")
    assert b"private bytes" not in r.content
    bucket.put_object_acl("secret", oss2.OBJECT_ACL_PUBLIC_READ)
    r = requests.get(url, timeout=10)
    assert r.status_code == 200 and r.content == b"private bytes"
    # A private link to a public object stays closed.
    bucket.put_symlink("secret", "closed", headers={"x-oss-object-acl": "private"})
    assert_oss_error(requests.get(f"{endpoint}/{bucket_name}/closed", timeout=10), 403,
                     "AccessDenied")


def test_copy_of_a_link_is_a_link_and_part_copy_refuses_it(bucket, bucket_name):
    bucket.put_object("t", b"body")
    bucket.put_symlink("t", "l")
    bucket.copy_object(bucket_name, "l", "l2")
    assert bucket.get_symlink("l2").target_key == "t"
    assert bucket.get_object("l2").read() == b"body"
    upload = bucket.init_multipart_upload("mp").upload_id
    with pytest.raises(oss2.exceptions.OssError) as ei:
        bucket.upload_part_copy(bucket_name, "l", (0, 3), "mp", upload, 1)
    assert (ei.value.status, ei.value.code, ei.value.ec) == (400, "InvalidArgument",
                                                             "0042-00000308")


def test_v2_missing_target_error(v2, bucket_name):
    v2.put_symlink(oss.PutSymlinkRequest(bucket=bucket_name, key="l", target="none"))
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="l"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (404, "SymlinkTargetNotExist")
