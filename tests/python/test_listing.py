"""ListObjects (v1) and ListObjectsV2: prefix, delimiter, markers, tokens, max-keys,
encoding-type=url, fetch-owner, and paging that returns every key exactly once."""

import urllib.parse
import xml.etree.ElementTree as ET

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import etag_of

TREE = ["a/1", "a/2", "a/b/3", "a/b/c/4", "b/1", "c", "d/", "d/x", "e e/f+g", "é/1", "中/2"]


def utf8_sorted(keys):
    return sorted(keys, key=lambda k: k.encode("utf-8"))


@pytest.fixture
def tree(bucket):
    for k in TREE:
        bucket.put_object(k, k.encode())
    return bucket


# ---------------------------------------------------------------- v1


def test_list_all_sorted_by_utf8(tree):
    res = tree.list_objects(max_keys=1000)
    assert [o.key for o in res.object_list] == utf8_sorted(TREE)
    assert res.prefix_list == []
    assert res.is_truncated is False
    for o in res.object_list:
        assert o.size == len(o.key.encode())
        assert o.etag == etag_of(o.key.encode()).strip('"')
        assert o.type == "Normal"
        assert o.storage_class == "Standard"
        assert o.last_modified > 0


def test_list_prefix(tree):
    res = tree.list_objects(prefix="a/")
    assert [o.key for o in res.object_list] == ["a/1", "a/2", "a/b/3", "a/b/c/4"]


def test_list_delimiter_root(tree):
    res = tree.list_objects(delimiter="/")
    assert [o.key for o in res.object_list] == ["c"]
    assert res.prefix_list == utf8_sorted(["a/", "b/", "d/", "e e/", "é/", "中/"])


def test_list_prefix_and_delimiter(tree):
    res = tree.list_objects(prefix="a/", delimiter="/")
    assert [o.key for o in res.object_list] == ["a/1", "a/2"]
    assert res.prefix_list == ["a/b/"]
    res = tree.list_objects(prefix="d/", delimiter="/")
    assert [o.key for o in res.object_list] == ["d/", "d/x"]   # the "folder" object itself
    assert res.prefix_list == []


def test_list_marker_exclusive_and_nonexistent(tree):
    res = tree.list_objects(marker="a/2")
    assert [o.key for o in res.object_list] == [k for k in utf8_sorted(TREE) if k.encode() > b"a/2"]
    res = tree.list_objects(marker="b")          # not a key; everything after it
    assert [o.key for o in res.object_list][0] == "b/1"


def test_list_max_keys_counts_prefixes(tree):
    res = tree.list_objects(delimiter="/", max_keys=3)
    assert len(res.object_list) + len(res.prefix_list) == 3
    assert res.is_truncated is True
    assert res.next_marker


@pytest.mark.parametrize("delimiter", ["", "/"])
def test_list_v1_paging_exactly_once(tree, delimiter):
    seen_keys, seen_prefixes, marker, pages = [], [], "", 0
    while True:
        res = tree.list_objects(delimiter=delimiter, marker=marker, max_keys=2)
        pages += 1
        assert len(res.object_list) + len(res.prefix_list) <= 2
        seen_keys += [o.key for o in res.object_list]
        seen_prefixes += res.prefix_list
        if not res.is_truncated:
            break
        assert res.next_marker, "truncated page without NextMarker"
        marker = res.next_marker
        assert pages < 50
    if delimiter:
        assert seen_keys == ["c"]
        assert seen_prefixes == utf8_sorted(["a/", "b/", "d/", "e e/", "é/", "中/"])
    else:
        assert seen_keys == utf8_sorted(TREE)
        assert seen_prefixes == []


def test_list_empty_bucket(bucket):
    res = bucket.list_objects()
    assert res.object_list == [] and res.prefix_list == [] and res.is_truncated is False


def test_list_v1_xml(raw, tree, bucket_name):
    r = raw.request("GET", bucket_name, params=[("prefix", "a/"), ("delimiter", "/"),
                                                 ("max-keys", "10")])
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "ListBucketResult"
    assert root.findtext("Name") == bucket_name
    assert root.findtext("Prefix") == "a/"
    assert root.findtext("Delimiter") == "/"
    assert root.findtext("MaxKeys") == "10"
    assert root.findtext("IsTruncated") == "false"
    contents = root.findall("Contents")
    assert [c.findtext("Key") for c in contents] == ["a/1", "a/2"]
    c = contents[0]
    assert c.findtext("ETag") == etag_of(b"a/1")
    assert c.findtext("Size") == "3"
    assert c.findtext("Type") == "Normal"
    assert c.findtext("StorageClass") == "Standard"
    assert c.findtext("LastModified").endswith("Z")
    assert c.find("Owner/ID") is not None
    assert [p.findtext("Prefix") for p in root.findall("CommonPrefixes")] == ["a/b/"]


def test_encoding_type_url_v1(raw, bucket, bucket_name):
    key = "sp ace/plus+/pct%/中"
    bucket.put_object(key, b"x")
    r = raw.request("GET", bucket_name, params=[("encoding-type", "url")])
    root = ET.fromstring(r.content)
    assert root.findtext("EncodingType") == "url"
    text = root.findtext("Contents/Key")
    assert " " not in text and "中" not in text, text
    assert urllib.parse.unquote(text) == key
    r = raw.request("GET", bucket_name, params=[("encoding-type", "url"), ("delimiter", "/")])
    prefix = ET.fromstring(r.content).findtext("CommonPrefixes/Prefix")
    assert urllib.parse.unquote(prefix) == "sp ace/"
    assert " " not in prefix


def test_no_encoding_returns_raw_key(raw, bucket, bucket_name):
    key = "sp ace+中"
    bucket.put_object(key, b"x")
    r = raw.request("GET", bucket_name)
    assert ET.fromstring(r.content).findtext("Contents/Key") == key


# ---------------------------------------------------------------- v2


def test_list_v2_basic(raw, tree, bucket_name):
    r = raw.request("GET", bucket_name, params=[("list-type", "2"), ("prefix", "a/b/")])
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.tag == "ListBucketResult"
    assert [c.findtext("Key") for c in root.findall("Contents")] == ["a/b/3", "a/b/c/4"]
    assert root.findtext("KeyCount") == "2"
    assert root.findtext("IsTruncated") == "false"
    assert root.find("Contents/Owner") is None           # fetch-owner defaults to false


def test_list_v2_fetch_owner(tree):
    res = tree.list_objects_v2(fetch_owner=True, max_keys=1)
    assert res.object_list[0].owner is not None and res.object_list[0].owner.id
    res = tree.list_objects_v2(fetch_owner=False, max_keys=1)
    assert res.object_list[0].owner is None


def test_list_v2_start_after(tree):
    res = tree.list_objects_v2(start_after="b/1")
    assert [o.key for o in res.object_list] == [k for k in utf8_sorted(TREE) if k.encode() > b"b/1"]


@pytest.mark.parametrize("delimiter", ["", "/"])
def test_list_v2_paging_exactly_once(tree, delimiter):
    seen, prefixes, token, pages = [], [], "", 0
    while True:
        res = tree.list_objects_v2(delimiter=delimiter, continuation_token=token, max_keys=3)
        pages += 1
        seen += [o.key for o in res.object_list]
        prefixes += res.prefix_list
        if not res.is_truncated:
            break
        assert res.next_continuation_token
        token = res.next_continuation_token
        assert pages < 50
    if delimiter:
        assert seen == ["c"]
        assert prefixes == utf8_sorted(["a/", "b/", "d/", "e e/", "é/", "中/"])
    else:
        assert seen == utf8_sorted(TREE)


def test_list_v2_paginator_v2sdk(v2, tree, bucket_name):
    keys = []
    for page in v2.list_objects_v2_paginator().iter_page(
            oss.ListObjectsV2Request(bucket=bucket_name, max_keys=4)):
        assert page.key_count == len(page.contents or [])
        keys += [o.key for o in page.contents or []]
    assert keys == utf8_sorted(TREE)


def test_list_v1_paginator_v2sdk(v2, tree, bucket_name):
    keys = []
    for page in v2.list_objects_paginator().iter_page(
            oss.ListObjectsRequest(bucket=bucket_name, max_keys=4, prefix="a/")):
        keys += [o.key for o in page.contents or []]
    assert keys == ["a/1", "a/2", "a/b/3", "a/b/c/4"]


def test_list_v2_delimiter_v2sdk(v2, tree, bucket_name):
    res = v2.list_objects_v2(oss.ListObjectsV2Request(bucket=bucket_name, delimiter="/"))
    assert [o.key for o in res.contents] == ["c"]
    assert [p.prefix for p in res.common_prefixes] == utf8_sorted(
        ["a/", "b/", "d/", "e e/", "é/", "中/"])


def test_paging_many_keys(bucket):
    keys = [f"many/{i:03d}" for i in range(57)]
    for k in keys:
        bucket.put_object(k, b"")
    assert [o.key for o in oss2.ObjectIterator(bucket, prefix="many/", max_keys=10)] == keys
    assert [o.key for o in oss2.ObjectIteratorV2(bucket, prefix="many/", max_keys=7)] == keys
    res = bucket.list_objects(prefix="many/", max_keys=1000)
    assert len(res.object_list) == 57 and res.is_truncated is False


def test_max_keys_default_and_limit(raw, bucket, bucket_name):
    bucket.put_object("one", b"")
    r = raw.request("GET", bucket_name)
    assert ET.fromstring(r.content).findtext("MaxKeys") == "100"
    r = raw.request("GET", bucket_name, params=[("max-keys", "1001")])
    assert r.status_code == 400


AWKWARD = ["p q/1", "p%20q/2", "p+q/3", "p%/4", "p%25/5", "p&q=/6", "p中/7", "p q/8"]


def test_paging_over_awkward_keys_oss2(bucket):
    """Page boundaries on keys with space, '%', '+', '&': NextMarker / NextContinuationToken
    must survive the SDK's url-decoding (encoding-type=url) so every key comes back once."""
    for k in AWKWARD:
        bucket.put_object(k, b"x")
    expected = utf8_sorted(AWKWARD)
    assert [o.key for o in oss2.ObjectIterator(bucket, max_keys=1)] == expected
    assert [o.key for o in oss2.ObjectIteratorV2(bucket, max_keys=1)] == expected
    prefixes = [o.key for o in oss2.ObjectIterator(bucket, delimiter="/", max_keys=1)]
    assert prefixes == utf8_sorted({k.split("/")[0] + "/" for k in AWKWARD})


def test_paging_over_awkward_keys_v2(v2, bucket, bucket_name):
    for k in AWKWARD:
        bucket.put_object(k, b"x")
    keys = []
    for page in v2.list_objects_v2_paginator().iter_page(
            oss.ListObjectsV2Request(bucket=bucket_name, max_keys=1)):
        keys += [o.key for o in page.contents or []]
    assert keys == utf8_sorted(AWKWARD)
    keys = []
    for page in v2.list_objects_paginator().iter_page(
            oss.ListObjectsRequest(bucket=bucket_name, max_keys=2)):
        keys += [o.key for o in page.contents or []]
    assert keys == utf8_sorted(AWKWARD)


def test_other_delimiters(bucket):
    for k in ["x|1", "x|2|3", "y", "zz--a", "zz--b--c"]:
        bucket.put_object(k, b"")
    res = bucket.list_objects(delimiter="|")
    assert [o.key for o in res.object_list] == ["y", "zz--a", "zz--b--c"]
    assert res.prefix_list == ["x|"]
    res = bucket.list_objects(delimiter="--", prefix="zz--")
    assert [o.key for o in res.object_list] == ["zz--a"]
    assert res.prefix_list == ["zz--b--"]


def test_unicode_prefix(bucket):
    for k in ["中/a", "中文/b", "中x", "d"]:
        bucket.put_object(k, b"")
    assert [o.key for o in oss2.ObjectIterator(bucket, prefix="中")] == \
        utf8_sorted(["中/a", "中文/b", "中x"])
    res = bucket.list_objects(prefix="中", delimiter="/")
    assert res.prefix_list == utf8_sorted(["中/", "中文/"])
    assert [o.key for o in res.object_list] == ["中x"]
