"""OptionObject / preflight (OSS docs: OPTIONS Object; our product decisions in ARCHITECTURE.md). Preflights are sent
unsigned with plain `requests` unless a test says otherwise."""

import alibabacloud_oss_v2 as oss
import pytest
from oss2.models import BucketCors, CorsRule

from conftest import (
    Credentials, MSG_CORS_FORBIDDEN, MSG_NO_SUCH_BUCKET, REQUEST_ID_RE, assert_common_headers,
    assert_oss_error, unique_bucket_name, v2_client, v2_error, vary_tokens,
)

ACAO = "Access-Control-Allow-Origin"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
CORS_HEADERS = (ACAO, ACAM, ACAH, ACEH, ACMA)


def split(value):
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def preflight(raw, bucket, key, origin=None, method=None, req_headers=None, extra=None,
              params=None):
    h = {}
    if origin is not None:
        h["Origin"] = origin
    if method is not None:
        h["Access-Control-Request-Method"] = method
    if req_headers is not None:
        h["Access-Control-Request-Headers"] = req_headers
    h.update(extra or {})
    return raw.request("OPTIONS", bucket, key, headers=h, sign=False, params=params)


def assert_denied(r):
    assert_oss_error(r, 403, "AccessForbidden", MSG_CORS_FORBIDDEN)
    for name in CORS_HEADERS:
        assert name not in r.headers, (name, r.headers.get(name))


# python-v2 integration test rules R1 and R2 (spec §1.5)
PY_V2_RULES = [
    CorsRule(allowed_origins=["*"], allowed_methods=["GET", "HEAD"], allowed_headers=["GET"],
             expose_headers=["x-oss-test", "x-oss-test1"], max_age_seconds=33012),
    CorsRule(allowed_origins=["http://www.example.com"], allowed_methods=["PUT", "POST"],
             allowed_headers=["*"], expose_headers=["x-oss-test2", "x-oss-test3"],
             max_age_seconds=33012),
]


@pytest.fixture
def pyv2_rules(bucket):
    bucket.put_bucket_cors(BucketCors(PY_V2_RULES))
    return bucket


def test_python_v2_example(raw, bucket_name, pyv2_rules):
    r = preflight(raw, bucket_name, "example-object-2.jpg", "http://www.example.com", "PUT",
                  "x-oss-test2")
    assert r.status_code == 200, r.text
    assert r.reason == "OK"
    assert REQUEST_ID_RE.match(r.headers["x-oss-request-id"])
    assert_common_headers(r.headers)
    assert r.headers[ACAO] == "http://www.example.com"
    assert r.headers[ACAM] == "PUT, POST"
    assert r.headers[ACAH] == "x-oss-test2"
    assert split(r.headers[ACEH]) == ["x-oss-test2", "x-oss-test3"]
    assert r.headers[ACMA] == "33012"
    assert r.content == b""
    # Product decision (ARCHITECTURE.md): an echoed origin always comes with Vary on the preflight inputs
    assert {"origin", "access-control-request-method",
            "access-control-request-headers"} <= vary_tokens(r.headers)


def test_first_rule_star_origin(raw, bucket_name, pyv2_rules):
    r = preflight(raw, bucket_name, "x", "http://anything.test", "GET", "Get")
    assert r.status_code == 200, r.text
    assert r.headers[ACAO] == "*"
    assert r.headers[ACAM] == "GET, HEAD"
    assert split(r.headers[ACAH]) == ["get"]
    assert split(r.headers[ACEH]) == ["x-oss-test", "x-oss-test1"]


def test_no_rule_matches_method(raw, bucket_name, pyv2_rules):
    assert_denied(preflight(raw, bucket_name, "x", "http://www.example.com", "DELETE"))


def test_header_not_allowed(raw, bucket_name, pyv2_rules):
    # R1 has the method but not the header; R2 does not have the origin
    assert_denied(preflight(raw, bucket_name, "x", "http://other.test", "GET", "x-other"))
    # every requested header must match
    assert_denied(preflight(raw, bucket_name, "x", "http://other.test", "GET", "get, x-other"))


def test_no_cors_configuration(raw, bucket_name):
    assert_denied(preflight(raw, bucket_name, "x", "http://www.example.com", "GET"))


def test_after_delete_cors(raw, bucket_name, pyv2_rules):
    pyv2_rules.delete_bucket_cors()
    assert_denied(preflight(raw, bucket_name, "x", "http://www.example.com", "PUT"))


def test_missing_bucket(raw):
    name = unique_bucket_name("nopre")
    r = preflight(raw, name, "x", "http://www.example.com", "PUT")
    fields = assert_oss_error(r, 404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)
    assert fields.get("BucketName") == name


def test_not_authenticated(raw, bucket_name, pyv2_rules):
    """OPTIONS is answered before authentication; a bad signature is ignored (spec §1.5)."""
    r = preflight(raw, bucket_name, "x", "http://www.example.com", "PUT",
                  extra={"Authorization": "OSS invalid-ak:bm9uc2Vuc2U=", "Date": "garbage"})
    assert r.status_code == 200
    assert r.headers[ACAO] == "http://www.example.com"
    r = preflight(raw, bucket_name, "x", "http://www.example.com", "PUT",
                  params=[("OSSAccessKeyId", "nope"), ("Expires", "1"), ("Signature", "xx")])
    assert r.status_code == 200


def test_bucket_root_and_odd_keys(raw, bucket_name, pyv2_rules):
    for key in (None, "dir/a b+c.txt", "中文/ü", "deep/er/path/"):
        r = preflight(raw, bucket_name, key, "http://www.example.com", "POST")
        assert r.status_code == 200, (key, r.status_code)
        assert r.headers[ACAM] == "PUT, POST"


def test_public_bucket_same_answer(raw, bucket, bucket_name, pyv2_rules):
    bucket.put_bucket_acl("public-read")
    r = preflight(raw, bucket_name, "x", "http://www.example.com", "PUT")
    assert r.status_code == 200


def test_go_v1_options_method(raw, bucket):
    """Go v1 oss/bucket_test.go::TestOptionsMethod: origin without scheme, exact header match,
    no implicit prefix matching."""
    bucket.put_bucket_cors(BucketCors([CorsRule(
        allowed_origins=["www.aliyun.com"], allowed_methods=["PUT", "GET", "POST"],
        allowed_headers=["x-oss-meta-author"], expose_headers=["x-oss-meta-name"],
        max_age_seconds=100)]))
    name = bucket.bucket_name
    ok = preflight(raw, name, None, "www.aliyun.com", "PUT", "x-oss-meta-author")
    assert ok.status_code == 200
    assert ok.headers[ACAO] == "www.aliyun.com"
    assert ok.headers[ACAM] == "PUT, GET, POST"
    assert ok.headers[ACEH] == "x-oss-meta-name"
    assert ok.headers[ACMA] == "100"
    assert_denied(preflight(raw, name, None, "www.aliyun.com", "PUT", "x-oss-meta-author-1"))
    bucket.put_object("obj", b"x")
    assert preflight(raw, name, "obj", "www.aliyun.com", "GET",
                     "x-oss-meta-author").status_code == 200


def test_wildcards(raw, bucket):
    bucket.put_bucket_cors(BucketCors([
        CorsRule(allowed_origins=["https://*.example.com"], allowed_methods=["GET"],
                 allowed_headers=["x-oss-*", "Content-Type"]),
        CorsRule(allowed_origins=["http://exact.test"], allowed_methods=["PUT"],
                 allowed_headers=["*"]),
    ]))
    name = bucket.bucket_name
    r = preflight(raw, name, "k", "https://a.b.example.com", "GET",
                  "X-OSS-Meta-One, x-oss-date,content-type")
    assert r.status_code == 200, r.text
    assert r.headers[ACAO] == "https://a.b.example.com"
    assert split(r.headers[ACAH]) == ["x-oss-meta-one", "x-oss-date", "content-type"]
    assert ACMA not in r.headers            # no MaxAgeSeconds in the rule
    assert ACEH not in r.headers            # no ExposeHeader in the rule
    assert_denied(preflight(raw, name, "k", "http://a.example.com", "GET"))
    assert_denied(preflight(raw, name, "k", "https://example.com", "GET"))
    assert_denied(preflight(raw, name, "k", "https://a.example.com", "GET", "authorization"))
    # `*` AllowedHeader: echo the requested headers, never a literal `*` (ARCHITECTURE.md, product decisions)
    r = preflight(raw, name, "k", "http://exact.test", "PUT", "Authorization, X-Oss-Date")
    assert r.status_code == 200
    assert split(r.headers[ACAH]) == ["authorization", "x-oss-date"]
    assert_denied(preflight(raw, name, "k", "http://exact.test.evil", "PUT"))


def test_first_match_wins(raw, bucket):
    bucket.put_bucket_cors(BucketCors([
        CorsRule(allowed_origins=["http://a.test"], allowed_methods=["GET"], max_age_seconds=1),
        CorsRule(allowed_origins=["*"], allowed_methods=["GET", "PUT"], max_age_seconds=2),
    ]))
    r = preflight(raw, bucket.bucket_name, "k", "http://a.test", "GET")
    assert (r.headers[ACAM], r.headers[ACMA]) == ("GET", "1")
    r = preflight(raw, bucket.bucket_name, "k", "http://a.test", "PUT")
    assert (r.headers[ACAM], r.headers[ACMA]) == ("GET, PUT", "2")
    assert r.headers[ACAO] == "*"


def test_response_vary_on_preflight(raw, bucket):
    bucket.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["http://a.test"],
                                                allowed_methods=["GET"])], response_vary=True))
    ok = preflight(raw, bucket.bucket_name, "k", "http://a.test", "GET")
    assert "origin" in vary_tokens(ok.headers)
    denied = preflight(raw, bucket.bucket_name, "k", "http://b.test", "GET")
    assert denied.status_code == 403
    assert "origin" in vary_tokens(denied.headers)


@pytest.mark.parametrize("origin,method", [(None, "GET"), ("http://a.test", None)])
def test_missing_origin_or_method(raw, bucket, origin, method):
    bucket.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["*"],
                                                allowed_methods=["GET"])]))
    r = preflight(raw, bucket.bucket_name, "k", origin, method)
    assert r.status_code in (400, 403)
    assert ACAO not in r.headers


# ---------------------------------------------------------------- v2 SDK option_object


def test_option_object_v2(v2, bucket_name, pyv2_rules):
    res = v2.option_object(oss.OptionObjectRequest(
        bucket=bucket_name, key="example-object-2.jpg", origin="http://www.example.com",
        access_control_request_method="PUT", access_control_request_headers="x-oss-test2"))
    assert res.status_code == 200
    assert res.status == "OK"
    assert len(res.request_id) == 24
    assert res.access_control_allow_origin == "http://www.example.com"
    assert res.access_control_allow_methods == "PUT, POST"
    assert res.access_control_allow_headers == "x-oss-test2"
    assert split(res.access_control_expose_headers) == ["x-oss-test2", "x-oss-test3"]
    assert res.access_control_max_age == 33012


def test_option_object_v2_denied(v2, bucket_name):
    """python-v2 test_bucket_cors_fail: no CORS config -> 403 AccessForbidden."""
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.option_object(oss.OptionObjectRequest(
            bucket=bucket_name, key="example-object-2.jpg", origin="http://www.example.com",
            access_control_request_method="PUT", access_control_request_headers="x-oss-test2"))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (403, "AccessForbidden")
    assert len(err.request_id) == 24


@pytest.mark.parametrize("version", ["v1", pytest.param("v4", marks=pytest.mark.v4)])
def test_option_object_invalid_key_ignored(endpoint, bucket_name, pyv2_rules, version):
    """A client with a bad AccessKey can still preflight: OPTIONS is not authenticated."""
    c = v2_client(endpoint, Credentials("invalid-ak", "invalid-sk"), version)
    res = c.option_object(oss.OptionObjectRequest(
        bucket=bucket_name, key="k", origin="http://www.example.com",
        access_control_request_method="POST"))
    assert res.status_code == 200
    assert res.access_control_allow_origin == "http://www.example.com"
    with pytest.raises(oss.exceptions.OperationError) as ei:
        c.get_bucket_cors(oss.GetBucketCorsRequest(bucket=bucket_name))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (403, "InvalidAccessKeyId")


def test_option_object_missing_bucket_v2(v2):
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.option_object(oss.OptionObjectRequest(
            bucket=unique_bucket_name("nopre"), key="k", origin="http://www.example.com",
            access_control_request_method="PUT"))
    err = v2_error(ei)
    assert (err.status_code, err.code, err.message) == (404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)
