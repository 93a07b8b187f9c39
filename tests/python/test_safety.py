"""Issue 13 (safety): every write path under one authorization decision, signed URLs that cannot be
rewritten into another operation, features refused instead of ignored, limits, well-formed XML.

OSS references: "Object ACL" (an explicit object ACL takes precedence over the bucket ACL),
PutObject ("If you specify x-oss-object-acl, you must have the oss:PutObjectAcl permission"),
PostObject (one file per request), "Manage object metadata" (user metadata at most 8 KB, EC
0011-00000002), GetObject (response-* parameters need a signed request, as in S3)."""

from __future__ import annotations

import base64
import urllib.parse
import xml.etree.ElementTree as ET

import oss2
import pytest
import requests

from conftest import (
    Credentials, assert_oss_error, error_fields, oss2_bucket,
)
from test_access_keys import Cli
from test_post_object import form_body, post_form, signed_fields


@pytest.fixture(scope="module")
def cli(server) -> Cli:
    return Cli(server.endpoint, server.creds)


def make_key(cli: Cli, bucket: str, grant: str) -> Credentials:
    out = cli.json("create")
    cli.run("grant", out["access_key_id"], bucket, grant)
    return Credentials(out["access_key_id"], out["access_key_secret"])


def anon(endpoint: str, name: str) -> oss2.Bucket:
    return oss2.Bucket(oss2.AnonymousAuth(), endpoint, name, connect_timeout=30)


def status_of(fn) -> int:
    try:
        r = fn()
        return r.status
    except oss2.exceptions.OssError as e:
        return e.status


def acl_headers(acl: str) -> dict:
    return {"x-oss-object-acl": acl}


# ------------------------------------------------------------------ 1. setting an ACL by header

def test_write_grant_cannot_set_object_acl_on_any_write_path(endpoint, creds, cli, bucket_factory):
    """A key with only `write` may upload, but setting an ACL by header needs the owner's right
    (PutObjectAcl): PutObject, CopyObject, AppendObject, InitiateMultipartUpload,
    CompleteMultipartUpload and PostObject are all refused, and nothing becomes public."""
    name = bucket_factory("aclhdr")
    owner = oss2_bucket(endpoint, creds, name)
    owner.put_object("secret.txt", b"private data")
    writer_creds = make_key(cli, name, "write")
    w = oss2_bucket(endpoint, writer_creds, name)
    pub = acl_headers("public-read-write")
    attempts = {
        "PutObject": lambda: w.put_object("leak1.txt", b"x", headers=pub),
        "CopyObject": lambda: w.copy_object(name, "secret.txt", "leak2.txt", headers=pub),
        "AppendObject": lambda: w.append_object("leak3.txt", 0, b"x", headers=pub),
        "InitiateMultipartUpload": lambda: w.init_multipart_upload("leak4.txt", headers=pub),
    }
    for op, fn in attempts.items():
        with pytest.raises(oss2.exceptions.AccessDenied) as e:
            fn()
        assert e.value.status == 403, op
    # CompleteMultipartUpload with the header, on an upload the writer started without one.
    up = w.init_multipart_upload("leak5.txt").upload_id
    part = w.upload_part("leak5.txt", up, 1, b"part")
    with pytest.raises(oss2.exceptions.AccessDenied):
        w.complete_multipart_upload("leak5.txt", up, [oss2.models.PartInfo(1, part.etag)],
                                    headers=pub)
    # PostObject signed by the writer with an ACL field.
    fields = signed_fields(writer_creds, "v1", [{"bucket": name}]) + [
        ("key", "leak6.txt"), ("x-oss-object-acl", "public-read")]
    r = post_form(endpoint, name, fields, file=("f.txt", b"x", "text/plain"))
    assert_oss_error(r, 403, "AccessDenied")
    # Nothing leaked: the keys do not exist (or, for leak5, the upload is still pending).
    for key in ("leak1.txt", "leak2.txt", "leak3.txt", "leak4.txt", "leak5.txt", "leak6.txt"):
        assert not owner.object_exists(key), key
    # The same writes without the header work (the refusal is about the ACL, not the write) …
    w.copy_object(name, "secret.txt", "copy.txt")
    assert owner.get_object_acl("copy.txt").acl == "default"
    w.complete_multipart_upload("leak5.txt", up, [oss2.models.PartInfo(1, part.etag)])
    # … and the owner may set the ACL with the upload, CompleteMultipartUpload included.
    owner.put_object("pub.txt", b"x", headers=acl_headers("public-read"))
    assert owner.get_object_acl("pub.txt").acl == "public-read"
    up = owner.init_multipart_upload("mp.txt").upload_id
    part = owner.upload_part("mp.txt", up, 1, b"part")
    owner.complete_multipart_upload("mp.txt", up, [oss2.models.PartInfo(1, part.etag)],
                                    headers=acl_headers("public-read"))
    assert owner.get_object_acl("mp.txt").acl == "public-read"


def test_anonymous_cannot_set_object_acl(endpoint, creds, bucket_factory):
    name = bucket_factory("anonacl", permission="public-read-write")
    a = anon(endpoint, name)
    with pytest.raises(oss2.exceptions.AccessDenied):
        a.put_object("x.txt", b"x", headers=acl_headers("public-read-write"))
    a.put_object("x.txt", b"x")
    assert oss2_bucket(endpoint, creds, name).get_object_acl("x.txt").acl == "default"


# ------------------------------------------------------------------ 2. private objects stay private

def test_private_object_in_public_read_write_bucket_is_safe_on_every_write_path(
        endpoint, creds, bucket_factory):
    """On a public-read-write bucket, an object whose own ACL is private cannot be replaced or
    removed anonymously, by any write path; a `default` object can (the control)."""
    name = bucket_factory("privobj", permission="public-read-write")
    owner = oss2_bucket(endpoint, creds, name)
    a = anon(endpoint, name)
    for key in ("p", "q"):
        owner.put_object(key, b"owner bytes", headers=acl_headers("private"))
    owner.append_object("app", 0, b"owner bytes", headers=acl_headers("private"))
    owner.put_object("src", b"anonymous bytes")

    def complete(key):
        up = a.init_multipart_upload(key).upload_id
        part = a.upload_part(key, up, 1, b"anonymous bytes")
        return a.complete_multipart_upload(key, up, [oss2.models.PartInfo(1, part.etag)])

    def post(key):
        r = post_form(endpoint, name, [("key", key)], file=("f", b"anonymous bytes", None))
        return type("R", (), {"status": r.status_code})

    def batch(key):
        return a.batch_delete_objects([key])

    paths = {
        "PutObject": lambda k: a.put_object(k, b"anonymous bytes"),
        "AppendObject": lambda k: a.append_object(k, 11, b"more"),
        "CopyObject": lambda k: a.copy_object(name, "src", k),
        "DeleteObject": lambda k: a.delete_object(k),
        "DeleteMultipleObjects": batch,
        "CompleteMultipartUpload": complete,
        "PostObject": post,
    }
    for op, fn in paths.items():
        for key in ("p", "app") if op == "AppendObject" else ("p",):
            assert status_of(lambda: fn(key)) == 403, (op, key)
            assert owner.get_object(key).read() == b"owner bytes", (op, key)
            assert owner.get_object_acl(key).acl == "private", (op, key)
    # The control: the same paths on `default` objects succeed anonymously.
    for i, (op, fn) in enumerate(paths.items()):
        key = f"d{i}"
        if op == "AppendObject":
            owner.append_object(key, 0, b"owner bytes")
        else:
            owner.put_object(key, b"owner bytes")
        assert status_of(lambda: fn(key)) in (200, 204), op


# ------------------------------------------------------------------ 8. signed URLs name one operation

def test_presigned_upload_part_cannot_be_rewritten_into_another_operation(endpoint, creds, bucket):
    key = "target.bin"
    up = bucket.init_multipart_upload(key).upload_id
    url = bucket.sign_url("PUT", key, 300, params={"partNumber": "1", "uploadId": up})
    parsed = urllib.parse.urlsplit(url)
    q = parsed.query
    base = f"{parsed.scheme}://{parsed.netloc}"
    folded_query = q.replace("partNumber=1&uploadId=", "partNumber=1%26uploadId=")
    assert folded_query != q
    sig_params = "&".join(p for p in q.split("&")
                          if p.split("=")[0] in ("OSSAccessKeyId", "Expires", "Signature"))
    rewrites = [
        # one parameter holding the other
        f"{base}{parsed.path}?{folded_query}",
        # the sub-resources moved into the key
        f"{base}{parsed.path}%3FpartNumber%3D1%26uploadId%3D{up}?{sig_params}",
        # a sub-resource's name changed in case (not a sub-resource any more)
        f"{base}{parsed.path}?{q.replace('uploadId=', 'uploadid=')}",
        # the sub-resources dropped
        f"{base}{parsed.path}?{sig_params}",
    ]
    for u in rewrites:
        r = requests.put(u, data=b"rewritten", timeout=30)
        assert r.status_code in (400, 403), (u, r.status_code, r.text)
    listing = [o.key for o in oss2.ObjectIterator(bucket)]
    assert listing == [], listing
    # The URL as signed uploads the part.
    r = requests.put(url, data=b"the part", timeout=30)
    assert r.status_code == 200, r.text
    parts = bucket.list_parts(key, up).parts
    assert [p.part_number for p in parts] == [1]


# ------------------------------------------------------------------ 9. response overrides

def test_anonymous_response_overrides_are_refused(endpoint, creds, bucket_factory):
    name = bucket_factory("override", permission="public-read")
    owner = oss2_bucket(endpoint, creds, name)
    owner.put_object("page.txt", b"<script>alert(1)</script>",
                     headers={"Content-Type": "text/plain"})
    url = f"{endpoint}/{name}/page.txt"
    for param in ("response-content-type", "response-content-disposition",
                  "response-content-encoding", "response-cache-control", "response-expires",
                  "response-content-language"):
        r = requests.get(url, params={param: "text/html"}, timeout=30)
        assert_oss_error(r, 400, "InvalidRequest")
    r = requests.get(url, timeout=30)
    assert (r.status_code, r.headers["content-type"]) == (200, "text/plain")
    # A signed request may override.
    signed = owner.sign_url("GET", "page.txt", 60,
                            params={"response-content-type": "text/html"})
    r = requests.get(signed, timeout=30)
    assert (r.status_code, r.headers["content-type"]) == (200, "text/html")


# ------------------------------------------------------------------ 10. features refused, not ignored

def test_encryption_and_callback_headers_are_refused(endpoint, creds, bucket):
    # AES256 is implemented (test_encryption.py); KMS is refused as by an account without KMS,
    # SM4 and anything else as an unsupported algorithm.
    cases = [
        ({"x-oss-server-side-encryption": "KMS"}, 403, "KmsServiceNotEnabled"),
        ({"x-oss-server-side-encryption": "SM4"}, 400, "InvalidEncryptionAlgorithmError"),
        ({"x-oss-server-side-encryption": "bogus"}, 400, "InvalidEncryptionAlgorithmError"),
        ({"x-oss-server-side-encryption-key-id": "k"}, 501, "NotImplemented"),
        ({"x-oss-callback": base64.b64encode(b'{"callbackUrl":"127.0.0.1"}').decode()},
         501, "NotImplemented"),
        # An invalid x-oss-tagging refuses the write too (tagging itself is test_tagging.py's).
        ({"x-oss-tagging": "aa=bb=cc"}, 400, "InvalidArgument"),
    ]
    for headers, status, code in cases:
        with pytest.raises(oss2.exceptions.OssError) as e:
            bucket.put_object("enc.txt", b"x", headers=headers)
        assert (e.value.status, e.value.code) == (status, code), headers
        with pytest.raises(oss2.exceptions.OssError) as e:
            bucket.init_multipart_upload("enc-mp.txt", headers=headers)
        assert (e.value.status, e.value.code) == (status, code), headers
    assert not bucket.object_exists("enc.txt")
    assert list(oss2.MultipartUploadIterator(bucket)) == []


def test_post_object_encryption_and_callback_fields_are_refused(endpoint, creds, bucket_name):
    for field, value, status, code in [
        ("x-oss-server-side-encryption", "KMS", 403, "KmsServiceNotEnabled"),
        ("x-oss-server-side-encryption", "nope", 400, "InvalidEncryptionAlgorithmError"),
        ("callback", base64.b64encode(b'{"callbackUrl":"127.0.0.1"}').decode(), 501,
         "NotImplemented"),
    ]:
        fields = signed_fields(creds, "v1", [{"bucket": bucket_name}]) + [
            ("key", "enc.txt"), (field, value)]
        r = post_form(endpoint, bucket_name, fields, file=("f", b"x", None))
        assert_oss_error(r, status, code)
    assert not oss2_bucket(endpoint, creds, bucket_name).object_exists("enc.txt")


# ------------------------------------------------------------------ 12. limits

def test_user_metadata_limited_to_8_kb(bucket):
    ok = {f"x-oss-meta-m{i}": "v" * 90 for i in range(70)}  # 70 * (13 + 90) = 7210 bytes
    bucket.put_object("meta-ok", b"x", headers=ok)
    assert bucket.head_object("meta-ok").headers["x-oss-meta-m69"] == "v" * 90
    big = {f"x-oss-meta-m{i}": "v" * 90 for i in range(90)}
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.put_object("meta-big", b"x", headers=big)
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")
    assert e.value.ec == "0011-00000002"
    with pytest.raises(oss2.exceptions.OssError):
        bucket.init_multipart_upload("meta-big", headers=big)
    with pytest.raises(oss2.exceptions.OssError):
        bucket.append_object("meta-big", 0, b"x", headers=big)
    assert not bucket.object_exists("meta-big")


def test_post_object_fields_that_cannot_be_headers_and_second_file(endpoint, creds, bucket_name):
    auth = signed_fields(creds, "v1", [{"bucket": bucket_name}])
    for field, value in [("Content-Disposition", "attachment\r\nSet-Cookie: a=b"),
                         ("x-oss-meta-a", "1\r\nX-Evil: 1"),
                         ("Cache-Control", "no-cache\nX: y"),
                         ("success_action_redirect", "http://127.0.0.1/ok\r\nX: y")]:
        r = post_form(endpoint, bucket_name, auth + [("key", "crlf.txt"), (field, value)],
                      file=("f", b"x", None))
        assert_oss_error(r, 400, "InvalidArgument")
    # A second file part.
    body, ctype = form_body(auth + [("key", "two.txt")], ("a", b"first", None))
    boundary = ctype.split("boundary=")[1]
    second = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
              f"filename=\"b\"\r\n\r\nsecond\r\n--{boundary}--\r\n").encode()
    body = body[: body.rindex(f"--{boundary}--".encode())] + second
    r = requests.post(f"{endpoint}/{bucket_name}/", data=body,
                      headers={"Content-Type": ctype}, timeout=30)
    assert_oss_error(r, 400, "IncorrectNumberOfFilesInPOSTRequest")
    b = oss2_bucket(endpoint, creds, bucket_name)
    assert not b.object_exists("crlf.txt")
    assert not b.object_exists("two.txt")


# ------------------------------------------------------------------ 13. well-formed XML

def test_control_character_keys_refused_and_listings_well_formed(endpoint, creds, bucket, raw,
                                                                 bucket_name):
    for key in ("bad\x01key", "nul\x00", "esc\x1b[0m", "bad\ufffe"):
        r = raw.request("PUT", bucket_name, key, data=b"x")
        assert_oss_error(r, 400, "InvalidObjectName")
        r = raw.request("POST", bucket_name, key, params=[("uploads", None)])
        assert_oss_error(r, 400, "InvalidObjectName")
        r = raw.request("POST", bucket_name, key, params=[("append", None), ("position", "0")],
                        data=b"x")
        assert_oss_error(r, 400, "InvalidObjectName")
        # The error document naming the key is well-formed XML too.
        error_fields(r.content)
    # Tab, line feed and carriage return are XML characters: stored, and listed exactly.
    keys = ["tab\tkey", "lf\nkey", "cr\rkey", "crlf\r\nkey"]
    for key in keys:
        bucket.put_object(key, b"x")
    for params in ([], [("list-type", "2")], [("delimiter", "/")]):
        r = raw.request("GET", bucket_name, params=params)
        root = ET.fromstring(r.content)  # a strict parser
        ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        listed = sorted(k.text for k in root.iter(f"{ns}Key"))
        assert listed == sorted(keys), (params, listed)


# ------------------------------------------------------------------ 16. batch delete keys are raw

def test_batch_delete_with_url_encoding_takes_request_keys_raw(bucket, raw, bucket_name):
    bucket.put_object("pct%41.txt", b"x")
    bucket.put_object("pctA.txt", b"x")
    body = (b"<Delete><Quiet>false</Quiet><Object><Key>pct%41.txt</Key></Object></Delete>")
    r = raw.request("POST", bucket_name, params=[("delete", None), ("encoding-type", "url")],
                    data=body, content_md5=True)
    assert r.status_code == 200, r.text
    root = ET.fromstring(r.content)
    assert [k.text for k in root.iter("Key")] == ["pct%2541.txt"]
    assert not bucket.object_exists("pct%41.txt")
    assert bucket.object_exists("pctA.txt")


# ------------------------------------------------------------------ 18. disabled keys

def test_disabled_key_is_told_only_after_its_signature(endpoint, cli, bucket_name, raw):
    out = cli.json("create")
    kid, secret = out["access_key_id"], out["access_key_secret"]
    cli.run("disable", kid)
    # A wrong signature says so, not that the key exists and is disabled.
    r = raw.request("GET", bucket_name, access_key_id=kid, access_key_secret="wrong")
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    assert "disabled" not in r.text
    r = raw.request("GET", bucket_name, access_key_id=kid, access_key_secret=secret)
    assert_oss_error(r, 403, "InvalidAccessKeyId")
    assert "disabled" in r.text
    # A key that does not exist: InvalidAccessKeyId.
    r = raw.request("GET", bucket_name, access_key_id="LTAInope", access_key_secret="x")
    assert_oss_error(r, 403, "InvalidAccessKeyId")
