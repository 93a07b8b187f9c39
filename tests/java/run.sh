#!/usr/bin/env bash
# Real-client suite: the Alibaba Cloud OSS Java SDKs (com.aliyun.oss:aliyun-sdk-oss, the V1 SDK,
# and com.aliyun:alibabacloud-oss-v2, the V2 SDK) against one ossd process, with Maven + JUnit 5.
# Starts ossd (free port, temp data dir, fresh root key), runs `mvn -q -B test`, stops ossd on exit,
# and exits non-zero on any failure. Quiet on success except for the Surefire summary line.
# Artifacts come from Maven Central into the usual local repository (~/.m2, outside the repo);
# build output goes to a temp dir, not into the worktree.
# Env: OSSD_BIN (default <repo>/target/release/ossd); extra args go to mvn (e.g. -Dtest='JavaV2*').
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OSSD_BIN="${OSSD_BIN:-$ROOT/target/release/ossd}"
ARTIFACTS="$ROOT/test-artifacts"
cd "$HERE"

say() { printf '[java-suite] %s\n' "$*" >&2; }

command -v mvn >/dev/null || { say "mvn is not installed"; exit 2; }
if [ ! -x "$OSSD_BIN" ]; then
  say "ossd binary not found at $OSSD_BIN: run 'cargo build --release' or set OSSD_BIN"
  exit 3
fi

WORK="$(mktemp -d /tmp/ossd-java.XXXXXX)"
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
    cp "$WORK/ossd.log" "$ARTIFACTS/ossd-java-suite.log"
    [ -d "$WORK/target/surefire-reports" ] && cp -r "$WORK/target/surefire-reports" "$ARTIFACTS/java-surefire-reports"
    say "failed (exit $rc); server log: $ARTIFACTS/ossd-java-suite.log"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Build output outside the worktree.
MVN=(mvn -q -B -ntp "-DbuildDirectory=$WORK/target")

# Dependencies and test classes, before the server starts.
"${MVN[@]}" test-compile >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

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
if ! "${MVN[@]}" test "$@" >"$WORK/test.log" 2>&1; then
  cat "$WORK/test.log" >&2
  exit 1
fi
# Surefire's summary line (mvn -q hides it), summed from its per-class reports.
cat "$WORK"/target/surefire-reports/*.txt 2>/dev/null | awk -F'[ ,]+' '
  /^Tests run:/ { for (i = 1; i < NF; i++) {
      if ($i == "run:") r += $(i+1); if ($i == "Failures:") f += $(i+1);
      if ($i == "Errors:") e += $(i+1); if ($i == "Skipped:") s += $(i+1) } n++ }
  END { if (n == 0 || r == 0) { print "no Surefire reports: no test ran" > "/dev/stderr"; exit 1 }
        printf "Tests run: %d, Failures: %d, Errors: %d, Skipped: %d (Surefire, %d classes)\n", r, f, e, s, n }'
