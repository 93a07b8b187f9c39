#!/usr/bin/env bash
# bench/load.sh — how fast ossd is, against baselines measured in the same run (BENCHMARKS.md).
#
# Builds the release binaries, starts ossd on loopback with a fresh data directory, the minimal
# hyper server (crates/ossd-bench-hyper) and nginx, drives them with wrk (1 thread, bounded in
# time) and writes bench-results/<date>.md and .json. Takes about 2–3 minutes once built.
#
# Environment:
#   BENCH_DURATION   seconds per wrk run (default 10)
#   BENCH_BIG_MIB    size of the large PUT/GET in MiB (default 1024)
#   BENCH_WAIT_LOAD  if set (e.g. 1.5), first wait up to 10 minutes for the 1-minute load
#                    average to drop below it
#   BENCH_NO_BUILD   if set, skip `cargo build --release` and use the binaries already built
#   CARGO_TARGET_DIR where the release binaries are built (default ./target); the scratch
#                    directory (data dir, nginx files, the large file) goes under it too
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH="$ROOT/bench"
DURATION=${BENCH_DURATION:-10}
BIG_MIB=${BENCH_BIG_MIB:-1024}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUTDIR="$ROOT/bench-results"
ORIGIN="https://www.bench.example"
CORS_BUCKET=bench-cors
PUT_BUCKET=bench-put
VERSIONED_BUCKET=bench-versioned
OBJECT_KEY=obj-4k.bin
export OSSD_ROOT_ACCESS_KEY_ID=LTAIbenchmarkrootkey0
export OSSD_ROOT_ACCESS_KEY_SECRET=benchmarkrootsecretbenchmarkroot
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf '\n== %s\n' "$*"; }
die() { printf 'load.sh: %s\n' "$*" >&2; exit 1; }

# ---- tools -------------------------------------------------------------------------------------
install_tools() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    command -v apt-get >/dev/null || die "wrk and nginx are missing and apt-get is not available; install them"
    local pkgs=()
    command -v wrk >/dev/null || pkgs+=(wrk)
    if ! command -v nginx >/dev/null; then
        if apt-cache show nginx-light >/dev/null 2>&1; then pkgs+=(nginx-light); else pkgs+=(nginx); fi
    fi
    log "installing ${pkgs[*]} with apt-get"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" \
        || { "${sudo[@]}" apt-get update && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"; }
}
for t in curl python3; do command -v "$t" >/dev/null || die "$t is required"; done
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then install_tools; fi

# ---- wait for a quiet machine (optional, bounded) ----------------------------------------------
load1() { cut -d' ' -f1 /proc/loadavg; }
if [ -n "${BENCH_WAIT_LOAD:-}" ]; then
    waited=0
    while awk -v l="$(load1)" -v t="$BENCH_WAIT_LOAD" 'BEGIN { exit !(l >= t) }' && [ "$waited" -lt 600 ]; do
        [ "$waited" -eq 0 ] && log "waiting (max 10 min) for the load average ($(load1)) to drop below $BENCH_WAIT_LOAD"
        sleep 15
        waited=$((waited + 15))
    done
fi

# ---- build ---------------------------------------------------------------------------------------
if [ -n "${BENCH_NO_BUILD:-}" ]; then
    log "BENCH_NO_BUILD set: using the release binaries already built"
else
    log "building release binaries"
    cargo build --release -p ossd -p ossd-bench-hyper
fi
OSSD_BIN="$TARGET_DIR/release/ossd"
HYPER_BIN="$TARGET_DIR/release/ossd-bench-hyper"
[ -x "$OSSD_BIN" ] && [ -x "$HYPER_BIN" ] || die "release binaries not found under $TARGET_DIR/release"

# ---- scratch space and clean-up ----------------------------------------------------------------
mkdir -p "$TARGET_DIR" "$OUTDIR"
WORK=$(mktemp -d "$TARGET_DIR/bench-work.XXXXXX")
chmod 755 "$WORK" # nginx workers may run as another user and must read the static file
RESULTS="$WORK/results.jsonl"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r P_OSSD P_HYPER P_FIXED P_STATIC < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

wait_http() { # URL PID NAME: wait up to 10 s for a 200
    local i
    for i in $(seq 1 100); do
        kill -0 "$2" 2>/dev/null || { echo "load.sh: $3 exited during start-up" >&2; return 1; }
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
        sleep 0.1
    done
    echo "load.sh: $3 did not answer 200 on $1 within 10 s" >&2
    return 1
}

# ---- machine ---------------------------------------------------------------------------------------
DATE=$(date -u +%Y-%m-%dT%H-%M-%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)
DATA_FS=$(df -T "$WORK" | awk 'NR==2 { print $2 " on " $1 }')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git --no-optional-locks status --porcelain 2>/dev/null | wc -l)
WRK_VERSION=$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }' || true)
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/^nginx version: //')

# ---- servers ---------------------------------------------------------------------------------------
log "starting ossd on 127.0.0.1:$P_OSSD (data dir $WORK/data)"
"$OSSD_BIN" serve --listen "127.0.0.1:$P_OSSD" --data-dir "$WORK/data" --log-level warn >"$WORK/ossd.log" 2>&1 &
OSSD_PID=$!
PIDS+=("$OSSD_PID")
wait_http "http://127.0.0.1:$P_OSSD/-/healthz" "$OSSD_PID" ossd || { cat "$WORK/ossd.log" >&2; exit 1; }
RSS_START=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$OSSD_PID/status")

log "starting ossd-bench-hyper on 127.0.0.1:$P_HYPER"
"$HYPER_BIN" --listen "127.0.0.1:$P_HYPER" >"$WORK/hyper.log" 2>&1 &
HYPER_PID=$!
PIDS+=("$HYPER_PID")
wait_http "http://127.0.0.1:$P_HYPER/" "$HYPER_PID" ossd-bench-hyper || { cat "$WORK/hyper.log" >&2; exit 1; }

log "starting nginx on 127.0.0.1:$P_FIXED (return 200) and 127.0.0.1:$P_STATIC (static)"
mkdir -p "$WORK/nginx/tmp" "$WORK/static/$CORS_BUCKET"
head -c 4096 /dev/urandom >"$WORK/static/$CORS_BUCKET/$OBJECT_KEY"
chmod -R a+rX "$WORK/static"
NGINX_USER=""
[ "$(id -u)" -eq 0 ] && NGINX_USER="user root;"
sed -e "s|@USER@|$NGINX_USER|" -e "s|@PREFIX@|$WORK/nginx|g" -e "s|@FIXED_PORT@|$P_FIXED|" \
    -e "s|@STATIC_PORT@|$P_STATIC|" -e "s|@STATIC_ROOT@|$WORK/static|" \
    "$BENCH/nginx.conf.in" >"$WORK/nginx/nginx.conf"
nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
nginx_pids() { echo "$NGINX_PID" $(pgrep -P "$NGINX_PID"); } # master and workers
wait_http "http://127.0.0.1:$P_FIXED/" "$NGINX_PID" nginx \
    && wait_http "http://127.0.0.1:$P_STATIC/$CORS_BUCKET/$OBJECT_KEY" "$NGINX_PID" nginx \
    || { cat "$WORK/nginx/error.log" >&2; exit 1; }

log "creating buckets, CORS rules and the 4 KiB object with signed requests"
python3 "$BENCH/benchlib.py" setup --endpoint "127.0.0.1:$P_OSSD" --cors-bucket "$CORS_BUCKET" \
    --put-bucket "$PUT_BUCKET" --versioned-bucket "$VERSIONED_BUCKET" --origin "$ORIGIN" --object-key "$OBJECT_KEY" \
    --object-file "$WORK/static/$CORS_BUCKET/$OBJECT_KEY"

# ---- sanity checks: each benchmarked request gives the answer we mean to measure -----------------
check() { # NAME WANT-STATUS WANT-HEADER-REGEX CURL-ARGS...
    local name=$1 want=$2 re=$3 out
    shift 3
    out=$(curl -s -o /dev/null -D - "$@") || die "check $name: curl failed"
    printf '%s' "$out" | head -1 | grep -q " $want" || die "check $name: want HTTP $want, got: $(printf '%s' "$out" | head -1)"
    [ -z "$re" ] || printf '%s' "$out" | grep -qiE "$re" || die "check $name: no header matching /$re/ in: $out"
}
PRE=(-X OPTIONS -H "Origin: $ORIGIN" -H "Access-Control-Request-Method: PUT"
     -H "Access-Control-Request-Headers: content-type, x-oss-meta-bench")
OBJ_PATH="/$CORS_BUCKET/$OBJECT_KEY"
check preflight.ossd 200 "^access-control-allow-origin: $ORIGIN" "${PRE[@]}" "http://127.0.0.1:$P_OSSD$OBJ_PATH"
check preflight.hyper 200 "" "${PRE[@]}" "http://127.0.0.1:$P_HYPER$OBJ_PATH"
check preflight.nginx 200 "" "${PRE[@]}" "http://127.0.0.1:$P_FIXED$OBJ_PATH"
check get4k.ossd 200 "^access-control-allow-origin: $ORIGIN" -H "Origin: $ORIGIN" "http://127.0.0.1:$P_OSSD$OBJ_PATH"
check get4k.ossd-length 200 "^content-length: 4096" -H "Origin: $ORIGIN" "http://127.0.0.1:$P_OSSD$OBJ_PATH"
check get4k.nginx 200 "^content-length: 4096" "http://127.0.0.1:$P_STATIC$OBJ_PATH"
check put4k.ossd 200 "^etag: " -X PUT --data-binary "@$WORK/static/$CORS_BUCKET/$OBJECT_KEY" \
    -H "Origin: $ORIGIN" -H "Content-Type: application/octet-stream" "http://127.0.0.1:$P_OSSD/$PUT_BUCKET/check"

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # PID...: user+system clock ticks of these processes (all their threads)
    local p files=()
    for p in "$@"; do files+=("/proc/$p/stat"); done
    awk '{ sub(/.*\) /, ""); t += $12 + $13 } END { print t + 0 }' "${files[@]}"
}
# NAME CONNS PIDS URL [WRK-ARGS...]; PIDS = space-separated server processes whose CPU time is counted
run_wrk() {
    local name=$1 conns=$2 url=$4 pids before after wall user sys rc=0
    read -r -a pids <<<"$3"
    shift 4
    local TIMEFORMAT='%R %U %S'
    before=$(cpu_ticks "${pids[@]}")
    { time wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s --latency "$@" "$url" >"$WORK/wrk-$name.txt" 2>&1 \
        || rc=$?; } 2>"$WORK/time-$name.txt"
    [ "$rc" -eq 0 ] || { cat "$WORK/wrk-$name.txt" >&2; die "wrk $name failed (exit $rc)"; }
    after=$(cpu_ticks "${pids[@]}")
    read -r wall user sys <"$WORK/time-$name.txt"
    local threads rss # of the first process, right after the run
    threads=$(awk '$1 == "Threads:" { print $2 }' "/proc/${pids[0]}/status")
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/${pids[0]}/status")
    python3 "$BENCH/benchlib.py" wrk --results "$RESULTS" --name "$name" --connections "$conns" \
        --server-cpu-s "$(awk -v a="$before" -v b="$after" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" \
        --client-cpu-s "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" --wall-s "$wall" \
        --threads-after "$threads" --rss-after-kib "$rss" "$WORK/wrk-$name.txt"
}
warm() { # URL [WRK-ARGS...]: 2 s, not recorded
    local url=$1
    shift
    wrk -t1 -c32 -d2s "$@" "$url" >/dev/null 2>&1 || true
}

# ---- 1. preflight ----------------------------------------------------------------------------------
log "1. preflight OPTIONS, 10 CORS rules, match on the last; 32 connections, ${DURATION}s each"
warm "http://127.0.0.1:$P_OSSD$OBJ_PATH" -s "$BENCH/preflight.lua"
run_wrk preflight.ossd 32 "$OSSD_PID" "http://127.0.0.1:$P_OSSD$OBJ_PATH" -s "$BENCH/preflight.lua"
warm "http://127.0.0.1:$P_HYPER$OBJ_PATH" -s "$BENCH/preflight.lua"
run_wrk preflight.hyper 32 "$HYPER_PID" "http://127.0.0.1:$P_HYPER$OBJ_PATH" -s "$BENCH/preflight.lua"
warm "http://127.0.0.1:$P_FIXED$OBJ_PATH" -s "$BENCH/preflight.lua"
run_wrk preflight.nginx 32 "$(nginx_pids)" "http://127.0.0.1:$P_FIXED$OBJ_PATH" -s "$BENCH/preflight.lua"

# ---- 2. GET 4 KiB ------------------------------------------------------------------------------------
log "2. GET of a 4 KiB object with a matching Origin; 32 connections, ${DURATION}s each"
run_wrk get4k.ossd 32 "$OSSD_PID" "http://127.0.0.1:$P_OSSD$OBJ_PATH" -H "Origin: $ORIGIN"
warm "http://127.0.0.1:$P_STATIC$OBJ_PATH"
run_wrk get4k.nginx 32 "$(nginx_pids)" "http://127.0.0.1:$P_STATIC$OBJ_PATH"

# ---- 2b. GET 4 KiB encrypted at rest -------------------------------------------------------------------
log "2b. GET of a 4 KiB object stored without and with x-oss-server-side-encryption: AES256; 32 connections, ${DURATION}s each"
for v in plain sse; do
    sse=()
    [ "$v" = sse ] && sse=(-H "x-oss-server-side-encryption: AES256")
    curl -sS -f -o /dev/null -X PUT --data-binary "@$WORK/static/$CORS_BUCKET/$OBJECT_KEY" ${sse[@]+"${sse[@]}"} \
        -H "Content-Type: application/octet-stream" "http://127.0.0.1:$P_OSSD/$PUT_BUCKET/get4k-$v" \
        || die "uploading get4k-$v"
done
check get4k.ossd.sse 200 "^x-oss-server-side-encryption: AES256" "http://127.0.0.1:$P_OSSD/$PUT_BUCKET/get4k-sse"
run_wrk get4k.ossd.unencrypted 32 "$OSSD_PID" "http://127.0.0.1:$P_OSSD/$PUT_BUCKET/get4k-plain"
run_wrk get4k.ossd.sse 32 "$OSSD_PID" "http://127.0.0.1:$P_OSSD/$PUT_BUCKET/get4k-sse"

# ---- 2c. GET 4 KiB in a versioned bucket ------------------------------------------------------------
log "2c. GET of the current version of a 4 KiB object with two older versions (versioning Enabled); 32 connections, ${DURATION}s"
check get4k.ossd.versioned 200 "^x-oss-version-id: [0-9a-zA-Z]{64}" -H "Origin: $ORIGIN" \
    "http://127.0.0.1:$P_OSSD/$VERSIONED_BUCKET/$OBJECT_KEY"
run_wrk get4k.ossd.versioned 32 "$OSSD_PID" "http://127.0.0.1:$P_OSSD/$VERSIONED_BUCKET/$OBJECT_KEY" -H "Origin: $ORIGIN"

kill "$HYPER_PID" "$NGINX_PID" 2>/dev/null || true

# ---- 3. PUT 4 KiB ------------------------------------------------------------------------------------
BASE_SECS=$(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))
log "3. durable PUT of 4 KiB objects; baseline: write+fsync+rename loop in the same file system (${BASE_SECS}s)"
python3 "$BENCH/benchlib.py" fsync-loop --results "$RESULTS" --name put4k.baseline.fsync.before \
    --dir "$WORK/fsync-baseline" --seconds "$BASE_SECS"
python3 "$BENCH/benchlib.py" fsync-loop --results "$RESULTS" --name put4k.baseline.fsync-dirsync \
    --dir "$WORK/fsync-baseline-dirsync" --seconds "$BASE_SECS" --dirsync
rm -rf "$WORK/fsync-baseline" "$WORK/fsync-baseline-dirsync"
for c in 1 16 64; do
    export BENCH_PUT_PREFIX="/$PUT_BUCKET/c$c-"
    run_wrk "put4k.ossd.c$c" "$c" "$OSSD_PID" "http://127.0.0.1:$P_OSSD/" -s "$BENCH/put.lua"
    if [ "$c" = 16 ]; then
        # The same into a bucket with versioning enabled (every PUT makes a version), right
        # after the unversioned run so that the two see the same disk.
        export BENCH_PUT_PREFIX="/$VERSIONED_BUCKET/c16-"
        run_wrk put4k.ossd.versioned.c16 16 "$OSSD_PID" "http://127.0.0.1:$P_OSSD/" -s "$BENCH/put.lua"
    fi
done
# The same with encryption at rest (put.lua adds the header when BENCH_PUT_SSE is set).
export BENCH_PUT_PREFIX="/$PUT_BUCKET/sse-c16-" BENCH_PUT_SSE=AES256
run_wrk put4k.ossd.sse.c16 16 "$OSSD_PID" "http://127.0.0.1:$P_OSSD/" -s "$BENCH/put.lua"
unset BENCH_PUT_SSE
python3 "$BENCH/benchlib.py" fsync-loop --results "$RESULTS" --name put4k.baseline.fsync.after \
    --dir "$WORK/fsync-baseline" --seconds "$BASE_SECS"
rm -rf "$WORK/fsync-baseline"

# ---- 4. large PUT and GET ---------------------------------------------------------------------------
log "4. ${BIG_MIB} MiB PUT and GET with curl, peak RSS of ossd"
vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$OSSD_PID/status"; }
RUN_HWM=$(vm VmHWM) # peak over everything so far
# The source file is written with write+fsync and timed: the disk's ceiling for a durable PUT.
DISK_GBS=$(python3 -c '
import os, sys, time
block = os.urandom(1 << 20)
t = time.perf_counter()
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2])):
        f.write(block)
    f.flush()
    os.fsync(f.fileno())
print(round(int(sys.argv[2]) * (1 << 20) / (time.perf_counter() - t) / 1e9, 3))' "$WORK/big.bin" "$BIG_MIB")
echo "  write+fsync of the source file (same file system): $DISK_GBS GB/s"
BIG_BYTES=$(stat -c %s "$WORK/big.bin")
# Ceiling for a single PUT: the ETag is the MD5 of the body, and MD5 runs on one core at a time.
MD5_GBS=$(python3 -c '
import hashlib, os, time
b, h = os.urandom(1 << 20), hashlib.md5()
t = time.perf_counter()
for _ in range(256): h.update(b)
print(round(256 * (1 << 20) / (time.perf_counter() - t) / 1e9, 3))')
echo "  MD5 on one core (OpenSSL via Python hashlib): $MD5_GBS GB/s"
reset_hwm() { echo 5 >"/proc/$OSSD_PID/clear_refs" 2>/dev/null || echo "  (cannot reset VmHWM; peak RSS includes earlier runs)"; }
RSS_IDLE=$(vm VmRSS)
THREADS=$(vm Threads)
reset_hwm
read -r PUT_CODE PUT_SECS PUT_SIZE < <(curl -sS -T "$WORK/big.bin" -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    -o /dev/null -w '%{http_code} %{time_total} %{size_upload}\n' "http://127.0.0.1:$P_OSSD/$PUT_BUCKET/big.bin")
PUT_HWM=$(vm VmHWM)
rm -f "$WORK/big.bin"
reset_hwm
read -r GET_CODE GET_SECS GET_SIZE < <(curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' \
    "http://127.0.0.1:$P_OSSD/$PUT_BUCKET/big.bin")
GET_HWM=$(vm VmHWM)
BIG_ERRORS=0
[ "$PUT_CODE" = 200 ] && [ "$PUT_SIZE" = "$BIG_BYTES" ] || BIG_ERRORS=$((BIG_ERRORS + 1))
[ "$GET_CODE" = 200 ] && [ "$GET_SIZE" = "$BIG_BYTES" ] || BIG_ERRORS=$((BIG_ERRORS + 1))
BIG_JSON=$(python3 -c '
import json, sys
b, ps, gs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(json.dumps({
    "kind": "big", "bytes": b,
    "put_status": int(sys.argv[4]), "put_seconds": ps, "put_gb_s": round(b / ps / 1e9, 3),
    "put_gib_s": round(b / ps / (1 << 30), 3), "put_vmhwm_kib": int(sys.argv[5]),
    "get_status": int(sys.argv[6]), "get_seconds": gs, "get_gb_s": round(b / gs / 1e9, 3),
    "get_gib_s": round(b / gs / (1 << 30), 3), "get_vmhwm_kib": int(sys.argv[7]),
    "rss_after_start_kib": int(sys.argv[12]), "rss_idle_before_kib": int(sys.argv[8]),
    "threads_before": int(sys.argv[13]), "vmhwm_over_small_object_runs_kib": int(sys.argv[9]),
    "errors": int(sys.argv[10]), "md5_one_core_gb_s": float(sys.argv[11]),
    "write_fsync_gb_s": float(sys.argv[14]),
}))' "$BIG_BYTES" "$PUT_SECS" "$GET_SECS" "$PUT_CODE" "$PUT_HWM" "$GET_CODE" "$GET_HWM" "$RSS_IDLE" "$RUN_HWM" "$BIG_ERRORS" "$MD5_GBS" "$RSS_START" "$THREADS" "$DISK_GBS")
python3 "$BENCH/benchlib.py" record --results "$RESULTS" --name big "$BIG_JSON"
printf '  PUT: HTTP %s, %s s; GET: HTTP %s, %s s; VmHWM during PUT %s KiB, during GET %s KiB\n' \
    "$PUT_CODE" "$PUT_SECS" "$GET_CODE" "$GET_SECS" "$PUT_HWM" "$GET_HWM"

# ---- report ------------------------------------------------------------------------------------------
META=$(python3 -c '
import json, sys
k = ["date", "host", "cpu", "nproc", "kernel", "load_start", "load_end", "data_fs", "commit", "dirty_files",
     "wrk", "nginx", "duration_s"]
print(json.dumps({"kind": "meta", **dict(zip(k, sys.argv[1:]))}))' \
    "$DATE" "$(hostname)" "$CPU" "$(nproc)" "$(uname -r)" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$DATA_FS" "$COMMIT" "$DIRTY" "$WRK_VERSION" "$NGINX_VERSION" "$DURATION")
python3 "$BENCH/benchlib.py" record --results "$RESULTS" --name meta "$META"
log "report"
python3 "$BENCH/benchlib.py" report --results "$RESULTS" --outdir "$OUTDIR" --stem "$DATE"
if grep -q '"errors": [1-9]' "$RESULTS"; then
    die "some runs had errors (see the report); their figures are not valid"
fi
