"""Object versioning through the SDKs' own methods (oss2 V1 and V4, alibabacloud-oss-v2 V1 and V4)
and raw HTTP for the errors.

OSS references (Alibaba Cloud OSS API docs):
PutBucketVersioning https://help.aliyun.com/en/oss/developer-reference/putbucketversioning,
GetBucketVersioning https://alibabacloud.com/help/en/oss/developer-reference/getbucketversioning,
ListObjectVersions (GetBucketVersions) https://help.aliyun.com/document_detail/112467.html,
delete markers https://alibabacloud.com/help/en/oss/user-guide/delete-marker,
the EC pages 0012-00000004, 0012-00000201, 0012-00000202, 0012-00000301 under
https://help.aliyun.com/en/oss/user-guide/, GetBucketStat
https://alibabacloud.com/help/en/oss/developer-reference/getbucketstat.

What they say and these tests check: a bucket is never versioned, Enabled or Suspended; Enabled
gives every write a fresh 64-character id (`x-oss-version-id`) and keeps earlier versions; a
delete without versionId adds a delete marker (204, `x-oss-delete-marker: true`); GET of a key
whose current version is a marker is 404 NoSuchKey with the marker headers, GET of a marker by id
405 MethodNotAllowed; Suspended writes and deletes replace the `null` version; ListObjectVersions
lists versions and markers newest first per key and pages by key-marker / version-id-marker.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import alibabacloud_oss_v2 as oss
import oss2
import pytest

from conftest import assert_oss_error, oss2_bucket, v2_error
from test_post_object import post_form, signed_fields

VERSIONS = ["v1", "v4"]


def enable(b: oss2.Bucket, status: str = "Enabled") -> None:
    cfg = oss2.models.BucketVersioningConfig()
    cfg.status = status
    b.put_bucket_versioning(cfg)


def stat_xml(raw, bucket: str) -> ET.Element:
    r = raw.request("GET", bucket, params={"stat": ""})
    assert r.status_code == 200, r.text
    return ET.fromstring(r.content)


# ---------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("version", VERSIONS)
def test_oss2_versioning_states(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    # Never enabled: the document has no Status, GetBucketInfo no Versioning.
    assert b.get_bucket_versioning().status is None
    enable(b)
    assert b.get_bucket_versioning().status == "Enabled"
    enable(b, "Suspended")
    assert b.get_bucket_versioning().status == "Suspended"
    enable(b)
    assert b.get_bucket_versioning().status == "Enabled"


def test_versioning_status_must_be_enabled_or_suspended(raw, bucket_name):
    # oss2's tests against OSS expect MalformedXML for Disabled and for no status.
    for body in [b"<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>",
                 b"<VersioningConfiguration><Status>None</Status></VersioningConfiguration>",
                 b"<VersioningConfiguration/>"]:
        r = raw.request("PUT", bucket_name, params={"versioning": ""}, data=body)
        fields = assert_oss_error(r, 400, "MalformedXML")
        assert fields["EC"] == "0012-00000004"
    r = raw.request("GET", bucket_name, params={"versioning": ""})
    assert ET.fromstring(r.content).find("Status") is None
    info = raw.request("GET", bucket_name, params={"bucketInfo": ""})
    assert ET.fromstring(info.content).find("Bucket/Versioning") is None


def test_v2_versioning_states(v2, bucket_name):
    got = v2.get_bucket_versioning(oss.GetBucketVersioningRequest(bucket=bucket_name))
    assert got.version_status is None
    v2.put_bucket_versioning(oss.PutBucketVersioningRequest(
        bucket=bucket_name,
        versioning_configuration=oss.VersioningConfiguration(status="Enabled")))
    got = v2.get_bucket_versioning(oss.GetBucketVersioningRequest(bucket=bucket_name))
    assert got.version_status == "Enabled"
    info = v2.get_bucket_info(oss.GetBucketInfoRequest(bucket=bucket_name))
    assert info.bucket_info.versioning == "Enabled"


# ---------------------------------------------------------------------------- writes and reads


@pytest.mark.parametrize("version", VERSIONS)
def test_oss2_every_write_makes_a_version(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    # Before versioning: no version header.
    assert "x-oss-version-id" not in b.put_object("old", b"before").headers
    enable(b)
    v1 = b.put_object("k", b"one").versionid
    v2 = b.put_object("k", b"two").versionid
    assert len(v1) == 64 and len(v2) == 64 and v1 != v2
    assert b.get_object("k").read() == b"two"
    assert b.get_object("k", params={"versionId": v1}).read() == b"one"
    head = b.head_object("k", params={"versionId": v1})
    assert head.versionid == v1 and head.content_length == 3
    assert b.get_object_meta("k", params={"versionId": v1}).headers["x-oss-version-id"] == v1
    # The object from before versioning is the null version.
    assert b.head_object("old").versionid == "null"
    assert b.get_object("old", params={"versionId": "null"}).read() == b"before"
    # Copy: from a named source version, answering both ids.
    c = b.copy_object(bucket_name, "k", "copy", params={"versionId": v1})
    assert c.headers["x-oss-copy-source-version-id"] == v1
    assert len(c.versionid) == 64
    assert b.get_object("copy").read() == b"one"
    # Multipart completion makes a version.
    up = b.init_multipart_upload("mp").upload_id
    part = b.upload_part("mp", up, 1, b"parts")
    done = b.complete_multipart_upload("mp", up, [oss2.models.PartInfo(1, part.etag)])
    assert len(done.versionid) == 64
    # Append: a real id that stays the same across appends.
    a1 = b.append_object("app", 0, b"ab")
    a2 = b.append_object("app", a1.next_position, b"cd")
    assert a1.versionid == a2.versionid and a1.versionid != "null"
    assert b.get_object("app", params={"versionId": a2.versionid}).read() == b"abcd"
    # A symlink is a version too.
    link = b.put_symlink("k", "link")
    assert len(link.headers["x-oss-version-id"]) == 64
    # x-oss-forbid-overwrite has no effect in a versioned bucket.
    again = b.put_object("k", b"three", headers={"x-oss-forbid-overwrite": "true"})
    assert again.versionid not in (v1, v2)


@pytest.mark.parametrize("version", VERSIONS)
def test_post_object_symlink_and_part_copy_versions(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    enable(b)
    # PostObject answers the new version's id.
    fields = [("key", "form.txt")] + signed_fields(creds, version, [{"bucket": bucket_name}])
    r = post_form(endpoint, bucket_name, fields, ("f", b"form", None))
    assert r.status_code == 204, r.text
    posted = r.headers["x-oss-version-id"]
    assert len(posted) == 64
    assert b.get_object("form.txt", params={"versionId": posted}).read() == b"form"
    # GetSymlink of an older version of the link gives that version's target.
    old = b.put_symlink("a.txt", "link").headers["x-oss-version-id"]
    b.put_symlink("b.txt", "link")
    assert b.get_symlink("link").target_key == "b.txt"
    assert b.get_symlink("link", params={"versionId": old}).target_key == "a.txt"
    # UploadPartCopy of a named source version (oss2 passes it as the request's versionId).
    first = b.put_object("src", b"first version").versionid
    b.put_object("src", b"second")
    up = b.init_multipart_upload("dst").upload_id
    part = b.upload_part_copy(bucket_name, "src", (0, 12), "dst", up, 1,
                              params={"versionId": first})
    b.complete_multipart_upload("dst", up, [oss2.models.PartInfo(1, part.etag)])
    assert b.get_object("dst").read() == b"first version"


@pytest.mark.parametrize("version", VERSIONS)
def test_oss2_delete_markers(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    enable(b)
    v1 = b.put_object("k", b"data").versionid
    d = b.delete_object("k")
    assert d.delete_marker is True and len(d.versionid) == 64
    marker = d.versionid
    # Current version is a marker: 404 NoSuchKey with the marker's headers.
    with pytest.raises(oss2.exceptions.NoSuchKey) as e:
        b.get_object("k")
    assert e.value.headers["x-oss-delete-marker"] == "true"
    assert e.value.headers["x-oss-version-id"] == marker
    assert [o.key for o in oss2.ObjectIterator(b)] == []
    # A marker by id: 405, HEAD too.
    with pytest.raises(oss2.exceptions.ServerError) as e:
        b.get_object("k", params={"versionId": marker})
    assert e.value.status == 405
    with pytest.raises(oss2.exceptions.ServerError):
        b.head_object("k", params={"versionId": marker})
    # Deleting again adds another marker.
    assert b.delete_object("k").versionid != marker
    # Removing a marker by id answers it as a marker; the old data stays reachable.
    r = b.delete_object("k", params={"versionId": marker})
    assert r.delete_marker is True and r.versionid == marker
    assert b.get_object("k", params={"versionId": v1}).read() == b"data"


def test_version_errors(raw, bucket_name, bucket):
    bucket.put_object("k", b"x")
    # versionId on a bucket never versioned (0012-00000301), empty (…201), malformed (…202).
    r = raw.request("GET", bucket_name, "k", params={"versionId": "A" * 64})
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == "0012-00000301"
    assert raw.request("GET", bucket_name, "k", params={"versionId": "null"}).content == b"x"
    enable(bucket)
    r = raw.request("GET", bucket_name, "k", params={"versionId": ""})
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == "0012-00000201"
    r = raw.request("GET", bucket_name, "k", params={"versionId": "IllegalVersion"})
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == "0012-00000202"
    # A well-formed id that names nothing.
    missing = "0" * 16 + "a" * 48
    r = raw.request("GET", bucket_name, "k", params={"versionId": missing})
    assert_oss_error(r, 404, "NoSuchVersion")
    r = raw.request("HEAD", bucket_name, "k", params={"versionId": missing})
    assert r.status_code == 404
    # GET of a marker by id: the documented 405 body and headers.
    marker = raw.request("DELETE", bucket_name, "k").headers["x-oss-version-id"]
    r = raw.request("GET", bucket_name, "k", params={"versionId": marker})
    fields = assert_oss_error(r, 405, "MethodNotAllowed")
    assert (fields["Method"], fields["ResourceType"]) == ("GET", "DeleteMarker")
    assert r.headers["Allow"] == "DELETE" and r.headers["x-oss-delete-marker"] == "true"
    # Copying from a source whose current version is a marker: 404.
    r = raw.request("PUT", bucket_name, "dst", headers={"x-oss-copy-source": f"/{bucket_name}/k"})
    assert_oss_error(r, 404, "NoSuchKey")
    r = raw.request("PUT", bucket_name, "dst",
                    headers={"x-oss-copy-source": f"/{bucket_name}/k?versionId={missing}"})
    assert assert_oss_error(r, 404, "NoSuchVersion")["EC"] == "0012-00000203"


@pytest.mark.parametrize("version", VERSIONS)
def test_oss2_suspended_replaces_the_null_version(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    enable(b)
    v1 = b.put_object("k", b"kept").versionid
    enable(b, "Suspended")
    assert b.put_object("k", b"null one").versionid == "null"
    assert b.put_object("k", b"null two").versionid == "null"
    d = b.delete_object("k")
    assert (d.delete_marker, d.versionid) == (True, "null")
    got = b.list_object_versions()
    assert [(v.versionid, v.is_latest) for v in got.versions] == [(v1, False)]
    assert [(m.versionid, m.is_latest) for m in got.delete_marker] == [("null", True)]
    assert b.get_object("k", params={"versionId": v1}).read() == b"kept"


def test_v2_versions_through_the_sdk(v2, bucket_name):
    v2.put_bucket_versioning(oss.PutBucketVersioningRequest(
        bucket=bucket_name,
        versioning_configuration=oss.VersioningConfiguration(status="Enabled")))
    ids = [v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="k", body=data)).version_id
           for data in (b"a", b"bb")]
    assert all(len(i) == 64 for i in ids)
    got = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="k", version_id=ids[0]))
    assert got.body.read() == b"a" and got.version_id == ids[0]
    d = v2.delete_object(oss.DeleteObjectRequest(bucket=bucket_name, key="k"))
    assert d.delete_marker is True and len(d.version_id) == 64
    with pytest.raises(oss.exceptions.OperationError) as e:
        v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="k"))
    assert v2_error(e).status_code == 404
    pages = list(v2.list_object_versions_paginator().iter_page(
        oss.ListObjectVersionsRequest(bucket=bucket_name), limit=1))
    versions = [v.version_id for p in pages for v in (p.version or [])]
    markers = [m.version_id for p in pages for m in (p.delete_marker or [])]
    assert versions == [ids[1], ids[0]] and markers == [d.version_id]
    out = v2.delete_multiple_objects(oss.DeleteMultipleObjectsRequest(
        bucket=bucket_name,
        objects=[oss.DeleteObject(key="k", version_id=i) for i in ids + [d.version_id]]))
    by_id = {o.version_id: o for o in out.deleted_objects}
    assert set(by_id) == set(ids + [d.version_id])
    assert by_id[d.version_id].delete_marker is True
    left = v2.list_object_versions(oss.ListObjectVersionsRequest(bucket=bucket_name))
    assert not left.version and not left.delete_marker


# ---------------------------------------------------------------------------- listing


@pytest.mark.parametrize("version", VERSIONS)
def test_oss2_list_versions_pages_every_entry_once(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    enable(b)
    made = {}
    for key in ["a", "dir/x", "dir/y", "z +%"]:
        made[key] = [b.put_object(key, b"v").versionid for _ in range(3)]
    marker = b.delete_object("a").versionid
    # Unpaged: keys in order, versions newest first, the marker first (it is the newest).
    full = b.list_object_versions(max_keys=1000)
    assert [(v.key, v.versionid) for v in full.versions] == [
        (k, i) for k in made for i in reversed(made[k])]
    assert [(m.key, m.versionid, m.is_latest) for m in full.delete_marker] == [("a", marker, True)]
    assert [v.is_latest for v in full.versions if v.key == "dir/x"] == [True, False, False]
    # Paged by 2 with a delimiter: every version and the common prefix exactly once.
    seen, prefixes, key_marker, vid_marker = [], [], "", ""
    while True:
        page = b.list_object_versions(delimiter="/", key_marker=key_marker,
                                      versionid_marker=vid_marker, max_keys=2)
        assert len(page.versions) + len(page.delete_marker) + len(page.common_prefix) <= 2
        seen += [v.versionid for v in page.versions] + [m.versionid for m in page.delete_marker]
        prefixes += page.common_prefix
        if not page.is_truncated:
            break
        key_marker, vid_marker = page.next_key_marker, page.next_versionid_marker
    assert sorted(seen) == sorted(made["a"] + made["z +%"] + [marker])
    assert prefixes == ["dir/"]
    # prefix narrows the listing.
    assert {v.key for v in b.list_object_versions(prefix="dir/").versions} == {"dir/x", "dir/y"}


def test_list_versions_parameter_errors(raw, bucket_name):
    for params, ec in [({"max-keys": "1001"}, "0012-00000102"),
                       ({"prefix": "p" * 1025}, "0012-00000103"),
                       ({"version-id-marker": "null"}, "0012-00000106"),
                       ({"key-marker": "k", "version-id-marker": "bad"}, "0012-00000105")]:
        r = raw.request("GET", bucket_name, params={"versions": "", **params})
        assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == ec, params


# ---------------------------------------------------------------------------- batch delete


@pytest.mark.parametrize("version", VERSIONS)
def test_oss2_batch_delete_with_versions(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    enable(b)
    v1 = b.put_object("k", b"1").versionid
    v2 = b.put_object("k", b"2").versionid
    # Without version ids: a marker per key, named in DeleteMarkerVersionId.
    res = b.batch_delete_objects(["k"])
    assert res.deleted_keys == ["k"]
    raw_res = b.delete_object_versions(oss2.models.BatchDeleteObjectVersionList([
        oss2.models.BatchDeleteObjectVersion("k", v1),
        oss2.models.BatchDeleteObjectVersion("k", v2)]))
    assert sorted(d.versionid for d in raw_res.delete_versions) == sorted([v1, v2])
    left = b.list_object_versions()
    assert left.versions == [] and len(left.delete_marker) == 1
    m = left.delete_marker[0].versionid
    res = b.delete_object_versions(oss2.models.BatchDeleteObjectVersionList([
        oss2.models.BatchDeleteObjectVersion("k", m)]))
    assert res.delete_versions[0].delete_marker is True
    assert res.delete_versions[0].delete_marker_versionid == m
    # A malformed VersionId fails the whole request.
    with pytest.raises(oss2.exceptions.ServerError) as e:
        b.delete_object_versions(oss2.models.BatchDeleteObjectVersionList([
            oss2.models.BatchDeleteObjectVersion("k", "234")]))
    assert e.value.code == "InvalidArgument"


# ---------------------------------------------------------------------------- ACL, tags, stats


@pytest.mark.parametrize("version", VERSIONS)
def test_oss2_acl_and_tags_of_a_version(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    enable(b)
    v1 = b.put_object("k", b"1").versionid
    v2 = b.put_object("k", b"2").versionid
    b.put_object_acl("k", oss2.OBJECT_ACL_PUBLIC_READ, params={"versionId": v1})
    assert b.get_object_acl("k", params={"versionId": v1}).acl == oss2.OBJECT_ACL_PUBLIC_READ
    assert b.get_object_acl("k").acl == oss2.OBJECT_ACL_DEFAULT
    rule = oss2.models.TaggingRule()
    rule.add("old", "yes")
    b.put_object_tagging("k", oss2.models.Tagging(rule), params={"versionId": v1})
    assert b.get_object_tagging("k", params={"versionId": v1}).tag_set.tagging_rule == {
        "old": "yes"}
    assert b.get_object_tagging("k").tag_set.tagging_rule == {}
    b.delete_object_tagging("k", params={"versionId": v1})
    assert b.get_object_tagging("k", params={"versionId": v1}).tag_set.tagging_rule == {}
    assert b.head_object("k").versionid == v2


def test_stat_counts_versions_and_markers_and_frees_space(raw, bucket):
    enable(bucket)
    name = bucket.bucket_name
    v1 = bucket.put_object("k", b"12345").versionid
    bucket.put_object("k", b"1234567")
    marker = bucket.delete_object("k").versionid
    s = stat_xml(raw, name)
    assert s.findtext("ObjectCount") == "2" and s.findtext("Storage") == "12"
    assert s.findtext("DeleteMarkerCount") == "1"
    bucket.delete_object("k", params={"versionId": v1})
    bucket.delete_object("k", params={"versionId": marker})
    s = stat_xml(raw, name)
    assert s.findtext("ObjectCount") == "1" and s.findtext("Storage") == "7"
    assert s.findtext("DeleteMarkerCount") == "0"


def test_null_version_of_a_bucket_never_versioned_and_suspended_appends(raw, bucket, bucket_name):
    # Never versioned: `versionId=null` names the object itself.
    bucket.put_object("k", b"x")
    r = raw.request("DELETE", bucket_name, "k", params={"versionId": "null"})
    assert r.status_code == 204 and r.headers["x-oss-version-id"] == "null"
    assert "x-oss-delete-marker" not in r.headers
    assert raw.request("HEAD", bucket_name, "k").status_code == 404
    # Suspended: an append creates (and extends) the null version.
    enable(bucket)
    enable(bucket, "Suspended")
    a1 = bucket.append_object("app", 0, b"ab")
    a2 = bucket.append_object("app", a1.next_position, b"cd")
    assert (a1.versionid, a2.versionid) == ("null", "null")
    assert bucket.get_object("app", params={"versionId": "null"}).read() == b"abcd"
