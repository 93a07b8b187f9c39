"""Object bytes in an S3-compatible store (`ossd serve --blobs s3://…`), through the official SDKs.

The S3 server is the one `scripts/test.sh` starts (s3proxy, tests/lib/s3proxy.sh), named by
OSSD_TEST_S3_ENDPOINT and friends. Without it this module is skipped, loudly, unless
OSSD_REQUIRE_S3=1 (CI), where it fails.

What OSS promises here is only what any store promises (OSS API: PutObject, GetObject with Range,
multipart upload, CopyObject, DeleteObject; https://help.aliyun.com/zh/oss/developer-reference/
putobject and the pages beside it): the same bytes back, whatever holds them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import oss2
import pytest

from conftest import (
    Credentials,
    OssdServer,
    assert_wrong_blob_secret_fails_the_start,
    new_credentials,
    oss2_bucket,
    wait_until,
)

S3_ENDPOINT = os.environ.get("OSSD_TEST_S3_ENDPOINT", "")
S3_DIR = os.environ.get("OSSD_TEST_S3_DIR", "")
S3_BUCKET = os.environ.get("OSSD_TEST_S3_BUCKET", "ossd-blobs")

if not S3_ENDPOINT:
    if os.environ.get("OSSD_REQUIRE_S3") == "1":
        raise RuntimeError("OSSD_REQUIRE_S3=1 but OSSD_TEST_S3_ENDPOINT is not set")
    pytest.skip(
        "SKIPPED: no S3 server (source tests/lib/s3proxy.sh && s3proxy_start)",
        allow_module_level=True,
    )

AES = {"x-oss-server-side-encryption": "AES256"}


def s3_files(prefix: str) -> list[Path]:
    """The objects the S3 server holds under `prefix` of the test bucket (its filesystem backend)."""
    root = Path(S3_DIR) / S3_BUCKET / prefix
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def blob_files(prefix: str) -> list[Path]:
    return [p for p in s3_files(prefix) if "/blobs/" in str(p)]


def start(tmp_path: Path, prefix: str, grace: int | None = None,
          creds: Credentials | None = None) -> OssdServer:
    secret_file = tmp_path / f"{prefix}-s3.toml"
    secret_file.write_text(
        f'access_key_id = "{os.environ["OSSD_TEST_S3_ACCESS_KEY_ID"]}"\n'
        f'secret_access_key = "{os.environ["OSSD_TEST_S3_SECRET_ACCESS_KEY"]}"\n'
    )
    secret_file.chmod(0o600)
    srv = OssdServer(tmp_path / f"data-{prefix}", creds or new_credentials())
    srv.extra_args = [
        "--blobs", f"s3://{S3_BUCKET}/{prefix}?endpoint={S3_ENDPOINT}&region=us-east-1",
        "--blobs-secret-file", str(secret_file),
    ]
    if grace is not None:
        srv.extra_args += ["--blob-grace", str(grace)]
    return srv.start()


@pytest.fixture
def servers():
    started: list[OssdServer] = []
    yield started
    for srv in started:
        srv.kill()


def test_objects_live_in_s3_and_survive_a_restart(tmp_path, servers):
    prefix = f"e2e-{secrets.token_hex(4)}"
    srv = start(tmp_path, prefix)
    servers.append(srv)
    b = oss2_bucket(srv.endpoint, srv.creds, "s3-backed")
    b.create_bucket()

    small = b"tiny object, kept inline in the metadata"
    big = os.urandom(3 * 1024 * 1024 + 11)
    b.put_object("small", small)
    b.put_object("big", big)
    assert b.get_object("small").read() == small
    assert b.get_object("big").read() == big
    assert b.get_object("big", byte_range=(1_000_000, 1_000_099)).read() == big[1_000_000:1_000_100]
    assert b.get_object("big", byte_range=(len(big) - 5, None)).read() == big[-5:]
    # A small ranged read of a large object (the server's small-read path).
    assert b.get_object("big", byte_range=(10, 20)).read() == big[10:21]

    # Multipart: parts are blobs, completion references them (no copy).
    parts_data = [os.urandom(256 * 1024), os.urandom(256 * 1024), os.urandom(1000)]
    up = b.init_multipart_upload("mp").upload_id
    parts = [oss2.models.PartInfo(i + 1, b.upload_part("mp", up, i + 1, d).etag)
             for i, d in enumerate(parts_data)]
    b.complete_multipart_upload("mp", up, parts)
    whole = b"".join(parts_data)
    assert b.get_object("mp").read() == whole
    assert b.get_object("mp", byte_range=(256 * 1024 - 3, 256 * 1024 + 2)).read() == \
        whole[256 * 1024 - 3:256 * 1024 + 3]

    # CopyObject shares the source's blobs; an encrypted object is encrypted before S3 sees it.
    b.copy_object("s3-backed", "big", "big-copy")
    assert hashlib.md5(b.get_object("big-copy").read()).digest() == hashlib.md5(big).digest()
    marker = f"SECRET-{secrets.token_hex(16)}".encode()
    b.put_object("enc", marker * 20_000, headers=AES)
    assert b.get_object("enc").read() == marker * 20_000

    # The bytes are in S3, not in the data directory.
    assert blob_files(prefix), "no blob reached the S3 server"
    local = [p for p in (srv.data_dir / "blobs").rglob("*") if p.is_file()]
    assert local == [], local
    assert not any(marker in p.read_bytes() for p in blob_files(prefix)), "plaintext in S3"
    # The secret never reaches the log.
    log = srv.log_path.read_text(errors="replace")
    assert os.environ["OSSD_TEST_S3_SECRET_ACCESS_KEY"] not in log
    assert f"s3://{S3_BUCKET}/{prefix}" in log

    b.delete_object("small")
    b.delete_object("big")
    assert b.get_object("big-copy").read() == big, "the copy keeps the shared blob"

    assert srv.stop() == 0
    srv.start()
    assert b.get_object("big-copy").read() == big
    assert b.get_object("mp").read() == whole
    with pytest.raises(oss2.exceptions.NoSuchKey):
        b.get_object("big")


def test_deleted_blobs_go_after_the_grace_period(tmp_path, servers):
    prefix = f"gc-{secrets.token_hex(4)}"
    srv = start(tmp_path, prefix, grace=2)
    servers.append(srv)
    b = oss2_bucket(srv.endpoint, srv.creds, "s3-gc")
    b.create_bucket()
    data = os.urandom(200_000)
    b.put_object("k", data)
    b.put_object("keep", data[::-1])
    assert len(blob_files(prefix)) == 2
    b.delete_object("k")
    # Still there at once: a reader on another node may be reading it.
    assert len(blob_files(prefix)) == 2
    assert wait_until(lambda: len(blob_files(prefix)) == 1, 20), \
        "the deleted object's blob outlived its grace period"
    assert b.get_object("keep").read() == data[::-1]


def test_a_wrong_s3_secret_fails_the_start(tmp_path):
    assert_wrong_blob_secret_fails_the_start(
        tmp_path, f"s3://{S3_BUCKET}/bad?endpoint={S3_ENDPOINT}", "nobody", "s3")
