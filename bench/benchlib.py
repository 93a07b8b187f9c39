#!/usr/bin/env python3
"""Helpers for bench/load.sh: signed set-up requests, the fsync baseline, wrk parsing, the report.

Standard library only. Subcommands (see `python3 bench/benchlib.py -h`):
  setup        create the benchmark buckets, CORS rules and objects with signed V1 requests
  fsync-loop   the durable-write baseline: write 4 KiB + fsync + rename, for N seconds
  wrk          parse one `wrk --latency` output and append it to the results file
  record       append a free-form measurement (JSON object) to the results file
  report       turn the results file into bench-results/<date>.md and .json
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import sys
import time
from email.utils import formatdate

# ---------------------------------------------------------------------------------------------
# A tiny OSS signature V1 client (header form), enough for the set-up requests.
#   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders
#                  CanonicalizedResource
#   Authorization: OSS <ak>:base64(hmac-sha1(secret, StringToSign))


def sign_v1(secret, verb, md5, ctype, date, oss_headers, resource):
    canon = "".join(f"{k}:{v}\n" for k, v in sorted((k.lower(), v.strip()) for k, v in oss_headers.items()))
    sts = f"{verb}\n{md5}\n{ctype}\n{date}\n{canon}{resource}"
    digest = hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def oss_request(endpoint, ak, sk, verb, bucket, key="", sub="", body=b"", ctype="", oss_headers=None):
    """One signed request; returns (status, body). `sub` is a sub-resource like "acl" or "cors"."""
    oss_headers = dict(oss_headers or {})
    path = f"/{bucket}/{key}"
    resource = path + (f"?{sub}" if sub else "")
    date = formatdate(usegmt=True)
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""
    headers = {"Date": date, "Content-Length": str(len(body)), **oss_headers}
    if md5:
        headers["Content-MD5"] = md5
    if ctype:
        headers["Content-Type"] = ctype
    headers["Authorization"] = f"OSS {ak}:{sign_v1(sk, verb, md5, ctype, date, oss_headers, resource)}"
    host, port = endpoint.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(verb, resource, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def cors_xml(last_origin):
    """Ten rules; the first nine are wildcard origins that do not match, the tenth allows `last_origin`."""
    rules = []
    for i in range(1, 10):
        rules.append(
            "<CORSRule>"
            f"<AllowedOrigin>https://*.app{i}.example.com</AllowedOrigin>"
            f"<AllowedOrigin>https://static{i}.example.net</AllowedOrigin>"
            "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
            "<AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-oss-meta-*</AllowedHeader>"
            "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds>"
            "</CORSRule>"
        )
    rules.append(
        "<CORSRule>"
        f"<AllowedOrigin>{last_origin}</AllowedOrigin>"
        "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
        "<AllowedMethod>POST</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>"
        "<AllowedHeader>*</AllowedHeader>"
        "<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-oss-request-id</ExposeHeader>"
        "<MaxAgeSeconds>600</MaxAgeSeconds>"
        "</CORSRule>"
    )
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CORSConfiguration>"
            + "".join(rules) + "<ResponseVary>false</ResponseVary></CORSConfiguration>").encode()


def cmd_setup(a):
    ak = os.environ["OSSD_ROOT_ACCESS_KEY_ID"]
    sk = os.environ["OSSD_ROOT_ACCESS_KEY_SECRET"]

    def must(what, status_body, ok=(200,)):
        status, body = status_body
        if status not in ok:
            sys.exit(f"setup: {what} failed: HTTP {status}: {body[:400]!r}")

    must("PutBucket (public-read)", oss_request(a.endpoint, ak, sk, "PUT", a.cors_bucket,
                                                oss_headers={"x-oss-acl": "public-read"}))
    must("PutBucketCors", oss_request(a.endpoint, ak, sk, "PUT", a.cors_bucket, sub="cors",
                                      body=cors_xml(a.origin), ctype="application/xml"))
    with open(a.object_file, "rb") as f:
        data = f.read()
    must("PutObject", oss_request(a.endpoint, ak, sk, "PUT", a.cors_bucket, key=a.object_key, body=data,
                                  ctype="application/octet-stream"))
    must("PutBucket (public-read-write)", oss_request(a.endpoint, ak, sk, "PUT", a.put_bucket,
                                                      oss_headers={"x-oss-acl": "public-read-write"}))
    # The same CORS rules on the upload bucket, so the PUT benchmark also pays for CORS decoration.
    must("PutBucketCors (upload bucket)", oss_request(a.endpoint, ak, sk, "PUT", a.put_bucket, sub="cors",
                                                      body=cors_xml(a.origin), ctype="application/xml"))
    if a.versioned_bucket:
        # The same again with versioning enabled, and a 4 KiB object with two older versions.
        b = a.versioned_bucket
        must("PutBucket (versioned)", oss_request(a.endpoint, ak, sk, "PUT", b,
                                                  oss_headers={"x-oss-acl": "public-read-write"}))
        must("PutBucketCors (versioned)", oss_request(a.endpoint, ak, sk, "PUT", b, sub="cors",
                                                      body=cors_xml(a.origin), ctype="application/xml"))
        must("PutBucketVersioning", oss_request(
            a.endpoint, ak, sk, "PUT", b, sub="versioning", ctype="application/xml",
            body=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"))
        for _ in range(3):
            must("PutObject (versioned)", oss_request(a.endpoint, ak, sk, "PUT", b, key=a.object_key,
                                                      body=data, ctype="application/octet-stream"))


# ---------------------------------------------------------------------------------------------
# Results file: one JSON object per line.


def append(results, obj):
    with open(results, "a") as f:
        f.write(json.dumps(obj) + "\n")


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def cmd_fsync_loop(a):
    """write(4 KiB) + fsync + rename into place, sequentially, for `seconds`; optionally fsync the dir."""
    os.makedirs(a.dir, exist_ok=True)
    payload = os.urandom(a.size)
    lat = []
    n = 0
    dfd = os.open(a.dir, os.O_RDONLY) if a.dirsync else None
    start = time.perf_counter()
    deadline = start + a.seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        tmp = os.path.join(a.dir, f"tmp.{n}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, os.path.join(a.dir, f"obj.{n}"))
        if dfd is not None:
            os.fsync(dfd)
        lat.append(time.perf_counter() - t0)
        n += 1
    elapsed = time.perf_counter() - start
    if dfd is not None:
        os.close(dfd)
    lat.sort()
    obj = {
        "name": a.name, "kind": "fsync-loop", "requests": n, "seconds": round(elapsed, 3),
        "rps": round(n / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(lat, 50) * 1000, 3) if lat else None,
        "p99_ms": round(percentile(lat, 99) * 1000, 3) if lat else None,
        "errors": 0,
    }
    append(a.results, obj)
    print(f"  {a.name}: {obj['rps']} files/s, p50 {obj['p50_ms']} ms, p99 {obj['p99_ms']} ms")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return None
    return round(float(m.group(1)) * UNITS[m.group(2)], 3)


def parse_wrk(text):
    out = {}
    m = re.search(r"Requests/sec:\s*([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+),", text)
    if m:
        out["requests"] = int(m.group(1))
    for p in ("50", "75", "90", "99"):
        m = re.search(rf"^\s*{p}(?:\.000)?%\s+(\S+)", text, re.M)
        out[f"p{p}_ms"] = to_ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    non2xx = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    sock = sum(int(x) for x in m.groups()) if m else 0
    out["non2xx"] = non2xx
    out["socket_errors"] = sock
    out["errors"] = non2xx + sock
    return out


def cmd_wrk(a):
    with open(a.file) as f:
        text = f.read()
    obj = {"name": a.name, "kind": "wrk", "connections": a.connections, **parse_wrk(text)}
    n = obj.get("requests") or 0
    if a.server_cpu_s is not None and n:
        # CPU time the server processes used per request: independent of whether wrk was the bottleneck.
        obj["server_cpu_s"] = a.server_cpu_s
        obj["server_cpu_us_per_req"] = round(a.server_cpu_s * 1e6 / n, 1)
    if a.client_cpu_s is not None and a.wall_s:
        # wrk's share of one core: near 1.0 means the client, not the server, set the pace.
        obj["client_core_share"] = round(a.client_cpu_s / a.wall_s, 2)
        if a.server_cpu_s is not None:
            obj["server_cores"] = round(a.server_cpu_s / a.wall_s, 2)
    if a.threads_after is not None:
        obj["threads_after"] = a.threads_after
    if a.rss_after_kib is not None:
        obj["rss_after_kib"] = a.rss_after_kib
    append(a.results, obj)
    flag = f"  ERRORS: {obj['non2xx']} non-2xx, {obj['socket_errors']} socket" if obj["errors"] else ""
    cpu = ""
    if "server_cpu_us_per_req" in obj:
        cpu = (f", server {obj['server_cpu_us_per_req']} µs CPU/req on {obj.get('server_cores')} cores,"
               f" wrk {obj.get('client_core_share')} core")
    print(f"  {a.name}: {obj['rps']:.0f} req/s, p50 {obj['p50_ms']} ms, p99 {obj['p99_ms']} ms{cpu}{flag}")


def cmd_record(a):
    obj = json.loads(a.json)
    obj["name"] = a.name
    append(a.results, obj)


# ---------------------------------------------------------------------------------------------
# The report.

# (label, subject, baseline, target ratio or None, comparison)
RATIOS = [
    ("preflight vs nginx `return 200`", "preflight.ossd", "preflight.nginx", 0.85),
    ("preflight vs hyper fixed 200", "preflight.ossd", "preflight.hyper", 0.85),
    ("GET 4 KiB vs nginx static", "get4k.ossd", "get4k.nginx", 0.7),
    ("PUT 4 KiB, 1 conn vs write+fsync+rename (mean of before/after)", "put4k.ossd.c1", "put4k.baseline.fsync", 0.6),
    ("PUT 4 KiB, 16 conns vs write+fsync+rename", "put4k.ossd.c16", "put4k.baseline.fsync", 1.5),
    ("PUT 4 KiB, 64 conns vs write+fsync+rename", "put4k.ossd.c64", "put4k.baseline.fsync", None),
    ("PUT 4 KiB, 1 conn vs write+fsync+rename+dir fsync", "put4k.ossd.c1", "put4k.baseline.fsync-dirsync", None),
    ("GET 4 KiB encrypted at rest vs unencrypted", "get4k.ossd.sse", "get4k.ossd.unencrypted", None),
    ("PUT 4 KiB encrypted at rest vs unencrypted, 16 conns", "put4k.ossd.sse.c16", "put4k.ossd.c16", None),
    ("GET 4 KiB versioned bucket vs unversioned (both with Origin)", "get4k.ossd.versioned", "get4k.ossd", 0.9),
    ("PUT 4 KiB versioned bucket vs unversioned, 16 conns", "put4k.ossd.versioned.c16", "put4k.ossd.c16", 0.9),
]

LABELS = {
    "preflight.ossd": "preflight OPTIONS, 10 rules, match on last — ossd",
    "preflight.hyper": "fixed 200 — minimal hyper server (ossd-bench-hyper)",
    "preflight.nginx": "fixed 200 — nginx `return 200`",
    "get4k.ossd": "GET 4 KiB, matching Origin — ossd",
    "get4k.nginx": "GET 4 KiB static file — nginx",
    "put4k.ossd.c1": "PUT 4 KiB, unique keys — ossd, 1 conn",
    "put4k.ossd.c16": "PUT 4 KiB, unique keys — ossd, 16 conns",
    "put4k.ossd.c64": "PUT 4 KiB, unique keys — ossd, 64 conns",
    "get4k.ossd.unencrypted": "GET 4 KiB, no Origin — ossd, unencrypted",
    "get4k.ossd.sse": "GET 4 KiB, no Origin — ossd, x-oss-server-side-encryption: AES256",
    "put4k.ossd.sse.c16": "PUT 4 KiB, unique keys — ossd, 16 conns, AES256 at rest",
    "get4k.ossd.versioned": "GET 4 KiB, matching Origin — ossd, versioned bucket (current of 3 versions)",
    "put4k.ossd.versioned.c16": "PUT 4 KiB, unique keys — ossd, 16 conns, versioned bucket",
    "put4k.baseline.fsync.before": "write+fsync+rename loop (Python, sequential), before the PUT runs",
    "put4k.baseline.fsync.after": "write+fsync+rename loop (Python, sequential), after the PUT runs",
    "put4k.baseline.fsync-dirsync": "write+fsync+rename+fsync(dir) loop (Python, sequential)",
}


def fmt(v, nd=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def cmd_report(a):
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    by = {r["name"]: r for r in rows}
    # The fsync baseline runs before and after the PUT runs; the ratios use the mean of both.
    runs = [by[n] for n in ("put4k.baseline.fsync.before", "put4k.baseline.fsync.after") if n in by]
    if runs:
        by["put4k.baseline.fsync"] = {"name": "put4k.baseline.fsync", "rps": sum(r["rps"] for r in runs) / len(runs)}
    meta = by.get("meta", {})
    big = by.get("big", {})
    lines = []
    lines.append(f"# ossd load benchmark — {meta.get('date', '?')}")
    lines.append("")
    lines.append("Produced by `bench/load.sh`; see BENCHMARKS.md for the method.")
    lines.append("")
    lines.append("## Machine")
    lines.append("")
    for k in ("host", "cpu", "nproc", "kernel", "load_start", "load_end", "data_fs", "commit", "dirty_files",
              "wrk", "nginx", "duration_s"):
        if k in meta:
            lines.append(f"- {k}: {meta[k]}")
    lines.append("")
    lines.append("## Request rates (wrk, 1 thread, `--latency`)")
    lines.append("")
    lines.append("Server CPU/req: CPU time of the server processes (all threads) divided by requests;")
    lines.append("cores: server CPU seconds per wall second; wrk core: the client's share of one core")
    lines.append("(near 1.0 = the client set the pace, not the server).")
    lines.append("")
    lines.append("Threads and RSS: of the ossd process right after the run.")
    lines.append("")
    lines.append("| run | conns | req/s | p50 ms | p99 ms | server CPU µs/req | server cores | wrk core | ossd threads | ossd RSS MiB | errors |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.get("kind") not in ("wrk", "fsync-loop"):
            continue
        label = LABELS.get(r["name"], r["name"])
        conns = r.get("connections", 1)
        lines.append(f"| {label} | {conns} | {fmt(r.get('rps'), 0)} | {fmt(r.get('p50_ms'), 3)} | "
                     f"{fmt(r.get('p99_ms'), 3)} | {fmt(r.get('server_cpu_us_per_req'), 1)} | "
                     f"{fmt(r.get('server_cores'), 2)} | {fmt(r.get('client_core_share'), 2)} | "
                     f"{fmt(r.get('threads_after')) if '.ossd' in r['name'] else '–'} | "
                     f"{fmt(r['rss_after_kib'] / 1024, 1) if '.ossd' in r['name'] and r.get('rss_after_kib') else '–'} | "
                     f"{r.get('errors', 0)} |")
    lines.append("")
    lines.append("## Ratios against the baselines of this run")
    lines.append("")
    lines.append("| ratio | measured | target | met |")
    lines.append("|---|---:|---:|:-:|")
    ratios = {}
    for label, subj, base, target in RATIOS:
        s, b = by.get(subj), by.get(base)
        if not s or not b or not b.get("rps"):
            continue
        ratio = s["rps"] / b["rps"]
        ratios[label] = round(ratio, 3)
        met = "–" if target is None else ("yes" if ratio >= target else "no")
        lines.append(f"| {label} | {ratio:.2f} | {'–' if target is None else f'≥ {target}'} | {met} |")
    for label, subj, base in (("preflight: ossd CPU/req over hyper CPU/req", "preflight.ossd", "preflight.hyper"),
                              ("preflight: ossd CPU/req over nginx CPU/req", "preflight.ossd", "preflight.nginx"),
                              ("GET 4 KiB: ossd CPU/req over nginx CPU/req", "get4k.ossd", "get4k.nginx")):
        s_, b_ = by.get(subj, {}), by.get(base, {})
        if s_.get("server_cpu_us_per_req") and b_.get("server_cpu_us_per_req"):
            ratio = s_["server_cpu_us_per_req"] / b_["server_cpu_us_per_req"]
            ratios[label] = round(ratio, 3)
            lines.append(f"| {label} | {ratio:.2f} | – | – |")
    g = by.get("get4k.ossd")
    if g and g.get("p99_ms") is not None:
        met = "yes" if g["p99_ms"] < 2.0 else "no"
        lines.append(f"| GET 4 KiB p99 latency (ms) | {g['p99_ms']:.3f} | < 2 | {met} |")
    if big:
        size = big.get("bytes", 0)
        size_label = f"{size / (1 << 30):g} GiB" if size >= (1 << 30) else f"{size / (1 << 20):g} MiB"
        for op in ("put", "get"):
            gbps = big.get(f"{op}_gb_s")
            if gbps is None:
                continue
            rss = big.get(f"{op}_vmhwm_kib")
            met = "yes" if gbps >= 1.0 else "no"
            lines.append(f"| {size_label} {op.upper()} throughput (GB/s) | {gbps:.2f} | ≥ 1.0 | {met} |")
            if rss is not None:
                met = "yes" if rss < 64 * 1024 else "no"
                lines.append(f"| peak RSS during {size_label} {op.upper()} (MiB) | {rss / 1024:.1f} | < 64 | {met} |")
        if big.get("md5_one_core_gb_s") and big.get("put_gb_s"):
            r = big["put_gb_s"] / big["md5_one_core_gb_s"]
            ratios["large PUT over MD5 speed of one core"] = round(r, 3)
            lines.append(f"| large PUT over MD5 speed of one core ({big['md5_one_core_gb_s']:.2f} GB/s) | {r:.2f} | – | – |")
        if big.get("write_fsync_gb_s") and big.get("put_gb_s"):
            r = big["put_gb_s"] / big["write_fsync_gb_s"]
            ratios["large PUT over write+fsync of the same bytes"] = round(r, 3)
            lines.append(f"| large PUT over write+fsync of the same bytes ({big['write_fsync_gb_s']:.2f} GB/s) | {r:.2f} | – | – |")
    lines.append("")
    if big:
        lines.append("## Large PUT and GET (curl, one stream)")
        lines.append("")
        for k, v in big.items():
            if k not in ("name", "kind"):
                lines.append(f"- {k}: {v}")
        lines.append("")
    errs = [r["name"] for r in rows if r.get("errors")]
    if errs:
        lines.append(f"**Runs with errors (figures not valid):** {', '.join(errs)}")
        lines.append("")
    md = "\n".join(lines)
    stem = os.path.join(a.outdir, a.stem)
    os.makedirs(a.outdir, exist_ok=True)
    with open(stem + ".md", "w") as f:
        f.write(md)
    with open(stem + ".json", "w") as f:
        json.dump({"meta": meta, "runs": [r for r in rows if r["name"] not in ("meta", "big")],
                   "big": big, "ratios": ratios}, f, indent=2)
    print(md)
    print(f"\nwritten: {stem}.md and {stem}.json")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("setup")
    s.add_argument("--endpoint", required=True, help="host:port")
    s.add_argument("--cors-bucket", required=True)
    s.add_argument("--put-bucket", required=True)
    s.add_argument("--versioned-bucket", default="")
    s.add_argument("--origin", required=True)
    s.add_argument("--object-key", required=True)
    s.add_argument("--object-file", required=True)
    s.set_defaults(fn=cmd_setup)

    s = sub.add_parser("fsync-loop")
    s.add_argument("--results", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--seconds", type=float, default=5.0)
    s.add_argument("--size", type=int, default=4096)
    s.add_argument("--dirsync", action="store_true")
    s.set_defaults(fn=cmd_fsync_loop)

    s = sub.add_parser("wrk")
    s.add_argument("--results", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--connections", type=int, required=True)
    s.add_argument("--server-cpu-s", type=float, help="CPU seconds the server used during the run")
    s.add_argument("--client-cpu-s", type=float, help="CPU seconds wrk used")
    s.add_argument("--wall-s", type=float, help="wall-clock seconds of the wrk run")
    s.add_argument("--threads-after", type=int, help="threads of the (first) server process after the run")
    s.add_argument("--rss-after-kib", type=int, help="resident memory of the (first) server process after the run")
    s.add_argument("file")
    s.set_defaults(fn=cmd_wrk)

    s = sub.add_parser("record")
    s.add_argument("--results", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("json")
    s.set_defaults(fn=cmd_record)

    s = sub.add_parser("report")
    s.add_argument("--results", required=True)
    s.add_argument("--outdir", required=True)
    s.add_argument("--stem", required=True)
    s.set_defaults(fn=cmd_report)

    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
