#!/usr/bin/env bash
# Checks deploy/ossd.service with systemd-analyze where it is installed (skipped with a message
# otherwise): `verify` must print nothing (an unknown key or a bad value is only a warning to
# systemd, so any output fails), and `security --offline` must rate the sandbox at an exposure
# of 2.0 or less. ExecStart is pointed at the built binary, which verify requires to exist.
# The example config deploy/ossd.toml is loaded by a Rust test (crates/ossd/src/config.rs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${OSSD_BIN:-$ROOT/target/release/ossd}"
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED deploy check: systemd-analyze is not installed"
  exit 0
fi
test -x "$BIN" || { echo "ossd binary not found at $BIN"; exit 3; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/local/bin/ossd#$BIN#" "$ROOT/deploy/ossd.service" >"$tmp/ossd.service"
out="$(systemd-analyze verify "$tmp/ossd.service" 2>&1)" || { echo "$out"; exit 1; }
if [ -n "$out" ]; then
  echo "systemd-analyze verify deploy/ossd.service:"
  echo "$out"
  exit 1
fi
systemd-analyze security --offline=yes --threshold=20 "$tmp/ossd.service" >"$tmp/security.txt" 2>&1 ||
  { cat "$tmp/security.txt"; echo "deploy/ossd.service: sandbox exposure above 2.0"; exit 1; }
echo "deploy/ossd.service: verify clean; $(tail -n 1 "$tmp/security.txt" | sed 's/^→ //')"
