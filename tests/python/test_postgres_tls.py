"""TLS between ossd and its PostgreSQL metadata, set in the `--meta` URL as libpq sets it.

`sslmode` (disable, prefer — the default —, require, verify-ca, verify-full) and `sslrootcert` (a
PEM file of roots, or `system`) mean what the PostgreSQL documentation says they mean
(https://www.postgresql.org/docs/current/libpq-ssl.html, table "SSL Mode Descriptions"): the
session is encrypted unless `disable` (`prefer` falls back to plain text only if the server
offers no TLS); `verify-ca` checks the certificate chain up to a given root, `verify-full` also
the host name of the URL. Every connection of a node — the pool and the change feed — is
checked on the server side, in `pg_stat_ssl`. Over TLS, ossd offers SCRAM channel binding
(`tls-server-end-point`): with `channel_binding=require` a role that authenticates with a
password (SCRAM-SHA-256) connects only if the binding was used
(https://www.postgresql.org/docs/current/sasl-authentication.html).

The test server (tests/lib/postgres.sh) offers TLS with a certificate for `localhost` only,
issued by the CA in OSSD_TEST_POSTGRES_CA: through `127.0.0.1` the name does not match.
"""

import os
import subprocess
import urllib.parse

import pytest

from conftest import new_credentials, oss2_bucket, require_env, unique_bucket_name
from test_cluster_state import psql
from test_postgres_meta import node, pg_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.own_server


@pytest.fixture
def ca():
    return require_env("OSSD_TEST_POSTGRES_CA", "OSSD_REQUIRE_POSTGRES",
                       "TLS test server (tests/lib/postgres.sh)")


def with_params(url, host=None, **params):
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if host:
        user, _, hostport = netloc.rpartition("@")
        netloc = f"{user}@{host}:{hostport.rsplit(':', 1)[1]}"
    query = urllib.parse.urlencode(params)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


def connections(pg_url):  # noqa: F811
    """(application_name, ssl) of every connection of ossd to this test's database."""
    db = urllib.parse.urlsplit(pg_url).path.lstrip("/")
    out = psql(pg_url, "SELECT a.application_name, s.ssl FROM pg_stat_activity a "
                       "JOIN pg_stat_ssl s USING (pid) WHERE a.datname = "
                       f"'{db}' AND a.application_name LIKE 'ossd%' ORDER BY 1")
    return [tuple(line.split("|")) for line in out.splitlines()]


def serves(tmp_path, url, name):
    """Starts a node on `url`, writes and reads one object through it; the node."""
    srv = node(tmp_path, tmp_path / f"data-{name}", new_credentials(), url, name).start()
    bucket = oss2_bucket(srv.endpoint, srv.creds, unique_bucket_name())
    bucket.create_bucket()
    bucket.put_object("k", b"over tls")
    assert bucket.get_object("k").read() == b"over tls"
    return srv


def refused(tmp_path, url, name):
    """Starting a node on `url` fails; what it said."""
    srv = node(tmp_path, tmp_path / f"data-{name}", new_credentials(), url, name)
    with pytest.raises(RuntimeError) as e:
        srv.start()
    srv.kill()
    return str(e.value)


def test_verify_full_checks_the_chain_and_the_name(tmp_path, pg_url, ca):  # noqa: F811
    srv = serves(tmp_path, with_params(pg_url, host="localhost", sslmode="verify-full",
                                       sslrootcert=ca), "full")
    try:
        conns = connections(pg_url)
        apps = {app for app, _ in conns}
        assert {"ossd", "ossd-changes"} <= apps, conns
        assert all(ssl == "t" for _, ssl in conns), conns
        assert "sslmode=verify-full" in srv.log_path.read_text(errors="replace")
    finally:
        srv.kill()
    # The certificate names localhost, not 127.0.0.1.
    said = refused(tmp_path, with_params(pg_url, sslmode="verify-full", sslrootcert=ca), "ip")
    assert 'certificate not valid for name "127.0.0.1"' in said, said


def test_verify_ca_checks_the_chain_only(tmp_path, pg_url, ca):  # noqa: F811
    srv = serves(tmp_path, with_params(pg_url, sslmode="verify-ca", sslrootcert=ca), "ca")
    try:
        assert all(ssl == "t" for _, ssl in connections(pg_url))
    finally:
        srv.kill()


def test_a_server_certificate_from_another_ca_is_refused(tmp_path, pg_url, ca):  # noqa: F811
    other = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(tmp_path / "other.key"),
                    "-out", str(other), "-days", "1", "-subj", "/CN=another CA",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
    for mode in ["verify-full", "verify-ca", "require"]:
        said = refused(tmp_path, with_params(pg_url, host="localhost", sslmode=mode,
                                             sslrootcert=str(other)), f"other-{mode}")
        assert "UnknownIssuer" in said, (mode, said)


def test_prefer_and_require_encrypt_and_disable_does_not(tmp_path, pg_url, ca):  # noqa: F811
    for params, ssl in [({}, "t"), ({"sslmode": "require"}, "t"), ({"sslmode": "disable"}, "f")]:
        srv = serves(tmp_path, with_params(pg_url, **params), params.get("sslmode", "prefer"))
        try:
            conns = connections(pg_url)
            assert conns and all(s == ssl for _, s in conns), (params, conns)
        finally:
            srv.kill()


def test_tls_settings_ossd_cannot_honour_stop_the_start(tmp_path, pg_url, ca):  # noqa: F811
    # libpq's default root file would be used without sslrootcert: this test's HOME has none.
    assert not os.path.exists(os.path.expanduser("~/.postgresql/root.crt"))
    for params, says in [
        ({"sslmode": "verify-full"}, "needs the root certificates"),
        ({"sslmode": "verify-full", "sslrootcert": str(tmp_path / "none.pem")}, "none.pem"),
        ({"sslmode": "require", "sslrootcert": "system"}, "needs sslmode=verify-full"),
        ({"sslmode": "require", "sslcert": ca, "sslkey": ca}, "client certificates"),
        ({"sslmode": "allow"}, "sslmode=allow"),
    ]:
        said = refused(tmp_path, with_params(pg_url, **params), "bad")
        assert says in said, (params, said)



def test_scram_with_channel_binding(tmp_path, pg_url, ca, monkeypatch):  # noqa: F811
    user = os.environ.get("OSSD_TEST_POSTGRES_SCRAM_USER")
    password = os.environ.get("OSSD_TEST_POSTGRES_SCRAM_PASSWORD")
    assert user and password, "tests/lib/postgres.sh creates the password role"
    # A database of that role's own (it creates the schema).
    db = "scram_" + urllib.parse.urlsplit(pg_url).path.lstrip("/")
    psql(pg_url, f"CREATE DATABASE {db} OWNER {user}")
    parts = urllib.parse.urlsplit(pg_url)
    hostport = parts.netloc.rpartition("@")[2]
    url = f"postgres://{user}@{hostport}/{db}?sslmode=require&channel_binding=require"
    try:
        monkeypatch.setenv("OSSD_META_PASSWORD", "not-" + password)
        said = refused(tmp_path, url, "wrong-pw")
        assert "password authentication failed" in said, said
        assert password not in said
        monkeypatch.setenv("OSSD_META_PASSWORD", password)
        srv = serves(tmp_path, url, "scram")
        srv.kill()
        assert password not in srv.log_path.read_text(errors="replace")
    finally:
        psql(pg_url, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def test_a_unix_socket_connection_is_plain_and_works(tmp_path, pg_url, ca):  # noqa: F811
    # No TLS over a local socket (the server offers none there): the default `prefer` falls
    # back to plain, as libpq's does, whatever the TLS machinery makes of the missing host name.
    sock = os.environ.get("OSSD_TEST_POSTGRES_SOCKET_DIR")
    assert sock, "tests/lib/postgres.sh exports the socket directory"
    parts = urllib.parse.urlsplit(pg_url)
    port = parts.netloc.rsplit(":", 1)[1]
    url = f"postgres://ossd@{urllib.parse.quote(sock, safe='')}:{port}{parts.path}"
    srv = serves(tmp_path, url, "socket")
    try:
        conns = connections(pg_url)
        assert conns and all(ssl == "f" for _, ssl in conns), conns
    finally:
        srv.kill()
