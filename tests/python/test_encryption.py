"""Server-side encryption at rest (OSS docs: PutBucketEncryption, GetBucketEncryption,
DeleteBucketEncryption, and x-oss-server-side-encryption on PutObject, InitiateMultipartUpload,
UploadPart, CompleteMultipartUpload, CopyObject, AppendObject, PostObject, GetObject, HeadObject):
through oss2 (V1, V4) and alibabacloud-oss-v2 (V1, V4), and on disk: an encrypted object's bytes
never appear in plain text under the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import assert_oss_error, oss2_bucket, v2_error
from test_post_object import post_form, signed_fields

SSE = "x-oss-server-side-encryption"
AES = {SSE: "AES256"}


def rule_doc(inner: str) -> bytes:
    return (f"<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>{inner}"
            "</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>").encode()


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_bucket_encryption_put_get_delete_and_bucket_info(endpoint, creds, bucket_name,
                                                              version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    with pytest.raises(oss2.exceptions.OssError) as ei:
        b.get_bucket_encryption()
    assert (ei.value.status, ei.value.code) == (404, "NoSuchServerSideEncryptionRule")
    assert b.get_bucket_info().bucket_encryption_rule.sse_algorithm in (None, "", "None")
    b.put_bucket_encryption(oss2.models.ServerSideEncryptionRule(sse_algorithm="AES256"))
    assert b.get_bucket_encryption().sse_algorithm == "AES256"
    assert b.get_bucket_info().bucket_encryption_rule.sse_algorithm == "AES256"
    # The default applies to objects written without a header.
    b.put_object("k", b"default encrypted")
    assert b.head_object("k").headers[SSE] == "AES256"
    assert b.get_object("k").read() == b"default encrypted"
    assert b.delete_bucket_encryption().status == 204
    with pytest.raises(oss2.exceptions.OssError):
        b.get_bucket_encryption()
    b.put_object("k2", b"plain")
    assert SSE not in b.head_object("k2").headers
    assert b.head_object("k").headers[SSE] == "AES256", "objects keep their encryption"


def test_v2_bucket_encryption(v2, bucket_name):
    rule = oss.ServerSideEncryptionRule(
        apply_server_side_encryption_by_default=oss.ApplyServerSideEncryptionByDefault(
            sse_algorithm="AES256"))
    v2.put_bucket_encryption(oss.PutBucketEncryptionRequest(
        bucket=bucket_name, server_side_encryption_rule=rule))
    got = v2.get_bucket_encryption(oss.GetBucketEncryptionRequest(bucket=bucket_name))
    assert got.server_side_encryption_rule.apply_server_side_encryption_by_default.sse_algorithm \
        == "AES256"
    v2.delete_bucket_encryption(oss.DeleteBucketEncryptionRequest(bucket=bucket_name))
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_bucket_encryption(oss.GetBucketEncryptionRequest(bucket=bucket_name))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (404, "NoSuchServerSideEncryptionRule")


@pytest.mark.parametrize("inner,status,code", [
    ("<SSEAlgorithm>KMS</SSEAlgorithm>", 403, "KmsServiceNotEnabled"),
    ("<SSEAlgorithm>SM4</SSEAlgorithm>", 400, "InvalidEncryptionAlgorithmError"),
    ("<SSEAlgorithm>DES</SSEAlgorithm>", 400, "InvalidEncryptionAlgorithmError"),
    ("<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>", 400,
     "InvalidArgument"),
    ("", 400, "MalformedXML"),
])
def test_put_bucket_encryption_refusals(raw, bucket_name, inner, status, code):
    r = raw.request("PUT", bucket_name, params=[("encryption", None)], data=rule_doc(inner))
    assert_oss_error(r, status, code)
    r = raw.request("GET", bucket_name, params=[("encryption", None)])
    assert_oss_error(r, 404, "NoSuchServerSideEncryptionRule")


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_put_get_head_range_with_sse(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    data = os.urandom(200 * 1024 + 7)
    r = b.put_object("big", data, headers=AES)
    assert r.headers[SSE] == "AES256"
    got = b.get_object("big")  # oss2 checks CRC-64 of the plaintext
    assert got.read() == data and got.headers[SSE] == "AES256"
    assert b.head_object("big").headers[SSE] == "AES256"
    assert b.get_object("big", byte_range=(65530, 131080)).read() == data[65530:131081]
    small = b"tiny encrypted"
    b.put_object("small", small, headers=AES)
    assert b.get_object("small").read() == small
    assert b.get_object("small", byte_range=(5, 9)).read() == small[5:10]
    # The ETag stays the MD5 of the plaintext.
    assert b.head_object("small").etag.lower() == __import__("hashlib").md5(small).hexdigest()
    b.put_object("plain", b"p")
    assert SSE not in b.head_object("plain").headers


def test_v2_put_object_with_sse(v2, bucket_name):
    r = v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="k", body=b"v2 encrypted",
                                           server_side_encryption="AES256"))
    assert r.headers.get(SSE) == "AES256"
    got = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="k"))
    assert got.body.read() == b"v2 encrypted" and got.server_side_encryption == "AES256"
    head = v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="k"))
    assert head.server_side_encryption == "AES256"


def test_multipart_with_sse(bucket, bucket_name):
    init = bucket.init_multipart_upload("mp", headers=AES)
    assert init.headers[SSE] == "AES256"
    part1 = os.urandom(100 * 1024 + 3)
    part2 = os.urandom(70_000)
    with pytest.raises(oss2.exceptions.OssError) as ei:
        bucket.upload_part("mp", init.upload_id, 1, part1, headers=AES)
    assert (ei.value.status, ei.value.code) == (400, "InvalidArgument")
    p1 = bucket.upload_part("mp", init.upload_id, 1, part1)
    assert p1.headers[SSE] == "AES256"
    p2 = bucket.upload_part("mp", init.upload_id, 2, part2)
    parts = [oss2.models.PartInfo(1, p1.etag), oss2.models.PartInfo(2, p2.etag)]
    with pytest.raises(oss2.exceptions.OssError) as ei:
        bucket.complete_multipart_upload("mp", init.upload_id, parts, headers=AES)
    assert (ei.value.status, ei.value.code) == (400, "InvalidArgument")
    done = bucket.complete_multipart_upload("mp", init.upload_id, parts)
    assert done.headers[SSE] == "AES256"
    whole = part1 + part2
    assert bucket.get_object("mp").read() == whole
    assert bucket.get_object("mp", byte_range=(100 * 1024, 100 * 1024 + 9)).read() == \
        whole[100 * 1024:100 * 1024 + 10]
    # A part copied into an encrypted upload is encrypted as the upload says.
    bucket.put_object("src", b"copied part")
    up = bucket.init_multipart_upload("mp2", headers=AES).upload_id
    pc = bucket.upload_part_copy(bucket_name, "src", (0, 10), "mp2", up, 1)
    bucket.complete_multipart_upload("mp2", up, [oss2.models.PartInfo(1, pc.etag)])
    assert bucket.get_object("mp2").read() == b"copied part"
    assert bucket.head_object("mp2").headers[SSE] == "AES256"


def test_append_takes_sse_from_the_creating_append(bucket):
    r = bucket.append_object("app", 0, b"first ", headers=AES)
    assert r.headers[SSE] == "AES256"
    r = bucket.append_object("app", r.next_position, b"second")
    assert r.headers[SSE] == "AES256"
    got = bucket.get_object("app")
    assert got.read() == b"first second" and got.headers[SSE] == "AES256"
    r = bucket.append_object("plain-app", 0, b"a")
    assert SSE not in r.headers
    r = bucket.append_object("plain-app", 1, b"b", headers=AES)  # ignored after creation
    assert SSE not in bucket.head_object("plain-app").headers
    assert bucket.get_object("plain-app").read() == b"ab"


def test_copy_takes_encryption_from_the_request_not_the_source(bucket, bucket_name):
    data = os.urandom(50_000)
    bucket.put_object("enc", data, headers=AES)
    bucket.put_object("plain", data)
    r = bucket.copy_object(bucket_name, "enc", "to-plain")
    assert SSE not in r.headers and SSE not in bucket.head_object("to-plain").headers
    assert bucket.get_object("to-plain").read() == data
    r = bucket.copy_object(bucket_name, "plain", "to-enc", headers=AES)
    assert r.headers[SSE] == "AES256" and bucket.head_object("to-enc").headers[SSE] == "AES256"
    assert bucket.get_object("to-enc").read() == data
    bucket.copy_object(bucket_name, "enc", "enc-too", headers=AES)
    assert bucket.get_object("enc-too").read() == data
    # Deleting the source leaves the copies whole.
    bucket.batch_delete_objects(["enc", "plain"])
    for k in ("to-plain", "to-enc", "enc-too"):
        assert bucket.get_object(k).read() == data, k


def test_post_object_with_sse_field(endpoint, creds, bucket_name):
    fields = signed_fields(creds, "v1", [{"bucket": bucket_name}]) + [
        ("key", "posted"), (SSE, "AES256")]
    r = post_form(endpoint, bucket_name, fields, file=("f", b"posted bytes", None))
    assert r.status_code == 204 and r.headers[SSE] == "AES256"
    b = oss2_bucket(endpoint, creds, bucket_name)
    got = b.get_object("posted")
    assert got.read() == b"posted bytes" and got.headers[SSE] == "AES256"


def found_on_disk(root: Path, needle: bytes) -> list[str]:
    hits = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            try:
                if needle in p.read_bytes():
                    hits.append(str(p))
            except OSError:
                pass
    return hits


def test_no_plaintext_of_encrypted_objects_on_disk(spawn_server, tmp_path):
    srv = spawn_server(tmp_path / "data")
    b = oss2_bucket(srv.endpoint, srv.creds, "sse-disk")
    b.create_bucket()
    secret = f"SECRET-MARKER-{secrets.token_hex(16)}".encode()
    plain = f"PLAIN-MARKER-{secrets.token_hex(16)}".encode()
    b.put_object("inline", secret, headers=AES)                       # inline in the database
    b.put_object("file", secret * 20_000, headers=AES)                # a blob file
    b.append_object("app", 0, secret, headers=AES)
    up = b.init_multipart_upload("mp", headers=AES).upload_id
    part = b.upload_part("mp", up, 1, secret * 10)
    b.complete_multipart_upload("mp", up, [oss2.models.PartInfo(1, part.etag)])
    b.put_bucket_encryption(oss2.models.ServerSideEncryptionRule(sse_algorithm="AES256"))
    b.put_object("by-default", secret)
    b.put_object("plain-src", plain)
    b.copy_object("sse-disk", "plain-src", "copy-enc", headers=AES)
    b.delete_bucket_encryption()
    b.put_object("plain", plain)
    for k in ("inline", "app", "by-default"):
        assert b.get_object(k).read() == secret, k
    assert srv.stop() == 0
    assert found_on_disk(srv.data_dir, secret) == []
    assert found_on_disk(srv.data_dir, plain), "the search finds plaintext"
    key_file = srv.data_dir / "master-key.json"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_master_key_file_setting_and_restart(spawn_server, tmp_path, monkeypatch):
    key_file = tmp_path / "keys" / "master.json"
    key_file.parent.mkdir()
    monkeypatch.setenv("OSSD_MASTER_KEY_FILE", str(key_file))
    srv = spawn_server(tmp_path / "data")
    b = oss2_bucket(srv.endpoint, srv.creds, "sse-key")
    b.create_bucket()
    data = os.urandom(100_000)
    b.put_object("k", data, headers=AES)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert not (srv.data_dir / "master-key.json").exists()
    assert srv.stop() == 0
    srv2 = spawn_server(tmp_path / "data", creds=srv.creds)
    b2 = oss2_bucket(srv2.endpoint, srv2.creds, "sse-key")
    assert b2.get_object("k").read() == data


def test_put_bucket_header_sets_the_default(endpoint, creds, bucket_factory):
    name = bucket_factory()
    b = oss2_bucket(endpoint, creds, name)
    b.create_bucket(headers=AES)  # the caller's own bucket: PutBucket again applies the header
    assert b.get_bucket_encryption().sse_algorithm == "AES256"
    b.put_object("k", b"x")
    assert b.head_object("k").headers[SSE] == "AES256"


def blob_key_ids(data_dir: Path) -> set[int]:
    """The master key id in the header of every encrypted blob file."""
    ids = set()
    for dirpath, _, files in os.walk(data_dir / "blobs"):
        for name in files:
            head = (Path(dirpath) / name).read_bytes()[:12]
            if head[:8] == b"OSSDSSE1":
                ids.add(int.from_bytes(head[8:12], "big"))
    return ids


def test_master_key_rotation(spawn_server, tmp_path):
    import subprocess

    from conftest import ossd_binary
    srv = spawn_server(tmp_path / "data")
    b = oss2_bucket(srv.endpoint, srv.creds, "sse-rotate")
    b.create_bucket()
    old = os.urandom(100_000)
    b.put_object("old", old, headers=AES)
    assert srv.stop() == 0
    assert blob_key_ids(srv.data_dir) == {1}
    out = subprocess.run([str(ossd_binary()), "master-key", "--data-dir", str(srv.data_dir),
                          "rotate"], capture_output=True, text=True, check=True)
    assert "master key 2 is now current" in out.stdout
    srv2 = spawn_server(tmp_path / "data", creds=srv.creds)
    b2 = oss2_bucket(srv2.endpoint, srv2.creds, "sse-rotate")
    new = os.urandom(100_000)
    b2.put_object("new", new, headers=AES)
    assert b2.get_object("old").read() == old
    assert b2.get_object("new").read() == new
    assert srv2.stop() == 0
    assert blob_key_ids(srv.data_dir) == {1, 2}
