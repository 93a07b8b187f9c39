# Sourced by tests/cluster/run.sh and bench/cluster.sh: two ossd nodes sharing one PostgreSQL
# database (--meta) and one S3 bucket (--blobs), behind nginx as a round-robin load balancer.
#
# Needs PostgreSQL and an S3 server already running (tests/lib/postgres.sh, tests/lib/s3proxy.sh:
# OSSD_TEST_POSTGRES_URL, OSSD_TEST_PSQL, OSSD_TEST_S3_*), OSSD_BIN and the root key in
# OSSD_ROOT_ACCESS_KEY_ID / OSSD_ROOT_ACCESS_KEY_SECRET. `cluster_start DIR` creates a fresh
# database and blob prefix, starts node a and node b (each its own data directory, one master key
# file for both, a metrics listener each) and nginx, and exports:
#   CLUSTER_ENDPOINT   http://127.0.0.1:PORT of nginx
#   CLUSTER_A, CLUSTER_B            http://127.0.0.1:PORT of each node
#   CLUSTER_A_METRICS, CLUSTER_B_METRICS  http://127.0.0.1:PORT of each metrics listener
#   CLUSTER_META, CLUSTER_BLOBS     the --meta and --blobs values
#   CLUSTER_A_PID, CLUSTER_B_PID, CLUSTER_NGINX_PID
# `cluster_stop` stops all three (call it from the EXIT trap). CLUSTER_LOG_LEVEL (default info)
# is the nodes' --log-level. CLUSTER_PG_TLS says how the nodes reach PostgreSQL: `verify-full`
# (the default: TLS, the server's certificate checked against OSSD_TEST_POSTGRES_CA and the name
# `localhost`, as a production set-up would) or `disable` (plain TCP, what bench/cluster.sh
# measured before the test server offered TLS).
#
# nginx: one worker process, round robin, and no `keepalive` in the upstream block, so every
# request opens a new connection to the next node in turn: consecutive requests alternate
# between a and b whatever the client's connection reuse. Bodies are streamed both ways
# (no request or response buffering, no size limit), the Host header is passed unchanged
# (virtual-hosted-style requests name the bucket in it), and the nodes' Server and Date headers
# reach the client.

CLUSTER_DIR=""
CLUSTER_A_PID=""
CLUSTER_B_PID=""
CLUSTER_NGINX_PID=""

cluster_say() { printf '[cluster] %s\n' "$*" >&2; }

cluster_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cluster_wait_http() { # URL PID NAME
  local i
  for i in $(seq 1 200); do
    kill -0 "$2" 2>/dev/null || { cluster_say "$3 exited during start-up"; return 1; }
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; then return 0; fi
    sleep 0.1
  done
  cluster_say "$3 did not answer 200 on $1 within 20 s"
  return 1
}

cluster_install_nginx() {
  command -v nginx >/dev/null && return 0
  [ -x /usr/sbin/nginx ] && return 0
  if [ "$(id -u)" != 0 ]; then
    cluster_say "nginx is missing and this is not root: install Debian's nginx package"
    return 1
  fi
  cluster_say "installing Debian's nginx"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
}

# cluster_node NAME PORT METRICS_PORT: starts one node in the background, prints its pid.
cluster_node() {
  local name=$1 port=$2 mport=$3
  "$OSSD_BIN" serve --listen "127.0.0.1:$port" --data-dir "$CLUSTER_DIR/node-$name" \
    --region cn-hangzhou --meta "$CLUSTER_META" --blobs "$CLUSTER_BLOBS" \
    --blobs-secret-file "$CLUSTER_DIR/s3.toml" --master-key-file "$CLUSTER_DIR/master-key.json" \
    --metrics-listen "127.0.0.1:$mport" --log-level "${CLUSTER_LOG_LEVEL:-info}" \
    >>"$CLUSTER_DIR/node-$name.log" 2>&1 &
  echo $!
}

cluster_start() {
  CLUSTER_DIR=$1
  mkdir -p "$CLUSTER_DIR"
  chmod 755 "$CLUSTER_DIR"
  cluster_install_nginx || return 1
  local id db pa pb ma mb pn
  id="c$(date +%s)$RANDOM"
  db="cluster_$id"
  "$OSSD_TEST_PSQL" -q "$OSSD_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null || return 1
  CLUSTER_META="${OSSD_TEST_POSTGRES_URL%/*}/$db"
  case "${CLUSTER_PG_TLS:-verify-full}" in
    verify-full)
      [ -n "${OSSD_TEST_POSTGRES_CA:-}" ] || { cluster_say "no OSSD_TEST_POSTGRES_CA for CLUSTER_PG_TLS=verify-full"; return 1; }
      CLUSTER_META="${CLUSTER_META/@127.0.0.1:/@localhost:}?sslmode=verify-full&sslrootcert=$OSSD_TEST_POSTGRES_CA" ;;
    disable) CLUSTER_META="$CLUSTER_META?sslmode=disable" ;;
    *) cluster_say "CLUSTER_PG_TLS must be verify-full or disable"; return 1 ;;
  esac
  CLUSTER_BLOBS="s3://$OSSD_TEST_S3_BUCKET/$id?endpoint=$OSSD_TEST_S3_ENDPOINT&region=us-east-1"
  export CLUSTER_META CLUSTER_BLOBS
  (umask 077 && printf 'access_key_id = "%s"\nsecret_access_key = "%s"\n' \
    "$OSSD_TEST_S3_ACCESS_KEY_ID" "$OSSD_TEST_S3_SECRET_ACCESS_KEY" >"$CLUSTER_DIR/s3.toml")
  pa=$(cluster_free_port); pb=$(cluster_free_port); ma=$(cluster_free_port)
  mb=$(cluster_free_port); pn=$(cluster_free_port)
  # Node a first: it creates the schema and the master key file; node b then opens both.
  CLUSTER_A_PID=$(cluster_node a "$pa" "$ma")
  cluster_wait_http "http://127.0.0.1:$pa/-/healthz" "$CLUSTER_A_PID" "node a" \
    || { tail -n 30 "$CLUSTER_DIR/node-a.log" >&2; return 1; }
  CLUSTER_B_PID=$(cluster_node b "$pb" "$mb")
  cluster_wait_http "http://127.0.0.1:$pb/-/healthz" "$CLUSTER_B_PID" "node b" \
    || { tail -n 30 "$CLUSTER_DIR/node-b.log" >&2; return 1; }

  mkdir -p "$CLUSTER_DIR/nginx/tmp"
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  cat >"$CLUSTER_DIR/nginx/nginx.conf" <<NGINX
$user
worker_processes 1;
daemon off;
pid $CLUSTER_DIR/nginx/nginx.pid;
error_log $CLUSTER_DIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    client_body_temp_path $CLUSTER_DIR/nginx/tmp;
    proxy_temp_path $CLUSTER_DIR/nginx/tmp;
    fastcgi_temp_path $CLUSTER_DIR/nginx/tmp;
    uwsgi_temp_path $CLUSTER_DIR/nginx/tmp;
    scgi_temp_path $CLUSTER_DIR/nginx/tmp;
    keepalive_requests 10000000;
    large_client_header_buffers 8 64k;
    client_header_buffer_size 16k;
    client_max_body_size 0;
    # No keepalive here: a new upstream connection per request, to the next node in turn.
    upstream ossd {
        server 127.0.0.1:$pa max_fails=0;
        server 127.0.0.1:$pb max_fails=0;
    }
    server {
        listen 127.0.0.1:$pn;
        location / {
            proxy_pass http://ossd;
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
            proxy_set_header Connection "";
            # The node's own Server and Date headers, not nginx's.
            proxy_pass_header Server;
            proxy_pass_header Date;
            proxy_request_buffering off;
            proxy_buffering off;
            # Room for a response head with 8 KB of user metadata (x-oss-meta-*).
            proxy_buffer_size 64k;
            proxy_buffers 8 64k;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
            # A failed node is not retried on the other: the client sees what the node did.
            proxy_next_upstream off;
        }
    }
}
NGINX
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  "$nginx_bin" -e "$CLUSTER_DIR/nginx/error.log" -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf" &
  CLUSTER_NGINX_PID=$!
  cluster_wait_http "http://127.0.0.1:$pn/-/healthz" "$CLUSTER_NGINX_PID" nginx \
    || { cat "$CLUSTER_DIR/nginx/error.log" >&2; return 1; }
  export CLUSTER_ENDPOINT="http://127.0.0.1:$pn"
  export CLUSTER_A="http://127.0.0.1:$pa" CLUSTER_B="http://127.0.0.1:$pb"
  export CLUSTER_A_METRICS="http://127.0.0.1:$ma" CLUSTER_B_METRICS="http://127.0.0.1:$mb"
  export CLUSTER_A_PID CLUSTER_B_PID CLUSTER_NGINX_PID
  cluster_say "nginx $CLUSTER_ENDPOINT -> node a $CLUSTER_A, node b $CLUSTER_B (meta $CLUSTER_META)"
}

# The number of requests a node has answered (the sum of ossd_requests_total on its metrics
# listener, which does not count the metrics listener's own requests).
cluster_requests() { # METRICS_URL
  curl -sf "$1/-/metrics" | awk '/^ossd_requests_total\{/ { n += $NF } END { print n + 0 }'
}

cluster_stop() {
  local p
  for p in "$CLUSTER_NGINX_PID" "$CLUSTER_A_PID" "$CLUSTER_B_PID"; do
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
  done
  for p in "$CLUSTER_NGINX_PID" "$CLUSTER_A_PID" "$CLUSTER_B_PID"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  CLUSTER_NGINX_PID="" CLUSTER_A_PID="" CLUSTER_B_PID=""
}
