"""Authentication and ACL-based access (OSS docs: signatures and ACLs): V1 header signatures, anonymous access,
wrong secret, unknown key, clock skew; V4 through oss2 ProviderAuthV4 (marker v4)."""

import os
import time

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import (
    Credentials, assert_oss_error, http_date, oss2_bucket, v1_signature,
    v2_client, v2_error,
)


# ---------------------------------------------------------------- the suite's own V1 signer


def test_v1_signer_matches_spec_vectors():
    """The raw-request helper reproduces the documented signatures (OSS docs "Add a signature to the
    header", and oss2's own signer), so failures of raw tests are not signer bugs."""
    headers = {
        "Content-MD5": "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
        "Content-Type": "text/html", "Date": "Thu, 17 Nov 2005 18:49:58 GMT",
        "X-OSS-Meta-Author": "foo@bar.com", "X-OSS-Magic": "abracadabra",
    }
    assert v1_signature("OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", "PUT", headers,
                        "oss-example", "nelson", []) == "26NBxoKdsyly4EDv6inkoDft/yA="
    date = {"Date": "Sat, 28 Nov 2026 04:08:26 GMT"}
    assert v1_signature("test-sk", "PUT", date, "my-bucket", None, [("cors", "")]) == \
        "0Bx6NtziiDvBwtOJ6wPmemaSo4Y="
    assert v1_signature("test-sk", "GET", date, "my-bucket", None, [("cors", None)]) == \
        "7zTkM3YHZD+BDTmwGKtcHrrmFLg="
    assert v1_signature("test-sk", "PUT", dict(date, **{"Content-Type": "text/plain"}),
                        "my-bucket", "dir/hello.txt", []) == "y5H06gfqGpC149lwbzvHrTXXrHE="


# ---------------------------------------------------------------- V1 happy paths


def test_v1_header_signature_root_key(raw, bucket_name):
    r = raw.request("PUT", bucket_name, "dir/file.txt", data=b"hi",
                    headers={"Content-Type": "text/plain", "x-oss-meta-a": "1"})
    assert r.status_code == 200
    r = raw.request("GET", bucket_name, "dir/file.txt")
    assert r.status_code == 200 and r.content == b"hi"


def test_v1_with_x_oss_date_instead_of_date(raw, bucket, bucket_name):
    """ali-oss signs with x-oss-date only (spec §3.1)."""
    bucket.put_object("k", b"v")
    headers = {"x-oss-date": http_date()}
    sig = v1_signature(raw.creds.access_key_secret, "GET", headers, bucket_name, "k", [])
    headers["Authorization"] = f"OSS {raw.creds.access_key_id}:{sig}"
    r = raw.request("GET", bucket_name, "k", headers=headers, sign=False)
    assert r.status_code == 200 and r.content == b"v"


def test_v1_subresource_in_signature(raw, bucket_name):
    r = raw.request("GET", bucket_name, params=[("acl", None)])
    assert r.status_code == 200
    r = raw.request("GET", bucket_name, params=[("prefix", "x"), ("max-keys", "5")])
    assert r.status_code == 200


def test_v1_list_buckets_service(service):
    assert service.list_buckets().status == 200


# ---------------------------------------------------------------- anonymous


def test_anonymous_private_bucket_denied(raw, bucket, bucket_name):
    bucket.put_object("secret", b"s")
    for method, key, data in [("GET", "secret", None), ("HEAD", "secret", None),
                              ("PUT", "new", b"x"), ("DELETE", "secret", None),
                              ("GET", None, None)]:
        r = raw.request(method, bucket_name, key, data=data, sign=False)
        assert_oss_error(r, 403, "AccessDenied")
    assert bucket.get_object("secret").read() == b"s"
    assert not bucket.object_exists("new")


def test_anonymous_public_read_bucket(raw, bucket, bucket_name):
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    bucket.put_object("pub", b"p")
    r = raw.request("GET", bucket_name, "pub", sign=False)
    assert r.status_code == 200 and r.content == b"p"
    assert raw.request("GET", bucket_name, sign=False).status_code == 200   # list
    r = raw.request("PUT", bucket_name, "anon", data=b"x", sign=False)
    assert_oss_error(r, 403, "AccessDenied")


def test_anonymous_public_read_write_bucket(raw, bucket, bucket_name):
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    r = raw.request("PUT", bucket_name, "anon", data=b"x", sign=False)
    assert r.status_code == 200
    assert bucket.get_object("anon").read() == b"x"
    # bucket configuration stays owner-only
    r = raw.request("PUT", bucket_name, params=[("acl", None)],
                    headers={"x-oss-acl": "private"}, sign=False)
    assert_oss_error(r, 403, "AccessDenied")


def test_object_acl_overrides_bucket_acl(raw, bucket, bucket_name):
    bucket.put_object("open", b"o", headers={"x-oss-object-acl": "public-read"})
    bucket.put_object("closed", b"c")
    assert raw.request("GET", bucket_name, "open", sign=False).status_code == 200
    assert raw.request("GET", bucket_name, "closed", sign=False).status_code == 403
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    bucket.put_object_acl("closed", oss2.OBJECT_ACL_PRIVATE)
    assert raw.request("GET", bucket_name, "closed", sign=False).status_code == 403


# ---------------------------------------------------------------- failures


def test_wrong_secret_signature_does_not_match(raw, bucket_name):
    date = http_date()
    headers = {"Date": date}
    r = raw.request("GET", bucket_name, "k", headers=headers, access_key_secret="wrong-secret")
    fields = assert_oss_error(r, 403, "SignatureDoesNotMatch")
    expected_sts = f"GET\n\n\n{date}\n/{bucket_name}/k"
    assert fields.get("StringToSign") == expected_sts, fields
    assert fields.get("OSSAccessKeyId") == raw.creds.access_key_id


def test_wrong_secret_oss2(endpoint, creds, bucket_name):
    b = oss2_bucket(endpoint, Credentials(creds.access_key_id, "wrong"), bucket_name)
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as ei:
        b.put_object("k", b"x")
    assert ei.value.status == 403
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.head_object("k")
    assert (ei.value.status, ei.value.code) == (403, "SignatureDoesNotMatch")


def test_unknown_access_key(raw, bucket_name):
    r = raw.request("GET", bucket_name, access_key_id="LTAIUNKNOWNKEY00000", access_key_secret="x")
    assert_oss_error(r, 403, "InvalidAccessKeyId")


def test_unknown_access_key_v2(endpoint, bucket_name):
    for version in ("v1",):
        c = v2_client(endpoint, Credentials("invalid-ak", "invalid-sk"), version)
        with pytest.raises(oss.exceptions.OperationError) as ei:
            c.get_bucket_acl(oss.GetBucketAclRequest(bucket=bucket_name))
        err = v2_error(ei)
        assert (err.status_code, err.code) == (403, "InvalidAccessKeyId")


def test_request_time_too_skewed(raw, bucket_name):
    r = raw.request("GET", bucket_name, headers={"Date": http_date(time.time() - 3600)})
    assert_oss_error(r, 403, "RequestTimeTooSkewed")


def test_missing_date(raw, bucket_name):
    sig = v1_signature(raw.creds.access_key_secret, "GET", {}, bucket_name, None, [])
    r = raw.request("GET", bucket_name, sign=False,
                    headers={"Authorization": f"OSS {raw.creds.access_key_id}:{sig}"})
    assert_oss_error(r, 403, "AccessDenied")


def test_malformed_authorization(raw, bucket_name):
    r = raw.request("GET", bucket_name, sign=False,
                    headers={"Date": http_date(), "Authorization": "OSS no-colon-here"})
    assert_oss_error(r, 400, "InvalidArgument")


def test_tampered_header_detected(raw, bucket_name):
    """x-oss-* headers are signed: changing one after signing breaks the signature."""
    headers = {"Date": http_date(), "x-oss-meta-a": "1"}
    sig = v1_signature(raw.creds.access_key_secret, "PUT", headers, bucket_name, "t", [])
    headers["Authorization"] = f"OSS {raw.creds.access_key_id}:{sig}"
    headers["x-oss-meta-a"] = "2"
    r = raw.request("PUT", bucket_name, "t", headers=headers, data=b"x", sign=False)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")


# ---------------------------------------------------------------- V4


@pytest.mark.v4
def test_v4_oss2_object_roundtrip(bucket_v4):
    data = os.urandom(10_000)
    bucket_v4.put_object("v4/a b+c.bin", data, headers={"x-oss-meta-x": "1"})
    got = bucket_v4.get_object("v4/a b+c.bin")
    assert got.read() == data
    assert got.headers["x-oss-meta-x"] == "1"
    assert bucket_v4.head_object("v4/a b+c.bin").content_length == len(data)
    assert [o.key for o in oss2.ObjectIterator(bucket_v4)] == ["v4/a b+c.bin"]
    assert [o.key for o in oss2.ObjectIteratorV2(bucket_v4)] == ["v4/a b+c.bin"]
    bucket_v4.copy_object(bucket_v4.bucket_name, "v4/a b+c.bin", "v4/copy")
    assert bucket_v4.get_object("v4/copy", byte_range=(0, 9)).read() == data[:10]
    bucket_v4.delete_object("v4/copy")
    assert bucket_v4.batch_delete_objects(["v4/a b+c.bin"]).deleted_keys == ["v4/a b+c.bin"]


@pytest.mark.v4
def test_v4_oss2_bucket_ops(endpoint, creds, bucket_v4):
    assert bucket_v4.get_bucket_acl().acl == "private"
    assert bucket_v4.get_bucket_info().name == bucket_v4.bucket_name
    assert bucket_v4.get_bucket_location().location == "oss-cn-hangzhou"
    svc = oss2.Service(oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret)), endpoint, region="cn-hangzhou")
    names = [b.name for b in svc.list_buckets(prefix=bucket_v4.bucket_name).buckets]
    assert names == [bucket_v4.bucket_name]


@pytest.mark.v4
def test_v4_wrong_secret(endpoint, creds, bucket_name):
    b = oss2_bucket(endpoint, Credentials(creds.access_key_id, "wrong"), bucket_name,
                    version="v4")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        b.put_object("k", b"x")
    c = v2_client(endpoint, Credentials(creds.access_key_id, "wrong"), "v4")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.get_bucket_acl(oss.GetBucketAclRequest(bucket=bucket_name))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "SignatureDoesNotMatch")


@pytest.mark.v4
def test_v4_unknown_key(endpoint, bucket_name):
    c = v2_client(endpoint, Credentials("invalid-ak", "invalid-sk"), "v4")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.get_bucket_acl(oss.GetBucketAclRequest(bucket=bucket_name))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "InvalidAccessKeyId")


@pytest.mark.v4
def test_v4_wrong_region(endpoint, creds, bucket_name):
    b = oss2.Bucket(oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret)), endpoint, bucket_name,
        region="cn-beijing")
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.put_object("k", b"x")
    assert ei.value.status in (400, 403)
