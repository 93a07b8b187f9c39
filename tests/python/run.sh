#!/usr/bin/env bash
# Runs the Python SDK conformance suite (oss2 + alibabacloud-oss-v2) against a fresh ossd.
# Usage: tests/python/run.sh [pytest args...]
#   OSSD_BIN=path        use this binary instead of building target/release/ossd
#   OSSD_ENDPOINT=url    use a running server (with OSSD_ROOT_ACCESS_KEY_ID/SECRET)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
if [ -z "${OSSD_BIN:-}" ] && [ -z "${OSSD_ENDPOINT:-}" ]; then
    (cd "$repo" && cargo build --release --quiet -p ossd)
fi
cd "$here"
exec "$venv/bin/python" -m pytest "$@"
