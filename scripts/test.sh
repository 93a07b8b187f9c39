#!/usr/bin/env bash
# The whole test suite, from a fresh machine: lint, build once (release), Rust tests, then the
# real-client suites (Python, Node + Chromium, Go, Java) against real ossd processes. Exits non-zero
# on any failure. Needs cargo, python3, node, go and mvn (JDK 17) on the machine (mvn also fetches
# s3proxy, the S3 server the OpenDAL blob tests run against); installs Debian's postgresql (as
# root) if it is missing, and runs a throwaway server of it for the duration.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TERM_COLOR=never

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --release -- -D warnings

step "S3 server for the blobs-over-OpenDAL tests (s3proxy from Maven Central, loopback)"
# Exports OSSD_TEST_S3_*; OSSD_REQUIRE_S3=1 makes those tests fail instead of skipping.
source tests/lib/s3proxy.sh
s3proxy_start
export OSSD_REQUIRE_S3=1

step "PostgreSQL for the tests of the PostgreSQL metadata backend (tests/lib/postgres.sh)"
# shellcheck source=../tests/lib/postgres.sh
source tests/lib/postgres.sh
# Both servers go when the script exits, however it exits.
trap 'pg_stop; s3proxy_stop' EXIT
pg_start
# The PostgreSQL tests (Rust and Python) fail instead of skipping if the server is missing.
export OSSD_REQUIRE_POSTGRES=1

step "rust tests (release; also builds the release ossd for the suites below)"
cargo test --workspace --release
export OSSD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/ossd"
test -x "$OSSD_BIN"

step "deployment files (systemd-analyze on deploy/ossd.service)"
bash deploy/check.sh

step "python SDK suite (oss2, alibabacloud-oss-v2)"
VENV="$ROOT/tests/python/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
# test_cluster.py runs in the cluster step below.
"$VENV/bin/python" -m pytest -q tests/python --ignore tests/python/test_cluster.py

step "cluster: the Python suite through nginx over two nodes on PostgreSQL + s3proxy, then kill -9, multipart and CORS across nodes"
bash tests/cluster/run.sh

step "node SDK + browser suite (ali-oss, Chromium)"
bash tests/node/run.sh

step "go SDK suite (aliyun-oss-go-sdk, alibabacloud-oss-go-sdk-v2)"
bash tests/go/run.sh

step "java SDK suite (aliyun-sdk-oss, alibabacloud-oss-v2)"
bash tests/java/run.sh

step "done"
