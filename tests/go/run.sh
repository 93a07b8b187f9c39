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
SUITE=go
cd "$HERE"

# shellcheck source=../lib/ossd-server.sh
. "$ROOT/tests/lib/ossd-server.sh"

command -v go >/dev/null || { say "go is not installed"; exit 2; }

# Modules (verified against go.sum) and the test binary, before the server starts.
BUILD_LOG="$(mktemp /tmp/ossd-go-build.XXXXXX)"
if ! { go mod download && go test -count=1 -exec /bin/true ./...; } >"$BUILD_LOG" 2>&1; then
  cat "$BUILD_LOG" >&2; rm -f "$BUILD_LOG"; exit 1
fi
rm -f "$BUILD_LOG"

ossd_start
# Output only on failure; on success the package summary line ("ok  ossd/tests/go  12.3s").
OUT="$WORK/go-test.out"
if go test -count=1 "$@" ./... >"$OUT" 2>&1; then
  grep -E '^(ok|---|=== RUN|PASS|FAIL)|^\s+---' "$OUT" | grep -v -E '^(=== RUN|PASS$)|^\s+--- PASS' || true
else
  cat "$OUT" >&2
  exit 1
fi
