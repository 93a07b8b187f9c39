#!/usr/bin/env bash
# Real-client suites: ali-oss in Node and Chromium (playwright-core) against one ossd process
# (the demo page, and the web console at /-/console/).
# Starts ossd (free port, temp data dir, fresh root key) and a static server for the demo page on
# three other ports (two allowed app origins, one not allowed), runs `node --test`, stops
# everything it started, and exits non-zero on any failure. Screenshots: <repo>/test-artifacts/.
# Env: OSSD_BIN (default <repo>/target/release/ossd); extra args are passed to `node --test`
# (e.g. `--test-name-pattern=PostObject`).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OSSD_BIN="${OSSD_BIN:-$ROOT/target/release/ossd}"
ARTIFACTS="$ROOT/test-artifacts"
CHROMIUM=/usr/bin/chromium
cd "$HERE"

say() { printf '[node-suite] %s\n' "$*" >&2; }

# 1. Debian's Chromium (Playwright's own download is not used).
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" != 0 ]; then
    say "$CHROMIUM is missing and we are not root: install it with 'apt-get install -y chromium'"
    exit 2
  fi
  say "installing chromium from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 install -y -q chromium >/dev/null ||
    { apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null &&
      apt-get -o DPkg::Lock::Timeout=300 install -y -q chromium >/dev/null; }
fi

# 2. Node dependencies, exactly as locked.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null

if [ ! -x "$OSSD_BIN" ]; then
  say "ossd binary not found at $OSSD_BIN: run 'cargo build --release' or set OSSD_BIN"
  exit 3
fi

# 3. Processes, all stopped on exit.
WORK="$(mktemp -d /tmp/ossd-node.XXXXXX)"
OSSD_PID=""
DEMO_PID=""
cleanup() {
  local rc=$?
  for pid in $DEMO_PID $OSSD_PID; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $DEMO_PID $OSSD_PID; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$rc" != 0 ] && [ -f "$WORK/ossd.log" ]; then
    mkdir -p "$ARTIFACTS"
    cp "$WORK/ossd.log" "$ARTIFACTS/ossd-node-suite.log"
    say "failed (exit $rc); server log: $ARTIFACTS/ossd-node-suite.log"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Four distinct free ports: store, app origin, second app origin, refused origin.
read -r STORE_PORT APP_PORT APP2_PORT DENIED_PORT < <(node -e '
  const net = require("net");
  const socks = [0, 1, 2, 3].map(() => net.createServer());
  Promise.all(socks.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", ok)))).then(() => {
    console.log(socks.map((s) => s.address().port).join(" "));
    socks.forEach((s) => s.close());
  });')

ACCESS_KEY_ID="LTAI$(node -e 'process.stdout.write(require("crypto").randomBytes(8).toString("hex").toUpperCase())')"
ACCESS_KEY_SECRET="$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))')"

OSSD_ROOT_ACCESS_KEY_ID="$ACCESS_KEY_ID" OSSD_ROOT_ACCESS_KEY_SECRET="$ACCESS_KEY_SECRET" \
  "$OSSD_BIN" serve --listen "127.0.0.1:$STORE_PORT" --data-dir "$WORK/data" --region cn-hangzhou \
  >"$WORK/ossd.log" 2>&1 &
OSSD_PID=$!

node demo-server.mjs "$APP_PORT" "$APP2_PORT" "$DENIED_PORT" >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!

wait_http() {
  local url=$1 pid=$2 name=$3
  for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "$name exited before it was ready:"; tail -n 30 "$WORK/$name.log" >&2; return 1
    fi
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" = 200 ] && return 0
    sleep 0.05
  done
  say "$name not ready after 10 s ($url)"; tail -n 30 "$WORK/$name.log" >&2; return 1
}
wait_http "http://127.0.0.1:$STORE_PORT/-/healthz" "$OSSD_PID" ossd
wait_http "http://127.0.0.1:$APP_PORT/" "$DEMO_PID" demo
say "ossd on 127.0.0.1:$STORE_PORT, demo page on 127.0.0.1:$APP_PORT/$APP2_PORT/$DENIED_PORT"

mkdir -p "$ARTIFACTS"

# 4. The suites.
export OSSD_ENDPOINT="http://127.0.0.1:$STORE_PORT"
export OSSD_STORE_ORIGIN="http://localhost:$STORE_PORT"
export OSSD_ACCESS_KEY_ID="$ACCESS_KEY_ID" OSSD_ACCESS_KEY_SECRET="$ACCESS_KEY_SECRET"
export APP_ORIGIN="http://127.0.0.1:$APP_PORT"
export APP_ORIGIN_2="http://127.0.0.1:$APP2_PORT"
export APP_ORIGIN_DENIED="http://127.0.0.1:$DENIED_PORT"
export ARTIFACTS_DIR="$ARTIFACTS" CHROMIUM
export OSSD_BIN
node --test --test-reporter=spec "$@" sdk.test.mjs browser.test.mjs https.test.mjs console.test.mjs
