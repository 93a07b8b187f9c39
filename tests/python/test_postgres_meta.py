"""Metadata in PostgreSQL (`ossd serve --meta postgres://...`), through the official SDKs.

Two ossd processes ("nodes") share one PostgreSQL database and one blob directory (as nodes
would share a file system or an object store): what one writes, the other lists and reads;
a multipart upload started on one is completed on the other; forbid-overwrite and DeleteBucket
on a non-empty bucket are decided by the database whichever node asks. A restart keeps
everything, and the password is never logged.

The database server comes from OSSD_TEST_POSTGRES_URL (scripts/test.sh starts one with
tests/lib/postgres.sh); without it these tests skip, unless OSSD_REQUIRE_POSTGRES=1, where they
fail. OSS behaviour checked here: https://help.aliyun.com/zh/oss/developer-reference/putobject
(x-oss-forbid-overwrite: 409 FileAlreadyExists) and
https://help.aliyun.com/zh/oss/developer-reference/deletebucket (409 BucketNotEmpty).
"""

import os
import secrets
import shutil
import subprocess
import time
import urllib.parse

import oss2
import pytest

from conftest import OssdServer, new_credentials, oss2_bucket, require_env, unique_bucket_name

pytestmark = pytest.mark.own_server

PASSWORD = "pw-" + secrets.token_hex(8)


@pytest.fixture
def pg_url():
    """A fresh, empty database on the test server; its URL."""
    base = require_env("OSSD_TEST_POSTGRES_URL", "OSSD_REQUIRE_POSTGRES",
                       "PostgreSQL (tests/lib/postgres.sh)")
    psql = os.environ.get("OSSD_TEST_PSQL") or shutil.which("psql")
    assert psql, "psql is needed to create the test database"
    name = "py_" + secrets.token_hex(6)
    subprocess.run([psql, "-q", base, "-c", f"CREATE DATABASE {name}"], check=True)
    parts = urllib.parse.urlsplit(base)
    yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    subprocess.run([psql, "-q", base, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=False)


def node(tmp_path, data_dir, creds, url, name):
    srv = OssdServer(data_dir, creds)
    srv.log_path = tmp_path / f"ossd-{name}.log"
    srv.extra_args = ["--meta", url]
    return srv


@pytest.fixture
def two_nodes(tmp_path, pg_url, monkeypatch):
    # The password travels in the environment (trust authentication ignores it here); the test
    # below makes sure it never reaches a log.
    monkeypatch.setenv("OSSD_META_PASSWORD", PASSWORD)
    creds = new_credentials()
    data = tmp_path / "shared-data"
    a = node(tmp_path, data, creds, pg_url, "a").start()
    b = node(tmp_path, data, creds, pg_url, "b").start()
    yield a, b
    for srv in (a, b):
        srv.kill()


def test_two_nodes_share_one_database(two_nodes):
    a, b = two_nodes
    name = unique_bucket_name()
    ba = oss2_bucket(a.endpoint, a.creds, name)
    bb = oss2_bucket(b.endpoint, b.creds, name)
    ba.create_bucket()

    small, large = b"tiny object", os.urandom(200 * 1024)
    ba.put_object("dir/small", small)
    ba.put_object("dir/large", large)
    assert bb.get_object("dir/small").read() == small
    assert bb.get_object("dir/large").read() == large
    listed = [o.key for o in oss2.ObjectIterator(bb, prefix="dir/")]
    assert listed == ["dir/large", "dir/small"]
    top = bb.list_objects(delimiter="/")
    assert top.prefix_list == ["dir/"] and top.object_list == []

    # A multipart upload begun on one node, its parts sent to both, completed on the other.
    key = "multi"
    upload_id = ba.init_multipart_upload(key).upload_id
    p1, p2 = os.urandom(100 * 1024), os.urandom(50 * 1024)
    r1 = ba.upload_part(key, upload_id, 1, p1)
    r2 = bb.upload_part(key, upload_id, 2, p2)
    listed_parts = [p.part_number for p in bb.list_parts(key, upload_id).parts]
    assert listed_parts == [1, 2]
    bb.complete_multipart_upload(
        key, upload_id, [oss2.models.PartInfo(1, r1.etag), oss2.models.PartInfo(2, r2.etag)])
    assert ba.get_object(key).read() == p1 + p2

    # Forbid-overwrite is decided by the database, whichever node wrote first.
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bb.put_object("dir/small", b"again", headers={"x-oss-forbid-overwrite": "true"})
    assert (e.value.status, e.value.code) == (409, "FileAlreadyExists")
    assert ba.get_object("dir/small").read() == small

    # DeleteBucket on one node sees the objects the other wrote.
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bb.delete_bucket()
    assert (e.value.status, e.value.code) == (409, "BucketNotEmpty")
    for k in ["dir/small", "dir/large", key]:
        ba.delete_object(k)
    bb.delete_bucket()
    # Node a cached the bucket; the change feed tells it of the deletion (within 1 s).
    eventually(lambda: pytest.raises(oss2.exceptions.NoSuchBucket, ba.get_bucket_info))


def eventually(check, timeout=3.0):
    """Runs `check` until it passes (another node's change shows within 1 s)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, pytest.fail.Exception, oss2.exceptions.OssError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_bucket_settings_from_two_nodes_are_all_kept(two_nodes):
    # Each node changes a different setting of the same bucket: both changes stay (the
    # read-modify-write of the bucket record runs in one database transaction), and each node
    # sees the other's change.
    a, b = two_nodes
    name = unique_bucket_name()
    ba = oss2_bucket(a.endpoint, a.creds, name)
    bb = oss2_bucket(b.endpoint, b.creds, name)
    ba.create_bucket()
    bb.get_bucket_info()  # node b caches the bucket now
    ba.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    rule = oss2.models.CorsRule(allowed_origins=["https://example.com"], allowed_methods=["GET"])
    bb.put_bucket_cors(oss2.models.BucketCors([rule]))

    def both_kept():
        for bucket in (ba, bb):
            assert bucket.get_bucket_acl().acl == oss2.BUCKET_ACL_PUBLIC_READ
            rules = bucket.get_bucket_cors().rules
            assert [r.allowed_origins for r in rules] == [["https://example.com"]]

    eventually(both_kept)


def test_restart_keeps_everything_and_the_password_is_never_logged(two_nodes):
    a, b = two_nodes
    name = unique_bucket_name()
    ba = oss2_bucket(a.endpoint, a.creds, name)
    ba.create_bucket()
    ba.put_object("kept", b"still here")
    b.stop()
    a.stop()
    # Metadata is in PostgreSQL: the data directory holds no redb database.
    assert not (a.data_dir / "meta.redb").exists()
    a.start()
    assert oss2_bucket(a.endpoint, a.creds, name).get_object("kept").read() == b"still here"
    for srv in (a, b):
        log = srv.log_path.read_text(errors="replace")
        assert "meta=postgres://" in log
        assert PASSWORD not in log
        # Another node's uncommitted blob would look like an orphan: no sweep at start.
        assert "no orphan sweep at start" in log


def test_a_bad_meta_url_stops_the_start_with_a_clear_error(tmp_path):
    srv = node(tmp_path, tmp_path / "data", new_credentials(),
               "mysql://u:" + PASSWORD + "@localhost/db", "bad")
    with pytest.raises(RuntimeError) as e:
        srv.start()
    assert "postgres://" in str(e.value)
    assert PASSWORD not in str(e.value) and PASSWORD not in srv.log_path.read_text()
