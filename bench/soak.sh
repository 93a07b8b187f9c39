#!/usr/bin/env bash
# bench/soak.sh — crash soak: mixed load on a release ossd, `kill -9` every minute, restart, and
# check that every acknowledged write survived (BENCHMARKS.md, "Soak"). Not part of the test suite.
#
# Starts ossd on 127.0.0.1 (a free port) with a fresh data directory, runs SOAK_CONNS connections of
# PUT (small and > 16 KiB), GET, DELETE, multipart, CopyObject and ListObjects on their own keys for
# SOAK_SECS seconds, kills the server with SIGKILL every SOAK_KILL_EVERY seconds and restarts it,
# then checks every key against the acknowledged writes (a request in flight at the kill may have
# either outcome). The driver is bench/soak.py (Python standard library only).
#
# Environment:
#   SOAK_SECS          seconds of load (default 600)
#   SOAK_CONNS         concurrent connections, one thread each (default 64)
#   SOAK_KILL_EVERY    seconds between two kill -9 (default 60)
#   SOAK_KEYS          keys per connection (default 16)
#   SOAK_SEED          seed of the operation mix (default 1)
#   SOAK_NO_BUILD      if set, use the ossd already built instead of `cargo build --release -p ossd`
#   OSSD_BIN           run this ossd binary (no build)
#   SOAK_KEEP          if set, keep the work directory (data dir and server log)
#   CARGO_TARGET_DIR   where the release binary is (default ./target); the work directory goes there too
# Exit status: 0 when nothing was lost or torn and every read and listing matched, 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OSSD=${OSSD_BIN:-$TARGET_DIR/release/ossd}

command -v python3 >/dev/null || { echo "soak.sh: python3 is required" >&2; exit 1; }
if [ -z "${SOAK_NO_BUILD:-}" ] && [ -z "${OSSD_BIN:-}" ]; then
    cargo build --release -p ossd
fi
[ -x "$OSSD" ] || { echo "soak.sh: $OSSD is missing (build it or unset SOAK_NO_BUILD)" >&2; exit 1; }

WORK=$(mktemp -d "$TARGET_DIR/soak-work.XXXXXX")
RC=1
cleanup() {
    if [ -n "${SOAK_KEEP:-}" ] || [ "$RC" -ne 0 ]; then
        echo "soak.sh: kept $WORK"
    else
        echo "soak.sh: removing $WORK (many small directories: this can take a while)"
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
mkdir -p "$WORK/data"

echo "soak.sh: $(date -u +%FT%TZ) secs=${SOAK_SECS:-600} conns=${SOAK_CONNS:-64}" \
    "kill_every=${SOAK_KILL_EVERY:-60} ossd=$OSSD head=$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
RC=0
python3 "$ROOT/bench/soak.py" \
    --ossd "$OSSD" --data-dir "$WORK/data" \
    --secs "${SOAK_SECS:-600}" --conns "${SOAK_CONNS:-64}" --kill-every "${SOAK_KILL_EVERY:-60}" \
    --keys-per-conn "${SOAK_KEYS:-16}" --seed "${SOAK_SEED:-1}" --json "$WORK/soak.json" || RC=$?
exit "$RC"
