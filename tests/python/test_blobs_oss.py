"""Object bytes in an OSS-compatible store (`ossd serve --blobs oss://…`), through OpenDAL's
`oss` service.

The OSS service here is a second ossd (its embedded default): it speaks the OSS API the way
the official SDKs expect, which is what OpenDAL's `oss` service speaks. Its endpoint is
`127.0.0.1`, so requests name the bucket in the path (no DNS name can prefix an IP address);
`addressing=path` says so for a host name (parsed and shown in crates/ossd-store's location
tests; here it is given once, with an address). The blobs are objects in that server's bucket,
read back with oss2 to check they are there and encrypted when the object is.

OSS API relied on (https://help.aliyun.com/zh/oss/developer-reference/putobject and the pages
beside it: GetObject with Range, ListObjects, DeleteObject): the same bytes back, whatever holds
them.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import oss2
import pytest

from conftest import (
    OssdServer,
    assert_wrong_blob_secret_fails_the_start,
    new_credentials,
    oss2_bucket,
    wait_until,
)

pytestmark = pytest.mark.own_server

AES = {"x-oss-server-side-encryption": "AES256"}


@pytest.fixture
def oss_service(tmp_path):
    """An ossd on its embedded default, serving bucket `blob-store`: the OSS of the node."""
    srv = OssdServer(tmp_path / "oss-service", new_credentials())
    srv.log_path = tmp_path / "oss-service.log"
    srv.start()
    oss2_bucket(srv.endpoint, srv.creds, "blob-store").create_bucket()
    yield srv
    srv.kill()


def node(tmp_path: Path, service: OssdServer, prefix: str, url_extra: str = "",
         grace: int | None = None) -> OssdServer:
    secret_file = tmp_path / f"{prefix}-oss.toml"
    secret_file.write_text(
        f'access_key_id = "{service.creds.access_key_id}"\n'
        f'secret_access_key = "{service.creds.access_key_secret}"\n'
    )
    secret_file.chmod(0o600)
    srv = OssdServer(tmp_path / f"data-{prefix}", new_credentials())
    srv.log_path = tmp_path / f"node-{prefix}.log"
    srv.extra_args = ["--blobs", f"oss://blob-store/{prefix}?endpoint={service.endpoint}{url_extra}",
                      "--blobs-secret-file", str(secret_file)]
    if grace is not None:
        srv.extra_args += ["--blob-grace", str(grace)]
    return srv.start()


def stored(service: OssdServer, prefix: str) -> list[str]:
    """The blob objects the OSS service holds under `prefix/`."""
    b = oss2_bucket(service.endpoint, service.creds, "blob-store")
    return [o.key for o in oss2.ObjectIterator(b, prefix=f"{prefix}/") if "/blobs/" in o.key]


def test_objects_live_in_the_oss_service(tmp_path, oss_service):
    prefix = f"n-{secrets.token_hex(4)}"
    srv = node(tmp_path, oss_service, prefix)
    try:
        b = oss2_bucket(srv.endpoint, srv.creds, "oss-backed")
        b.create_bucket()
        big = os.urandom(3 * 1024 * 1024 + 5)
        b.put_object("big", big)
        assert b.get_object("big").read() == big
        assert b.get_object("big", byte_range=(1_000_000, 1_000_099)).read() == \
            big[1_000_000:1_000_100]

        parts_data = [os.urandom(256 * 1024), os.urandom(1000)]
        up = b.init_multipart_upload("mp").upload_id
        parts = [oss2.models.PartInfo(i + 1, b.upload_part("mp", up, i + 1, d).etag)
                 for i, d in enumerate(parts_data)]
        b.complete_multipart_upload("mp", up, parts)
        assert b.get_object("mp").read() == b"".join(parts_data)

        marker = f"SECRET-{secrets.token_hex(16)}".encode()
        b.put_object("enc", marker * 20_000, headers=AES)
        assert b.get_object("enc").read() == marker * 20_000

        # The bytes are objects of the OSS service, none in the node's data directory, and the
        # encrypted one is not readable there.
        keys = stored(oss_service, prefix)
        assert len(keys) == 3, keys  # big, the 256 KiB part (the 1000-byte one is inline), enc
        local = [p for p in (srv.data_dir / "blobs").rglob("*") if p.is_file()]
        assert local == [], local
        service_bucket = oss2_bucket(oss_service.endpoint, oss_service.creds, "blob-store")
        assert not any(marker in service_bucket.get_object(k).read() for k in keys)
        log = srv.log_path.read_text(errors="replace")
        assert oss_service.creds.access_key_secret not in log
        assert f"oss://blob-store/{prefix}" in log

        assert srv.stop() == 0
        srv.start()
        assert b.get_object("big").read() == big
    finally:
        srv.kill()


def test_deleted_blobs_leave_the_oss_service_after_the_grace_period(tmp_path, oss_service):
    prefix = f"gc-{secrets.token_hex(4)}"
    # Path-style said explicitly (the same as the rule for an address does by itself).
    srv = node(tmp_path, oss_service, prefix, "&addressing=path", grace=2)
    try:
        b = oss2_bucket(srv.endpoint, srv.creds, "oss-gc")
        b.create_bucket()
        data = os.urandom(200_000)
        b.put_object("k", data)
        b.put_object("keep", data[::-1])
        assert len(stored(oss_service, prefix)) == 2
        b.delete_object("k")
        assert len(stored(oss_service, prefix)) == 2  # kept for the grace period
        assert wait_until(lambda: len(stored(oss_service, prefix)) == 1, 20), \
            "the deleted blob outlived its grace period"
        assert b.get_object("keep").read() == data[::-1]
    finally:
        srv.kill()


def test_a_wrong_oss_secret_fails_the_start(tmp_path, oss_service):
    assert_wrong_blob_secret_fails_the_start(
        tmp_path, f"oss://blob-store/bad?endpoint={oss_service.endpoint}",
        oss_service.creds.access_key_id, "oss")
