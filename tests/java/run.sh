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
SUITE=java
cd "$HERE"

# shellcheck source=../lib/ossd-server.sh
. "$ROOT/tests/lib/ossd-server.sh"
suite_artifacts() {
  if [ -d "$WORK/target/surefire-reports" ]; then
    cp -r "$WORK/target/surefire-reports" "$1/java-surefire-reports"
  fi
}

command -v mvn >/dev/null || { say "mvn is not installed"; exit 2; }

# Build output outside the worktree.
MVN=(mvn -q -B -ntp "-DbuildDirectory=$WORK/target")

# Dependencies and test classes, before the server starts.
"${MVN[@]}" test-compile >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

ossd_start
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
