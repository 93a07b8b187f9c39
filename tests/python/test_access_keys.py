"""Access keys besides root, managed with the CLI (`ossd key create|list|show|disable|enable|delete|
grant|revoke`), used from oss2 and alibabacloud-oss-v2: what read, write and owner grants allow,
disabled and deleted keys (403 InvalidAccessKeyId), and security tokens (refused with 400
InvalidArgument: STS does not exist in ossd)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests
from oss2.models import BucketCors, CorsRule

from conftest import (
    REGION, Credentials, assert_oss_error, ossd_binary, oss2_bucket, oss2_service, v2_client,
    v2_error,
)


class Cli:
    """Runs `ossd key ...` against the suite's server as root."""

    def __init__(self, endpoint: str, root: Credentials):
        self.endpoint = endpoint
        self.env = dict(os.environ)
        self.env["OSSD_ROOT_ACCESS_KEY_ID"] = root.access_key_id
        self.env["OSSD_ROOT_ACCESS_KEY_SECRET"] = root.access_key_secret
        self.env.pop("OSSD_ENDPOINT", None)

    def run(self, *args: str, check: bool = True, endpoint_last: bool = False):
        if endpoint_last:
            argv = [str(ossd_binary()), "key", *args, "--endpoint", self.endpoint]
        else:
            argv = [str(ossd_binary()), "key", "--endpoint", self.endpoint, *args]
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=30)
        if check:
            assert p.returncode == 0, f"{argv}: rc={p.returncode}\n{p.stdout}\n{p.stderr}"
        return p

    def json(self, *args: str):
        return json.loads(self.run(*args).stdout)

    def create(self, name: str = "") -> Credentials:
        out = self.json("create", "--name", name) if name else self.json("create")
        return Credentials(out["access_key_id"], out["access_key_secret"])


@pytest.fixture(scope="module")
def cli(server) -> Cli:
    return Cli(server.endpoint, server.creds)


@pytest.fixture
def new_key(cli):
    made: list[str] = []

    def _make(name: str = "") -> Credentials:
        k = cli.create(name)
        made.append(k.access_key_id)
        return k

    yield _make
    for kid in made:
        cli.run("delete", kid, check=False)


def oss2_error(excinfo) -> tuple[int, str]:
    return excinfo.value.status, excinfo.value.code


def cors_rules() -> BucketCors:
    return BucketCors([CorsRule(allowed_origins=["http://a.test"], allowed_methods=["GET"])])


# ------------------------------------------------------------------------------ the CLI itself


def test_cli_create_list_show(cli, new_key):
    out = cli.json("create", "--name", "ci runner")
    new_key_ids = [out["access_key_id"]]
    try:
        assert out["access_key_id"] and out["access_key_secret"]
        assert out["name"] == "ci runner"
        assert out["enabled"] is True
        listed = {k["access_key_id"]: k for k in cli.json("list")}
        assert out["access_key_id"] in listed
        assert "access_key_secret" not in listed[out["access_key_id"]]     # shown once only
        shown = cli.json("show", out["access_key_id"])
        assert shown["name"] == "ci runner"
        assert "access_key_secret" not in shown
    finally:
        for kid in new_key_ids:
            cli.run("delete", kid, check=False)


def test_cli_grant_revoke_shown(cli, new_key, bucket_name):
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "write")
    assert cli.json("show", k.access_key_id)["grants"] == {bucket_name: "write"}
    cli.run("revoke", k.access_key_id, bucket_name)
    assert cli.json("show", k.access_key_id)["grants"] == {}


def test_cli_errors(cli, new_key, bucket_name):
    k = new_key()
    p = cli.run("grant", k.access_key_id, bucket_name, "admin", check=False)
    assert p.returncode != 0
    p = cli.run("grant", k.access_key_id, bucket_name + "-missing", "read", check=False)
    assert p.returncode != 0
    p = cli.run("show", "LTAINOSUCHKEY", check=False)
    assert p.returncode != 0
    bad = Cli(cli.endpoint, Credentials(cli.env["OSSD_ROOT_ACCESS_KEY_ID"], "wrong"))
    assert bad.run("list", check=False).returncode != 0


def test_cli_endpoint_after_subcommand(cli, new_key):
    """The form `ossd key create --endpoint URL` (options after the subcommand)."""
    p = cli.run("create", check=False, endpoint_last=True)
    assert p.returncode == 0, p.stderr
    cli.run("delete", json.loads(p.stdout)["access_key_id"])


def test_admin_api_needs_root(endpoint, new_key):
    """A non-root key cannot manage keys (the CLI's admin API is root-only)."""
    k = new_key()
    p = subprocess.run([str(ossd_binary()), "key", "--endpoint", endpoint, "list"],
                       env={**os.environ, "OSSD_ROOT_ACCESS_KEY_ID": k.access_key_id,
                            "OSSD_ROOT_ACCESS_KEY_SECRET": k.access_key_secret},
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "AccessDenied" in p.stderr


# ------------------------------------------------------------------------------ permissions


def test_no_grant_no_access(endpoint, new_key, bucket, bucket_name):
    bucket.put_object("k", b"v")
    k = new_key()
    b = oss2_bucket(endpoint, k, bucket_name)
    for call in (lambda: b.get_object("k"), lambda: b.put_object("n", b"x"),
                 lambda: b.list_objects(), lambda: b.get_bucket_acl()):
        with pytest.raises(oss2.exceptions.ServerError) as ei:
            call()
        assert oss2_error(ei) == (403, "AccessDenied")
    # ListBuckets works but shows nothing of root's
    names = [x.name for x in oss2_service(endpoint, k).list_buckets().buckets]
    assert bucket_name not in names


def test_read_grant(cli, endpoint, new_key, bucket, bucket_name):
    bucket.put_object("k", b"readable")
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "read")
    b = oss2_bucket(endpoint, k, bucket_name)
    assert b.get_object("k").read() == b"readable"
    assert b.head_object("k").content_length == 8
    assert [o.key for o in oss2.ObjectIterator(b)] == ["k"]
    assert [o.key for o in oss2.ObjectIteratorV2(b)] == ["k"]
    names = [x.name for x in oss2_service(endpoint, k).list_buckets().buckets]
    assert bucket_name in names
    denied = [
        lambda: b.put_object("k", b"overwrite"),
        lambda: b.put_object("new", b"x"),
        lambda: b.delete_object("k"),
        lambda: b.append_object("app", 0, b"x"),
        lambda: b.init_multipart_upload("mp"),
        lambda: b.copy_object(bucket_name, "k", "copy"),
        lambda: b.put_bucket_cors(cors_rules()),
        lambda: b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ),
        lambda: b.put_object_acl("k", oss2.OBJECT_ACL_PUBLIC_READ),
        lambda: b.delete_bucket(),
    ]
    for call in denied:
        with pytest.raises(oss2.exceptions.ServerError) as ei:
            call()
        assert oss2_error(ei) == (403, "AccessDenied")
    with pytest.raises(oss2.exceptions.ServerError) as ei:     # batch delete: refused as a whole
        b.batch_delete_objects(["k"])
    assert oss2_error(ei) == (403, "AccessDenied")
    assert bucket.get_object("k").read() == b"readable"
    assert bucket.get_bucket_acl().acl == "private"


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_read_grant_v2(cli, endpoint, new_key, bucket, bucket_name, version):
    bucket.put_object("k", b"readable")
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "read")
    c = v2_client(endpoint, k, version)
    assert c.get_object(oss.GetObjectRequest(bucket=bucket_name, key="k")).body.read() == \
        b"readable"
    listed = c.list_objects_v2(oss.ListObjectsV2Request(bucket=bucket_name))
    assert [o.key for o in listed.contents] == ["k"]
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.put_object(oss.PutObjectRequest(bucket=bucket_name, key="k", body=b"no"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "AccessDenied")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.delete_object(oss.DeleteObjectRequest(bucket=bucket_name, key="k"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "AccessDenied")


def test_write_grant(cli, endpoint, new_key, bucket, bucket_name):
    bucket.put_object("k", b"v")
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "write")
    b = oss2_bucket(endpoint, k, bucket_name)
    b.put_object("w", b"written")
    assert bucket.get_object("w").read() == b"written"
    assert b.get_object("k").read() == b"v"                  # write includes read
    b.copy_object(bucket_name, "k", "copied")
    b.append_object("app", 0, b"a")
    up = b.init_multipart_upload("mp").upload_id
    part = b.upload_part("mp", up, 1, b"p")
    b.complete_multipart_upload("mp", up, [oss2.models.PartInfo(1, part.etag)])
    assert bucket.get_object("mp").read() == b"p"
    b.delete_object("k")
    assert not bucket.object_exists("k")
    assert b.batch_delete_objects(["copied"]).deleted_keys == ["copied"]
    for call in (lambda: b.put_bucket_cors(cors_rules()),
                 lambda: b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE),
                 lambda: b.get_bucket_acl(),
                 lambda: b.put_object_acl("w", oss2.OBJECT_ACL_PUBLIC_READ),
                 lambda: b.delete_bucket_cors(),
                 lambda: b.delete_bucket()):
        with pytest.raises(oss2.exceptions.ServerError) as ei:
            call()
        assert oss2_error(ei) == (403, "AccessDenied")
    assert bucket.get_bucket_acl().acl == "private"


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_write_grant_v2(cli, endpoint, new_key, bucket, bucket_name, version):
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "write")
    c = v2_client(endpoint, k, version)
    c.put_object(oss.PutObjectRequest(bucket=bucket_name, key="v2w", body=b"x"))
    c.delete_object(oss.DeleteObjectRequest(bucket=bucket_name, key="v2w"))
    assert not bucket.object_exists("v2w")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.put_bucket_acl(oss.PutBucketAclRequest(bucket=bucket_name, acl="public-read"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "AccessDenied")


def test_owner_grant(cli, endpoint, new_key, bucket, bucket_name):
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "owner")
    b = oss2_bucket(endpoint, k, bucket_name)
    b.put_object("o", b"owned")
    b.put_bucket_cors(cors_rules())
    assert b.get_bucket_cors().rules[0].allowed_origins == ["http://a.test"]
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert bucket.get_bucket_acl().acl == "public-read"
    assert b.get_bucket_acl().acl == "public-read"
    b.put_object_acl("o", oss2.OBJECT_ACL_PRIVATE)
    assert b.get_object_acl("o").acl == "private"
    assert b.get_bucket_info().name == bucket_name
    b.delete_bucket_cors()


@pytest.mark.v4
def test_owner_grant_v2(cli, endpoint, new_key, bucket, bucket_name):
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "owner")
    c = v2_client(endpoint, k, "v4")
    c.put_bucket_cors(oss.PutBucketCorsRequest(
        bucket=bucket_name,
        cors_configuration=oss.CORSConfiguration(cors_rules=[
            oss.CORSRule(allowed_origins=["http://b.test"], allowed_methods=["PUT"])])))
    assert bucket.get_bucket_cors().rules[0].allowed_origins == ["http://b.test"]
    c.put_bucket_acl(oss.PutBucketAclRequest(bucket=bucket_name, acl="public-read-write"))
    assert bucket.get_bucket_acl().acl == "public-read-write"


def test_grant_is_per_bucket(cli, endpoint, new_key, bucket_factory):
    a, other = bucket_factory("keys"), bucket_factory("keys")
    k = new_key()
    cli.run("grant", k.access_key_id, a, "owner")
    oss2_bucket(endpoint, k, a).put_object("x", b"x")
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        oss2_bucket(endpoint, k, other).put_object("x", b"x")
    assert oss2_error(ei) == (403, "AccessDenied")


def test_revoke_and_downgrade(cli, endpoint, new_key, bucket, bucket_name):
    k = new_key()
    b = oss2_bucket(endpoint, k, bucket_name)
    cli.run("grant", k.access_key_id, bucket_name, "write")
    b.put_object("x", b"1")
    cli.run("grant", k.access_key_id, bucket_name, "read")      # replaces the grant
    assert b.get_object("x").read() == b"1"
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.put_object("x", b"2")
    assert oss2_error(ei) == (403, "AccessDenied")
    cli.run("revoke", k.access_key_id, bucket_name)
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.get_object("x")
    assert oss2_error(ei) == (403, "AccessDenied")


def test_key_owns_buckets_it_creates(cli, endpoint, creds, new_key):
    from conftest import purge_bucket, unique_bucket_name
    k, other = new_key(), new_key()
    name = unique_bucket_name("keys")
    b = oss2_bucket(endpoint, k, name)
    b.create_bucket()
    try:
        b.put_object("mine", b"m")
        b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
        assert name in [x.name for x in oss2_service(endpoint, k).list_buckets().buckets]
        # another key has no rights beyond the public-read ACL
        ob = oss2_bucket(endpoint, other, name)
        assert ob.get_object("mine").read() == b"m"
        with pytest.raises(oss2.exceptions.ServerError) as ei:
            ob.put_object("theirs", b"t")
        assert oss2_error(ei) == (403, "AccessDenied")
        # root still sees and controls it
        assert oss2_bucket(endpoint, creds, name).get_object("mine").read() == b"m"
    finally:
        purge_bucket(endpoint, creds, name)


# ------------------------------------------------------------------------------ disable / delete


def test_disable_enable_delete(cli, endpoint, new_key, bucket, bucket_name):
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "write")
    b = oss2_bucket(endpoint, k, bucket_name)
    b.put_object("x", b"1")
    cli.run("disable", k.access_key_id)
    assert cli.json("show", k.access_key_id)["enabled"] is False
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.get_object("x")
    assert oss2_error(ei) == (403, "InvalidAccessKeyId")
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        oss2_bucket(endpoint, k, bucket_name, version="v4").put_object("y", b"2")
    assert oss2_error(ei) == (403, "InvalidAccessKeyId")
    c = v2_client(endpoint, k, "v4")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.get_object(oss.GetObjectRequest(bucket=bucket_name, key="x"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "InvalidAccessKeyId")
    # presigned URLs of a disabled key stop working too
    url = b.sign_url("GET", "x", 60)
    assert_oss_error(requests.get(url, timeout=30), 403, "InvalidAccessKeyId")

    cli.run("enable", k.access_key_id)
    assert b.get_object("x").read() == b"1"
    assert requests.get(url, timeout=30).content == b"1"

    cli.run("delete", k.access_key_id)
    assert k.access_key_id not in [x["access_key_id"] for x in cli.json("list")]
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.get_object("x")
    assert oss2_error(ei) == (403, "InvalidAccessKeyId")
    assert_oss_error(requests.get(url, timeout=30), 403, "InvalidAccessKeyId")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.put_object(oss.PutObjectRequest(bucket=bucket_name, key="z", body=b"z"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "InvalidAccessKeyId")
    assert bucket.get_object("x").read() == b"1"


def test_deleted_key_postobject(cli, endpoint, new_key, bucket_name):
    """A PostObject form signed by a disabled key is refused too."""
    import base64
    import hashlib
    import hmac
    k = new_key()
    cli.run("grant", k.access_key_id, bucket_name, "write")
    cli.run("disable", k.access_key_id)
    exp = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5))
    policy = base64.b64encode(json.dumps({"expiration": exp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                          "conditions": []}).encode()).decode()
    sig = base64.b64encode(hmac.new(k.access_key_secret.encode(), policy.encode(),
                                    hashlib.sha1).digest()).decode()
    files = {"file": ("f", b"x")}
    data = {"key": "pk", "OSSAccessKeyId": k.access_key_id, "policy": policy, "Signature": sig}
    r = requests.post(f"{endpoint}/{bucket_name}/", data=data, files=files, timeout=30)
    assert_oss_error(r, 403, "InvalidAccessKeyId")


# ------------------------------------------------------------------------------ security tokens


def test_security_token_header_refused(raw, bucket, bucket_name):
    bucket.put_object("k", b"v")
    r = raw.request("GET", bucket_name, "k", headers={"x-oss-security-token": "CAIS-token"})
    assert_oss_error(r, 400, "InvalidArgument")


def sts_bucket(endpoint, creds, bucket_name, version):
    if version == "v1":
        auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, "CAIS-token")
    else:
        auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
            creds.access_key_id, creds.access_key_secret, "CAIS-token"))
    return oss2.Bucket(auth, endpoint, bucket_name, region=REGION)


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_security_token_oss2_header(endpoint, creds, bucket, bucket_name, version):
    """oss2 StsAuth / ProviderAuthV4 with a token send x-oss-security-token."""
    bucket.put_object("k", b"v")
    b = sts_bucket(endpoint, creds, bucket_name, version)
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.get_object("k")
    assert oss2_error(ei) == (400, "InvalidArgument")
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.put_object("k2", b"x")
    assert oss2_error(ei) == (400, "InvalidArgument")
    assert not bucket.object_exists("k2")


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_security_token_presigned_url(endpoint, creds, bucket, bucket_name, version):
    """Presigned URLs carry the token as `security-token` (V1, spec §3.2) or
    `x-oss-security-token` (V4, spec §3.3)."""
    bucket.put_object("k", b"v")
    url = sts_bucket(endpoint, creds, bucket_name, version).sign_url("GET", "k", 60)
    assert ("security-token=" if version == "v1" else "x-oss-security-token=") in url
    assert_oss_error(requests.get(url, timeout=30), 400, "InvalidArgument")


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_security_token_v2(endpoint, creds, bucket, bucket_name, version):
    """The v2 SDK sends the token as x-oss-security-token (V4) or as a plain `security-token`
    header (its V1 signer, signer/v1.py)."""
    bucket.put_object("k", b"v")
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret, "CAIS-token")
    cfg.region = REGION
    cfg.endpoint = endpoint
    cfg.use_path_style = True
    cfg.retry_max_attempts = 1
    if version == "v1":
        cfg.signature_version = "v1"
    c = oss.Client(cfg)
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.get_object(oss.GetObjectRequest(bucket=bucket_name, key="k"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (400, "InvalidArgument")


def test_block_public_access_ignores_public_acls_for_keys_without_grant(cli, endpoint, new_key,
                                                                        bucket, bucket_name):
    # OSS "Block public access": public ACLs are ignored while it is on; grants are not public.
    bucket.put_object("k", b"data")
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    stranger, reader = new_key(), new_key()
    cli.run("grant", reader.access_key_id, bucket_name, "read")
    assert oss2_bucket(endpoint, stranger, bucket_name).get_object("k").read() == b"data"
    bucket.put_bucket_public_access_block(True)
    with pytest.raises(oss2.exceptions.AccessDenied):
        oss2_bucket(endpoint, stranger, bucket_name).get_object("k")
    assert oss2_bucket(endpoint, reader, bucket_name).get_object("k").read() == b"data"
