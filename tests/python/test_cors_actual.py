"""CORS headers on actual (non-OPTIONS) requests, errors included, and ResponseVary
(OSS docs: cross-origin resource sharing; our product decisions in ARCHITECTURE.md)."""

import alibabacloud_oss_v2 as oss
import pytest
from oss2.models import BucketCors, CorsRule

from conftest import assert_oss_error, vary_tokens

ORIGIN = "http://app.test"
ACAO = "Access-Control-Allow-Origin"
ACAM = "Access-Control-Allow-Methods"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
CORS_HEADERS = (ACAO, ACAM, ACEH, ACMA, "Access-Control-Allow-Headers")


def split(value):
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def assert_cors_headers(r):
    assert r.headers.get(ACAO) == ORIGIN, (r.status_code, dict(r.headers))
    assert r.headers.get(ACAM) == "GET, PUT, HEAD, DELETE"
    assert split(r.headers.get(ACEH)) == ["ETag", "x-oss-request-id"]
    assert r.headers.get(ACMA) == "60"
    assert "origin" in vary_tokens(r.headers)


def assert_no_cors_headers(r):
    for name in CORS_HEADERS:
        assert name not in r.headers, (name, r.headers.get(name))


@pytest.fixture
def app_rules(bucket):
    bucket.put_bucket_cors(BucketCors([CorsRule(
        allowed_origins=[ORIGIN], allowed_methods=["GET", "PUT", "HEAD", "DELETE"],
        allowed_headers=["*"], expose_headers=["ETag", "x-oss-request-id"],
        max_age_seconds=60)]))
    bucket.put_object("obj", b"data")
    return bucket


@pytest.mark.parametrize("method,key,data", [
    ("GET", "obj", None), ("HEAD", "obj", None), ("PUT", "new", b"x"), ("DELETE", "obj", None),
])
def test_matching_origin_gets_cors_headers(raw, bucket_name, app_rules, method, key, data):
    r = raw.request(method, bucket_name, key, data=data, headers={"Origin": ORIGIN})
    assert r.status_code in (200, 204), r.text
    assert_cors_headers(r)


def test_cors_headers_on_404(raw, bucket_name, app_rules):
    r = raw.request("GET", bucket_name, "missing", headers={"Origin": ORIGIN})
    assert_oss_error(r, 404, "NoSuchKey")
    assert_cors_headers(r)
    h = raw.request("HEAD", bucket_name, "missing", headers={"Origin": ORIGIN})
    assert h.status_code == 404
    assert_cors_headers(h)


def test_cors_headers_on_signature_error(raw, bucket_name, app_rules):
    """Product decision (ARCHITECTURE.md): errors to a matching request carry CORS headers, so the page can read them."""
    r = raw.request("GET", bucket_name, "obj", headers={"Origin": ORIGIN},
                    access_key_secret="wrong")
    assert_oss_error(r, 403, "SignatureDoesNotMatch")
    assert_cors_headers(r)


def test_cors_headers_on_anonymous_denied(raw, bucket_name, app_rules):
    r = raw.request("GET", bucket_name, "obj", headers={"Origin": ORIGIN}, sign=False)
    assert_oss_error(r, 403, "AccessDenied")
    assert_cors_headers(r)


def test_non_matching_origin(raw, bucket_name, app_rules):
    r = raw.request("GET", bucket_name, "obj", headers={"Origin": "http://evil.test"})
    assert r.status_code == 200
    assert r.content == b"data"
    assert_no_cors_headers(r)


def test_method_not_in_rule(raw, bucket_name, app_rules):
    r = raw.request("POST", bucket_name, "app", params=[("append", None), ("position", "0")],
                    data=b"x", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert_no_cors_headers(r)


def test_no_cors_config_no_headers(raw, bucket, bucket_name):
    bucket.put_object("o", b"1")
    r = raw.request("GET", bucket_name, "o", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert_no_cors_headers(r)
    assert "origin" not in vary_tokens(r.headers)


def test_anonymous_public_object_with_origin(raw, bucket_name, app_rules):
    app_rules.put_object_acl("obj", "public-read")
    r = raw.request("GET", bucket_name, "obj", headers={"Origin": ORIGIN}, sign=False)
    assert r.status_code == 200
    assert_cors_headers(r)


def test_oss2_sees_cors_headers(app_rules):
    res = app_rules.get_object("obj", headers={"Origin": ORIGIN})
    assert res.read() == b"data"
    assert res.headers[ACAO] == ORIGIN
    assert res.headers[ACMA] == "60"


def test_v2_head_object_cors_fields(v2, bucket_name, app_rules):
    # HeadObjectResult exposes the CORS response headers as allow_origin / allow_methods / ...
    req = oss.HeadObjectRequest(bucket=bucket_name, key="obj")
    req.headers = {"Origin": ORIGIN}
    res = v2.head_object(req)
    assert res.allow_origin == ORIGIN
    assert res.allow_methods == "GET, PUT, HEAD, DELETE"
    assert split(res.expose_headers) == ["ETag", "x-oss-request-id"]


def test_first_matching_rule_decides(raw, bucket):
    bucket.put_bucket_cors(BucketCors([
        CorsRule(allowed_origins=[ORIGIN], allowed_methods=["PUT"], expose_headers=["x-a"]),
        CorsRule(allowed_origins=["http://*.test"], allowed_methods=["GET"],
                 expose_headers=["x-b"]),
    ]))
    bucket.put_object("k", b"1")
    r = raw.request("GET", bucket.bucket_name, "k", headers={"Origin": ORIGIN})
    assert r.headers[ACAO] == ORIGIN
    assert r.headers[ACAM] == "GET"
    assert r.headers[ACEH] == "x-b"


# ---------------------------------------------------------------- ResponseVary


@pytest.fixture
def vary_rules(bucket):
    bucket.put_bucket_cors(BucketCors([CorsRule(allowed_origins=[ORIGIN],
                                                allowed_methods=["GET"])], response_vary=True))
    bucket.put_object("obj", b"v")
    return bucket


@pytest.mark.parametrize("desc,method,key,params,headers,status", [
    ("GET without Origin", "GET", "obj", None, {}, 200),
    ("HEAD without Origin", "HEAD", "obj", None, {}, 200),
    ("404 without Origin", "GET", "missing", None, {}, 404),
    ("list without Origin", "GET", None, None, {}, 200),
    ("non-matching origin", "GET", "obj", None, {"Origin": "http://other.test"}, 200),
    ("matching origin, method not allowed", "PUT", "obj2", None, {"Origin": ORIGIN}, 200),
    ("bucket ACL without Origin", "GET", None, [("acl", None)], {}, 200),
])
def test_response_vary_true_everywhere(raw, bucket_name, vary_rules, desc, method, key, params,
                                       headers, status):
    data = b"x" if method == "PUT" else None
    r = raw.request(method, bucket_name, key, params=params, headers=headers, data=data)
    assert r.status_code == status, (desc, r.status_code, r.text[:200])
    assert "origin" in vary_tokens(r.headers), (desc, r.headers.get("Vary"))


def test_response_vary_true_on_auth_error(raw, bucket_name, vary_rules):
    r = raw.request("GET", bucket_name, "obj", access_key_secret="wrong")
    assert r.status_code == 403
    assert "origin" in vary_tokens(r.headers)


def test_response_vary_false_no_vary_without_origin(raw, bucket, bucket_name):
    bucket.put_bucket_cors(BucketCors([CorsRule(allowed_origins=[ORIGIN],
                                                allowed_methods=["GET"])], response_vary=False))
    bucket.put_object("obj", b"v")
    r = raw.request("GET", bucket_name, "obj")
    assert r.status_code == 200
    assert "origin" not in vary_tokens(r.headers)


def test_response_vary_stops_after_delete(raw, bucket_name, vary_rules):
    vary_rules.delete_bucket_cors()
    r = raw.request("GET", bucket_name, "obj")
    assert "origin" not in vary_tokens(r.headers)
