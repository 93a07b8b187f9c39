#!/usr/bin/env python3
"""Memory after a burst of concurrent PUTs: peak RSS (VmHWM) and RSS afterwards.

Starts the release ossd on a free loopback port with a fresh data directory, creates a
public-read-write bucket (signed V1 request), then sends COUNT PUTs of SIZE bytes at once from a
thread pool of COUNT threads (raw HTTP/1.1 over loopback; every thread connects first and all send
together), and prints the server's VmHWM and its VmRSS right after the burst and at the given
times after it. Bounded: COUNT requests, one burst, socket timeouts of 60 s; stops the server at
the end. Standard library only.

    python3 bench/burst.py                        # 200 x 1 MiB, RSS at +1, +10, +30 s
    python3 bench/burst.py --bin OTHER/ossd --count 200 --size-kib 1024 --after 1,10,30,300
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import oss_request  # noqa: E402

AK, SK = "burst-ak", "burst-sk"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def put(port, key, body, barrier, results, i):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        head = (
            f"PUT /burst/{key} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        barrier.wait(timeout=60)
        s.sendall(head)
        s.sendall(body)
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
        s.close()
        results[i] = raw.split(b" ", 2)[1].decode() if raw.startswith(b"HTTP/1.1") else "no answer"
    except Exception as e:  # reported below, never retried
        results[i] = f"error: {e}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.environ.get("OSSD_BIN", os.path.join(ROOT, "target/release/ossd")))
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--size-kib", type=int, default=1024)
    p.add_argument("--after", default="1,10,30", help="seconds after the burst to sample RSS")
    p.add_argument("--server-arg", action="append", default=[], help="extra argument for ossd serve")
    a = p.parse_args()
    if a.count > 2000:
        sys.exit("--count is bounded at 2000")

    data = tempfile.mkdtemp(prefix="burst-", dir=os.path.join(ROOT, "target") if os.path.isdir(os.path.join(ROOT, "target")) else None)
    port = free_port()
    env = dict(os.environ, OSSD_ROOT_ACCESS_KEY_ID=AK, OSSD_ROOT_ACCESS_KEY_SECRET=SK)
    cmd = [a.bin, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data, "--log-level", "warn", *a.server_arg]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline:
                    sys.exit("ossd did not start")
                time.sleep(0.05)
        endpoint = f"127.0.0.1:{port}"
        st, body = oss_request(endpoint, AK, SK, "PUT", "burst", oss_headers={"x-oss-acl": "public-read-write"})
        if st != 200:
            sys.exit(f"creating the bucket: {st} {body[:200]!r}")
        pid = server.pid
        rss_start = status_kib(pid, "VmRSS")
        payload = os.urandom(a.size_kib * 1024)
        barrier = threading.Barrier(a.count)
        results = [None] * a.count
        threads = [
            threading.Thread(target=put, args=(port, f"k{i}", payload, barrier, results, i)) for i in range(a.count)
        ]
        peak_threads = [status_kib(pid, "Threads")]
        done = threading.Event()

        def watch():
            while not done.is_set():
                peak_threads[0] = max(peak_threads[0], status_kib(pid, "Threads"))
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - t0
        done.set()
        watcher.join()
        ok = sum(1 for r in results if r == "200")
        hwm = status_kib(pid, "VmHWM")
        print(f"binary: {a.bin}")
        print(f"burst: {a.count} concurrent PUTs of {a.size_kib} KiB, {ok} answered 200, {took:.2f} s")
        others = sorted({r for r in results if r != "200"})
        if others:
            print(f"other outcomes: {others[:5]}")
        print(f"server threads at most: {peak_threads[0]}")
        print(f"RSS before the burst: {rss_start / 1024:.1f} MiB")
        print(f"peak RSS (VmHWM): {hwm / 1024:.1f} MiB")
        print(f"RSS right after the burst: {status_kib(pid, 'VmRSS') / 1024:.1f} MiB")
        start = time.time()
        for s in sorted(float(x) for x in a.after.split(",") if x.strip()):
            time.sleep(max(0.0, start + s - time.time()))
            print(f"RSS {s:g} s after the burst: {status_kib(pid, 'VmRSS') / 1024:.1f} MiB")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
