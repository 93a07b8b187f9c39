#!/usr/bin/env bash
# The whole test suite, from a fresh machine: lint, build once (release), Rust tests, then the
# real-client suites against real ossd processes. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TERM_COLOR=never

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --release -- -D warnings

step "rust tests (release; also builds the release ossd for the suites below)"
cargo test --workspace --release
export OSSD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/ossd"
test -x "$OSSD_BIN"

step "python SDK suite (oss2, alibabacloud-oss-v2)"
VENV="$ROOT/tests/python/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
"$VENV/bin/python" -m pytest -q tests/python

step "node SDK + browser suite (ali-oss, Chromium)"
bash tests/node/run.sh

step "done"
