"""Block Public Access at bucket level (OSS docs: PutBucketPublicAccessBlock,
GetBucketPublicAccessBlock, DeleteBucketPublicAccessBlock and the "Block public access" guide):
while it is on, existing public ACLs (bucket and object) are ignored and new ones are refused;
turned off, the stored ACLs apply again. Through oss2 (V1, V4) and alibabacloud-oss-v2 (V4, V1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from conftest import assert_oss_error, oss2_bucket


def anonymous(endpoint, bucket_name, key=None, method="GET", data=None):
    url = f"{endpoint}/{bucket_name}/" + (key or "")
    return requests.request(method, url, data=data, timeout=10)


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_put_get_delete(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    assert b.get_bucket_public_access_block().block_public_access is False
    b.put_bucket_public_access_block(True)
    assert b.get_bucket_public_access_block().block_public_access is True
    b.put_bucket_public_access_block(False)
    assert b.get_bucket_public_access_block().block_public_access is False
    b.put_bucket_public_access_block(True)
    b.delete_bucket_public_access_block()
    b.delete_bucket_public_access_block()  # idempotent
    assert b.get_bucket_public_access_block().block_public_access is False


def test_v2_put_get_delete(v2, bucket_name):
    v2.put_bucket_public_access_block(oss.PutBucketPublicAccessBlockRequest(
        bucket=bucket_name,
        public_access_block_configuration=oss.PublicAccessBlockConfiguration(block_public_access=True)))
    got = v2.get_bucket_public_access_block(oss.GetBucketPublicAccessBlockRequest(bucket=bucket_name))
    assert got.public_access_block_configuration.block_public_access is True
    info = v2.get_bucket_info(oss.GetBucketInfoRequest(bucket=bucket_name))
    assert info.bucket_info.block_public_access is True
    r = v2.delete_bucket_public_access_block(
        oss.DeleteBucketPublicAccessBlockRequest(bucket=bucket_name))
    assert r.status_code == 204
    got = v2.get_bucket_public_access_block(oss.GetBucketPublicAccessBlockRequest(bucket=bucket_name))
    assert got.public_access_block_configuration.block_public_access is False
    info = v2.get_bucket_info(oss.GetBucketInfoRequest(bucket=bucket_name))
    assert info.bucket_info.block_public_access is False


def test_only_the_owner_and_bad_documents(raw, bucket_name):
    body = b"<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>"
    raw.request("PUT", bucket_name, params=[("acl", None)],
                headers={"x-oss-acl": "public-read-write"}).raise_for_status()
    for method, data in (("PUT", body), ("GET", None), ("DELETE", None)):
        r = raw.request(method, bucket_name, params=[("publicAccessBlock", None)], data=data, sign=False)
        assert_oss_error(r, 403, "AccessDenied")
    r = raw.request("PUT", bucket_name, params=[("publicAccessBlock", None)], data=b"<x>")
    assert_oss_error(r, 400, "MalformedXML")
    r = raw.request("PUT", bucket_name, params=[("publicAccessBlock", None)],
                    data=body.replace(b"true", b"yes"))
    assert_oss_error(r, 400, "InvalidArgument")
    # Account level and access points are not implemented.
    assert_oss_error(raw.request("GET", None, params=[("publicAccessBlock", None)]), 501, "NotImplemented")


def test_public_acls_are_ignored_while_on_and_apply_again_when_off(endpoint, creds, bucket_name):
    b = oss2_bucket(endpoint, creds, bucket_name)
    b.put_object("bucket-acl.txt", b"via bucket acl")
    b.put_object("object-acl.txt", b"via object acl", headers={"x-oss-object-acl": "public-read"})
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    assert anonymous(endpoint, bucket_name, "bucket-acl.txt").content == b"via bucket acl"
    assert anonymous(endpoint, bucket_name, "object-acl.txt").status_code == 200
    assert anonymous(endpoint, bucket_name).status_code == 200  # anonymous listing

    b.put_bucket_public_access_block(True)
    for key in ("bucket-acl.txt", "object-acl.txt"):
        assert_oss_error(anonymous(endpoint, bucket_name, key), 403, "AccessDenied")
    assert_oss_error(anonymous(endpoint, bucket_name), 403, "AccessDenied")
    assert_oss_error(anonymous(endpoint, bucket_name, "new.txt", "PUT", b"x"), 403, "AccessDenied")
    assert_oss_error(anonymous(endpoint, bucket_name, "bucket-acl.txt", "DELETE"), 403, "AccessDenied")
    # The stored ACLs are kept, and the owner still reads everything.
    assert b.get_bucket_acl().acl == oss2.BUCKET_ACL_PUBLIC_READ_WRITE
    assert b.get_object_acl("object-acl.txt").acl == oss2.OBJECT_ACL_PUBLIC_READ
    assert b.get_object("object-acl.txt").read() == b"via object acl"

    b.put_bucket_public_access_block(False)
    assert anonymous(endpoint, bucket_name, "bucket-acl.txt").status_code == 200
    assert anonymous(endpoint, bucket_name, "object-acl.txt").status_code == 200


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_new_public_acls_are_refused_while_on(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    b.put_object("o.txt", b"x")
    b.put_bucket_public_access_block(True)

    def refused(fn):
        with pytest.raises(oss2.exceptions.AccessDenied) as ei:
            fn()
        assert "Block Public Access" in ei.value.message

    refused(lambda: b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ))
    refused(lambda: b.put_object_acl("o.txt", oss2.OBJECT_ACL_PUBLIC_READ_WRITE))
    refused(lambda: b.put_object("p.txt", b"x", headers={"x-oss-object-acl": "public-read"}))
    refused(lambda: b.copy_object(b.bucket_name, "o.txt", "c.txt",
                                  headers={"x-oss-object-acl": "public-read"}))
    refused(lambda: b.append_object("a.txt", 0, b"x", headers={"x-oss-object-acl": "public-read"}))
    refused(lambda: b.init_multipart_upload("m.txt", headers={"x-oss-object-acl": "public-read"}))
    refused(lambda: b.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ))
    # Nothing was written.
    for key in ("p.txt", "c.txt", "a.txt"):
        assert not b.object_exists(key)
    assert b.get_bucket_acl().acl == oss2.BUCKET_ACL_PRIVATE
    # Private ACLs can still be set.
    b.put_object_acl("o.txt", oss2.OBJECT_ACL_PRIVATE)
    b.put_object("q.txt", b"x", headers={"x-oss-object-acl": "private"})
    b.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    # Off again: public ACLs can be set.
    b.delete_bucket_public_access_block()
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)


def test_post_object_public_acl_refused_while_on(endpoint, creds, bucket_name):
    b = oss2_bucket(endpoint, creds, bucket_name)
    b.put_bucket_public_access_block(True)
    policy = base64.b64encode(json.dumps({
        "expiration": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 600)),
        "conditions": [["starts-with", "$key", ""]],
    }).encode()).decode()
    sig = base64.b64encode(hmac.new(creds.access_key_secret.encode(), policy.encode(),
                                    hashlib.sha1).digest()).decode()
    fields = {"key": "form.txt", "OSSAccessKeyId": creds.access_key_id, "policy": policy,
              "Signature": sig, "x-oss-object-acl": "public-read"}
    r = requests.post(f"{endpoint}/{bucket_name}/", data=fields,
                      files={"file": ("f.txt", b"x")}, timeout=10)
    assert_oss_error(r, 403, "AccessDenied")
    assert not b.object_exists("form.txt")
    fields["x-oss-object-acl"] = "private"
    r = requests.post(f"{endpoint}/{bucket_name}/", data=fields,
                      files={"file": ("f.txt", b"x")}, timeout=10)
    assert r.status_code == 204, r.text
