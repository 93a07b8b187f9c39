"""`ossd migrate`: an embedded store filled through the oss2 SDK (versions and delete markers,
tags, ACL, CORS rules, a multipart object, an encrypted object, a symlink, a big object, an
unfinished upload) is stopped and copied into another data directory with its bytes in a
`--blobs fs://` directory (and, when the S3 server of tests/lib/s3proxy.sh is there, into
s3://), and into the scale-out configuration: metadata in PostgreSQL (`--to-meta`, the database
of tests/lib/postgres.sh) and bytes in the S3 server; ossd serving the destination shows
everything as before. A damaged blob in the destination makes verification fail.

What must survive is what OSS shows of a bucket: its objects and versions with their ids, order,
times, ETags and sizes (ListObjectVersions, https://help.aliyun.com/zh/oss/developer-reference/
listobjectversions), object bytes, tags, ACLs, CORS rules, symlink targets and the
server-side-encryption header (https://help.aliyun.com/zh/oss/developer-reference/putobject).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
from pathlib import Path

import oss2
import pytest
from oss2.models import BucketCors, CorsRule

from conftest import OssdServer, new_credentials, oss2_bucket, ossd_binary
from test_postgres_meta import pg_url  # noqa: F401  (fixture)

S3_ENDPOINT = os.environ.get("OSSD_TEST_S3_ENDPOINT", "")
S3_BUCKET = os.environ.get("OSSD_TEST_S3_BUCKET", "ossd-blobs")
AES = {"x-oss-server-side-encryption": "AES256"}


def fill(srv: OssdServer) -> None:
    plain = oss2_bucket(srv.endpoint, srv.creds, "mig-plain")
    plain.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    plain.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["https://a.example"],
                                               allowed_methods=["GET"], max_age_seconds=60)]))
    plain.put_object("big", os.urandom(3 * 1024 * 1024 + 7))
    plain.put_object("small", b"tiny", headers={"x-oss-meta-color": "blue"})
    plain.put_object("secret", os.urandom(300_000), headers=AES)
    plain.put_object("tagged", b"with tags", headers={"x-oss-tagging": "a=1&b=2"})
    plain.put_object_acl("tagged", oss2.OBJECT_ACL_PRIVATE)
    plain.put_symlink("small", "link")
    up = plain.init_multipart_upload("mp").upload_id
    p1, p2 = os.urandom(200_000), os.urandom(1234)
    parts = [oss2.models.PartInfo(1, plain.upload_part("mp", up, 1, p1).etag),
             oss2.models.PartInfo(2, plain.upload_part("mp", up, 2, p2).etag)]
    plain.complete_multipart_upload("mp", up, parts)
    plain.init_multipart_upload("unfinished")

    ver = oss2_bucket(srv.endpoint, srv.creds, "mig-ver")
    ver.create_bucket()
    ver.put_object("k", b"before versioning")
    cfg = oss2.models.BucketVersioningConfig()
    cfg.status = "Enabled"
    ver.put_bucket_versioning(cfg)
    for i in range(3):
        ver.put_object("k", os.urandom(50_000 + i))
    ver.delete_object("k")
    ver.put_object("other", b"other", headers=AES)


def snapshot(srv: OssdServer) -> dict:
    """Everything the SDK shows of the two buckets, bytes as digests."""
    out: dict = {}
    for name in ("mig-plain", "mig-ver"):
        b = oss2_bucket(srv.endpoint, srv.creds, name)
        acl = b.get_bucket_acl().acl
        try:
            cors = [(r.allowed_origins, r.allowed_methods, r.max_age_seconds)
                    for r in b.get_bucket_cors().rules]
        except oss2.exceptions.NoSuchCors:
            cors = None
        listing = b.list_object_versions(max_keys=1000)
        assert not listing.is_truncated
        versions = []
        for v in listing.versions:
            # oss2 adds its sub-resource to the dict it is given: a fresh one per call.
            def params() -> dict:
                return {"versionId": v.versionid}
            if b.head_object(v.key, params=params()).headers.get("x-oss-object-type") == "Symlink":
                detail = ("symlink", b.get_symlink(v.key, params=params()).target_key)
            else:
                got = b.get_object(v.key, params=params())
                detail = (hashlib.sha256(got.read()).hexdigest(),
                          got.headers.get("x-oss-server-side-encryption"),
                          got.headers.get("x-oss-meta-color"),
                          got.headers.get("x-oss-hash-crc64ecma"))
            tags = b.get_object_tagging(v.key, params=params()).tag_set.tagging_rule
            obj_acl = b.get_object_acl(v.key, params=params()).acl
            versions.append((v.key, v.versionid, v.is_latest, v.last_modified, v.etag, v.size,
                             detail, dict(tags), obj_acl))
        markers = [(m.key, m.versionid, m.is_latest, m.last_modified)
                   for m in listing.delete_marker]
        uploads = [u.upload_id for u in b.list_multipart_uploads().upload_list]
        out[name] = {"acl": acl, "cors": cors, "versions": versions, "markers": markers,
                     "uploads": uploads}
    return out


def migrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ossd_binary()), "migrate", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def source(tmp_path):
    srv = OssdServer(tmp_path / "src", new_credentials())
    srv.start()
    try:
        fill(srv)
        before = snapshot(srv)
    finally:
        srv.stop()
    return srv, before


def check_destination(srv: OssdServer, before: dict, data_dir: Path, blobs_args: list[str]):
    dst = OssdServer(data_dir, srv.creds)
    dst.extra_args = blobs_args
    dst.start()
    try:
        after = snapshot(dst)
    finally:
        dst.stop()
    # Unfinished uploads are not copied (they are listed by migrate instead).
    assert len(before["mig-plain"]["uploads"]) == 1
    after["mig-plain"]["uploads"] = before["mig-plain"]["uploads"]
    assert after == before
    assert len(before["mig-ver"]["versions"]) == 5 and len(before["mig-ver"]["markers"]) == 1


def test_migrate_into_fs_blobs_reads_back_and_detects_damage(tmp_path, source):
    srv, before = source
    shared = tmp_path / "shared-blobs"
    dst_dir = tmp_path / "dst"
    args = ["--from-data-dir", str(srv.data_dir), "--to-data-dir", str(dst_dir),
            "--to-blobs", f"fs://{shared}"]

    # A source in use is refused.
    srv.start()
    try:
        busy = migrate(*args)
    finally:
        srv.stop()
    assert busy.returncode != 0 and "stop the ossd" in busy.stderr, busy.stderr

    done = migrate(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "copy done: 2 bucket(s), 12 version(s) added, 0 already there" in done.stdout
    assert "not copied: 1 unfinished multipart upload(s)" in done.stdout
    assert "mig-plain/unfinished upload id" in done.stdout
    assert "bucket mig-ver: objects 1/1, versions 6/6, delete markers 1/1" in done.stdout
    assert "verified: 2 bucket(s)" in done.stdout
    assert not (dst_dir / "blobs").exists() or not any((dst_dir / "blobs").rglob("*-*"))
    assert any(p.is_file() for p in (shared / "blobs").rglob("*"))
    # The same master key: the destination got a copy of the source's file.
    assert (dst_dir / "master-key.json").read_bytes() == \
        (srv.data_dir / "master-key.json").read_bytes()

    # Run again (as after an interruption): nothing added, still verified.
    again = migrate(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 version(s) added, 12 already there" in again.stdout

    check_destination(srv, before, dst_dir, ["--blobs", f"fs://{shared}"])

    # One flipped byte in the biggest blob of the destination: verification fails.
    biggest = max((p for p in (shared / "blobs").rglob("*") if p.is_file()),
                  key=lambda p: p.stat().st_size)
    data = bytearray(biggest.read_bytes())
    data[len(data) // 2] ^= 0x01
    biggest.write_bytes(bytes(data))
    bad = migrate(*args, "--verify-only")
    assert bad.returncode != 0, bad.stdout
    assert "MISMATCH" in bad.stdout and "verification failed: 1 mismatch" in bad.stderr


def test_migrate_refuses_another_master_key(tmp_path, source):
    srv, _ = source
    dst_dir = tmp_path / "dst"
    dst_dir.mkdir()
    (dst_dir / "master-key.json").write_text("{}")
    r = migrate("--from-data-dir", str(srv.data_dir), "--to-data-dir", str(dst_dir))
    assert r.returncode != 0 and "differs from the source's" in r.stderr, r.stderr


def test_migrate_into_s3_blobs(tmp_path, source):
    if not S3_ENDPOINT:
        if os.environ.get("OSSD_REQUIRE_S3") == "1":
            pytest.fail("OSSD_REQUIRE_S3=1 but OSSD_TEST_S3_ENDPOINT is not set")
        pytest.skip("SKIPPED: no S3 server (source tests/lib/s3proxy.sh && s3proxy_start)")
    srv, before = source
    secret_file = tmp_path / "s3.toml"
    secret_file.write_text(
        f'access_key_id = "{os.environ["OSSD_TEST_S3_ACCESS_KEY_ID"]}"\n'
        f'secret_access_key = "{os.environ["OSSD_TEST_S3_SECRET_ACCESS_KEY"]}"\n'
    )
    secret_file.chmod(0o600)
    blobs = ["--blobs",
             f"s3://{S3_BUCKET}/mig-{secrets.token_hex(4)}?endpoint={S3_ENDPOINT}&region=us-east-1",
             "--blobs-secret-file", str(secret_file)]
    dst_dir = tmp_path / "dst"
    r = migrate("--from-data-dir", str(srv.data_dir), "--to-data-dir", str(dst_dir),
                "--to-blobs", blobs[1], "--to-blobs-secret-file", str(secret_file))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verified: 2 bucket(s)" in r.stdout
    check_destination(srv, before, dst_dir, blobs)


def test_migrate_into_postgres_metadata_and_s3_blobs(tmp_path, source, pg_url,  # noqa: F811
                                                    monkeypatch):
    # The move docs/scale-out.md describes: the embedded store into PostgreSQL + S3 (or, without
    # an S3 server, a shared fs:// directory), then served by two nodes on that configuration.
    srv, before = source
    if S3_ENDPOINT:
        secret_file = tmp_path / "s3.toml"
        secret_file.write_text(
            f'access_key_id = "{os.environ["OSSD_TEST_S3_ACCESS_KEY_ID"]}"\n'
            f'secret_access_key = "{os.environ["OSSD_TEST_S3_SECRET_ACCESS_KEY"]}"\n'
        )
        secret_file.chmod(0o600)
        url = f"s3://{S3_BUCKET}/mig-{secrets.token_hex(4)}?endpoint={S3_ENDPOINT}&region=us-east-1"
        to_blobs = ["--to-blobs", url, "--to-blobs-secret-file", str(secret_file)]
        blobs = ["--blobs", url, "--blobs-secret-file", str(secret_file)]
    else:
        url = f"fs://{tmp_path / 'shared-blobs'}"
        to_blobs, blobs = ["--to-blobs", url], ["--blobs", url]
    # The password comes from the environment, as for serve (trust authentication ignores it).
    monkeypatch.setenv("OSSD_META_PASSWORD", "not-in-any-output")
    dst_dir = tmp_path / "dst"
    args = ["--from-data-dir", str(srv.data_dir), "--to-data-dir", str(dst_dir),
            "--to-meta", pg_url, *to_blobs]
    done = migrate(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "copy done: 2 bucket(s), 12 version(s) added, 0 already there" in done.stdout
    assert "bucket mig-ver: objects 1/1, versions 6/6, delete markers 1/1" in done.stdout
    assert "verified: 2 bucket(s)" in done.stdout
    assert "not-in-any-output" not in done.stdout + done.stderr
    # No metadata file in the destination directory: it is in PostgreSQL.
    assert not (dst_dir / "meta.redb").exists()
    again = migrate(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 version(s) added, 12 already there" in again.stdout

    check_destination(srv, before, dst_dir, ["--meta", pg_url, *blobs])
    # A second node with its own data directory (keys.json and master key copied, as the guide
    # says) on the same database and blobs sees the same store.
    node_dir = tmp_path / "node-b"
    node_dir.mkdir()
    for name in ("keys.json", "master-key.json", "root-key.json"):
        if (dst_dir / name).exists():
            (node_dir / name).write_bytes((dst_dir / name).read_bytes())
    check_destination(srv, before, node_dir, ["--meta", pg_url, *blobs])
