"""PostObject (OSS docs: PostObject): browser form uploads built by hand (multipart/form-data, file
last), authorised by a signed policy (V1: OSSAccessKeyId/Signature; V4: x-oss-signature-version,
x-oss-credential, x-oss-date, x-oss-signature as in the alibabacloud-oss-v2 sample
`sample/post_object.py`), or anonymous on a public-read-write bucket."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import urllib.parse
import xml.etree.ElementTree as ET

import oss2
import pytest
import requests

from conftest import REGION, Credentials, assert_oss_error, etag_of

MSG_EXPIRED = "Invalid according to Policy: Policy expired."
MSG_CONDITION_PREFIX = "Invalid according to Policy: Policy Condition failed"


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def iso_expiration(delta_secs: float) -> str:
    return (utcnow() + datetime.timedelta(seconds=delta_secs)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def encode_policy(policy: dict | str | bytes) -> str:
    if isinstance(policy, dict):
        policy = json.dumps(policy)
    if isinstance(policy, str):
        policy = policy.encode()
    return base64.b64encode(policy).decode()


def v4_signing_key(secret: str, date: str, region: str) -> bytes:
    k = hmac.new(("aliyun_v4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, region.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"oss", hashlib.sha256).digest()
    return hmac.new(k, b"aliyun_v4_request", hashlib.sha256).digest()


def signed_fields(creds: Credentials, version: str, conditions: list, expires_in: float = 600,
                  policy_b64: str | None = None, region: str = REGION) -> list[tuple[str, str]]:
    """Authentication fields for a form: the policy (expiring in `expires_in` seconds, with the
    given conditions; V4 adds its own fields to the conditions like the SDK sample) and its
    signature. `policy_b64` overrides the encoded policy (for malformed-policy tests)."""
    if version == "v1":
        if policy_b64 is None:
            policy_b64 = encode_policy({"expiration": iso_expiration(expires_in),
                                        "conditions": conditions})
        sig = base64.b64encode(hmac.new(creds.access_key_secret.encode(), policy_b64.encode(),
                                        hashlib.sha1).digest()).decode()
        return [("OSSAccessKeyId", creds.access_key_id), ("policy", policy_b64),
                ("Signature", sig)]
    now = utcnow()
    date = now.strftime("%Y%m%d")
    x_oss_date = now.strftime("%Y%m%dT%H%M%SZ")
    credential = f"{creds.access_key_id}/{date}/{region}/oss/aliyun_v4_request"
    if policy_b64 is None:
        policy_b64 = encode_policy({
            "expiration": iso_expiration(expires_in),
            "conditions": conditions + [
                {"x-oss-signature-version": "OSS4-HMAC-SHA256"},
                {"x-oss-credential": credential},
                {"x-oss-date": x_oss_date},
            ],
        })
    sig = hmac.new(v4_signing_key(creds.access_key_secret, date, region), policy_b64.encode(),
                   hashlib.sha256).hexdigest()
    return [("policy", policy_b64), ("x-oss-signature-version", "OSS4-HMAC-SHA256"),
            ("x-oss-credential", credential), ("x-oss-date", x_oss_date),
            ("x-oss-signature", sig)]


def form_body(fields: list[tuple[str, str]], file: tuple[str | None, bytes, str | None] | None,
              after: list[tuple[str, str]] = ()) -> tuple[bytes, str]:
    """multipart/form-data body: `fields` in order, then the file part (filename, content,
    content type) if given, then `after`. Returns (body, Content-Type header)."""
    boundary = "----ossdform" + secrets.token_hex(8)
    out = bytearray()
    for name, value in fields:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                .encode())
        out += value.encode() + b"\r\n"
    if file is not None:
        filename, content, ctype = file
        disp = 'form-data; name="file"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    for name, value in after:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                .encode())
        out += value.encode() + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def post_form(endpoint: str, bucket_name: str, fields, file=(None, b"", None), after=(),
              headers: dict | None = None) -> requests.Response:
    body, ctype = form_body(fields, file, after)
    hdrs = {"Content-Type": ctype}
    hdrs.update(headers or {})
    return requests.post(f"{endpoint}/{bucket_name}/", data=body, headers=hdrs, timeout=60,
                         allow_redirects=False)


VERSIONS = ["v1", pytest.param("v4", marks=pytest.mark.v4)]


# ------------------------------------------------------------------------------ successes


@pytest.mark.parametrize("version", VERSIONS)
def test_default_204(endpoint, creds, bucket, bucket_name, version):
    data = os.urandom(5000)
    fields = [("key", "forms/one.bin")] + signed_fields(creds, version, [{"bucket": bucket_name}])
    r = post_form(endpoint, bucket_name, fields, ("one.bin", data, "application/x-one"))
    assert r.status_code == 204, r.text[:500]
    assert r.content == b""
    assert r.headers["ETag"] == etag_of(data)
    assert bucket.get_object("forms/one.bin").read() == data


@pytest.mark.parametrize("version", VERSIONS)
def test_success_action_status_200(endpoint, creds, bucket, bucket_name, version):
    fields = [("key", "s200"), ("success_action_status", "200")] + signed_fields(
        creds, version, [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"two hundred", None))
    assert r.status_code == 200, r.text[:500]
    assert r.headers["ETag"] == etag_of(b"two hundred")
    assert bucket.get_object("s200").read() == b"two hundred"


@pytest.mark.parametrize("version", VERSIONS)
def test_success_action_status_201(endpoint, creds, bucket, bucket_name, version):
    data = b"created"
    fields = [("key", "dir/s 201.txt"), ("success_action_status", "201")] + signed_fields(
        creds, version, [])
    r = post_form(endpoint, bucket_name, fields, ("f.txt", data, "text/plain"))
    assert r.status_code == 201, r.text[:500]
    assert "xml" in r.headers.get("Content-Type", "")
    root = ET.fromstring(r.content)
    assert root.tag == "PostResponse"
    assert root.findtext("Bucket") == bucket_name
    assert root.findtext("Key") == "dir/s 201.txt"
    assert root.findtext("ETag") == etag_of(data)
    loc = root.findtext("Location")
    assert loc and bucket_name in loc, loc
    assert bucket.get_object("dir/s 201.txt").read() == data


@pytest.mark.parametrize("status", ["", "202", "404", "abc"])
def test_other_success_action_status_is_204(endpoint, creds, bucket, bucket_name, status):
    """Values other than 200/201/204 fall back to the default 204 (PostObject doc)."""
    fields = [("key", "other"), ("success_action_status", status)] + signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None))
    assert r.status_code == 204, r.text[:500]


@pytest.mark.parametrize("version", VERSIONS)
def test_success_action_redirect_303(endpoint, creds, bucket, bucket_name, version):
    redirect = "http://app.example.test/done?from=form"
    fields = [("key", "red/ir ect.txt"), ("success_action_redirect", redirect),
              ("success_action_status", "201")] + signed_fields(creds, version, [])
    r = post_form(endpoint, bucket_name, fields, ("x.txt", b"redirected", "text/plain"))
    assert r.status_code == 303, r.text[:500]
    loc = r.headers["Location"]
    assert loc.startswith(redirect + "&"), loc
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    assert q["from"] == "form"
    assert q["bucket"] == bucket_name
    assert q["key"] == "red/ir ect.txt"
    assert q["etag"].strip('"') == hashlib.md5(b"redirected").hexdigest().upper()
    assert bucket.get_object("red/ir ect.txt").read() == b"redirected"


@pytest.mark.parametrize("version", VERSIONS)
def test_filename_substitution(endpoint, creds, bucket, bucket_name, version):
    fields = [("key", "user/42/${filename}")] + signed_fields(
        creds, version, [["starts-with", "$key", "user/42/"]])
    r = post_form(endpoint, bucket_name, fields, ("photo 1.jpg", b"\xff\xd8jpeg", "image/jpeg"))
    assert r.status_code == 204, r.text[:500]
    got = bucket.get_object("user/42/photo 1.jpg")
    assert got.read() == b"\xff\xd8jpeg"
    assert got.headers["Content-Type"] == "image/jpeg"     # from the file part


@pytest.mark.parametrize("version", VERSIONS)
def test_metadata_and_content_type_fields(endpoint, creds, bucket, bucket_name, version):
    fields = [("key", "meta.txt"), ("Content-Type", "text/x-form"),
              ("x-oss-meta-author", "alice"), ("X-Oss-Meta-Project", "ossd"),
              ("Cache-Control", "no-cache"), ("Content-Disposition", "attachment; filename=m.txt"),
              ] + signed_fields(creds, version, [["starts-with", "$x-oss-meta-author", "al"]])
    r = post_form(endpoint, bucket_name, fields, ("m.txt", b"meta", "application/octet-stream"))
    assert r.status_code == 204, r.text[:500]
    h = bucket.head_object("meta.txt").headers
    assert h["Content-Type"] == "text/x-form"
    assert h["x-oss-meta-author"] == "alice"
    assert h["x-oss-meta-project"] == "ossd"
    assert h["Cache-Control"] == "no-cache"
    assert h["Content-Disposition"] == "attachment; filename=m.txt"


def test_field_names_case_insensitive(endpoint, creds, bucket, bucket_name):
    auth = signed_fields(creds, "v1", [{"key": "ci"}])
    auth = [(n.upper() if n != "policy" else "Policy", v) for n, v in auth]
    r = post_form(endpoint, bucket_name, [("KEY", "ci")] + auth, ("f", b"ci", None))
    assert r.status_code == 204, r.text[:500]
    assert bucket.get_object("ci").read() == b"ci"


def test_object_acl_field(endpoint, creds, bucket, bucket_name):
    fields = [("key", "pub"), ("x-oss-object-acl", "public-read")] + signed_fields(
        creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"public", None))
    assert r.status_code == 204, r.text[:500]
    assert bucket.get_object_acl("pub").acl == "public-read"
    assert requests.get(f"{endpoint}/{bucket_name}/pub", timeout=30).content == b"public"


def test_all_conditions_satisfied(endpoint, creds, bucket, bucket_name):
    conditions = [
        {"bucket": bucket_name},
        ["eq", "$key", "cond/ok.txt"],
        ["starts-with", "$Content-Type", "text/"],
        ["starts-with", "$x-oss-meta-tag", ""],             # empty prefix: anything
        ["content-length-range", 1, 100],
    ]
    fields = [("key", "cond/ok.txt"), ("Content-Type", "text/plain"),
              ("x-oss-meta-tag", "whatever")] + signed_fields(creds, "v1", conditions)
    r = post_form(endpoint, bucket_name, fields, ("f", b"x" * 100, None))
    assert r.status_code == 204, r.text[:500]
    assert bucket.get_object("cond/ok.txt").read() == b"x" * 100


def test_large_file_streamed(endpoint, creds, bucket, bucket_name):
    data = os.urandom(3 * 1024 * 1024 + 11)
    fields = [("key", "big.bin")] + signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("big.bin", data, None))
    assert r.status_code == 204, r.text[:500]
    assert r.headers["ETag"] == etag_of(data)
    assert bucket.get_object("big.bin").read() == data


def test_file_content_with_boundary_like_bytes(endpoint, creds, bucket, bucket_name):
    data = b"--not-the-boundary\r\n\r\n--\r\nContent-Disposition: x\r\n" * 50
    fields = [("key", "tricky")] + signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("t", data, None))
    assert r.status_code == 204, r.text[:500]
    assert bucket.get_object("tricky").read() == data


# ------------------------------------------------------------------------------ policy failures


@pytest.mark.parametrize("version", VERSIONS)
def test_expired_policy(endpoint, creds, bucket, bucket_name, version):
    fields = [("key", "late")] + signed_fields(creds, version, [], expires_in=-60)
    r = post_form(endpoint, bucket_name, fields, ("f", b"late", None))
    assert_oss_error(r, 403, "AccessDenied", MSG_EXPIRED)
    assert not bucket.object_exists("late")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", ["starts-with", "eq-object", "eq-array", "bucket", "meta-eq"])
def test_condition_failed(endpoint, creds, bucket, bucket_name, version, case):
    conditions, key, extra = {
        "starts-with": ([["starts-with", "$key", "user/"]], "other/x", []),
        "eq-object": ([{"key": "exact"}], "not-exact", []),
        "eq-array": ([["eq", "$key", "exact"]], "exactly", []),
        "bucket": ([{"bucket": bucket_name + "-other"}], "b", []),
        "meta-eq": ([["eq", "$x-oss-meta-a", "1"]], "m", [("x-oss-meta-a", "2")]),
    }[case]
    fields = [("key", key)] + extra + signed_fields(creds, version, conditions)
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None))
    f = assert_oss_error(r, 403, "AccessDenied")
    assert f["Message"].startswith(MSG_CONDITION_PREFIX), f
    assert not bucket.object_exists(key)


def test_condition_on_missing_field_fails(endpoint, creds, bucket, bucket_name):
    """A condition on a field the form does not carry is not met."""
    fields = [("key", "nometa")] + signed_fields(creds, "v1", [["eq", "$x-oss-meta-a", "1"]])
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None))
    f = assert_oss_error(r, 403, "AccessDenied")
    assert f["Message"].startswith(MSG_CONDITION_PREFIX), f


@pytest.mark.parametrize("version", VERSIONS)
def test_content_length_range(endpoint, creds, bucket, bucket_name, version):
    conds = [["content-length-range", 10, 20]]
    for size, ok in [(9, "EntityTooSmall"), (10, None), (20, None), (21, "EntityTooLarge")]:
        key = f"len{size}"
        fields = [("key", key)] + signed_fields(creds, version, conds)
        r = post_form(endpoint, bucket_name, fields, ("f", b"z" * size, None))
        if ok is None:
            assert r.status_code == 204, (size, r.text[:500])
            assert bucket.get_object(key).read() == b"z" * size
        else:
            assert_oss_error(r, 400, ok)
            assert not bucket.object_exists(key)


def test_content_length_range_large_upload_refused(endpoint, creds, bucket, bucket_name):
    """A file far above the maximum is refused (and not stored) even when streamed."""
    fields = [("key", "huge")] + signed_fields(creds, "v1", [["content-length-range", 0, 1024]])
    r = post_form(endpoint, bucket_name, fields, ("f", os.urandom(2 * 1024 * 1024), None))
    assert_oss_error(r, 400, "EntityTooLarge")
    assert not bucket.object_exists("huge")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("policy_b64", [
    "!!!not base64!!!",
    base64.b64encode(b"this is not json").decode(),
    base64.b64encode(b'["a", "list"]').decode(),
    base64.b64encode(b'{"conditions": []}').decode(),                       # no expiration
    base64.b64encode(b'{"expiration": "tomorrow", "conditions": []}').decode(),
], ids=["base64", "json", "not-object", "no-expiration", "bad-expiration"])
def test_invalid_policy_document(endpoint, creds, bucket, bucket_name, version, policy_b64):
    fields = [("key", "bad")] + signed_fields(creds, version, [], policy_b64=policy_b64)
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None))
    assert_oss_error(r, 400, "InvalidPolicyDocument")
    assert not bucket.object_exists("bad")


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_signature(endpoint, creds, bucket, bucket_name, version):
    wrong = Credentials(creds.access_key_id, "wrong-secret")
    fields = [("key", "forged")] + signed_fields(wrong, version, [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None))
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    assert not bucket.object_exists("forged")


def test_policy_changed_after_signing(endpoint, creds, bucket, bucket_name):
    """Replacing the policy (e.g. a longer expiration) invalidates the signature."""
    fields = signed_fields(creds, "v1", [{"key": "a"}])
    other = encode_policy({"expiration": iso_expiration(3600), "conditions": []})
    fields = [(n, other if n == "policy" else v) for n, v in fields]
    r = post_form(endpoint, bucket_name, [("key", "b")] + fields, ("f", b"x", None))
    assert_oss_error(r, 403, "SignatureDoesNotMatch")


def test_unknown_access_key(endpoint, bucket, bucket_name):
    fields = [("key", "k")] + signed_fields(Credentials("LTAINOSUCHKEY0000000", "s"), "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None))
    assert_oss_error(r, 403, "InvalidAccessKeyId")


@pytest.mark.v4
def test_v4_wrong_region_in_credential(endpoint, creds, bucket, bucket_name):
    fields = [("key", "r")] + signed_fields(creds, "v4", [], region="cn-beijing")
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None))
    assert r.status_code in (400, 403), r.text[:300]
    assert not bucket.object_exists("r")


@pytest.mark.parametrize("drop", ["Signature", "OSSAccessKeyId"])
def test_partial_auth_fields(endpoint, creds, bucket, bucket_name, drop):
    """spec §3.4: policy, OSSAccessKeyId and Signature come together, else 400 InvalidArgument."""
    fields = [(n, v) for n, v in signed_fields(creds, "v1", []) if n != drop]
    r = post_form(endpoint, bucket_name, [("key", "p")] + fields, ("f", b"x", None))
    assert_oss_error(r, 400, "InvalidArgument")
    assert not bucket.object_exists("p")


def test_signature_without_policy(endpoint, creds, bucket, bucket_name):
    fields = [(n, v) for n, v in signed_fields(creds, "v1", []) if n != "policy"]
    r = post_form(endpoint, bucket_name, [("key", "p")] + fields, ("f", b"x", None))
    assert_oss_error(r, 400, "InvalidArgument")


# ------------------------------------------------------------------------------ form shape


def test_missing_file_part(endpoint, creds, bucket, bucket_name):
    fields = [("key", "nofile")] + signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, file=None)
    assert_oss_error(r, 400, "IncorrectNumberOfFilesInPOSTRequest")
    assert not bucket.object_exists("nofile")


def test_key_after_file_is_ignored(endpoint, creds, bucket, bucket_name):
    """The file must be the last field: a key sent after it does not count, so the form has no
    key and is refused with 400."""
    fields = signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None), after=[("key", "after")])
    assert r.status_code == 400, r.text[:300]
    assert not bucket.object_exists("after")


def test_missing_key_field(endpoint, creds, bucket, bucket_name):
    r = post_form(endpoint, bucket_name, signed_fields(creds, "v1", []), ("f", b"x", None))
    assert r.status_code == 400, r.text[:300]


def test_not_multipart(endpoint, bucket_name):
    r = requests.post(f"{endpoint}/{bucket_name}/", data=b"key=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 400, r.text[:300]


def test_no_such_bucket(endpoint, creds, bucket_name):
    fields = [("key", "k")] + signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name + "-missing", fields, ("f", b"x", None))
    assert_oss_error(r, 404, "NoSuchBucket")


# ------------------------------------------------------------------------------ anonymous forms


def test_anonymous_form_private_bucket(endpoint, bucket, bucket_name):
    r = post_form(endpoint, bucket_name, [("key", "anon")], ("f", b"x", None))
    assert_oss_error(r, 403, "AccessDenied")
    assert not bucket.object_exists("anon")


def test_anonymous_form_public_read_bucket(endpoint, bucket, bucket_name):
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    r = post_form(endpoint, bucket_name, [("key", "anon")], ("f", b"x", None))
    assert_oss_error(r, 403, "AccessDenied")
    assert not bucket.object_exists("anon")


def test_anonymous_form_public_read_write_bucket(endpoint, bucket, bucket_name):
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    r = post_form(endpoint, bucket_name, [("key", "anon/${filename}"),
                                          ("success_action_status", "201")],
                  ("a.txt", b"anonymous upload", "text/plain"))
    assert r.status_code == 201, r.text[:500]
    assert ET.fromstring(r.content).findtext("Key") == "anon/a.txt"
    assert bucket.get_object("anon/a.txt").read() == b"anonymous upload"


def test_form_ignores_authorization_header(endpoint, creds, bucket, bucket_name):
    """spec §3.4: OSS does not check the header signature on PostObject; the form decides."""
    fields = [("key", "hdr")] + signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"x", None),
                  headers={"Authorization": "OSS nobody:bogus"})
    assert r.status_code == 204, r.text[:500]
    assert bucket.get_object("hdr").read() == b"x"


def test_forbid_overwrite_field(endpoint, creds, bucket, bucket_name):
    bucket.put_object("exists", b"first")
    fields = [("key", "exists"), ("x-oss-forbid-overwrite", "true")] + signed_fields(
        creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"second", None))
    assert_oss_error(r, 409, "FileAlreadyExists")
    assert bucket.get_object("exists").read() == b"first"


def test_content_md5_field(endpoint, creds, bucket, bucket_name):
    good = base64.b64encode(hashlib.md5(b"body").digest()).decode()
    fields = [("key", "md5ok"), ("Content-MD5", good)] + signed_fields(creds, "v1", [])
    assert post_form(endpoint, bucket_name, fields, ("f", b"body", None)).status_code == 204
    fields = [("key", "md5bad"), ("Content-MD5", good)] + signed_fields(creds, "v1", [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"other body", None))
    assert_oss_error(r, 400, "InvalidDigest")
    assert not bucket.object_exists("md5bad")
