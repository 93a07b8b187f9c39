"""Hotlink protection (OSS docs: PutBucketReferer, GetBucketReferer, "Hotlink protection" and the
error pages 0003-00000501/502/503, 0033-00000001…05): the configuration through the SDKs' own
methods (oss2 V1 and V4, alibabacloud-oss-v2 V4 and V1), and its enforcement on anonymous
requests and presigned URLs, never on requests signed in their Authorization header."""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from conftest import assert_oss_error, oss2_bucket, v2_client

MSG_REFERER = "You are denied by bucket referer policy."


def put_referer_oss2(bucket: oss2.Bucket, allow_empty, referers, truncate=None, black=None):
    bucket.put_bucket_referer(oss2.models.BucketReferer(allow_empty, referers, truncate, black))


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_put_and_get_referer(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    # Never configured: OSS's default.
    got = b.get_bucket_referer()
    assert (got.allow_empty_referer, got.referers, got.allow_truncate_query_string) == (True, [], True)
    entries = ["http://www.aliyun.com", "https://*.example.com", "http://www.?.aliyuncs.com",
               "mibrowser:home", "http://中文.example.com/路径"]
    put_referer_oss2(b, False, entries, False, ["http://www.refuse.com"])
    got = b.get_bucket_referer()
    assert got.allow_empty_referer is False
    assert got.referers == entries
    assert got.allow_truncate_query_string is False
    assert got.black_referers == ["http://www.refuse.com"]
    # PUT replaces the whole configuration; the "delete" of ossutil (empty list, empty allowed).
    put_referer_oss2(b, True, [])
    got = b.get_bucket_referer()
    assert (got.allow_empty_referer, got.referers, got.black_referers) == (True, [], [])


def test_v2_put_and_get_referer(v2, bucket_name):
    cfg = oss.RefererConfiguration(
        allow_empty_referer=False,
        allow_truncate_query_string=True,
        truncate_path=True,
        referer_list=oss.RefererList(referers=["http://a.example.com", "https://*.b.com"]),
        referer_blacklist=oss.RefererBlacklist(referers=["http://evil.b.com"]),
    )
    v2.put_bucket_referer(oss.PutBucketRefererRequest(bucket=bucket_name, referer_configuration=cfg))
    got = v2.get_bucket_referer(oss.GetBucketRefererRequest(bucket=bucket_name)).referer_configuration
    assert got.allow_empty_referer is False
    assert got.allow_truncate_query_string is True
    assert got.truncate_path is True
    assert got.referer_list.referers == ["http://a.example.com", "https://*.b.com"]
    assert got.referer_blacklist.referers == ["http://evil.b.com"]


@pytest.mark.parametrize("body,code,ec", [
    (b"<RefererConfiguration>", "MalformedXML", "0033-00000001"),
    (b"<Other><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/></Other>",
     "MalformedXML", "0033-00000001"),
    (b"<RefererConfiguration><RefererList/></RefererConfiguration>",
     "InvalidArgument", "0033-00000002"),
    (b"<RefererConfiguration><AllowEmptyReferer>maybe</AllowEmptyReferer><RefererList/>"
     b"</RefererConfiguration>", "InvalidArgument", "0033-00000003"),
    (b"<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer></RefererConfiguration>",
     "InvalidArgument", "0033-00000005"),
])
def test_put_referer_validation(raw, bucket_name, body, code, ec):
    r = raw.request("PUT", bucket_name, params=[("referer", None)], data=body)
    assert_oss_error(r, 400, code)
    assert r.headers.get("x-oss-ec") == ec


def test_put_referer_checks_content_md5_and_size(raw, bucket_name):
    body = (b"<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList>"
            b"</RefererList></RefererConfiguration>")
    r = raw.request("PUT", bucket_name, params=[("referer", None)], data=body,
                    headers={"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="})
    assert_oss_error(r, 400, "InvalidDigest")
    big = (b"<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList>"
           + b"<Referer>http://a.example.com/</Referer>" * 2000 + b"</RefererList></RefererConfiguration>")
    r = raw.request("PUT", bucket_name, params=[("referer", None)], data=big)
    assert_oss_error(r, 400, "MaxMessageLengthExceeded")


def test_referer_configuration_needs_the_owner(raw, bucket_name):
    body = (b"<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList>"
            b"</RefererList></RefererConfiguration>")
    raw.request("PUT", bucket_name, params=[("acl", None)],
                headers={"x-oss-acl": "public-read-write"}).raise_for_status()
    for method, data in (("PUT", body), ("GET", None)):
        r = raw.request(method, bucket_name, params=[("referer", None)], data=data, sign=False)
        assert_oss_error(r, 403, "AccessDenied")
    # There is no DeleteBucketReferer in OSS.
    r = raw.request("DELETE", bucket_name, params=[("referer", None)])
    assert r.status_code == 405


@pytest.fixture
def protected(endpoint, creds, bucket_name):
    """A public-read bucket holding `img.png`, whitelisting *.a.com pages and blacklisting one."""
    b = oss2_bucket(endpoint, creds, bucket_name)
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    b.put_object("img.png", b"png bytes")
    put_referer_oss2(b, False, ["http://*.a.com", "https://www.a.com/"], True,
                     ["http://evil.a.com"])
    return b


def anonymous_get(endpoint, bucket_name, referer=None, method="GET"):
    headers = {} if referer is None else {"Referer": referer}
    return requests.request(method, f"{endpoint}/{bucket_name}/img.png", headers=headers, timeout=10)


def assert_referer_denied(r, ec):
    assert_oss_error(r, 403, "AccessDenied", MSG_REFERER)
    assert r.headers.get("x-oss-ec") == ec


def test_anonymous_requests_are_checked(endpoint, bucket_name, protected):
    assert anonymous_get(endpoint, bucket_name, "http://www.a.com/page.html").content == b"png bytes"
    assert anonymous_get(endpoint, bucket_name, "https://www.a.com/x?q=1").status_code == 200
    assert anonymous_get(endpoint, bucket_name, "http://WWW.A.COM/").status_code == 200
    assert_referer_denied(anonymous_get(endpoint, bucket_name, "http://www.b.com/"), "0003-00000503")
    assert_referer_denied(anonymous_get(endpoint, bucket_name, "http://evil.a.com/"), "0003-00000502")
    assert_referer_denied(anonymous_get(endpoint, bucket_name), "0003-00000501")
    assert_referer_denied(anonymous_get(endpoint, bucket_name, ""), "0003-00000501")
    r = anonymous_get(endpoint, bucket_name, "http://www.b.com/", method="HEAD")
    assert r.status_code == 403 and r.headers.get("x-oss-ec") == "0003-00000503"
    # Listing anonymously is checked too.
    r = requests.get(f"{endpoint}/{bucket_name}/", headers={"Referer": "http://x.org/"}, timeout=10)
    assert_referer_denied(r, "0003-00000503")


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_presigned_urls_are_checked(endpoint, creds, bucket_name, protected, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    url = b.sign_url("GET", "img.png", 300)
    assert requests.get(url, headers={"Referer": "http://m.a.com/"}, timeout=10).status_code == 200
    assert_referer_denied(requests.get(url, headers={"Referer": "http://b.com/"}, timeout=10),
                          "0003-00000503")
    assert_referer_denied(requests.get(url, timeout=10), "0003-00000501")
    put_url = b.sign_url("PUT", "up.txt", 300)
    assert_referer_denied(requests.put(put_url, data=b"x", headers={"Referer": "http://b.com/"},
                                       timeout=10), "0003-00000503")
    assert requests.put(put_url, data=b"x", headers={"Referer": "http://m.a.com/"},
                        timeout=10).status_code == 200


def test_v2_presigned_url_is_checked(endpoint, creds, bucket_name, protected, v2):
    pre = v2.presign(oss.GetObjectRequest(bucket=bucket_name, key="img.png"))
    assert requests.get(pre.url, headers={"Referer": "http://m.a.com/"}, timeout=10).status_code == 200
    assert_referer_denied(requests.get(pre.url, headers={"Referer": "http://b.com/"}, timeout=10),
                          "0003-00000503")


def test_header_signed_requests_are_not_checked(endpoint, creds, bucket_name, protected, v2):
    # oss2 and the v2 SDK sign in the Authorization header: no referer needed.
    for version in ("v1", "v4"):
        b = oss2_bucket(endpoint, creds, bucket_name, version)
        assert b.get_object("img.png", headers={"Referer": "http://b.com/"}).read() == b"png bytes"
        assert b.get_object("img.png").read() == b"png bytes"
    got = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="img.png"))
    assert got.body.read() == b"png bytes"


def test_sdk_sees_the_referer_error(endpoint, creds, bucket_name, protected):
    # An anonymous oss2 client (AnonymousAuth) sends no Referer: refused with the EC of an empty one.
    anon = oss2.Bucket(oss2.AnonymousAuth(), endpoint, bucket_name)
    with pytest.raises(oss2.exceptions.AccessDenied) as ei:
        anon.get_object("img.png")
    assert ei.value.message == MSG_REFERER
    assert ei.value.ec == "0003-00000501"
    assert anon.get_object("img.png", headers={"Referer": "http://m.a.com/"}).read() == b"png bytes"


def test_truncate_path_and_query(endpoint, creds, bucket_name):
    b = oss2_bucket(endpoint, creds, bucket_name)
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    b.put_object("img.png", b"png bytes")
    url = f"{endpoint}/{bucket_name}/img.png"
    # Query kept (AllowTruncateQueryString false): the entry's query must be in the referer.
    put_referer_oss2(b, False, ["http://a.com/p?ok"], False)
    assert requests.get(url, headers={"Referer": "http://a.com/p?ok=1"}, timeout=10).status_code == 200
    assert requests.get(url, headers={"Referer": "http://a.com/p?no"}, timeout=10).status_code == 403
    # TruncatePath: only scheme://host[:port] is matched, so a host entry admits every page.
    v2c = v2_client(endpoint, creds)
    v2c.put_bucket_referer(oss.PutBucketRefererRequest(
        bucket=bucket_name,
        referer_configuration=oss.RefererConfiguration(
            allow_empty_referer=False, allow_truncate_query_string=True, truncate_path=True,
            referer_list=oss.RefererList(referers=["http://a.com"]))))
    assert requests.get(url, headers={"Referer": "http://a.com/x/y.html?z"}, timeout=10).status_code == 200
    assert requests.get(url, headers={"Referer": "http://b.com/a.com"}, timeout=10).status_code == 403


def test_preflight_is_not_subject_to_referer(endpoint, creds, bucket_name, protected):
    protected.put_bucket_cors(oss2.models.BucketCors([oss2.models.CorsRule(
        allowed_origins=["http://www.b.com"], allowed_methods=["GET"])]))
    r = requests.options(f"{endpoint}/{bucket_name}/img.png",
                         headers={"Origin": "http://www.b.com", "Access-Control-Request-Method": "GET",
                                  "Referer": "http://www.b.com/"}, timeout=10)
    assert r.status_code == 200
    # The refused actual request still carries CORS headers, so the page can read the error.
    r = requests.get(f"{endpoint}/{bucket_name}/img.png", timeout=10,
                     headers={"Origin": "http://www.b.com", "Referer": "http://www.b.com/"})
    assert_referer_denied(r, "0003-00000503")
    assert r.headers.get("Access-Control-Allow-Origin") == "http://www.b.com"
