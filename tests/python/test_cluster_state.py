"""Bucket configuration and access keys across nodes sharing one PostgreSQL metadata database.

Each node caches bucket state (record, compiled CORS rules) and the access keys; a change made
on one node reaches the others through the database's change feed (LISTEN/NOTIFY, plus a
counter every node reads every 250 ms), and the node that made it answers only once every live
node has applied it (each node reports how far it has applied the feed in `ossd_nodes`). So a
change is in force on every node as soon as the client is told it succeeded: CORS rules (over
20 changes, the time the PutBucketCors took is printed), an ACL, a new bucket, a deleted
bucket, a new access key and a disabled one, each checked on the other node right after the
change with no waiting. When a node's LISTEN connection is killed (pg_terminate_backend) the
change is in force there within one second. While a node cannot hear the feed at all (its
connection fails but the database answers), a key disabled on another node is refused on it at
once: it reads the keys from the database until it hears the feed again.

OSS behaviour relied on: a preflight (OPTIONS Object) is answered with
Access-Control-Allow-Origin when a CORS rule of the bucket matches, 403 otherwise
(https://help.aliyun.com/zh/oss/developer-reference/optionobject); an anonymous GET of an
object in a public-read bucket succeeds, 403 AccessDenied in a private one
(https://help.aliyun.com/zh/oss/user-guide/bucket-acl); a disabled AccessKey is refused with
403 InvalidAccessKeyId
(https://help.aliyun.com/zh/oss/support/0002-00000902). A node's existing keys.json is imported
into the database once, by the first node that starts while the database holds no keys.

Needs OSSD_TEST_POSTGRES_URL (see test_postgres_meta.py).
"""

import json
import os
import statistics
import subprocess
import time

import oss2
import pytest
import requests

from conftest import Credentials, RawClient, new_credentials, oss2_bucket, unique_bucket_name
from test_access_keys import Cli
from test_postgres_meta import node, pg_url, two_nodes  # noqa: F401  (fixtures)

pytestmark = pytest.mark.own_server

# The promise: a change on one node is in force on every node within this.
WITHIN = 1.0


def until(check, limit=WITHIN):
    """Runs `check` until it returns true; the seconds it took. Fails past `limit`."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        elapsed = time.monotonic() - start
        assert elapsed <= limit, f"not in force after {elapsed:.3f} s"
        time.sleep(0.005)


def at_once(check):
    """`check` holds right away: the change it looks for is in force on this node already."""
    assert check(), "not in force on the other node when the change was acknowledged"


def key_refused(bucket):
    """A request with the key of `bucket` (an oss2.Bucket) is refused as InvalidAccessKeyId."""
    try:
        bucket.list_objects()
        return False
    except oss2.exceptions.ServerError as e:
        return (e.status, e.code) == (403, "InvalidAccessKeyId")


def allows(raw, bucket, origin):
    r = raw.request("OPTIONS", bucket, "k", sign=False,
                    headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    return r.status_code == 200 and r.headers.get("Access-Control-Allow-Origin") == origin


def cors(origin):
    rule = oss2.models.CorsRule(allowed_origins=[origin], allowed_methods=["GET"])
    return oss2.models.BucketCors([rule])


# The change feed's connections of this test's database (each node names its feed connection).
FEED = "datname = current_database() AND application_name = 'ossd-changes'"


def psql(url, sql):
    exe = os.environ.get("OSSD_TEST_PSQL") or "psql"
    out = subprocess.run([exe, "-qAt", url, "-c", sql], check=True, capture_output=True,
                         text=True, timeout=30)
    return out.stdout.strip()


def test_cors_change_on_one_node_is_in_force_on_the_other_when_acknowledged(two_nodes):
    a, b = two_nodes
    name = unique_bucket_name()
    ba = oss2_bucket(a.endpoint, a.creds, name)
    ba.create_bucket()
    raw_b = RawClient(b.endpoint, b.creds)
    ba.put_bucket_cors(cors("https://start.test"))
    at_once(lambda: allows(raw_b, name, "https://start.test"))
    latencies = []
    for i in range(20):
        origin = f"https://o{i}.test"
        assert not allows(raw_b, name, origin)  # node b has the old rules cached
        start = time.monotonic()
        ba.put_bucket_cors(cors(origin))
        latencies.append(time.monotonic() - start)
        at_once(lambda: allows(raw_b, name, origin))
    print(f"\nPutBucketCors on A, in force on B when answered: median"
          f" {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
          f" over {len(latencies)} changes")


def test_acl_new_and_deleted_buckets_show_on_the_other_node(two_nodes):
    a, b = two_nodes
    name = unique_bucket_name()
    ba = oss2_bucket(a.endpoint, a.creds, name)
    bb = oss2_bucket(b.endpoint, b.creds, name)
    # CreateBucket on a, the bucket is there on b (b looked before: no stale "missing").
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        bb.get_bucket_info()
    ba.create_bucket()
    ba.put_object("k", b"public bytes")
    at_once(lambda: bb.get_object("k").read() == b"public bytes")
    anon = f"{b.endpoint}/{name}/k"
    assert requests.get(anon, timeout=10).status_code == 403
    # The ACL changes on a, b enforces it: anonymous reads allowed, then refused again.
    ba.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    at_once(lambda: requests.get(anon, timeout=10).status_code == 200)
    ba.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    at_once(lambda: requests.get(anon, timeout=10).status_code == 403)
    # DeleteBucket on a: b, which has it cached, says NoSuchBucket.
    ba.delete_object("k")
    assert bb.get_bucket_info().name == name
    ba.delete_bucket()

    def gone():
        try:
            bb.get_bucket_info()
            return False
        except oss2.exceptions.NoSuchBucket:
            return True
    at_once(gone)


def test_access_key_created_and_disabled_on_one_node_counts_on_the_other(two_nodes):
    a, b = two_nodes
    name = unique_bucket_name()
    oss2_bucket(a.endpoint, a.creds, name).create_bucket()
    cli_a = Cli(a.endpoint, a.creds)
    key = cli_a.create("shared")
    cli_a.run("grant", key.access_key_id, name, "read")
    on_b = oss2_bucket(b.endpoint, key, name)
    oss2_bucket(a.endpoint, key, name).list_objects()  # usable on a at once

    def usable():
        try:
            on_b.list_objects()
            return True
        except oss2.exceptions.ServerError as e:
            assert (e.status, e.code) in ((403, "InvalidAccessKeyId"), (403, "AccessDenied"))
            return False
    at_once(usable)
    # The key list on b shows it too.
    assert key.access_key_id in {k["access_key_id"] for k in Cli(b.endpoint, b.creds).json("list")}
    cli_a.run("disable", key.access_key_id)

    at_once(lambda: key_refused(on_b))


def test_a_node_whose_listen_connection_is_killed_still_converges(two_nodes, pg_url):  # noqa: F811
    a, b = two_nodes
    name = unique_bucket_name()
    ba = oss2_bucket(a.endpoint, a.creds, name)
    ba.create_bucket()
    raw_b = RawClient(b.endpoint, b.creds)
    ba.put_bucket_cors(cors("https://before.test"))
    until(lambda: allows(raw_b, name, "https://before.test"), limit=5)
    feeds = f"SELECT count(*) FROM pg_stat_activity WHERE {FEED}"
    latencies = []
    for i in range(5):
        # Both nodes listen (again), then every feed connection is killed and the rules change at
        # once: the change is made while b is not listening.
        until(lambda: int(psql(pg_url, feeds)) == 2, limit=5)
        killed = psql(pg_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              f"WHERE {FEED}")
        assert int(killed) == 2
        origin = f"https://after{i}.test"
        ba.put_bucket_cors(cors(origin))
        latencies.append(until(lambda: allows(raw_b, name, origin)))
    until(lambda: int(psql(pg_url, feeds)) == 2, limit=5)
    # Each node said so in its log (once per loss, not once per retry).
    for srv in (a, b):
        log = srv.log_path.read_text(errors="replace")
        assert log.count("change feed of the shared metadata lost") == 5
        assert log.count("change feed of the shared metadata back") == 5
    print(f"\nCORS change A -> preflight on B, feed connections just killed: median "
          f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
          f"over {len(latencies)} changes")



def test_a_node_that_cannot_hear_the_feed_reads_the_keys_from_the_database(two_nodes, pg_url):  # noqa: F811,E501
    # The feed's connection fails while the database still answers the nodes' other
    # connections (here: a session holds ossd_nodes locked against writes, so every feed session
    # times out reporting; a database at max_connections refusing the reconnection would do the
    # same). A key disabled meanwhile on node a must not keep working on node b: b, not hearing
    # the feed, reads the keys from the database for every request until it hears it again.
    a, b = two_nodes
    name = unique_bucket_name()
    oss2_bucket(a.endpoint, a.creds, name).create_bucket()
    cli_a = Cli(a.endpoint, a.creds)
    key = cli_a.create("while-lost")
    cli_a.run("grant", key.access_key_id, name, "read")
    on_b = oss2_bucket(b.endpoint, key, name)
    on_b.list_objects()  # b knows the key (from memory: its feed is heard)

    exe = os.environ.get("OSSD_TEST_PSQL") or "psql"
    lock = subprocess.Popen([exe, "-qAt", pg_url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        lock.stdin.write("BEGIN;\nLOCK TABLE ossd_nodes IN EXCLUSIVE MODE;\nSELECT 'locked';\n")
        lock.stdin.flush()
        assert lock.stdout.readline().strip() == "locked"
        lost = "change feed of the shared metadata lost"
        until(lambda: all(lost in srv.log_path.read_text(errors="replace") for srv in (a, b)),
              limit=5)
        # a answers once b has applied the change or after 1 s (b does not report: not live).
        cli_a.run("disable", key.access_key_id)
        at_once(lambda: key_refused(on_b))
        assert key.access_key_id in {k["access_key_id"]
                                     for k in Cli(b.endpoint, b.creds).json("list")
                                     if not k["enabled"]}
        # Enabled again: b, still deaf, sees that too.
        cli_a.run("enable", key.access_key_id)
        on_b.list_objects()
        cli_a.run("disable", key.access_key_id)
        at_once(lambda: key_refused(on_b))
    finally:
        lock.stdin.write("COMMIT;\n")
        lock.stdin.close()
        lock.wait(timeout=30)
    # The feed is heard again: the keys stay right (read from the database until b has reloaded
    # them, from memory after; which of the two answers is not visible from here).
    back = "change feed of the shared metadata back"
    until(lambda: all(back in srv.log_path.read_text(errors="replace") for srv in (a, b)),
          limit=5)
    at_once(lambda: key_refused(on_b))
    cli_a.run("enable", key.access_key_id)
    on_b.list_objects()

def test_a_gone_node_holds_a_change_up_for_at_most_a_second(two_nodes, pg_url):  # noqa: F811
    # A node stopped cleanly leaves `ossd_nodes` at once; a node killed with -9 stops reporting
    # and is waited for at most one second (then it counts as gone): a change on the remaining
    # node is answered, and the later ones without waiting at all.
    a, b = two_nodes
    name = unique_bucket_name()
    ba = oss2_bucket(a.endpoint, a.creds, name)
    ba.create_bucket()
    live = "SELECT count(*) FROM ossd_nodes WHERE seen_at > now() - interval '1 second'"
    assert int(psql(pg_url, live)) == 2
    b.kill()
    start = time.monotonic()
    ba.put_bucket_cors(cors("https://one.test"))
    first = time.monotonic() - start
    assert first < 1.5, f"the change waited {first:.3f} s for a killed node"
    start = time.monotonic()
    for i in range(5):
        ba.put_bucket_cors(cors(f"https://n{i}.test"))
    later = (time.monotonic() - start) / 5
    assert later < 0.2, f"a change waited {later:.3f} s on average with the killed node gone"
    assert int(psql(pg_url, live)) == 1
    # A clean stop: the node's row goes with it.
    assert a.stop() == 0
    assert int(psql(pg_url, "SELECT count(*) FROM ossd_nodes")) == 1  # b's, stale
    print(f"\nPutBucketCors right after kill -9 of the other node: {first * 1000:.0f} ms;"
          f" then {later * 1000:.1f} ms each")


def key_file(*keys):
    """A keys.json holding `keys` (credentials, bucket) with a read grant each."""
    return json.dumps({"version": 1, "keys": [
        {"access_key_id": k.access_key_id, "access_key_secret": k.access_key_secret,
         "name": "from keys.json", "enabled": True, "created_ms": 1, "grants": {b: "read"}}
        for k, b in keys]})


def test_a_nodes_keys_json_is_imported_once(tmp_path, pg_url):  # noqa: F811
    root = new_credentials()
    name = unique_bucket_name()
    first = Credentials("LTAI" + "F" * 16, "first-secret")
    data_a = tmp_path / "data-a"
    data_a.mkdir()
    (data_a / "keys.json").write_text(key_file((first, name)))
    a = node(tmp_path, data_a, root, pg_url, "a").start()
    b = node(tmp_path, tmp_path / "data-b", root, pg_url, "b").start()
    try:
        oss2_bucket(a.endpoint, root, name).create_bucket()
        # Node b has no keys.json: it knows the key from the database.
        assert oss2_bucket(b.endpoint, first, name).list_objects().object_list == []
        # keys.json is not read again: a key added to it later stays unknown after a restart,
        # and the imported one still works.
        later = Credentials("LTAI" + "L" * 16, "later-secret")
        (data_a / "keys.json").write_text(key_file((first, name), (later, name)))
        a.stop()
        a.start()
        with pytest.raises(oss2.exceptions.ServerError) as e:
            oss2_bucket(a.endpoint, later, name).list_objects()
        assert (e.value.status, e.value.code) == (403, "InvalidAccessKeyId")
        assert oss2_bucket(a.endpoint, first, name).list_objects().object_list == []
    finally:
        for srv in (a, b):
            srv.kill()
