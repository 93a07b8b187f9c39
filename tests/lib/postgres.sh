# Sourced by scripts/test.sh (and usable by hand): a throwaway PostgreSQL server for the tests of
# the PostgreSQL metadata backend. `pg_start` installs Debian's postgresql if no server binary is
# there (apt-get, as root), creates a cluster in a temp directory, starts it on a free loopback
# port and creates database `ossd_test`; then OSSD_TEST_POSTGRES_URL is exported
# (postgres://ossd@127.0.0.1:PORT/ossd_test, trust authentication on loopback: no password).
# The server offers TLS (ssl=on) with a certificate for DNS name `localhost` only, issued by a
# throwaway CA whose certificate is exported as OSSD_TEST_POSTGRES_CA: a client that prefers TLS
# (libpq's and ossd's default) gets it; plain connections are allowed too. One role
# authenticates with a password (SCRAM-SHA-256, TLS only): OSSD_TEST_POSTGRES_SCRAM_USER and
# OSSD_TEST_POSTGRES_SCRAM_PASSWORD, which may create databases.
# `pg_stop` stops it and removes the directory; call it from your EXIT trap.
#
# The cluster runs with fsync off: it is thrown away after the run, and durability is not what
# the tests measure (PG_FSYNC=on turns fsync and full-page writes on, for bench/cluster.sh).
# PostgreSQL refuses to run as root, so as root it runs as user `postgres`.

PG_DIR=""
PG_AS=()

pg_say() { printf '[postgres] %s\n' "$*" >&2; }

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/postgres" ]; then
    echo "$d"
  fi
}

pg_start() {
  local bin port
  bin=$(pg_bin)
  if [ -z "$bin" ]; then
    if [ "$(id -u)" != 0 ]; then
      pg_say "no PostgreSQL server in /usr/lib/postgresql and not root: install Debian's 'postgresql' package"
      return 1
    fi
    pg_say "installing Debian's postgresql"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bin=$(pg_bin)
    if [ -z "$bin" ]; then
      pg_say "postgresql installed but no server binary found"
      return 1
    fi
  fi
  PG_DIR=$(mktemp -d /tmp/ossd-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  pg_tls "$PG_DIR/tls" || return 1
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${PG_AS[@]}" "$bin/initdb" -D "$PG_DIR/data" -U ossd -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  # The password role first (pg_hba.conf: the first matching line decides), then initdb's trust.
  { printf 'hostssl all ossd_scram 127.0.0.1/32 scram-sha-256\nhost all ossd_scram 127.0.0.1/32 reject\n'
    cat "$PG_DIR/data/pg_hba.conf"; } >"$PG_DIR/pg_hba.new"
  cat "$PG_DIR/pg_hba.new" >"$PG_DIR/data/pg_hba.conf"
  "${PG_AS[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=${PG_FSYNC:-off} -c full_page_writes=${PG_FSYNC:-off} -c max_connections=300 -c ssl=on -c ssl_cert_file=$PG_DIR/tls/server.pem -c ssl_key_file=$PG_DIR/tls/server.key" >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U ossd -d postgres -c 'CREATE DATABASE ossd_test' >/dev/null
  OSSD_TEST_POSTGRES_SCRAM_PASSWORD="scram-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U ossd -d postgres \
    -c "CREATE ROLE ossd_scram LOGIN CREATEDB PASSWORD '$OSSD_TEST_POSTGRES_SCRAM_PASSWORD'" >/dev/null
  export OSSD_TEST_POSTGRES_SCRAM_USER=ossd_scram OSSD_TEST_POSTGRES_SCRAM_PASSWORD
  export OSSD_TEST_POSTGRES_URL="postgres://ossd@127.0.0.1:$port/ossd_test"
  export OSSD_TEST_PSQL="$bin/psql"
  export OSSD_TEST_POSTGRES_CA="$PG_DIR/tls/ca.pem"
  export OSSD_TEST_POSTGRES_SOCKET_DIR="$PG_DIR"
  pg_say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $OSSD_TEST_POSTGRES_URL"
}

# A CA and a server certificate for `localhost` signed by it, in DIR (openssl, installed from
# Debian if missing).
pg_tls() { # DIR
  local dir=$1
  if ! command -v openssl >/dev/null; then
    [ "$(id -u)" = 0 ] || { pg_say "openssl is needed for the TLS certificate of the test server"; return 1; }
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null
  fi
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
      -out ca.pem -days 30 -subj "/CN=ossd test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
      -out server.csr -subj "/CN=localhost" &&
    printf 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >server.ext &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile server.ext -out server.pem
  ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; return 1; }
  chmod 600 "$dir/server.key"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; chmod 755 "$dir"; chmod 644 "$dir/ca.pem"; fi
}

pg_stop() {
  local bin
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ]; then
    bin=$(pg_bin)
    "${PG_AS[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "$PG_DIR" ]; then
    rm -rf "$PG_DIR"
  fi
  PG_DIR=""
}
