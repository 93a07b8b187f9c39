"""Signature V2 (`OSS2 AccessKeyId:…,AdditionalHeaders:…,Signature:…` and the
`x-oss-signature-version=OSS2` presigned URL) end to end with oss2 `AuthV2`: object, listing,
multipart and CORS calls, presigned GET/PUT URLs used with plain `requests`, and the failures
(wrong secret, tampering, expiry, skew, unknown key, malformed header, missing URL parameters).
"Signature V2" here is the OSS scheme, not the alibabacloud-oss-v2 SDK."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

import oss2
import pytest
import requests

from conftest import REGION, Credentials, assert_oss_error, http_date

KEY = "v2/dir/a b+c&d=é?x#y.txt"   # '/', space, '+', '&', '=', '?', '#', non-ASCII


def auth_v2(creds: Credentials, secret: str | None = None) -> oss2.AuthV2:
    return oss2.AuthV2(creds.access_key_id, secret or creds.access_key_secret)


def bucket_v2(endpoint, creds, name, secret=None) -> oss2.Bucket:
    return oss2.Bucket(auth_v2(creds, secret), endpoint, name, region=REGION, connect_timeout=30)


def replace_param(url: str, name: str, value: str | None) -> str:
    """The URL with query parameter `name` set to `value` (None removes it)."""
    parts = urllib.parse.urlsplit(url)
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    assert any(k == name for k, _ in pairs), (name, url)
    out = [(k, value if k == name else v) for k, v in pairs if not (k == name and value is None)]
    query = urllib.parse.urlencode(out, quote_via=urllib.parse.quote, safe="")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def add_param(url: str, name: str, value: str) -> str:
    return url + "&" + urllib.parse.quote(name, safe="") + "=" + urllib.parse.quote(value, safe="")


def v2_authorization(creds: Credentials, method: str, bucket: str, key: str, headers: dict,
                     additional: list[str] | None = None) -> tuple[str, str]:
    """A V2 Authorization header and its Date, made by oss2's own signer for a raw request."""
    req = oss2.http.Request(method, "http://unused/", headers=dict(headers))
    auth = auth_v2(creds)
    auth._sign_request(req, bucket, key, in_additional_headers=additional or [])
    return req.headers["authorization"], req.headers["date"]


# ------------------------------------------------------------------------------ header signing


def test_v2_object_roundtrip(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name)
    r = b.put_object(KEY, b"hello v2", headers={"Content-Type": "text/x-v2", "x-oss-meta-who": "v2"})
    assert r.status == 200
    got = b.get_object(KEY)
    assert got.read() == b"hello v2"
    assert got.headers["Content-Type"] == "text/x-v2"
    assert got.headers["x-oss-meta-who"] == "v2"
    # Range is an AdditionalHeader oss2 signs by default; response-* overrides are parameters.
    part = b.get_object(KEY, byte_range=(0, 4), params={"response-content-type": "text/plain"})
    assert part.read() == b"hello"
    assert part.headers["Content-Type"] == "text/plain"
    assert b.head_object(KEY).content_length == 8
    b.put_object_acl(KEY, oss2.OBJECT_ACL_PUBLIC_READ)
    assert b.get_object_acl(KEY).acl == oss2.OBJECT_ACL_PUBLIC_READ
    b.copy_object(bucket_name, KEY, KEY + ".copy")
    assert b.get_object(KEY + ".copy").read() == b"hello v2"
    b.append_object("v2/append", 0, b"ab")
    b.append_object("v2/append", 2, b"cd")
    assert b.get_object("v2/append").read() == b"abcd"
    b.delete_object(KEY)
    assert not b.object_exists(KEY)
    result = b.batch_delete_objects([KEY + ".copy", "v2/append"])
    assert sorted(result.deleted_keys) == sorted([KEY + ".copy", "v2/append"])


def test_v2_listing_signs_plain_parameters(endpoint, creds, bucket_name):
    """prefix, marker, delimiter, max-keys are no V1 sub-resources but V2 signs them."""
    b = bucket_v2(endpoint, creds, bucket_name)
    for k in ["v2/a b/1", "v2/a b/2", "v2/c&d=e", "v2/é", "other"]:
        b.put_object(k, b"x")
    r = b.list_objects(prefix="v2/", delimiter="/", max_keys=10)
    assert [o.key for o in r.object_list] == ["v2/c&d=e", "v2/é"]
    assert r.prefix_list == ["v2/a b/"]
    r = b.list_objects(prefix="v2/", marker="v2/c&d=e")
    assert [o.key for o in r.object_list] == ["v2/é"]
    r = b.list_objects_v2(prefix="v2/", max_keys=2)
    assert [o.key for o in r.object_list] == ["v2/a b/1", "v2/a b/2"]
    r2 = b.list_objects_v2(prefix="v2/", continuation_token=r.next_continuation_token)
    assert [o.key for o in r2.object_list] == ["v2/c&d=e", "v2/é"]
    svc = oss2.Service(auth_v2(creds), endpoint, region=REGION, connect_timeout=30)
    names = [x.name for x in svc.list_buckets(prefix=bucket_name).buckets]
    assert names == [bucket_name]
    assert b.get_bucket_info().name == bucket_name


def test_v2_multipart(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name)
    key = "v2/multi part&é.bin"
    upload_id = b.init_multipart_upload(key).upload_id
    parts = []
    data = [b"a" * (100 * 1024), b"b" * 1000]
    for i, chunk in enumerate(data, start=1):
        r = b.upload_part(key, upload_id, i, chunk)
        parts.append(oss2.models.PartInfo(i, r.etag))
    listed = b.list_parts(key, upload_id)
    assert [p.part_number for p in listed.parts] == [1, 2]
    uploads = b.list_multipart_uploads(prefix="v2/")
    assert [u.upload_id for u in uploads.upload_list] == [upload_id]
    b.complete_multipart_upload(key, upload_id, parts)
    assert b.get_object(key).read() == b"".join(data)
    aborted = b.init_multipart_upload(key + ".2").upload_id
    b.abort_multipart_upload(key + ".2", aborted)
    assert b.list_multipart_uploads(prefix="v2/").upload_list == []


def test_v2_cors_put_get_delete(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name)
    rule = oss2.models.CorsRule(allowed_origins=["http://a.example"], allowed_methods=["GET", "PUT"],
                                allowed_headers=["*"], expose_headers=["ETag"], max_age_seconds=100)
    b.put_bucket_cors(oss2.models.BucketCors([rule]))
    got = b.get_bucket_cors()
    assert len(got.rules) == 1
    assert got.rules[0].allowed_origins == ["http://a.example"]
    assert got.rules[0].allowed_methods == ["GET", "PUT"]
    assert got.rules[0].max_age_seconds == 100
    b.delete_bucket_cors()
    with pytest.raises(oss2.exceptions.NoSuchCors):
        b.get_bucket_cors()


def test_v2_wrong_secret_signature_does_not_match(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name, secret="not-the-secret")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as e:
        b.put_object("k", b"x")
    assert e.value.status == 403
    assert e.value.code == "SignatureDoesNotMatch"
    # The body names what the server signed: V2's encoded resource with the HMAC-SHA256 layout.
    string_to_sign = e.value.details["StringToSign"]
    assert string_to_sign.startswith("PUT\n")
    assert string_to_sign.endswith(f"%2F{bucket_name}%2Fk")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        b.get_bucket_cors()
    assert not bucket_v2(endpoint, creds, bucket_name).object_exists("k")


def test_v2_unknown_key(endpoint, bucket_name):
    b = bucket_v2(endpoint, Credentials("LTAInobody", "secret"), bucket_name)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        b.get_object("k")
    assert e.value.status == 403 and e.value.code == "InvalidAccessKeyId"


def test_v2_tampered_header_and_skew(endpoint, creds, bucket_name):
    """A raw V2 request: signed with oss2's signer, then changed in transit."""
    bucket_v2(endpoint, creds, bucket_name).put_object("k", b"v")
    url = f"{endpoint}/{bucket_name}/k"
    headers = {"x-oss-meta-a": "1", "Range": "bytes=0-0"}
    auth, date = v2_authorization(creds, "GET", bucket_name, "k", headers, additional=["range"])
    assert auth.startswith(f"OSS2 AccessKeyId:{creds.access_key_id},AdditionalHeaders:range,")
    ok = requests.get(url, headers=dict(headers, Authorization=auth, Date=date), timeout=30)
    assert ok.status_code == 206 and ok.content == b"v"
    # Range is signed (AdditionalHeaders), so is every x-oss-* header.
    r = requests.get(url, headers=dict(headers, Range="bytes=0-1", Authorization=auth, Date=date),
                     timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    r = requests.get(url, headers=dict(headers, **{"x-oss-meta-a": "2"}, Authorization=auth,
                                       Date=date), timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    # A query parameter that is no sub-resource is signed by V2.
    r = requests.get(url + "?foo=bar", headers=dict(headers, Authorization=auth, Date=date), timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    # An hour-old Date.
    old = http_date(time.time() - 3600)
    req = oss2.http.Request("GET", "http://unused/", headers={})
    req.headers["date"] = old
    sts = auth_v2(creds)._ProviderAuthV2__get_bytes_to_sign(req, bucket_name, "k", set())
    sig = base64.b64encode(hmac.new(creds.access_key_secret.encode(), sts, hashlib.sha256).digest())
    r = requests.get(url, headers={"Date": old, "Authorization":
                     f"OSS2 AccessKeyId:{creds.access_key_id},Signature:{sig.decode()}"}, timeout=30)
    assert_oss_error(r, 403, "RequestTimeTooSkewed")


@pytest.mark.parametrize("value", [
    "OSS2 AccessKeyId:{ak}",
    "OSS2 AccessKeyId:{ak},Signature:abc,UnknownKey:x",
    "OSS2 Signature:abc",
])
def test_v2_malformed_authorization(endpoint, creds, bucket_name, value):
    r = requests.get(f"{endpoint}/{bucket_name}/k", timeout=30, headers={
        "Date": http_date(), "Authorization": value.format(ak=creds.access_key_id)})
    assert_oss_error(r, 400, "InvalidArgument")
    assert r.headers.get("x-oss-ec") == "0002-00000102"


# ------------------------------------------------------------------------------ presigned URLs


def test_v2_presigned_get_and_put(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name)
    url = b.sign_url("PUT", KEY, 120, headers={"Content-Type": "text/x-pre", "x-oss-meta-a": "1"})
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["x-oss-signature-version"] == "OSS2"
    assert {"x-oss-expires", "x-oss-access-key-id", "x-oss-signature"} <= set(query)
    r = requests.put(url, data=b"presigned v2", timeout=30,
                     headers={"Content-Type": "text/x-pre", "x-oss-meta-a": "1"})
    assert r.status_code == 200, r.text[:500]
    # Without the signed Content-Type the signature does not match.
    r = requests.put(url, data=b"other", timeout=30, headers={"x-oss-meta-a": "1"})
    assert_oss_error(r, 403, "SignatureDoesNotMatch")

    url = b.sign_url("GET", KEY, 120, params={"response-content-disposition": "attachment"})
    r = requests.get(url, timeout=30)
    assert r.status_code == 200 and r.content == b"presigned v2"
    assert r.headers["Content-Type"] == "text/x-pre"
    assert r.headers["Content-Disposition"] == "attachment"
    assert r.headers["x-oss-meta-a"] == "1"


def test_v2_presigned_with_additional_headers(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name)
    b.put_object("r", b"0123456789")
    url = b.sign_url("GET", "r", 120, headers={"Range": "bytes=2-4"}, additional_headers=["range"])
    assert "x-oss-additional-headers=range" in url
    r = requests.get(url, headers={"Range": "bytes=2-4"}, timeout=30)
    assert r.status_code == 206 and r.content == b"234"
    r = requests.get(url, headers={"Range": "bytes=0-9"}, timeout=30)
    assert_oss_error(r, 403, "SignatureDoesNotMatch")


def test_v2_presigned_url_is_not_anonymous(endpoint, creds, bucket_name):
    """A V2 URL is recognised as a claim even without an Authorization header: it opens a private
    bucket, and a bad one is refused on a public-read bucket instead of being read as
    anonymous."""
    b = bucket_v2(endpoint, creds, bucket_name)
    b.put_object("k", b"private")
    r = requests.get(f"{endpoint}/{bucket_name}/k", timeout=30)
    assert_oss_error(r, 403, "AccessDenied")
    url = b.sign_url("GET", "k", 120)
    assert requests.get(url, timeout=30).content == b"private"
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    bad = bucket_v2(endpoint, creds, bucket_name, secret="wrong").sign_url("GET", "k", 120)
    assert_oss_error(requests.get(bad, timeout=30), 403, "SignatureDoesNotMatch")
    nobody = oss2.Bucket(oss2.AuthV2("LTAInobody", "x"), endpoint, bucket_name,
                         region=REGION).sign_url("GET", "k", 120)
    assert_oss_error(requests.get(nobody, timeout=30), 403, "InvalidAccessKeyId")


def test_v2_presigned_tampering_and_expiry(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name)
    b.put_object("k", b"v")
    b.put_object("other", b"o")
    url = b.sign_url("GET", "k", 120)
    assert requests.get(url, timeout=30).status_code == 200
    # Another key, another method, an extra plain parameter, a later expiry: all signed.
    assert_oss_error(requests.get(url.replace("/k?", "/other?"), timeout=30),
                     403, "SignatureDoesNotMatch")
    assert_oss_error(requests.delete(url, timeout=30), 403, "SignatureDoesNotMatch")
    assert_oss_error(requests.get(add_param(url, "foo", "bar"), timeout=30),
                     403, "SignatureDoesNotMatch")
    expires = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["x-oss-expires"]
    later = replace_param(url, "x-oss-expires", str(int(expires) + 3600))
    assert_oss_error(requests.get(later, timeout=30), 403, "SignatureDoesNotMatch")
    assert b.object_exists("k")
    # Expired (checked before the signature).
    expired = b.sign_url("GET", "k", -10)
    r = requests.get(expired, timeout=30)
    assert_oss_error(r, 403, "AccessDenied")
    assert "expired" in r.text


@pytest.mark.parametrize("missing", ["x-oss-access-key-id", "x-oss-expires", "x-oss-signature"])
def test_v2_presigned_missing_parameter(endpoint, creds, bucket_name, missing):
    b = bucket_v2(endpoint, creds, bucket_name)
    url = replace_param(b.sign_url("GET", "k", 120), missing, None)
    r = requests.get(url, timeout=30)
    assert_oss_error(r, 403, "AccessDenied")
    assert f"{missing} is required" in r.text


def test_v2_header_and_query_together(endpoint, creds, bucket_name):
    b = bucket_v2(endpoint, creds, bucket_name)
    url = b.sign_url("GET", "k", 120)
    auth, date = v2_authorization(creds, "GET", bucket_name, "k", {})
    r = requests.get(url, headers={"Authorization": auth, "Date": date}, timeout=30)
    assert_oss_error(r, 400, "InvalidArgument")
