#!/usr/bin/env bash
# bench/cluster.sh — the scale-out configuration against the embedded default, in one run
# (BENCHMARKS.md, "Scale-out").
#
# Starts PostgreSQL (tests/lib/postgres.sh, with fsync ON: a PUT is durable when its commit is),
# s3proxy (tests/lib/s3proxy.sh), two ossd nodes on one database and one S3 bucket with nginx
# alternating between them (tests/cluster/cluster.sh), and an embedded ossd (redb + files in a
# data directory). The same three requests as bench/load.sh — preflight, GET 4 KiB, durable
# PUT 4 KiB — go, with wrk, to:
#   embedded   the embedded ossd, directly
#   pg.1node   node a of the cluster, directly
#   pg.2nodes  nginx, which alternates between node a and node b
# and bench-results/cluster-<date>.md and .json are written. About 3 minutes once built.
#
# Environment: BENCH_DURATION (seconds per wrk run, default 10), BENCH_NO_BUILD (use the release
# binary already built), CARGO_TARGET_DIR, CLUSTER_PG_TLS (how the nodes reach PostgreSQL: `disable`,
# the default, plain TCP as in the figures recorded so far; `verify-full`, TLS with the certificate checked).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH="$ROOT/bench"
DURATION=${BENCH_DURATION:-10}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUTDIR="$ROOT/bench-results"
ORIGIN="https://www.bench.example"
CORS_BUCKET=bench-cors
PUT_BUCKET=bench-put
OBJECT_KEY=obj-4k.bin
export OSSD_ROOT_ACCESS_KEY_ID=LTAIbenchmarkrootkey0
export OSSD_ROOT_ACCESS_KEY_SECRET=benchmarkrootsecretbenchmarkroot
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf '\n== %s\n' "$*"; }
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }

for t in curl python3 wrk; do command -v "$t" >/dev/null || die "$t is required (apt-get install wrk)"; done

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    log "building the release binary"
    cargo build --release -p ossd
fi
export OSSD_BIN="$TARGET_DIR/release/ossd"
[ -x "$OSSD_BIN" ] || die "no release binary at $OSSD_BIN"

mkdir -p "$TARGET_DIR" "$OUTDIR"
WORK=$(mktemp -d "$TARGET_DIR/bench-cluster.XXXXXX")
chmod 755 "$WORK"
RESULTS="$WORK/results.jsonl"
EMB_PID=""
# shellcheck source=../tests/lib/postgres.sh
source tests/lib/postgres.sh
# shellcheck source=../tests/lib/s3proxy.sh
source tests/lib/s3proxy.sh
# shellcheck source=../tests/cluster/cluster.sh
source tests/cluster/cluster.sh
cleanup() {
    cluster_stop || true
    if [ -n "$EMB_PID" ]; then kill "$EMB_PID" 2>/dev/null || true; wait "$EMB_PID" 2>/dev/null || true; fi
    pg_stop || true
    s3proxy_stop || true
    rm -rf "$WORK"
}

log "starting s3proxy and PostgreSQL (fsync on)"
s3proxy_start
trap cleanup EXIT
trap 'exit 130' INT TERM
PG_FSYNC=on pg_start

log "starting two ossd nodes and nginx"
CLUSTER_PG_TLS=${CLUSTER_PG_TLS:-disable} CLUSTER_LOG_LEVEL=warn cluster_start "$WORK/cluster"

log "starting the embedded ossd"
P_EMB=$(cluster_free_port)
"$OSSD_BIN" serve --listen "127.0.0.1:$P_EMB" --data-dir "$WORK/embedded" --log-level warn >"$WORK/embedded.log" 2>&1 &
EMB_PID=$!
cluster_wait_http "http://127.0.0.1:$P_EMB/-/healthz" "$EMB_PID" "embedded ossd" || { cat "$WORK/embedded.log" >&2; exit 1; }

head -c 4096 /dev/urandom >"$WORK/obj"
EMB="http://127.0.0.1:$P_EMB"
for ep in "$EMB" "$CLUSTER_A"; do
    python3 "$BENCH/benchlib.py" setup --endpoint "${ep#http://}" --cors-bucket "$CORS_BUCKET" \
        --put-bucket "$PUT_BUCKET" --origin "$ORIGIN" --object-key "$OBJECT_KEY" --object-file "$WORK/obj"
done
# Without cross-node invalidation, node b sees the new buckets' settings after its cache
# expires (1 s); the checks below then ask both nodes.
sleep 1.5

check() { # NAME WANT-STATUS WANT-HEADER-REGEX CURL-ARGS...
    local name=$1 want=$2 re=$3 out
    shift 3
    out=$(curl -s -o /dev/null -D - "$@") || die "check $name: curl failed"
    # No `printf | grep -q` under pipefail: grep quitting early would fail the pipe.
    local first=${out%%$'\r'*}
    [[ "$first" == *" $want"* ]] || die "check $name: want HTTP $want, got: $first"
    [ -z "$re" ] || grep -qiE "$re" <<<"$out" || die "check $name: no header matching /$re/ in: $out"
}
PRE=(-X OPTIONS -H "Origin: $ORIGIN" -H "Access-Control-Request-Method: PUT"
     -H "Access-Control-Request-Headers: content-type, x-oss-meta-bench")
OBJ_PATH="/$CORS_BUCKET/$OBJECT_KEY"
for ep in "$EMB" "$CLUSTER_A" "$CLUSTER_B" "$CLUSTER_ENDPOINT" "$CLUSTER_ENDPOINT"; do
    check "preflight $ep" 200 "^access-control-allow-origin: $ORIGIN" "${PRE[@]}" "$ep$OBJ_PATH"
    check "get4k $ep" 200 "^content-length: 4096" -H "Origin: $ORIGIN" "$ep$OBJ_PATH"
    check "put4k $ep" 200 "^etag: " -X PUT --data-binary "@$WORK/obj" -H "Origin: $ORIGIN" \
        -H "Content-Type: application/octet-stream" "$ep/$PUT_BUCKET/check"
done

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # PID...: user+system clock ticks of these processes (all their threads)
    local p files=()
    for p in "$@"; do files+=("/proc/$p/stat"); done
    awk '{ sub(/.*\) /, ""); t += $12 + $13 } END { print t + 0 }' "${files[@]}"
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; } # whole machine
# NAME CONNS PIDS URL [WRK-ARGS...]: PIDS = the ossd processes whose CPU time is counted
run_wrk() {
    local name=$1 conns=$2 url=$4 pids before after m0 m1 wall user sys rc=0
    read -r -a pids <<<"$3"
    shift 4
    local TIMEFORMAT='%R %U %S'
    wrk -t1 -c32 -d2s "$@" "$url" >/dev/null 2>&1 || true # warm-up, not recorded
    before=$(cpu_ticks "${pids[@]}")
    m0=$(busy_ticks)
    { time wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s --latency "$@" "$url" >"$WORK/wrk-$name.txt" 2>&1 \
        || rc=$?; } 2>"$WORK/time-$name.txt"
    [ "$rc" -eq 0 ] || { cat "$WORK/wrk-$name.txt" >&2; die "wrk $name failed (exit $rc)"; }
    m1=$(busy_ticks)
    after=$(cpu_ticks "${pids[@]}")
    read -r wall user sys <"$WORK/time-$name.txt"
    python3 "$BENCH/benchlib.py" wrk --results "$RESULTS" --name "$name" --connections "$conns" \
        --server-cpu-s "$(awk -v a="$before" -v b="$after" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" \
        --client-cpu-s "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" --wall-s "$wall" \
        --threads-after "$(awk '$1 == "Threads:" { print $2 }' "/proc/${pids[0]}/status")" \
        --rss-after-kib "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/${pids[0]}/status")" "$WORK/wrk-$name.txt"
    echo "    machine busy: $(awk -v a="$m0" -v b="$m1" -v t="$CLK_TCK" -v w="$wall" 'BEGIN { printf "%.2f", (b - a) / t / w }') of $(nproc) cores"
}

DATE=$(date -u +%Y-%m-%dT%H-%M-%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# Each configuration: NAME URL PIDS
CONFIGS=(
    "embedded|$EMB|$EMB_PID"
    "pg.1node|$CLUSTER_A|$CLUSTER_A_PID"
    "pg.2nodes|$CLUSTER_ENDPOINT|$CLUSTER_A_PID $CLUSTER_B_PID"
)
for cfg in "${CONFIGS[@]}"; do
    IFS='|' read -r name url pids <<<"$cfg"
    log "$name: preflight, GET 4 KiB (32 connections), PUT 4 KiB (16 and 64 connections), ${DURATION}s each"
    run_wrk "preflight.ossd.$name" 32 "$pids" "$url$OBJ_PATH" -s "$BENCH/preflight.lua"
    run_wrk "get4k.ossd.$name" 32 "$pids" "$url$OBJ_PATH" -H "Origin: $ORIGIN"
    for c in 16 64; do
        export BENCH_PUT_PREFIX="/$PUT_BUCKET/$name-c$c-"
        run_wrk "put4k.ossd.$name.c$c" "$c" "$pids" "$url/" -s "$BENCH/put.lua"
    done
done
a=$(cluster_requests "$CLUSTER_A_METRICS"); b=$(cluster_requests "$CLUSTER_B_METRICS")
echo "requests answered by the cluster nodes over the run: node a $a, node b $b"

META=$(python3 -c '
import json, sys
k = ["date", "host", "cpu", "nproc", "kernel", "load_start", "load_end", "commit", "wrk", "nginx",
     "postgres", "s3proxy", "duration_s", "node_a_requests", "node_b_requests"]
print(json.dumps({"kind": "meta", **dict(zip(k, sys.argv[1:]))}))' \
    "$DATE" "$(hostname)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" "$(nproc)" \
    "$(uname -r)" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }' || true)" "$(nginx -v 2>&1 | sed 's/^nginx version: //')" \
    "$("$(pg_bin)/postgres" --version | awk '{ print $3 }') (fsync on)" "$S3PROXY_VERSION (filesystem backend)" \
    "$DURATION" "$a" "$b")
python3 "$BENCH/benchlib.py" record --results "$RESULTS" --name meta "$META"
python3 "$BENCH/benchlib.py" report --results "$RESULTS" --outdir "$OUTDIR" --stem "cluster-$DATE"
if grep -q '"errors": [1-9]' "$RESULTS"; then
    die "some runs had errors (see the report); their figures are not valid"
fi
