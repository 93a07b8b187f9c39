"""Static website hosting (OSS docs: PutBucketWebsite, GetBucketWebsite, DeleteBucketWebsite, and
"Static website hosting"): the configuration through oss2 (V1, V4) and alibabacloud-oss-v2 (V4,
V1), and how anonymous visitors are served: root and sub-directory index documents, the three
`Type`s for a missing key without `/`, the error document with its status, ACLs, and CORS on
website answers."""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from conftest import assert_oss_error, oss2_bucket, v2_error

MSG_NO_WEBSITE = "The specified bucket does not have a website configuration."


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_put_get_delete(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    with pytest.raises(oss2.exceptions.NoSuchWebsite) as ei:
        b.get_bucket_website()
    assert ei.value.status == 404 and ei.value.message == MSG_NO_WEBSITE
    b.put_bucket_website(oss2.models.BucketWebsite("index.html", "error.html"))
    got = b.get_bucket_website()
    assert (got.index_file, got.error_file) == ("index.html", "error.html")
    b.delete_bucket_website()
    b.delete_bucket_website()  # idempotent
    with pytest.raises(oss2.exceptions.NoSuchWebsite):
        b.get_bucket_website()


def test_v2_put_get_with_sub_dir_and_status(v2, bucket_name):
    cfg = oss.WebsiteConfiguration(
        index_document=oss.IndexDocument(suffix="index.html", support_sub_dir=True, type=2),
        error_document=oss.ErrorDocument(key="err.html", http_status=200),
    )
    v2.put_bucket_website(oss.PutBucketWebsiteRequest(bucket=bucket_name, website_configuration=cfg))
    got = v2.get_bucket_website(oss.GetBucketWebsiteRequest(bucket=bucket_name)).website_configuration
    assert got.index_document.suffix == "index.html"
    assert got.index_document.support_sub_dir is True
    assert got.index_document.type == 2
    assert got.error_document.key == "err.html"
    assert got.error_document.http_status == 200
    r = v2.delete_bucket_website(oss.DeleteBucketWebsiteRequest(bucket=bucket_name))
    assert r.status_code == 204
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.get_bucket_website(oss.GetBucketWebsiteRequest(bucket=bucket_name))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (404, "NoSuchWebsiteConfiguration")


@pytest.mark.parametrize("body,status,code", [
    (b"<WebsiteConfiguration/>", 400, "MalformedXML"),
    (b"<WebsiteConfiguration><IndexDocument></IndexDocument></WebsiteConfiguration>", 400, "MalformedXML"),
    (b"<WebsiteConfiguration><IndexDocument><Suffix>i.html</Suffix><Type>9</Type></IndexDocument>"
     b"</WebsiteConfiguration>", 400, "InvalidArgument"),
    (b"<WebsiteConfiguration><ErrorDocument><Key>e.html</Key><HttpStatus>500</HttpStatus>"
     b"</ErrorDocument></WebsiteConfiguration>", 400, "InvalidArgument"),
    (b"<WebsiteConfiguration><IndexDocument><Suffix>i.html</Suffix></IndexDocument><RoutingRules>"
     b"<RoutingRule><RuleNumber>1</RuleNumber></RoutingRule></RoutingRules></WebsiteConfiguration>",
     501, "NotImplemented"),
])
def test_put_website_validation(raw, bucket_name, body, status, code):
    r = raw.request("PUT", bucket_name, params=[("website", None)], data=body)
    assert_oss_error(r, status, code)


def test_website_needs_the_owner(raw, bucket_name):
    raw.request("PUT", bucket_name, params=[("acl", None)],
                headers={"x-oss-acl": "public-read-write"}).raise_for_status()
    body = b"<WebsiteConfiguration><IndexDocument><Suffix>i.html</Suffix></IndexDocument></WebsiteConfiguration>"
    for method, data in (("PUT", body), ("GET", None), ("DELETE", None)):
        r = raw.request(method, bucket_name, params=[("website", None)], data=data, sign=False)
        assert_oss_error(r, 403, "AccessDenied")


def put_website(raw, bucket_name, sub_dir=False, type_=0, error_status=None,
                error_key="error.html"):
    """The full document (oss2's BucketWebsite has no SupportSubDir, Type or HttpStatus)."""
    xml = (f"<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix>"
           f"<SupportSubDir>{str(sub_dir).lower()}</SupportSubDir><Type>{type_}</Type></IndexDocument>"
           f"<ErrorDocument><Key>{error_key}</Key>")
    if error_status:
        xml += f"<HttpStatus>{error_status}</HttpStatus>"
    xml += "</ErrorDocument></WebsiteConfiguration>"
    r = raw.request("PUT", bucket_name, params=[("website", None)], data=xml.encode())
    assert r.status_code == 200, r.text


@pytest.fixture
def site(endpoint, creds, bucket_name):
    b = oss2_bucket(endpoint, creds, bucket_name)
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    b.put_object("index.html", b"root index", headers={"Content-Type": "text/html"})
    b.put_object("error.html", b"error page", headers={"Content-Type": "text/html"})
    b.put_object("docs/index.html", b"docs index")
    b.put_object("page.html", b"a page")
    return b


def get(endpoint, bucket_name, path, method="GET", headers=None):
    return requests.request(method, f"{endpoint}/{bucket_name}/{path}", headers=headers or {},
                            allow_redirects=False, timeout=10)


def test_root_and_directory_without_sub_dir(raw, endpoint, bucket_name, site):
    put_website(raw, bucket_name)
    r = get(endpoint, bucket_name, "")
    assert (r.status_code, r.content) == (200, b"root index")
    assert r.headers["Content-Type"] == "text/html"
    # SupportSubDir false: any directory serves the root index.
    assert get(endpoint, bucket_name, "docs/").content == b"root index"
    assert get(endpoint, bucket_name, "nowhere/").content == b"root index"
    # Existing objects as usual; a missing one gets the error document with 404.
    assert get(endpoint, bucket_name, "page.html").content == b"a page"
    r = get(endpoint, bucket_name, "missing.html")
    assert (r.status_code, r.content) == (404, b"error page")
    assert get(endpoint, bucket_name, "missing.html", "HEAD").status_code == 404
    # A signed GET / is still ListObjects; a listing with a query too.
    assert [o.key for o in oss2.ObjectIterator(site)][:1] == ["docs/index.html"]
    r = requests.get(f"{endpoint}/{bucket_name}/?prefix=docs", timeout=10)
    assert r.status_code == 200 and b"<ListBucketResult>" in r.content


@pytest.mark.parametrize("type_", [0, 1, 2])
def test_sub_dir_types(raw, endpoint, bucket_name, site, type_):
    put_website(raw, bucket_name, sub_dir=True, type_=type_)
    assert get(endpoint, bucket_name, "docs/").content == b"docs index"
    r = get(endpoint, bucket_name, "nowhere/")
    assert (r.status_code, r.content) == (404, b"error page")
    r = get(endpoint, bucket_name, "docs")
    if type_ == 0:
        assert r.status_code == 302
        assert r.headers["Location"] == f"/{bucket_name}/docs/"
    elif type_ == 1:
        assert (r.status_code, r.content) == (404, b"error page")
    else:
        assert (r.status_code, r.content) == (200, b"docs index")
    # Without a directory index, every type ends at the error document.
    r = get(endpoint, bucket_name, "nodir")
    assert (r.status_code, r.content) == (404, b"error page")


def test_error_document_status_and_fallback(raw, endpoint, bucket_name, site):
    put_website(raw, bucket_name, error_status=200)
    r = get(endpoint, bucket_name, "missing")
    assert (r.status_code, r.content) == (200, b"error page")
    # Ranges and conditions do not apply to the error document.
    r = get(endpoint, bucket_name, "missing", headers={"Range": "bytes=0-1"})
    assert (r.status_code, r.content) == (200, b"error page")
    # An error document that does not exist itself: the usual NoSuchKey.
    put_website(raw, bucket_name, error_key="gone.html")
    assert_oss_error(get(endpoint, bucket_name, "missing"), 404, "NoSuchKey")


def test_acls_decide_what_visitors_see(raw, endpoint, bucket_name, site):
    put_website(raw, bucket_name)
    site.put_object_acl("index.html", oss2.OBJECT_ACL_PRIVATE)
    assert_oss_error(get(endpoint, bucket_name, ""), 403, "AccessDenied")
    assert_oss_error(get(endpoint, bucket_name, "docs/"), 403, "AccessDenied")
    site.put_object_acl("index.html", oss2.OBJECT_ACL_DEFAULT)
    site.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    assert_oss_error(get(endpoint, bucket_name, ""), 403, "AccessDenied")
    assert_oss_error(get(endpoint, bucket_name, "missing"), 403, "AccessDenied")
    # The owner, signed, gets the website answers too.
    assert site.get_object("docs/").read() == b"root index"


def test_cors_headers_on_website_answers(raw, endpoint, bucket_name, site):
    put_website(raw, bucket_name, sub_dir=True, type_=0)
    site.put_bucket_cors(oss2.models.BucketCors([oss2.models.CorsRule(
        allowed_origins=["https://www.a.com"], allowed_methods=["GET"])]))
    origin = {"Origin": "https://www.a.com"}
    for path, status in (("", 200), ("docs", 302), ("missing", 404)):
        r = get(endpoint, bucket_name, path, headers=origin)
        assert r.status_code == status, path
        assert r.headers.get("Access-Control-Allow-Origin") == "https://www.a.com", path


def test_virtual_hosted_redirect_has_no_bucket_in_path(raw, endpoint, bucket_name, site):
    put_website(raw, bucket_name, sub_dir=True, type_=0)
    host = endpoint.split("//", 1)[1]
    port = host.rsplit(":", 1)[1]
    r = requests.get(f"http://127.0.0.1:{port}/docs", allow_redirects=False, timeout=10,
                     headers={"Host": f"{bucket_name}.localhost:{port}"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/docs/"
