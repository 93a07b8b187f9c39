#!/usr/bin/env bash
# Real-client suite: the Alibaba Cloud OSS Go SDKs (aliyun-oss-go-sdk v3, alibabacloud-oss-go-sdk-v2)
# against one ossd process. Starts ossd (free port, temp data dir, fresh root key), runs
# `go test -count=1 ./...`, stops ossd on exit, and exits non-zero on any failure. Quiet on success
# except for go test's summary line. Modules come from the Go module proxy into the usual module
# cache (outside the repository); go.mod/go.sum pin them.
# Env: OSSD_BIN (default <repo>/target/release/ossd); extra args go to `go test` (e.g. `-run Preflight -v`).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OSSD_BIN="${OSSD_BIN:-$ROOT/target/release/ossd}"
ARTIFACTS="$ROOT/test-artifacts"
cd "$HERE"

say() { printf '[go-suite] %s\n' "$*" >&2; }

command -v go >/dev/null || { say "go is not installed"; exit 2; }
if [ ! -x "$OSSD_BIN" ]; then
  say "ossd binary not found at $OSSD_BIN: run 'cargo build --release' or set OSSD_BIN"
  exit 3
fi

# Modules (verified against go.sum) and the test binary, before the server starts.
BUILD_LOG="$(mktemp /tmp/ossd-go-build.XXXXXX)"
if ! { go mod download && go test -count=1 -exec /bin/true ./...; } >"$BUILD_LOG" 2>&1; then
  cat "$BUILD_LOG" >&2; rm -f "$BUILD_LOG"; exit 1
fi
rm -f "$BUILD_LOG"

WORK="$(mktemp -d /tmp/ossd-go.XXXXXX)"
OSSD_PID=""
cleanup() {
  local rc=$?
  if [ -n "$OSSD_PID" ]; then
    kill -TERM "$OSSD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$OSSD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$OSSD_PID" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ] && [ -f "$WORK/ossd.log" ]; then
    mkdir -p "$ARTIFACTS"
    cp "$WORK/ossd.log" "$ARTIFACTS/ossd-go-suite.log"
    say "failed (exit $rc); server log: $ARTIFACTS/ossd-go-suite.log"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
ACCESS_KEY_ID="LTAI$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
ACCESS_KEY_SECRET="$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')"

OSSD_ROOT_ACCESS_KEY_ID="$ACCESS_KEY_ID" OSSD_ROOT_ACCESS_KEY_SECRET="$ACCESS_KEY_SECRET" \
  "$OSSD_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --region cn-hangzhou \
  >"$WORK/ossd.log" 2>&1 &
OSSD_PID=$!

for i in $(seq 200); do
  if ! kill -0 "$OSSD_PID" 2>/dev/null; then
    say "ossd exited before it was ready:"; tail -n 30 "$WORK/ossd.log" >&2; exit 1
  fi
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/healthz" || true)" = 200 ] && break
  [ "$i" = 200 ] && { say "ossd not ready after 10 s"; tail -n 30 "$WORK/ossd.log" >&2; exit 1; }
  sleep 0.05
done

export OSSD_ENDPOINT="http://127.0.0.1:$PORT" OSSD_REGION=cn-hangzhou
export OSSD_ACCESS_KEY_ID="$ACCESS_KEY_ID" OSSD_ACCESS_KEY_SECRET="$ACCESS_KEY_SECRET"
# Output only on failure; on success the package summary line ("ok  ossd/tests/go  12.3s").
OUT="$WORK/go-test.out"
if go test -count=1 "$@" ./... >"$OUT" 2>&1; then
  grep -E '^(ok|---|=== RUN|PASS|FAIL)|^\s+---' "$OUT" | grep -v -E '^(=== RUN|PASS$)|^\s+--- PASS' || true
else
  cat "$OUT" >&2
  exit 1
fi
