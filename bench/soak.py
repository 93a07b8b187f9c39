#!/usr/bin/env python3
"""Soak test driver for bench/soak.sh: mixed load on a real ossd, kill -9 and restart, verify.

Standard library only. Starts `ossd serve` on a loopback port with the given data directory, runs
CONNS worker threads (one keep-alive connection each) doing PUT (small and > 16 KiB), GET, DELETE,
multipart uploads, CopyObject and ListObjects on their own keys for SECS seconds, and `kill -9`s the
server every KILL_EVERY seconds. After each kill it waits for the in-flight requests to fail,
restarts the server on the same data directory and checks every key against what was acknowledged.
At the end it kills the server once more, restarts it and checks every key again.

The model, per key (each key belongs to one worker, whose requests are sequential):
  * an acknowledged write (2xx) makes the key's state exactly that content (or "absent" for DELETE);
  * a write whose outcome is unknown (the connection died after the request was sent: the kill)
    adds its state to the set of allowed states: the key may hold either;
  * a write refused before it was sent (connection refused) or answered 4xx changes nothing;
  * a check that finds an allowed state collapses the set to that state.
A check finding a state that is not allowed is "lost" if that state was once written (or is
"absent"): an acknowledged write went missing; it is "torn" if the content was never written.

Every request loop is bounded by the deadline; every socket has a timeout; only 127.0.0.1 is used.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from email.utils import formatdate

BUCKET = "soak"
AK = "LTAIsoakrootkey000001"
SK = "soakrootsecretsoakrootsecret0001"
SMALL_MAX = 16 * 1024  # the inline limit: at most this is stored in the metadata commit
LARGE_MAX = 256 * 1024
PART1_MIN = 100 * 1024  # OSS's minimum size of a part that is not the last one
TIMEOUT = 30.0


# ---- signing (V1, header form) ------------------------------------------------------------------

def sign_v1(verb, md5, ctype, date, oss_headers, resource):
    canon = "".join(f"{k}:{v}\n" for k, v in sorted((k.lower(), v.strip()) for k, v in oss_headers.items()))
    sts = f"{verb}\n{md5}\n{ctype}\n{date}\n{canon}{resource}"
    return base64.b64encode(hmac.new(SK.encode(), sts.encode(), hashlib.sha1).digest()).decode()


def digest(body):
    return hashlib.sha256(body).hexdigest()


class Unsent(Exception):
    """The request never reached the server (connection refused): it changed nothing."""


class Unknown(Exception):
    """The connection failed after the request was sent: its outcome is unknown."""


class Client:
    """One keep-alive connection; `call` returns (status, headers, body) or raises Unsent/Unknown."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, verb, key="", sub="", body=b"", oss_headers=None, query=""):
        oss_headers = dict(oss_headers or {})
        resource = f"/{BUCKET}/{key}" + (f"?{sub}" if sub else "")
        url = f"/{BUCKET}/{key}"
        q = "&".join(x for x in (sub, query) if x)
        if q:
            url += "?" + q
        date = formatdate(usegmt=True)
        headers = {"Date": date, "Content-Length": str(len(body)), **oss_headers}
        headers["Authorization"] = f"OSS {AK}:{sign_v1(verb, '', '', date, oss_headers, resource)}"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            try:
                self.conn.connect()
            except OSError as e:
                self.close()
                raise Unsent() from e
        try:
            self.conn.request(verb, url, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise Unknown() from e
        if resp.getheader("connection", "").lower() == "close":
            self.close()
        return resp.status, resp, data


# ---- the server ---------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir, port, log_path):
        self.binary, self.data_dir, self.port = binary, data_dir, port
        self.log = open(log_path, "ab")
        self.proc = None
        self.restart_secs = []

    def start(self):
        env = dict(os.environ, OSSD_ROOT_ACCESS_KEY_ID=AK, OSSD_ROOT_ACCESS_KEY_SECRET=SK)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
             "--log-level", "warn"],
            env=env, stdout=self.log, stderr=self.log)
        while time.monotonic() - t0 < 60:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ossd exited with {self.proc.returncode} at start; see {self.log.name}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/-/healthz")
                ok = c.getresponse().status == 200
                c.close()
                if ok:
                    self.restart_secs.append(time.monotonic() - t0)
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("ossd did not become ready within 60 s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---- the model ----------------------------------------------------------------------------------

class Key:
    """What one key may hold: a list of allowed states (content digest, or None for absent)."""

    def __init__(self, name):
        self.name = name
        self.allowed = [None]
        self.written = set()  # every digest ever sent for this key
        self.sizes = {}

    def acked(self, state):
        self.allowed = [state]

    def unknown(self, state):
        if state not in self.allowed:
            self.allowed.append(state)

    def certain(self):
        return self.allowed[0] if len(self.allowed) == 1 else "?"

    def note(self, body):
        d = digest(body)
        self.written.add(d)
        self.sizes[d] = len(body)
        return d


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, name, n=1):
        with self.lock:
            self.c[name] = self.c.get(name, 0) + n


class Gate:
    """Lets the controller stop the workers between requests (for a restart and a check)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.paused = False
        self.active = 0
        self.epoch = 0

    def enter(self):
        with self.cond:
            while self.paused:
                self.cond.wait()
            self.active += 1
            return self.epoch

    def leave(self):
        with self.cond:
            self.active -= 1
            self.cond.notify_all()

    def pause(self):
        with self.cond:
            self.paused = True
            while self.active > 0:
                self.cond.wait()

    def resume(self):
        with self.cond:
            self.paused = False
            self.epoch += 1
            self.cond.notify_all()


# ---- the worker ---------------------------------------------------------------------------------

OPS = [("put_small", 25), ("put_large", 12), ("get", 25), ("delete", 8), ("multipart", 4), ("copy", 8),
       ("list", 6)]


class Worker(threading.Thread):
    def __init__(self, idx, port, keys_per_conn, deadline, gate, stats, seed):
        super().__init__(daemon=True)
        self.idx = idx
        self.keys = [Key(f"w{idx:03d}/k{i:02d}") for i in range(keys_per_conn)]
        self.client = Client(port)
        self.deadline, self.gate, self.stats = deadline, gate, stats
        self.rng = random.Random(seed * 1000 + idx)
        self.epoch = 0
        self.failure = None

    def run(self):
        names = [n for n, _ in OPS]
        weights = [w for _, w in OPS]
        try:
            while time.monotonic() < self.deadline:
                epoch = self.gate.enter()
                try:
                    if epoch != self.epoch:  # the server was restarted: start on a new connection
                        self.client.close()
                        self.epoch = epoch
                    op = self.rng.choices(names, weights)[0]
                    getattr(self, op)(self.rng.choice(self.keys))
                finally:
                    self.gate.leave()
        except Exception as e:  # noqa: BLE001 - a bug in the driver must end the run loudly
            self.failure = repr(e)
            raise
        finally:
            self.client.close()

    def request(self, *args, **kw):
        """One request; returns (status, resp, body) or None when it never reached the server.
        Raises Unknown when it may or may not have been applied."""
        try:
            r = self.client.call(*args, **kw)
        except Unsent:
            self.stats.add("unsent")
            time.sleep(0.05)
            return None
        except Unknown:
            self.stats.add("unknown_outcome")
            raise
        self.stats.add("requests")
        if r[0] >= 500:
            self.stats.add(f"status_{r[0]}")
        return r

    def write(self, k, state, *args, **kw):
        """A request that changes `k` to `state` when it succeeds."""
        try:
            r = self.request(*args, **kw)
        except Unknown:
            k.unknown(state)
            return None
        if r is None:
            return None
        if 200 <= r[0] < 300:
            k.acked(state)
            self.stats.add("acked_writes")
        elif r[0] >= 500:
            k.unknown(state)  # a server error says nothing about what was committed
        else:
            self.stats.add(f"status_{r[0]}")
        return r

    def put_small(self, k):
        body = os.urandom(self.rng.randint(0, SMALL_MAX))
        self.write(k, k.note(body), "PUT", k.name, body=body)
        self.stats.add("put_small")

    def put_large(self, k):
        body = os.urandom(self.rng.randint(SMALL_MAX + 1, LARGE_MAX))
        self.write(k, k.note(body), "PUT", k.name, body=body)
        self.stats.add("put_large")

    def delete(self, k):
        self.write(k, None, "DELETE", k.name)
        self.stats.add("delete")

    def get(self, k):
        try:
            r = self.request("GET", k.name)
        except Unknown:
            return
        if r is None or r[0] >= 500:
            return
        seen = digest(r[2]) if r[0] == 200 else None if r[0] == 404 else f"status {r[0]}"
        if seen in k.allowed:
            k.allowed = [seen]
            self.stats.add("reads_ok")
        else:
            self.stats.add("reads_wrong")
            print(f"soak: GET {k.name}: saw {seen}, allowed {k.allowed}", file=sys.stderr)
            k.allowed = [seen]  # go on from what is there, so that one fault is counted once
        self.stats.add("get")

    def copy(self, dst):
        srcs = [k for k in self.keys if k is not dst and k.certain() not in (None, "?")]
        if not srcs:
            return
        src = self.rng.choice(srcs)
        state = src.certain()
        dst.written.add(state)
        dst.sizes[state] = src.sizes[state]
        self.write(dst, state, "PUT", dst.name, oss_headers={"x-oss-copy-source": f"/{BUCKET}/{src.name}"})
        self.stats.add("copy")

    def multipart(self, k):
        try:
            r = self.request("POST", k.name, sub="uploads")
            if r is None or r[0] != 200:
                return
            m = re.search(rb"<UploadId>([^<]+)</UploadId>", r[2])
            if not m:
                raise RuntimeError(f"no UploadId in {r[2][:200]!r}")
            upload = m.group(1).decode()
            parts = [os.urandom(self.rng.randint(PART1_MIN, PART1_MIN + 50 * 1024)),
                     os.urandom(self.rng.randint(1, 50 * 1024))]
            etags = []
            for n, p in enumerate(parts, 1):
                r = self.request("PUT", k.name, sub=f"partNumber={n}&uploadId={upload}", body=p)
                if r is None or r[0] != 200:
                    return
                etags.append(r[1].getheader("etag"))
        except Unknown:
            return  # nothing visible changes before the completion
        doc = "<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags, 1)
        ) + "</CompleteMultipartUpload>"
        self.write(k, k.note(b"".join(parts)), "POST", k.name, sub=f"uploadId={upload}", body=doc.encode())
        self.stats.add("multipart")

    def list(self, _k):
        try:
            r = self.request("GET", "", query=f"prefix=w{self.idx:03d}/&max-keys=1000")
        except Unknown:
            return
        if r is None or r[0] != 200:
            return
        listed = {}
        for c in re.findall(rb"<Contents>(.*?)</Contents>", r[2], re.S):
            name = re.search(rb"<Key>([^<]*)</Key>", c).group(1).decode()
            listed[name] = int(re.search(rb"<Size>(\d+)</Size>", c).group(1))
        ok = True
        for k in self.keys:
            sizes = {None if s is None else k.sizes[s] for s in k.allowed}
            got = listed.get(k.name)
            if got not in sizes:
                ok = False
                print(f"soak: LIST {k.name}: size {got}, allowed {sizes}", file=sys.stderr)
        self.stats.add("lists_ok" if ok else "lists_wrong")
        self.stats.add("list")


# ---- the check after a restart ------------------------------------------------------------------

def check_all(port, workers, stats, label):
    """GETs every key and compares it with the model; returns (verified, lost, torn)."""
    client = Client(port)
    verified = lost = torn = 0
    for w in workers:
        for k in w.keys:
            for attempt in range(3):
                try:
                    r = client.call("GET", k.name)
                    break
                except (Unsent, Unknown):
                    if attempt == 2:
                        raise
                    time.sleep(0.2)
            if r[0] not in (200, 404):
                raise RuntimeError(f"check {k.name}: status {r[0]}")
            seen = digest(r[2]) if r[0] == 200 else None
            if seen in k.allowed:
                verified += 1
                k.allowed = [seen]
            elif seen is None or seen in k.written:
                lost += 1
                print(f"soak: {label}: LOST {k.name}: found {seen}, allowed {k.allowed}", file=sys.stderr)
                k.allowed = [seen]
            else:
                torn += 1
                print(f"soak: {label}: TORN {k.name}: found {seen} ({len(r[2])} bytes), allowed {k.allowed}",
                      file=sys.stderr)
                k.allowed = [seen]
    client.close()
    stats.add("verified", verified)
    stats.add("lost", lost)
    stats.add("torn", torn)
    stats.add("checks")
    return verified, lost, torn


# ---- main ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ossd", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--secs", type=float, default=600)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--kill-every", type=float, default=60)
    ap.add_argument("--keys-per-conn", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the figures here as JSON")
    a = ap.parse_args()

    port = free_port()
    server = Server(a.ossd, a.data_dir, port, os.path.join(a.data_dir, "..", "soak-ossd.log"))
    stats = Stats()
    gate = Gate()
    server.start()
    st, _, body = Client(port).call("PUT")
    if st != 200:
        raise RuntimeError(f"creating the bucket: {st} {body[:300]!r}")

    t0 = time.monotonic()
    deadline = t0 + a.secs
    workers = [Worker(i, port, a.keys_per_conn, deadline, gate, stats, a.seed) for i in range(a.conns)]
    for w in workers:
        w.start()
    kills = 0
    paused_secs = 0.0
    next_kill = t0 + a.kill_every
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if now < next_kill:
            time.sleep(min(next_kill, deadline) - now)
            continue
        server.kill9()
        kills += 1
        p0 = time.monotonic()
        gate.pause()  # in-flight requests fail now; their outcome is unknown
        server.start()
        v, lost, torn = check_all(port, workers, stats, f"after kill {kills}")
        print(f"soak: kill {kills} at {p0 - t0:.0f}s: restart {server.restart_secs[-1]:.2f}s, "
              f"{v} keys verified, {lost} lost, {torn} torn", flush=True)
        paused_secs += time.monotonic() - p0
        gate.resume()
        next_kill = time.monotonic() + a.kill_every
    for w in workers:
        w.join(timeout=2 * TIMEOUT)
    run_secs = time.monotonic() - t0
    print(f"soak: load stopped at {run_secs:.0f}s", flush=True)
    # The end: one more crash, then every key once more.
    server.kill9()
    kills += 1
    server.start()
    v, lost, torn = check_all(port, workers, stats, "final")
    print(f"soak: final check after kill {kills} at {time.monotonic() - t0:.0f}s: {v} keys verified, "
          f"{lost} lost, {torn} torn", flush=True)
    server.stop()

    c = stats.c
    failures = [w.failure for w in workers if w.failure]
    figures = {
        "secs": round(run_secs, 1),
        "conns": a.conns,
        "keys": a.conns * a.keys_per_conn,
        "kills": kills,
        "requests": c.get("requests", 0),
        "requests_per_sec": round(c.get("requests", 0) / max(run_secs - paused_secs, 1e-9), 1),
        "acked_writes": c.get("acked_writes", 0),
        "unknown_outcome": c.get("unknown_outcome", 0),
        "unsent": c.get("unsent", 0),
        "checks": c.get("checks", 0),
        "verified": c.get("verified", 0),
        "lost": c.get("lost", 0),
        "torn": c.get("torn", 0),
        "reads_ok": c.get("reads_ok", 0),
        "reads_wrong": c.get("reads_wrong", 0),
        "lists_ok": c.get("lists_ok", 0),
        "lists_wrong": c.get("lists_wrong", 0),
        "ops": {n: c.get(n, 0) for n, _ in OPS},
        "server_errors": {k: v for k, v in c.items() if k.startswith("status_5")},
        "other_statuses": {k: v for k, v in c.items() if k.startswith("status_") and not k.startswith("status_5")},
        "restart_secs_max": round(max(server.restart_secs), 2),
        "paused_secs": round(paused_secs, 1),
        "driver_failures": failures,
    }
    print(json.dumps(figures, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=2)
    bad = c.get("lost", 0) + c.get("torn", 0) + c.get("reads_wrong", 0) + c.get("lists_wrong", 0)
    return 1 if bad or failures else 0


if __name__ == "__main__":
    sys.exit(main())
