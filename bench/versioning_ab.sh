#!/usr/bin/env bash
# bench/versioning_ab.sh — the cost of versioning, measured A/B/A/B: one ossd, a bucket without
# and one with versioning enabled (bench/benchlib.py setup), and wrk runs alternating between
# them so that both see the same machine state (BENCHMARKS.md, "Versioning").
#
#   PUT 4 KiB to unique keys, 16 connections; GET 4 KiB (the current of three versions in the
#   versioned bucket) with a matching Origin, 32 connections. ROUNDS rounds (default 3) of
#   SECS seconds (default 5) per run; each line gives the rate and the server's CPU time per
#   request (user + system, all threads). Uses target/release/ossd (build it first) and wrk.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${SECS:-5}
ROUNDS=${ROUNDS:-3}
ORIGIN="https://www.bench.example"
export OSSD_ROOT_ACCESS_KEY_ID=LTAIbenchmarkrootkey0
export OSSD_ROOT_ACCESS_KEY_SECRET=benchmarkrootsecretbenchmarkroot
mkdir -p target
WORK=$(mktemp -d "$ROOT/target/bench-ab.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/ossd serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --log-level warn >"$WORK/log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/-/healthz" >/dev/null && break; sleep 0.1; done
head -c 4096 /dev/urandom >"$WORK/obj"
python3 bench/benchlib.py setup --endpoint "127.0.0.1:$PORT" --cors-bucket bench-cors --put-bucket bench-put \
    --versioned-bucket bench-versioned --origin "$ORIGIN" --object-key obj-4k.bin --object-file "$WORK/obj"
CLK_TCK=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
# wrk ARGS...: "<req/s> req/s, <server CPU µs per request> µs/req"
rate() {
    local t0 out t1
    t0=$(ticks)
    out=$(wrk -t1 "$@")
    t1=$(ticks)
    awk -v r="$(printf '%s' "$out" | awk '/^ *[0-9]+ requests in/ { print $1 }')" \
        -v s="$(printf '%s' "$out" | awk '/Requests\/sec/ { print $2 }')" \
        -v c=$((t1 - t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.0f req/s, %.1f µs/req", s, c / hz * 1e6 / r }'
}
for round in $(seq "$ROUNDS"); do
    for b in bench-put bench-versioned; do
        export BENCH_PUT_PREFIX="/$b/r$round-"
        echo "put4k.c16 $b round $round: $(rate -c16 -d"${SECS}s" -s bench/put.lua "http://127.0.0.1:$PORT/")"
    done
done
for round in $(seq "$ROUNDS"); do
    for b in bench-cors bench-versioned; do
        echo "get4k.c32 $b round $round: $(rate -c32 -d"${SECS}s" -H "Origin: $ORIGIN" "http://127.0.0.1:$PORT/$b/obj-4k.bin")"
    done
done
