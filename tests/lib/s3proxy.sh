# Sourced by scripts/test.sh (or by hand: `source tests/lib/s3proxy.sh && s3proxy_start`): an
# S3-compatible server on a free loopback port for the tests of blobs over OpenDAL's s3 service.
#
# The server is s3proxy (Maven Central: org.gaul:s3proxy, jar-with-dependencies) with its
# filesystem backend: a real S3 implementation (SigV2/V4 auth, multipart uploads, ranged GETs,
# ListObjectsV2) that is also run in production as a gateway, fetched through Maven like the Java
# suite's dependencies, and runnable on the JDK 17 the Java suite needs anyway.
#
# After `s3proxy_start`: OSSD_TEST_S3_ENDPOINT (http://127.0.0.1:PORT), OSSD_TEST_S3_BUCKET,
# OSSD_TEST_S3_ACCESS_KEY_ID, OSSD_TEST_S3_SECRET_ACCESS_KEY and OSSD_TEST_S3_DIR are exported; the server and its
# directory go away when the shell exits (`s3proxy_stop` stops it earlier).

S3PROXY_VERSION="${S3PROXY_VERSION:-2.6.0}"
S3PROXY_JAR="${HOME}/.m2/repository/org/gaul/s3proxy/${S3PROXY_VERSION}/s3proxy-${S3PROXY_VERSION}-jar-with-dependencies.jar"
S3PROXY_PID=""
S3PROXY_DIR=""

s3proxy_stop() {
  if [ -n "$S3PROXY_PID" ]; then
    kill -TERM "$S3PROXY_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$S3PROXY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$S3PROXY_PID" 2>/dev/null || true
    S3PROXY_PID=""
  fi
  if [ -n "$S3PROXY_DIR" ]; then rm -rf "$S3PROXY_DIR"; S3PROXY_DIR=""; fi
}

s3proxy_start() {
  if [ ! -f "$S3PROXY_JAR" ]; then
    mvn -q -B dependency:get -Dtransitive=false \
      "-Dartifact=org.gaul:s3proxy:${S3PROXY_VERSION}:jar:jar-with-dependencies" >&2 || return 1
  fi
  S3PROXY_DIR="$(mktemp -d /tmp/ossd-s3proxy.XXXXXX)"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  local key="s3test$RANDOM" secret="s3secret$RANDOM$RANDOM" bucket="ossd-blobs"
  mkdir -p "$S3PROXY_DIR/data/$bucket"
  cat > "$S3PROXY_DIR/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:${port}
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${key}
s3proxy.credential=${secret}
jclouds.provider=filesystem
jclouds.filesystem.basedir=${S3PROXY_DIR}/data
EOF
  java -jar "$S3PROXY_JAR" --properties "$S3PROXY_DIR/s3proxy.conf" > "$S3PROXY_DIR/s3proxy.log" 2>&1 &
  S3PROXY_PID=$!
  trap s3proxy_stop EXIT
  # Ready when its port takes connections (Jetty listens once s3proxy is set up).
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      export OSSD_TEST_S3_ENDPOINT="http://127.0.0.1:${port}"
      export OSSD_TEST_S3_BUCKET="$bucket"
      export OSSD_TEST_S3_ACCESS_KEY_ID="$key"
      export OSSD_TEST_S3_SECRET_ACCESS_KEY="$secret"
      # Where its filesystem backend keeps the objects (tests look there: bucket/key as files).
      export OSSD_TEST_S3_DIR="$S3PROXY_DIR/data"
      return 0
    fi
    if ! kill -0 "$S3PROXY_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "s3proxy did not start; its log:" >&2
  cat "$S3PROXY_DIR/s3proxy.log" >&2 || true
  return 1
}
