"""Two ossd nodes on one PostgreSQL database (`--meta`) and one S3 bucket (`--blobs`), through the
official oss2 SDK: the scale-out configuration.

- `kill -9` of node A while concurrent writers PUT through A and B: every write that was
  acknowledged (HTTP 200) on either node reads back byte-exact through B. OSS promises that a
  successful PutObject is durable and immediately readable
  (https://help.aliyun.com/zh/oss/developer-reference/putobject; strong consistency:
  https://help.aliyun.com/zh/oss/user-guide/oss-data-consistency).
- A multipart upload initiated on A, parts uploaded to both, completed on B
  (https://help.aliyun.com/zh/oss/developer-reference/completemultipartupload).
- A CORS change made on A is what a preflight on B answers with, within PROPAGATION seconds,
  far less than the time a node caches a bucket (OPTIONS Object:
  https://help.aliyun.com/zh/oss/developer-reference/options).

Each test starts its own pair of nodes on a fresh database and blob prefix. The servers come
from OSSD_TEST_POSTGRES_URL (tests/lib/postgres.sh) and OSSD_TEST_S3_ENDPOINT
(tests/lib/s3proxy.sh); without them these tests skip, unless OSSD_REQUIRE_POSTGRES=1 or
OSSD_REQUIRE_S3=1, where they fail.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import oss2
import pytest
import requests

from conftest import (
    REGION,
    OssdServer,
    new_credentials,
    oss2_auth,
    oss2_bucket,
    require_env,
    unique_bucket_name,
)

pytestmark = pytest.mark.own_server

# How long a CORS change on one node may take to show on the other. With shared metadata each
# node drops its cached bucket on the change feed (a PostgreSQL notification, and a change counter
# read every 250 ms should a notification be lost), so a change shows within milliseconds, 250 ms
# at worst; a node that only let its cached bucket expire (1 s) would fail this.
PROPAGATION = 0.5


class Cluster:
    """Node a and node b, one database, one blob prefix, one master key file."""

    def __init__(self, tmp_path: Path, url: str):
        s3 = require_env("OSSD_TEST_S3_ENDPOINT", "OSSD_REQUIRE_S3", "S3 server")
        bucket = os.environ.get("OSSD_TEST_S3_BUCKET", "ossd-blobs")
        secret = tmp_path / "s3.toml"
        secret.write_text(
            f'access_key_id = "{os.environ["OSSD_TEST_S3_ACCESS_KEY_ID"]}"\n'
            f'secret_access_key = "{os.environ["OSSD_TEST_S3_SECRET_ACCESS_KEY"]}"\n'
        )
        secret.chmod(0o600)
        prefix = "cluster-" + secrets.token_hex(6)
        creds = new_credentials()
        self.nodes = []
        for name in ("a", "b"):
            srv = OssdServer(tmp_path / f"node-{name}", creds)
            srv.log_path = tmp_path / f"ossd-{name}.log"
            srv.extra_args = [
                "--meta", url,
                "--blobs", f"s3://{bucket}/{prefix}?endpoint={s3}&region=us-east-1",
                "--blobs-secret-file", str(secret),
                "--master-key-file", str(tmp_path / "master-key.json"),
            ]
            self.nodes.append(srv)

    def start(self) -> "Cluster":
        for srv in self.nodes:
            srv.start()
        return self

    def kill(self) -> None:
        for srv in self.nodes:
            srv.kill()


@pytest.fixture
def cluster(tmp_path):
    base = require_env("OSSD_TEST_POSTGRES_URL", "OSSD_REQUIRE_POSTGRES", "PostgreSQL")
    require_env("OSSD_TEST_S3_ENDPOINT", "OSSD_REQUIRE_S3", "S3 server")
    psql = os.environ.get("OSSD_TEST_PSQL") or shutil.which("psql")
    assert psql, "psql is needed to create the test database"
    db = "cl_" + secrets.token_hex(6)
    subprocess.run([psql, "-q", base, "-c", f"CREATE DATABASE {db}"], check=True)
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(base)._replace(path="/" + db))
    c = Cluster(tmp_path, url).start()
    yield c
    c.kill()
    subprocess.run([psql, "-q", base, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                   check=False)


def test_every_acknowledged_write_survives_kill_9_of_a_node(cluster):
    a, b = cluster.nodes
    name = unique_bucket_name("kill")
    oss2_bucket(a.endpoint, a.creds, name).create_bucket()
    # Node b learns of the bucket (its cache) before the writes start.
    oss2_bucket(b.endpoint, b.creds, name).get_bucket_info()

    acked: dict[str, bytes] = {}
    failed_on = {"a": 0, "b": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int) -> None:
        # Writers 0..7 go to node a, 8..15 to node b; small bodies (kept in the database) and
        # larger ones (a blob in S3) alternate.
        node, tag = (a, "a") if w < 8 else (b, "b")
        bucket = oss2.Bucket(oss2_auth(node.creds), node.endpoint, name, region=REGION,
                             connect_timeout=5)
        n = 0
        while not stop.is_set():
            n += 1
            key = f"w{w:02d}/{n:05d}"
            body = os.urandom(700 if n % 2 else 48 * 1024)
            try:
                r = bucket.put_object(key, body)
            except (oss2.exceptions.OssError, requests.RequestException, OSError):
                with lock:
                    failed_on[tag] += 1
                if tag == "a":
                    time.sleep(0.02)
                continue
            if r.status == 200:
                with lock:
                    acked[key] = body

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    a.kill()  # SIGKILL: no drain, no shutdown
    killed_at = len(acked)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    on_a = sum(1 for k in acked if int(k[1:3]) < 8)
    assert on_a > 20, f"only {on_a} writes acknowledged by node a before the kill"
    assert failed_on["a"] > 0, "no write failed on node a: it was not killed under load"
    assert len(acked) > killed_at, "node b stopped taking writes when node a died"

    reader = oss2_bucket(b.endpoint, b.creds, name)
    wrong = []
    for key, body in sorted(acked.items()):
        try:
            got = reader.get_object(key).read()
        except oss2.exceptions.OssError as e:
            wrong.append((key, f"{e.status} {e.code}"))
            continue
        if hashlib.md5(got).digest() != hashlib.md5(body).digest():
            wrong.append((key, f"{len(got)} bytes, not the {len(body)} written"))
    assert wrong == [], f"{len(wrong)} of {len(acked)} acknowledged writes lost: {wrong[:5]}"
    # The listing through b has every acknowledged key too (and maybe writes a committed but
    # could not acknowledge before it died).
    listed = {o.key for o in oss2.ObjectIterator(reader)}
    assert set(acked) <= listed


def test_multipart_upload_initiated_on_a_completed_on_b(cluster):
    a, b = cluster.nodes
    name = unique_bucket_name("mpu")
    ba = oss2_bucket(a.endpoint, a.creds, name)
    bb = oss2_bucket(b.endpoint, b.creds, name)
    ba.create_bucket()
    key = "multi/part.bin"
    upload_id = ba.init_multipart_upload(key).upload_id
    parts = [os.urandom(100 * 1024), os.urandom(100 * 1024), os.urandom(10 * 1024)]
    # Part 1 on a, part 2 on b, part 3 on a.
    results = [
        (ba if i % 2 == 0 else bb).upload_part(key, upload_id, i + 1, body)
        for i, body in enumerate(parts)
    ]
    assert [p.part_number for p in bb.list_parts(key, upload_id).parts] == [1, 2, 3]
    assert [u.upload_id for u in bb.list_multipart_uploads().upload_list] == [upload_id]
    bb.complete_multipart_upload(
        key, upload_id,
        [oss2.models.PartInfo(i + 1, r.etag) for i, r in enumerate(results)],
    )
    whole = b"".join(parts)
    for bucket in (ba, bb):
        got = bucket.get_object(key)
        assert got.read() == whole
        assert got.headers["x-oss-object-type"] == "Multipart"
    assert ba.list_multipart_uploads().upload_list == []
    # A range read on a, of bytes in parts 2 and 3 (two blobs in S3).
    rng = ba.get_object(key, byte_range=(100 * 1024 - 10, 200 * 1024 + 9)).read()
    assert rng == whole[100 * 1024 - 10: 200 * 1024 + 10]


def preflight(endpoint: str, bucket: str, origin: str) -> requests.Response:
    return requests.options(
        f"{endpoint}/{bucket}/index.html",
        headers={"Origin": origin, "Access-Control-Request-Method": "PUT"},
        timeout=10,
    )


def seen_on(endpoint: str, bucket: str, origin: str, allowed: bool) -> float | None:
    """Seconds until a preflight on `endpoint` answers as `allowed` says, or None if it does
    not within PROPAGATION."""
    start = time.monotonic()
    while True:
        r = preflight(endpoint, bucket, origin)
        ok = r.status_code == 200 and r.headers.get("Access-Control-Allow-Origin") == origin
        if ok == allowed:
            return time.monotonic() - start
        if time.monotonic() - start > PROPAGATION:
            return None
        time.sleep(0.02)


def test_a_cors_change_on_a_is_seen_by_a_preflight_on_b(cluster):
    a, b = cluster.nodes
    name = unique_bucket_name("cors")
    ba = oss2_bucket(a.endpoint, a.creds, name)
    ba.create_bucket()
    first, second = "https://first.example", "https://second.example"

    # Node b has the bucket (no CORS rules) in its cache, fresh: the preflight is refused.
    r = preflight(b.endpoint, name, first)
    assert r.status_code == 403, r.text

    rule = oss2.models.CorsRule(allowed_origins=[first], allowed_methods=["PUT"])
    ba.put_bucket_cors(oss2.models.BucketCors([rule]))
    waited = seen_on(b.endpoint, name, first, allowed=True)
    assert waited is not None, f"node b did not see the CORS rule set on node a within {PROPAGATION}s"

    # A change of the rules: b allows the new origin and refuses the old one.
    preflight(b.endpoint, name, first)  # b's cache entry is fresh again
    rule = oss2.models.CorsRule(allowed_origins=[second], allowed_methods=["PUT"])
    ba.put_bucket_cors(oss2.models.BucketCors([rule]))
    assert seen_on(b.endpoint, name, second, allowed=True) is not None, \
        f"node b did not see the changed CORS rule within {PROPAGATION}s"
    assert seen_on(b.endpoint, name, first, allowed=False) is not None

    # Deleting the rules on a: b refuses preflights again.
    preflight(b.endpoint, name, second)
    ba.delete_bucket_cors()
    assert seen_on(b.endpoint, name, second, allowed=False) is not None, \
        f"node b still allowed a preflight {PROPAGATION}s after the CORS rules were deleted on a"
