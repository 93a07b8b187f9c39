"""Durability: a clean restart keeps every object and bucket setting; a SIGKILL in the middle of
uploads leaves no torn object, loses no acknowledged write, and leaves nothing in DATA/tmp.
These tests always start their own ossd instances (even when OSSD_ENDPOINT is set)."""

import hashlib
import os
import random
import threading
import time
import xml.etree.ElementTree as ET

import oss2
import pytest
import requests
from oss2.models import BucketCors, CorsRule

from conftest import RawClient, crc64_of, oss2_bucket, unique_bucket_name, vary_tokens

pytestmark = pytest.mark.own_server


def tmp_leftovers(data_dir):
    tmp = data_dir / "tmp"
    if not tmp.exists():
        return []
    return [str(p.relative_to(data_dir)) for p in tmp.rglob("*") if p.is_file()]


def list_raw(srv, bucket):
    """{key: (etag, size, last-modified text)} from one raw ListObjects page (keeps these tests
    independent of the SDKs' listing parsers)."""
    r = RawClient(srv.endpoint, srv.creds).request("GET", bucket, params=[("max-keys", "1000")])
    assert r.status_code == 200, r.text[:300]
    root = ET.fromstring(r.content)
    assert root.findtext("IsTruncated") == "false"
    return {c.findtext("Key"): (c.findtext("ETag"), int(c.findtext("Size")),
                                c.findtext("LastModified"))
            for c in root.findall("Contents")}


def test_sigterm_exits_cleanly(spawn_server):
    srv = spawn_server()
    assert srv.stop() == 0, srv.log_tail()


def test_restart_keeps_everything(spawn_server):
    srv = spawn_server()
    name, other = unique_bucket_name("persist"), unique_bucket_name("persist2")
    b = oss2_bucket(srv.endpoint, srv.creds, name)
    b.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    oss2_bucket(srv.endpoint, srv.creds, other).create_bucket(
        input=oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA))
    big = os.urandom(3 * 1024 * 1024 + 5)
    b.put_object("dir/meta.txt", b"hello", headers={
        "Content-Type": "text/x-test", "Cache-Control": "no-cache",
        "Content-Disposition": "inline", "x-oss-meta-who": "me"})
    b.put_object("big.bin", big)
    b.put_object("unicode/中 文+%.txt", b"u")
    b.put_object("deleted", b"gone soon")
    b.delete_object("deleted")
    b.append_object("app", 0, b"abc")
    b.append_object("app", 3, b"def")
    b.put_object_acl("dir/meta.txt", oss2.OBJECT_ACL_PRIVATE)
    b.put_bucket_cors(BucketCors([
        CorsRule(allowed_origins=["http://a.test"], allowed_methods=["GET", "PUT"],
                 allowed_headers=["X-Up"], expose_headers=["ETag"], max_age_seconds=9),
        CorsRule(allowed_origins=["*"], allowed_methods=["HEAD"]),
    ], response_vary=True))
    before = list_raw(srv, name)

    assert srv.stop() == 0, srv.log_tail()
    srv2 = spawn_server(data_dir=srv.data_dir, creds=srv.creds)
    b = oss2_bucket(srv2.endpoint, srv2.creds, name)

    after = list_raw(srv2, name)
    assert after == before
    assert set(after) == {"dir/meta.txt", "big.bin", "unicode/中 文+%.txt", "app"}
    got = b.get_object("dir/meta.txt")
    assert got.read() == b"hello"
    assert got.headers["Content-Type"] == "text/x-test"
    assert got.headers["Cache-Control"] == "no-cache"
    assert got.headers["Content-Disposition"] == "inline"
    assert got.headers["x-oss-meta-who"] == "me"
    assert b.get_object("big.bin").read() == big
    assert b.head_object("big.bin").server_crc == crc64_of(big)
    assert b.get_object("unicode/中 文+%.txt").read() == b"u"
    assert b.get_object("app").read() == b"abcdef"
    assert b.append_object("app", 6, b"g").next_position == 7
    assert b.get_object_acl("dir/meta.txt").acl == "private"
    assert b.get_bucket_acl().acl == "public-read"
    info = oss2_bucket(srv2.endpoint, srv2.creds, other).get_bucket_info()
    assert info.storage_class == "IA"
    cors = b.get_bucket_cors()
    assert [r.allowed_origins for r in cors.rules] == [["http://a.test"], ["*"]]
    assert cors.rules[0].allowed_headers == ["x-up"]
    assert cors.rules[0].max_age_seconds == 9
    assert cors.response_vary is True
    r = requests.options(f"{srv2.endpoint}/{name}/x", headers={
        "Origin": "http://a.test", "Access-Control-Request-Method": "PUT"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert "origin" in vary_tokens(r.headers)
    # an anonymous read works again because the bucket is public-read
    assert requests.get(f"{srv2.endpoint}/{name}/big.bin", timeout=30).content == big
    assert tmp_leftovers(srv2.data_dir) == []
    assert srv2.stop() == 0


class UploadLog:
    """What each key was sent (md5 per version) and the highest version acknowledged."""

    def __init__(self, keys):
        self.keys = keys
        self.sent = {k: {} for k in keys}       # key -> {version: md5 hex}
        self.acked = {k: -1 for k in keys}      # key -> highest version answered with 200
        self.next_version = {k: 0 for k in keys}
        self.ack_count = 0
        self.lock = threading.Lock()


def upload_until_killed(srv, bucket, log, n_threads, seed, min_seconds=1.0, min_acks=4):
    """Threads upload 1-8 MiB objects in a loop (each thread owns its keys) until the server is
    SIGKILLed in the middle of them; returns the error strings the interrupted uploads got."""
    stop = threading.Event()
    in_flight = [0]
    errors = []
    per_thread = len(log.keys) // n_threads

    def worker(t):
        b = oss2_bucket(srv.endpoint, srv.creds, bucket, enable_crc=False)
        rng = random.Random(seed * 100 + t)
        mine = log.keys[t * per_thread:(t + 1) * per_thread]
        i = 0
        while not stop.is_set():
            key = mine[i % len(mine)]
            i += 1
            size = rng.randint(1, 8) * 1024 * 1024 + rng.randint(0, 4095)
            data = os.urandom(size)
            with log.lock:
                version = log.next_version[key]
                log.next_version[key] += 1
                log.sent[key][version] = hashlib.md5(data).hexdigest()
                in_flight[0] += 1
            try:
                b.put_object(key, data)
            except Exception as e:          # the server was killed under us
                errors.append(repr(e)[:200])
                return
            finally:
                with log.lock:
                    in_flight[0] -= 1
            with log.lock:
                log.acked[key] = version
                log.ack_count += 1

    acked_before = log.ack_count
    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(n_threads)]
    for th in threads:
        th.start()
    start = time.monotonic()
    while time.monotonic() - start < 15:
        with log.lock:
            n_acked = log.ack_count - acked_before
            busy = in_flight[0]
        if n_acked >= min_acks and busy >= 2 and time.monotonic() - start > min_seconds:
            break
        time.sleep(0.02)
    srv.kill()                             # SIGKILL while uploads are in flight
    stop.set()
    for th in threads:
        th.join(timeout=30)
    assert not any(th.is_alive() for th in threads)
    assert errors, "no upload was interrupted by the SIGKILL"
    return errors


def verify_after_crash(srv, bucket, log):
    assert tmp_leftovers(srv.data_dir) == [], "temporary files survived the restart"
    b = oss2_bucket(srv.endpoint, srv.creds, bucket)
    listed = {k: size for k, (_, size, _) in list_raw(srv, bucket).items()}
    assert set(listed) <= set(log.keys)
    for key in log.keys:
        if log.acked[key] < 0 and key not in listed:
            continue                        # never acknowledged, never visible: fine
        assert key in listed, f"{key}: acknowledged version {log.acked[key]} lost"
        got = b.get_object(key).read()
        assert len(got) == listed[key], f"{key}: listing size {listed[key]} != body {len(got)}"
        digest = hashlib.md5(got).hexdigest()
        allowed = {md5 for v, md5 in log.sent[key].items() if v >= max(log.acked[key], 0)}
        assert digest in allowed, (
            f"{key}: torn or stale content ({len(got)} bytes); acked v{log.acked[key]}, "
            f"sent versions {sorted(log.sent[key])}")
        assert b.head_object(key).etag == digest.upper()
        # what is visible now is the new baseline for the next round
        for v, md5 in log.sent[key].items():
            if md5 == digest:
                log.acked[key] = max(log.acked[key], v)


def test_crash_mid_upload_no_torn_objects(spawn_server):
    """Two rounds of: uploads in 3 threads, SIGKILL mid-flight, restart on the same data dir;
    every key shows either its last acknowledged content or a later complete one."""
    srv = spawn_server()
    name = unique_bucket_name("crash")
    oss2_bucket(srv.endpoint, srv.creds, name).create_bucket()
    log = UploadLog([f"crash/t{t}/k{i}" for t in range(3) for i in range(2)])
    for round_no in range(2):
        upload_until_killed(srv, name, log, n_threads=3, seed=round_no)
        assert any(v >= 0 for v in log.acked.values()), "no upload finished before the crash"
        srv = spawn_server(data_dir=srv.data_dir, creds=srv.creds)
        verify_after_crash(srv, name, log)
