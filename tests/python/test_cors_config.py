"""Put/Get/DeleteBucketCors through oss2, the v2 SDK and raw requests (OSS docs: PutBucketCors, GetBucketCors, DeleteBucketCors)."""

import xml.etree.ElementTree as ET

import alibabacloud_oss_v2 as oss
import oss2
import pytest
from oss2.models import BucketCors, CorsRule

from conftest import (
    MSG_INVALID_DIGEST, MSG_MALFORMED_XML, MSG_NO_SUCH_BUCKET, MSG_NO_SUCH_CORS,
    assert_common_headers, assert_oss_error, md5_b64, unique_bucket_name, v2_error,
)


def rule_xml(origins=("*",), methods=("GET",), headers=(), expose=(), max_age=None):
    parts = ["<CORSRule>"]
    parts += [f"<AllowedOrigin>{o}</AllowedOrigin>" for o in origins]
    parts += [f"<AllowedMethod>{m}</AllowedMethod>" for m in methods]
    parts += [f"<AllowedHeader>{h}</AllowedHeader>" for h in headers]
    parts += [f"<ExposeHeader>{e}</ExposeHeader>" for e in expose]
    if max_age is not None:
        parts.append(f"<MaxAgeSeconds>{max_age}</MaxAgeSeconds>")
    parts.append("</CORSRule>")
    return "".join(parts)


def cors_xml(*rules, vary=None, decl=True):
    body = "".join(rules)
    if vary is not None:
        body += f"<ResponseVary>{vary}</ResponseVary>"
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if decl else ""
    return (head + f"<CORSConfiguration>{body}</CORSConfiguration>").encode()


def put_cors_raw(raw, bucket_name, body, md5=True, query_value=True, headers=None):
    params = [("cors", "")] if query_value else [("cors", None)]
    hdrs = dict(headers or {})
    if md5 is True:
        hdrs["Content-MD5"] = md5_b64(body)
    return raw.request("PUT", bucket_name, params=params, data=body, headers=hdrs)


def get_cors_raw(raw, bucket_name):
    return raw.request("GET", bucket_name, params=[("cors", None)])


# ---------------------------------------------------------------- oss2


def test_cors_roundtrip_oss2(bucket):
    rules = [
        CorsRule(allowed_origins=["*"], allowed_methods=["GET", "HEAD"],
                 allowed_headers=["Authorization", "X-Oss-Meta-*"], expose_headers=["ETag"],
                 max_age_seconds=100),
        CorsRule(allowed_origins=["http://www.a.com", "https://*.b.com"],
                 allowed_methods=["PUT", "POST", "DELETE"], expose_headers=["x-oss-request-id",
                                                                            "Content-Length"]),
        CorsRule(allowed_origins=["http://c.com:8080"], allowed_methods=["GET"]),
    ]
    res = bucket.put_bucket_cors(BucketCors(rules))
    assert res.status == 200
    got = bucket.get_bucket_cors()
    assert len(got.rules) == 3
    r0, r1, r2 = got.rules
    assert r0.allowed_origins == ["*"]
    assert r0.allowed_methods == ["GET", "HEAD"]
    assert r0.allowed_headers == ["authorization", "x-oss-meta-*"]   # lower-cased
    assert r0.expose_headers == ["ETag"]                               # case kept
    assert r0.max_age_seconds == 100
    assert r1.allowed_origins == ["http://www.a.com", "https://*.b.com"]
    assert r1.allowed_methods == ["PUT", "POST", "DELETE"]
    assert r1.allowed_headers == []
    assert r1.expose_headers == ["x-oss-request-id", "Content-Length"]
    assert r1.max_age_seconds is None
    assert r2.allowed_origins == ["http://c.com:8080"]
    assert got.response_vary is False                                   # always present


def test_cors_response_vary_oss2(bucket):
    rule = CorsRule(allowed_origins=["*"], allowed_methods=["GET"])
    bucket.put_bucket_cors(BucketCors([rule], response_vary=True))
    assert bucket.get_bucket_cors().response_vary is True
    bucket.put_bucket_cors(BucketCors([rule], response_vary=False))
    assert bucket.get_bucket_cors().response_vary is False
    bucket.put_bucket_cors(BucketCors([rule]))
    assert bucket.get_bucket_cors().response_vary is False


def test_cors_put_replaces(bucket):
    bucket.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["http://a"],
                                                allowed_methods=["GET"]),
                                       CorsRule(allowed_origins=["http://b"],
                                                allowed_methods=["GET"])]))
    bucket.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["http://c"],
                                                allowed_methods=["PUT"])]))
    got = bucket.get_bucket_cors()
    assert [r.allowed_origins for r in got.rules] == [["http://c"]]


def test_cors_missing_config_oss2(bucket):
    with pytest.raises(oss2.exceptions.NoSuchCors) as ei:
        bucket.get_bucket_cors()
    assert ei.value.status == 404
    assert ei.value.message == MSG_NO_SUCH_CORS


def test_cors_delete_idempotent_oss2(bucket, raw, bucket_name):
    r = raw.request("DELETE", bucket_name, params=[("cors", None)])
    assert r.status_code == 204                       # nothing configured yet
    bucket.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["*"], allowed_methods=["GET"])]))
    assert bucket.delete_bucket_cors().status == 204
    assert bucket.delete_bucket_cors().status == 204
    with pytest.raises(oss2.exceptions.NoSuchCors):
        bucket.get_bucket_cors()


def test_cors_invalid_argument_oss2(bucket):
    """oss2 tests/test_bucket.py::test_invalid_argument (spec §1.2)."""
    rule = CorsRule(allowed_origins=["*"], allowed_methods=["GET"], max_age_seconds=-1)
    with pytest.raises(oss2.exceptions.InvalidArgument) as ei:
        bucket.put_bucket_cors(BucketCors([rule]))
    assert ei.value.status == 400
    assert ei.value.name == "MaxAgeSeconds"
    assert ei.value.value == "-1"


# ---------------------------------------------------------------- v2 SDK


def test_cors_roundtrip_v2(v2, bucket_name):
    """python-v2 tests/integration/test_bucket_cors_client.py::test_bucket_cors (spec §1.3)."""
    cfg = oss.CORSConfiguration(
        cors_rules=[
            oss.CORSRule(allowed_origins=["*"], allowed_methods=["GET", "HEAD"],
                         allowed_headers=["GET"], expose_headers=["x-oss-test", "x-oss-test1"],
                         max_age_seconds=33012),
            oss.CORSRule(allowed_origins=["http://www.example.com"], allowed_methods=["PUT", "POST"],
                         allowed_headers=["*"], expose_headers=["x-oss-test2", "x-oss-test3"],
                         max_age_seconds=33012),
        ],
        response_vary=True)
    res = v2.put_bucket_cors(oss.PutBucketCorsRequest(bucket=bucket_name, cors_configuration=cfg))
    assert res.status_code == 200
    assert len(res.request_id) == 24
    got = v2.get_bucket_cors(oss.GetBucketCorsRequest(bucket=bucket_name))
    assert got.status_code == 200
    rules = got.cors_configuration.cors_rules
    assert rules[0].allowed_origins == ["*"]
    assert rules[0].allowed_methods == ["GET", "HEAD"]
    assert rules[0].allowed_headers == ["get"]
    assert rules[0].expose_headers == ["x-oss-test", "x-oss-test1"]
    assert rules[0].max_age_seconds == 33012
    assert rules[1].allowed_origins == ["http://www.example.com"]
    assert rules[1].allowed_methods == ["PUT", "POST"]
    assert rules[1].allowed_headers == ["*"]
    assert got.cors_configuration.response_vary is True
    res = v2.delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=bucket_name))
    assert res.status_code == 204
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_bucket_cors(oss.GetBucketCorsRequest(bucket=bucket_name))
    err = v2_error(ei)
    assert (err.status_code, err.code, err.message) == (404, "NoSuchCORSConfiguration",
                                                        MSG_NO_SUCH_CORS)
    assert len(err.request_id) == 24


def test_cors_invalid_argument_v2(v2, bucket_name):
    cfg = oss.CORSConfiguration(cors_rules=[oss.CORSRule(
        allowed_origins=["*"], allowed_methods=["GET"], max_age_seconds=-1)])
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.put_bucket_cors(oss.PutBucketCorsRequest(bucket=bucket_name, cors_configuration=cfg))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (400, "InvalidArgument")
    assert err.error_fileds.get("ArgumentName") == "MaxAgeSeconds"
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_bucket_cors(oss.GetBucketCorsRequest(bucket=bucket_name))
    assert v2_error(ei).code == "NoSuchCORSConfiguration"


def test_cors_missing_bucket_v2(v2):
    name = unique_bucket_name("nocors")
    cfg = oss.CORSConfiguration(cors_rules=[oss.CORSRule(allowed_origins=["*"],
                                                         allowed_methods=["GET"])])
    for call in (
        lambda: v2.put_bucket_cors(oss.PutBucketCorsRequest(bucket=name, cors_configuration=cfg)),
        lambda: v2.get_bucket_cors(oss.GetBucketCorsRequest(bucket=name)),
        lambda: v2.delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=name)),
    ):
        with pytest.raises(oss.exceptions.OperationError) as ei:
            call()
        err = v2_error(ei)
        assert (err.status_code, err.code, err.message) == (404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)


# ---------------------------------------------------------------- raw XML


def test_get_cors_xml_shape(raw, bucket_name):
    body = cors_xml(rule_xml(origins=["http://a.example"], methods=["GET", "PUT"]),
                    rule_xml(origins=["*"], methods=["HEAD"], headers=["X-Custom"],
                             expose=["ETag"], max_age=0))
    assert put_cors_raw(raw, bucket_name, body).status_code == 200
    r = get_cors_raw(raw, bucket_name)
    assert r.status_code == 200
    assert_common_headers(r.headers)
    assert r.headers["Content-Type"].startswith("application/xml")
    assert r.text.lstrip().startswith("<?xml")
    root = ET.fromstring(r.content)
    assert root.tag == "CORSConfiguration"
    children = [c.tag for c in root]
    assert children == ["CORSRule", "CORSRule", "ResponseVary"]
    assert root.findtext("ResponseVary") == "false"
    first, second = root.findall("CORSRule")
    # only the elements that were supplied (ali-oss deepEqual, Go v1 len checks)
    assert [c.tag for c in first] == ["AllowedOrigin", "AllowedMethod", "AllowedMethod"]
    assert [c.tag for c in second] == ["AllowedOrigin", "AllowedMethod", "AllowedHeader",
                                       "ExposeHeader", "MaxAgeSeconds"]
    assert second.findtext("AllowedHeader") == "x-custom"
    assert second.findtext("MaxAgeSeconds") == "0"


def test_get_output_is_valid_put_input(raw, bucket_name):
    body = cors_xml(rule_xml(origins=["https://*.x.com"], methods=["POST"], expose=["ETag"],
                             max_age=5), vary="true")
    assert put_cors_raw(raw, bucket_name, body).status_code == 200
    first = get_cors_raw(raw, bucket_name).content
    r = put_cors_raw(raw, bucket_name, first)
    assert r.status_code == 200, r.text
    assert get_cors_raw(raw, bucket_name).content == first


def test_put_cors_without_md5_and_without_decl(raw, bucket_name):
    """oss2 sends no Content-MD5 and no XML declaration; Go v1 sends `?cors` without `=`."""
    body = cors_xml(rule_xml(), decl=False)
    r = put_cors_raw(raw, bucket_name, body, md5=False, query_value=False,
                     headers={"Content-Type": "text/plain; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert r.content == b""
    assert_common_headers(r.headers)


def test_put_cors_trims_values(raw, bucket_name):
    body = cors_xml("<CORSRule><AllowedOrigin> http://a.com </AllowedOrigin>"
                    "<AllowedMethod> GET </AllowedMethod>"
                    "<AllowedHeader> Authorization</AllowedHeader></CORSRule>")
    assert put_cors_raw(raw, bucket_name, body).status_code == 200
    root = ET.fromstring(get_cors_raw(raw, bucket_name).content)
    assert root.findtext("CORSRule/AllowedOrigin") == "http://a.com"
    assert root.findtext("CORSRule/AllowedMethod") == "GET"
    assert root.findtext("CORSRule/AllowedHeader") == "authorization"


# ---------------------------------------------------------------- validation


@pytest.fixture
def existing_cors(raw, bucket_name):
    body = cors_xml(rule_xml(origins=["http://keep.me"], methods=["GET"]))
    assert put_cors_raw(raw, bucket_name, body).status_code == 200
    return get_cors_raw(raw, bucket_name).content


def _assert_unchanged(raw, bucket_name, before):
    assert get_cors_raw(raw, bucket_name).content == before


def test_negative_max_age(raw, bucket_name, existing_cors):
    r = put_cors_raw(raw, bucket_name, cors_xml(rule_xml(max_age=-1)))
    fields = assert_oss_error(r, 400, "InvalidArgument")
    assert fields.get("ArgumentName") == "MaxAgeSeconds"
    assert fields.get("ArgumentValue") == "-1"
    _assert_unchanged(raw, bucket_name, existing_cors)


@pytest.mark.parametrize("name,rule", [
    ("method OPTIONS", rule_xml(methods=["GET", "OPTIONS"])),
    ("unknown method PATCH", rule_xml(methods=["PATCH"])),
    ("two * in one origin", rule_xml(origins=["http://*.a.*.com"])),
    ("* in ExposeHeader", rule_xml(expose=["x-oss-*"])),
    ("two * in one AllowedHeader", rule_xml(headers=["x-*-*"])),
])
def test_invalid_rules(raw, bucket_name, existing_cors, name, rule):
    r = put_cors_raw(raw, bucket_name, cors_xml(rule))
    assert_oss_error(r, 400, "InvalidArgument")
    _assert_unchanged(raw, bucket_name, existing_cors)


def test_eleven_rules(raw, bucket_name, existing_cors):
    r = put_cors_raw(raw, bucket_name, cors_xml(*[rule_xml(origins=[f"http://{i}.com"])
                                                  for i in range(11)]))
    assert_oss_error(r, 400, "InvalidArgument")
    _assert_unchanged(raw, bucket_name, existing_cors)


def test_ten_rules_accepted(raw, bucket_name):
    r = put_cors_raw(raw, bucket_name, cors_xml(*[rule_xml(origins=[f"http://{i}.com"])
                                                  for i in range(10)]))
    assert r.status_code == 200
    assert len(ET.fromstring(get_cors_raw(raw, bucket_name).content).findall("CORSRule")) == 10


@pytest.mark.parametrize("name,body", [
    ("no rules", cors_xml()),
    ("not xml", b"this is not xml"),
    ("unclosed", b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"),
    ("wrong root", b"<Foo><CORSRule><AllowedOrigin>*</AllowedOrigin>"
                   b"<AllowedMethod>GET</AllowedMethod></CORSRule></Foo>"),
    ("rule without method", cors_xml("<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>")),
    ("rule without origin", cors_xml("<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>")),
    ("empty body", b""),
])
def test_malformed_cors(raw, bucket_name, existing_cors, name, body):
    r = put_cors_raw(raw, bucket_name, body)
    assert_oss_error(r, 400, "MalformedXML", MSG_MALFORMED_XML)
    _assert_unchanged(raw, bucket_name, existing_cors)


def test_cors_body_too_large(raw, bucket_name, existing_cors):
    rule = rule_xml(origins=[f"http://{'o' * 60}{i}.example.com" for i in range(300)])
    body = cors_xml(rule)
    assert len(body) > 16 * 1024
    r = put_cors_raw(raw, bucket_name, body)
    assert r.status_code == 400
    _assert_unchanged(raw, bucket_name, existing_cors)


def test_cors_wrong_md5(raw, bucket_name, existing_cors):
    body = cors_xml(rule_xml())
    r = put_cors_raw(raw, bucket_name, body, md5=False,
                     headers={"Content-MD5": md5_b64(body + b" ")})
    assert_oss_error(r, 400, "InvalidDigest", MSG_INVALID_DIGEST)
    _assert_unchanged(raw, bucket_name, existing_cors)


def test_cors_no_such_bucket_raw(raw):
    name = unique_bucket_name("nocors")
    r = put_cors_raw(raw, name, cors_xml(rule_xml()))
    fields = assert_oss_error(r, 404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)
    assert fields.get("BucketName") == name
    assert_oss_error(get_cors_raw(raw, name), 404, "NoSuchBucket", MSG_NO_SUCH_BUCKET)
    assert_oss_error(raw.request("DELETE", name, params=[("cors", None)]), 404, "NoSuchBucket")


def test_cors_requires_owner(raw, bucket, bucket_name):
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    r = raw.request("PUT", bucket_name, params=[("cors", None)], data=cors_xml(rule_xml()),
                    sign=False)
    assert_oss_error(r, 403, "AccessDenied")
    assert_oss_error(raw.request("GET", bucket_name, params=[("cors", None)], sign=False),
                     403, "AccessDenied")
    assert_oss_error(raw.request("DELETE", bucket_name, params=[("cors", None)], sign=False),
                     403, "AccessDenied")


def test_cors_deleted_with_bucket(endpoint, creds, raw):
    from conftest import oss2_bucket, purge_bucket
    name = unique_bucket_name("cb")
    b = oss2_bucket(endpoint, creds, name)
    try:
        b.create_bucket()
        b.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["*"], allowed_methods=["GET"])]))
        b.delete_bucket()
        b.create_bucket()
        with pytest.raises(oss2.exceptions.NoSuchCors):
            b.get_bucket_cors()
    finally:
        purge_bucket(endpoint, creds, name)
