# Sourced by the real-client suites' run.sh (tests/go, tests/java): one ossd process on a free
# loopback port with a temp data directory and a fresh root key, stopped on exit; its log is kept
# in <repo>/test-artifacts/ossd-<suite>-suite.log when the suite fails.
#
# Before sourcing, set SUITE (e.g. "go") and ROOT (the repository). After `ossd_start`:
# OSSD_ENDPOINT, OSSD_REGION, OSSD_ACCESS_KEY_ID and OSSD_ACCESS_KEY_SECRET are exported, and WORK
# is a temp directory removed on exit. A suite may define `suite_artifacts` (called on failure
# with the artifacts directory) to keep more.

OSSD_BIN="${OSSD_BIN:-$ROOT/target/release/ossd}"
ARTIFACTS="$ROOT/test-artifacts"

say() { printf '[%s-suite] %s\n' "$SUITE" "$*" >&2; }

if [ ! -x "$OSSD_BIN" ]; then
  say "ossd binary not found at $OSSD_BIN: run 'cargo build --release' or set OSSD_BIN"
  exit 3
fi

WORK="$(mktemp -d "/tmp/ossd-$SUITE.XXXXXX")"
OSSD_PID=""
ossd_cleanup() {
  local rc=$?
  if [ -n "$OSSD_PID" ]; then
    kill -TERM "$OSSD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$OSSD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$OSSD_PID" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ] && [ -f "$WORK/ossd.log" ]; then
    mkdir -p "$ARTIFACTS"
    cp "$WORK/ossd.log" "$ARTIFACTS/ossd-$SUITE-suite.log"
    if declare -F suite_artifacts >/dev/null; then suite_artifacts "$ARTIFACTS"; fi
    say "failed (exit $rc); server log: $ARTIFACTS/ossd-$SUITE-suite.log"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap ossd_cleanup EXIT
trap 'exit 130' INT TERM

ossd_start() {
  local port key_id secret
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  key_id="LTAI$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
  secret="$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')"
  OSSD_ROOT_ACCESS_KEY_ID="$key_id" OSSD_ROOT_ACCESS_KEY_SECRET="$secret" \
    "$OSSD_BIN" serve --listen "127.0.0.1:$port" --data-dir "$WORK/data" --region cn-hangzhou \
    >"$WORK/ossd.log" 2>&1 &
  OSSD_PID=$!
  local i
  for i in $(seq 200); do
    if ! kill -0 "$OSSD_PID" 2>/dev/null; then
      say "ossd exited before it was ready:"; tail -n 30 "$WORK/ossd.log" >&2; exit 1
    fi
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/-/healthz" || true)" = 200 ] && break
    [ "$i" = 200 ] && { say "ossd not ready after 10 s"; tail -n 30 "$WORK/ossd.log" >&2; exit 1; }
    sleep 0.05
  done
  export OSSD_ENDPOINT="http://127.0.0.1:$port" OSSD_REGION=cn-hangzhou
  export OSSD_ACCESS_KEY_ID="$key_id" OSSD_ACCESS_KEY_SECRET="$secret"
}
