"""Object bytes in a directory through OpenDAL's fs service (`ossd serve --blobs fs:///…`), the
setup of several nodes sharing one file system, through the oss2 SDK; needs no S3 server.

OSS promises the same bytes back whatever holds them (OSS API: PutObject, GetObject with Range,
multipart upload, DeleteObject; https://help.aliyun.com/zh/oss/developer-reference/putobject).
"""

from __future__ import annotations

import os
from pathlib import Path

import oss2

from conftest import OssdServer, new_credentials, oss2_bucket, wait_until


def blob_files(root: Path) -> list[Path]:
    return [p for p in (root / "blobs").rglob("*") if p.is_file()] if root.exists() else []


def test_fs_blob_store_round_trip_and_grace_period(tmp_path):
    shared = tmp_path / "shared-blobs"
    srv = OssdServer(tmp_path / "data", new_credentials())
    srv.extra_args = ["--blobs", f"fs://{shared}", "--blob-grace", "2"]
    srv.start()
    try:
        b = oss2_bucket(srv.endpoint, srv.creds, "fs-backed")
        b.create_bucket()
        big = os.urandom(1024 * 1024 + 3)
        b.put_object("big", big)
        assert b.get_object("big").read() == big
        assert b.get_object("big", byte_range=(5, 9)).read() == big[5:10]
        up = b.init_multipart_upload("mp").upload_id
        p1, p2 = os.urandom(200_000), os.urandom(5)
        parts = [oss2.models.PartInfo(1, b.upload_part("mp", up, 1, p1).etag),
                 oss2.models.PartInfo(2, b.upload_part("mp", up, 2, p2).etag)]
        b.complete_multipart_upload("mp", up, parts)
        assert b.get_object("mp").read() == p1 + p2
        # The 5-byte part is inline in the metadata: two blobs, the object's and the first part's.
        assert len(blob_files(shared)) == 2, "one blob per large object or part"
        assert [p for p in (srv.data_dir / "blobs").rglob("*") if p.is_file()] == []

        b.delete_object("big")
        assert len(blob_files(shared)) == 2, "kept through the grace period"
        assert wait_until(lambda: len(blob_files(shared)) == 1, 20), \
            "deleted after the grace period"
        assert b.get_object("mp").read() == p1 + p2
        assert not any((shared / "staging").glob("*")), "no staging file left behind"
    finally:
        srv.kill()
