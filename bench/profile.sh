#!/usr/bin/env bash
# bench/profile.sh — where ossd spends its time on the benchmark requests (BENCHMARKS.md, "Profile").
#
# Runs the release ossd under valgrind's callgrind (instruction counts; works where hardware
# counters do not, e.g. in VMs) with collection switched on only while wrk sends one kind of
# request: preflight, GET 4 KiB with Origin, and PUT 4 KiB. The minimal hyper server is profiled on
# the preflight request too, for the cost of the shared tokio+hyper stack. Then strace counts the
# system calls of PUT and GET on an ordinary (not instrumented) ossd. Writes everything to
# bench-results/profile-<date>/ and prints the instructions per request and the top functions.
#
# Environment: PROFILE_SECS (seconds of wrk per phase under callgrind, default 10), PROFILE_BIG_MIB
# (size of the large PUT/GET profiled, default 32),
# BENCH_NO_BUILD (skip cargo build), CARGO_TARGET_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH="$ROOT/bench"
SECS=${PROFILE_SECS:-10}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
ORIGIN="https://www.bench.example"
export OSSD_ROOT_ACCESS_KEY_ID=LTAIbenchmarkrootkey0
export OSSD_ROOT_ACCESS_KEY_SECRET=benchmarkrootsecretbenchmarkroot

die() { printf 'profile.sh: %s\n' "$*" >&2; exit 1; }
for t in wrk valgrind callgrind_control callgrind_annotate strace curl python3; do
    command -v "$t" >/dev/null || die "$t is required (apt-get install wrk valgrind strace)"
done
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -p ossd -p ossd-bench-hyper
OSSD_BIN="$TARGET_DIR/release/ossd"
HYPER_BIN="$TARGET_DIR/release/ossd-bench-hyper"

DATE=$(date -u +%Y-%m-%dT%H-%M-%SZ)
OUT="$ROOT/bench-results/profile-$DATE"
mkdir -p "$OUT" "$TARGET_DIR"
WORK=$(mktemp -d "$TARGET_DIR/bench-profile.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_200() { # URL PID: up to 120 s (valgrind starts slowly)
    local i
    for i in $(seq 1 1200); do
        kill -0 "$2" 2>/dev/null || return 1
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
setup() { # PORT
    head -c 4096 /dev/urandom >"$WORK/obj-4k.bin"
    python3 "$BENCH/benchlib.py" setup --endpoint "127.0.0.1:$1" --cors-bucket bench-cors --put-bucket bench-put \
        --versioned-bucket bench-versioned --origin "$ORIGIN" --object-key obj-4k.bin --object-file "$WORK/obj-4k.bin"
}
# PHASE PID URL WRK-ARGS...: collect only while wrk runs, then dump to callgrind.out.PHASE
phase() {
    local name=$1 pid=$2 url=$3
    shift 3
    callgrind_control -i on "$pid" >/dev/null
    BENCH_PUT_PREFIX="${BENCH_PUT_PREFIX:-/bench-put/}warm-" wrk -t1 -c4 -d1s --timeout 30s "$@" "$url" >/dev/null 2>&1 || true # warm-up (first-use costs), collected but discarded
    callgrind_control -z "$pid" >/dev/null
    wrk -t1 -c4 -d"${SECS}s" --timeout 30s "$@" "$url" >"$OUT/wrk-$name.txt" 2>&1
    callgrind_control -d "$name" "$pid" >/dev/null
    callgrind_control -i off "$pid" >/dev/null
    local f n
    f=$(ls "$WORK"/callgrind.out.*.[0-9]* 2>/dev/null | head -1 || true)
    [ -n "$f" ] || die "callgrind wrote no dump for $name"
    mv "$f" "$OUT/callgrind.out.$name"
    n=$(awk '/requests in/ { print $1 }' "$OUT/wrk-$name.txt")
    grep -q 'Non-2xx' "$OUT/wrk-$name.txt" && echo "  WARNING: $name had non-2xx responses"
    echo "$name $n" >>"$OUT/requests.txt"
    echo "  $name: $n requests under callgrind"
}

# ---- callgrind: ossd ----------------------------------------------------------------------------
PORT=$(free_port)
echo "== ossd under callgrind on 127.0.0.1:$PORT"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out.ossd" \
    "$OSSD_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --log-level warn >"$OUT/ossd-valgrind.log" 2>&1 &
VG_PID=$!
PIDS+=("$VG_PID")
wait_200 "http://127.0.0.1:$PORT/-/healthz" "$VG_PID" || { cat "$OUT/ossd-valgrind.log" >&2; die "ossd under valgrind did not start"; }
setup "$PORT"
phase preflight "$VG_PID" "http://127.0.0.1:$PORT/bench-cors/obj-4k.bin" -s "$BENCH/preflight.lua"
phase get4k "$VG_PID" "http://127.0.0.1:$PORT/bench-cors/obj-4k.bin" -H "Origin: $ORIGIN"
# The same GET and PUT in a bucket with versioning enabled (the GET reads the current of three
# versions), for the versioned/unversioned cost. The PUTs grow the database, which makes every
# later lookup a little dearer, so both GETs run before any PUT, and the unversioned PUT runs both
# before and after the versioned one (compare with the mean of the two).
phase get4k-versioned "$VG_PID" "http://127.0.0.1:$PORT/bench-versioned/obj-4k.bin" -H "Origin: $ORIGIN"
export BENCH_PUT_PREFIX=/bench-put/p-
phase put4k "$VG_PID" "http://127.0.0.1:$PORT/" -s "$BENCH/put.lua"
export BENCH_PUT_PREFIX=/bench-versioned/p-
phase put4k-versioned "$VG_PID" "http://127.0.0.1:$PORT/" -s "$BENCH/put.lua"
export BENCH_PUT_PREFIX=/bench-put/q-
phase put4k-after "$VG_PID" "http://127.0.0.1:$PORT/" -s "$BENCH/put.lua"
# One large PUT and GET with curl (instructions per byte of the streaming paths).
BIG_MIB=${PROFILE_BIG_MIB:-32}
head -c "$((BIG_MIB << 20))" /dev/urandom >"$WORK/big.bin"
for op in put-big get-big; do
    callgrind_control -i on "$VG_PID" >/dev/null
    if [ "$op" = put-big ]; then
        curl -sS -f -T "$WORK/big.bin" -H 'Expect:' -o /dev/null "http://127.0.0.1:$PORT/bench-put/big.bin"
    else
        curl -sS -f -o /dev/null "http://127.0.0.1:$PORT/bench-put/big.bin"
    fi
    callgrind_control -d "$op" "$VG_PID" >/dev/null
    callgrind_control -i off "$VG_PID" >/dev/null
    f=$(ls "$WORK"/callgrind.out.*.[0-9]* 2>/dev/null | head -1 || true)
    [ -n "$f" ] || die "callgrind wrote no dump for $op"
    mv "$f" "$OUT/callgrind.out.$op"
    echo "$op 1" >>"$OUT/requests.txt"
    echo "  $op: one ${BIG_MIB} MiB request under callgrind"
done
kill "$VG_PID"; wait "$VG_PID" 2>/dev/null || true

# ---- callgrind: the minimal hyper server --------------------------------------------------------
PORT=$(free_port)
echo "== ossd-bench-hyper under callgrind on 127.0.0.1:$PORT"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out.hyper" \
    "$HYPER_BIN" --listen "127.0.0.1:$PORT" >"$OUT/hyper-valgrind.log" 2>&1 &
VG_PID=$!
PIDS+=("$VG_PID")
wait_200 "http://127.0.0.1:$PORT/" "$VG_PID" || die "ossd-bench-hyper under valgrind did not start"
phase hyper-fixed200 "$VG_PID" "http://127.0.0.1:$PORT/bench-cors/obj-4k.bin" -s "$BENCH/preflight.lua"
kill "$VG_PID"; wait "$VG_PID" 2>/dev/null || true

# ---- annotate -------------------------------------------------------------------------------------
echo
echo "== instructions per request (callgrind, user space only)"
while read -r name n; do
    f="$OUT/callgrind.out.$name"
    python3 "$BENCH/cgsummary.py" "$f" "$n" 25 >"$OUT/summary-$name.txt" 2>&1 || true
    total=$(awk '/^totals:/ { print $2 }' "$f")
    python3 -c 'import sys; t, n = int(sys.argv[2]), int(sys.argv[3]); print(f"  {sys.argv[1]}: {t:,} Ir / {n:,} requests = {t // max(n, 1):,} Ir per request")' \
        "$name" "$total" "$n" | tee -a "$OUT/ir-per-request.txt"
done <"$OUT/requests.txt"

# ---- strace: system calls per request -------------------------------------------------------------
PORT=$(free_port)
echo
echo "== system calls per request (strace -c -f on an uninstrumented ossd, 1 connection)"
"$OSSD_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data2" --log-level warn >"$OUT/ossd.log" 2>&1 &
OSSD_PID=$!
PIDS+=("$OSSD_PID")
wait_200 "http://127.0.0.1:$PORT/-/healthz" "$OSSD_PID" || die "ossd did not start"
setup "$PORT"
for what in put4k get4k; do
    if [ "$what" = put4k ]; then args=(-s "$BENCH/put.lua"); url="http://127.0.0.1:$PORT/"; export BENCH_PUT_PREFIX=/bench-put/s-
    else args=(-H "Origin: $ORIGIN"); url="http://127.0.0.1:$PORT/bench-cors/obj-4k.bin"; fi
    strace -q -c -f -p "$OSSD_PID" -o "$OUT/strace-$what.txt" &
    ST=$!
    sleep 1
    wrk -t1 -c1 -d5s "${args[@]}" "$url" >"$OUT/wrk-strace-$what.txt" 2>&1
    sleep 0.5
    kill -INT "$ST"; wait "$ST" 2>/dev/null || true
    n=$(awk '/requests in/ { print $1 }' "$OUT/wrk-strace-$what.txt")
    echo "  $what: $n requests; calls per request:"
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 { name = $NF; calls = $4; if (calls / n >= 0.05) printf "    %-18s %7.2f  (%s%% of syscall time)\n", name, calls / n, $1 }' \
        "$OUT/strace-$what.txt" | sort -k2 -nr | head -14
done
echo
echo "profile written to $OUT: summary-*.txt (by area, top functions, ossd inclusive), strace-*.txt, callgrind.out.*"
