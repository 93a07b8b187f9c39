"""Object and bucket tagging (OSS API reference: PutObjectTagging, GetObjectTagging,
DeleteObjectTagging, PutBucketTags, GetBucketTags, DeleteBucketTags; the `x-oss-tagging` header on
PutObject, InitiateMultipartUpload, CopyObject with `x-oss-tagging-directive`, AppendObject and the
PostObject form; `x-oss-tagging-count` on GET/HEAD; the tag rules and the ECs 0010-…): through the
SDKs' own methods (oss2 V1 and V4, alibabacloud-oss-v2 V1 and V4) and raw HTTP for the errors."""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from conftest import assert_oss_error, oss2_bucket, v2_error
from test_post_object import VERSIONS, post_form, signed_fields

TAGGING_XML = "<Tagging><TagSet>{}</TagSet></Tagging>"


def rule(**tags) -> oss2.models.TaggingRule:
    r = oss2.models.TaggingRule()
    for k, v in tags.items():
        r.add(k, v)
    return r


def oss2_tags(b: oss2.Bucket, key: str) -> dict:
    return b.get_object_tagging(key).tag_set.tagging_rule


def tag_xml(*pairs) -> bytes:
    return TAGGING_XML.format("".join(
        f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in pairs)).encode()


def v2_tags(client: oss.Client, bucket: str, key: str) -> list[tuple[str, str]]:
    got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=bucket, key=key))
    # The v2 SDK reads an empty <Value></Value> as None.
    return [(t.key, t.value or "") for t in (got.tag_set.tags or [])] if got.tag_set else []


# ---------------------------------------------------------------------------- object tagging


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_object_tagging_round_trip(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    b.put_object("t.txt", b"tagged")
    before = b.head_object("t.txt")
    # Untagged: an empty set, and no count header.
    assert oss2_tags(b, "t.txt") == {}
    assert "x-oss-tagging-count" not in before.headers
    b.put_object_tagging("t.txt", oss2.models.Tagging(rule(**{"k1": "v1", "a b": "", "中文": "值"})))
    assert oss2_tags(b, "t.txt") == {"k1": "v1", "a b": "", "中文": "值"}
    after = b.head_object("t.txt")
    assert after.headers["x-oss-tagging-count"] == "3"
    assert b.get_object("t.txt").headers["x-oss-tagging-count"] == "3"
    # Changing tags changes neither the bytes nor Last-Modified nor the ETag.
    assert after.headers["Last-Modified"] == before.headers["Last-Modified"]
    assert after.etag == before.etag
    assert b.get_object("t.txt").read() == b"tagged"
    # PUT replaces the whole set.
    b.put_object_tagging("t.txt", oss2.models.Tagging(rule(only="one")))
    assert oss2_tags(b, "t.txt") == {"only": "one"}
    b.delete_object_tagging("t.txt")
    assert oss2_tags(b, "t.txt") == {}
    assert "x-oss-tagging-count" not in b.head_object("t.txt").headers
    # Deleting the tags of an untagged object is fine too.
    b.delete_object_tagging("t.txt")


def test_v2_object_tagging_round_trip(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="v2.txt", body=b"x"))
    assert v2_tags(v2, bucket_name, "v2.txt") == []
    tagging = oss.Tagging(tag_set=oss.TagSet(tags=[oss.Tag(key="k", value="v"),
                                                    oss.Tag(key="e", value="")]))
    v2.put_object_tagging(oss.PutObjectTaggingRequest(bucket=bucket_name, key="v2.txt",
                                                      tagging=tagging))
    assert v2_tags(v2, bucket_name, "v2.txt") == [("k", "v"), ("e", "")]
    head = v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="v2.txt"))
    assert head.tagging_count == 2
    got = v2.get_object(oss.GetObjectRequest(bucket=bucket_name, key="v2.txt"))
    assert got.tagging_count == 2
    res = v2.delete_object_tagging(oss.DeleteObjectTaggingRequest(bucket=bucket_name,
                                                                  key="v2.txt"))
    assert res.status_code == 204
    assert v2_tags(v2, bucket_name, "v2.txt") == []
    assert v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="v2.txt")).tagging_count is None


def test_missing_object_is_no_such_key(raw, bucket, bucket_name):
    for method, data in [("GET", None), ("PUT", tag_xml(("k", "v"))), ("DELETE", None)]:
        r = raw.request(method, bucket_name, "nope", params=[("tagging", None)], data=data)
        assert_oss_error(r, 404, "NoSuchKey")


@pytest.mark.parametrize("pairs,ec", [
    ([("k", "v")] * 2, "0010-00000210"),
    ([(f"k{i}", "v") for i in range(11)], "0010-00000218"),
    ([("", "v")], "0010-00000208"),
    ([("k" * 129, "v")], "0010-00000209"),
    ([("%@abc", "v")], "0010-00000212"),
    ([("k", "v" * 257)], "0010-00000214"),
    ([("k", "%abc")], "0010-00000217"),
    ([("k", "a&amp;b")], "0010-00000217"),
])
def test_put_object_tagging_refuses_what_oss_refuses(raw, bucket, bucket_name, pairs, ec):
    bucket.put_object("o", b"x")
    bucket.put_object_tagging("o", oss2.models.Tagging(rule(keep="me")))
    r = raw.request("PUT", bucket_name, "o", params=[("tagging", None)], data=tag_xml(*pairs))
    fields = assert_oss_error(r, 400, "InvalidArgument")
    assert fields["EC"] == ec
    # Nothing changed.
    assert oss2_tags(bucket, "o") == {"keep": "me"}


def test_put_object_tagging_accepts_the_limits(bucket):
    bucket.put_object("o", b"x")
    tags = {f"k{i}": "v" for i in range(9)}
    tags["k" * 128] = "v" * 256
    bucket.put_object_tagging("o", oss2.models.Tagging(rule(**tags)))
    assert oss2_tags(bucket, "o") == tags
    bucket.put_object_tagging("o", oss2.models.Tagging(rule(**{"+-.:": "_/"})))
    assert oss2_tags(bucket, "o") == {"+-.:": "_/"}


def test_tagging_document_shape_errors(raw, bucket, bucket_name):
    bucket.put_object("o", b"x")
    r = raw.request("PUT", bucket_name, "o", params=[("tagging", None)],
                    data=b"<Tags><TagSet/></Tags>")
    assert assert_oss_error(r, 400, "MalformedXML")["EC"] == "0010-00000102"
    r = raw.request("PUT", bucket_name, "o", params=[("tagging", None)], data=b"<Tagging>")
    assert_oss_error(r, 400, "MalformedXML")
    # v1-go sends an empty set as <Tagging></Tagging>: no tags.
    r = raw.request("PUT", bucket_name, "o", params=[("tagging", None)],
                    data=b"<Tagging></Tagging>")
    assert r.status_code == 200, r.text
    assert oss2_tags(bucket, "o") == {}


def test_tags_of_a_named_version_need_a_well_formed_id(raw, bucket, bucket_name):
    # A malformed versionId is InvalidArgument (EC 0012-00000202); versioned tags are in
    # test_versioning.py.
    bucket.put_object("o", b"x")
    r = raw.request("GET", bucket_name, "o", params=[("tagging", None), ("versionId", "v")])
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == "0012-00000202"


def test_object_acl_decides_who_reads_and_writes_tags(endpoint, bucket, bucket_name):
    bucket.put_object("priv", b"x")
    bucket.put_object("pub", b"x", headers={"x-oss-object-acl": "public-read"})
    bucket.put_object("pubrw", b"x", headers={"x-oss-object-acl": "public-read-write"})
    url = f"{endpoint}/{bucket_name}/{{}}?tagging"
    assert_oss_error(requests.get(url.format("priv"), timeout=30), 403, "AccessDenied")
    assert requests.get(url.format("pub"), timeout=30).status_code == 200
    # Reading is not writing: a public-read object's tags are the owner's to change.
    r = requests.put(url.format("pub"), data=tag_xml(("a", "b")), timeout=30)
    assert_oss_error(r, 403, "AccessDenied")
    r = requests.delete(url.format("pub"), timeout=30)
    assert_oss_error(r, 403, "AccessDenied")
    r = requests.put(url.format("pubrw"), data=tag_xml(("a", "b")), timeout=30)
    assert r.status_code == 200, r.text
    assert oss2_tags(bucket, "pubrw") == {"a": "b"}


# ---------------------------------------------------------------------------- x-oss-tagging


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_header_on_put_multipart_and_append(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    header = {"x-oss-tagging": rule(**{"k 1": "v/1", "中文": "中文", "e": ""}).to_query_string()}
    expected = {"k 1": "v/1", "中文": "中文", "e": ""}
    b.put_object("put", b"x", headers=header)
    assert oss2_tags(b, "put") == expected
    up = b.init_multipart_upload("mp", headers=header).upload_id
    part = b.upload_part("mp", up, 1, b"part")
    b.complete_multipart_upload("mp", up, [oss2.models.PartInfo(1, part.etag)])
    assert oss2_tags(b, "mp") == expected
    b.append_object("app", 0, b"a", headers=header)
    assert oss2_tags(b, "app") == expected
    # Later appends ignore the header, even an invalid one.
    bad = {"x-oss-tagging": "&".join(f"k{i}=v" for i in range(15))}
    b.append_object("app", 1, b"b", headers=bad)
    assert oss2_tags(b, "app") == expected
    assert b.get_object("app").read() == b"ab"


def test_v2_header_on_put_and_append(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="p", body=b"x",
                                       tagging="a=1&b=2"))
    assert v2_tags(v2, bucket_name, "p") == [("a", "1"), ("b", "2")]
    v2.append_object(oss.AppendObjectRequest(bucket=bucket_name, key="ap", position=0,
                                             body=b"x", tagging="c=3"))
    assert v2_tags(v2, bucket_name, "ap") == [("c", "3")]
    init = v2.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
        bucket=bucket_name, key="m", tagging="d=4"))
    part = v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="m",
                                                upload_id=init.upload_id, part_number=1,
                                                body=b"p"))
    v2.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=bucket_name, key="m", upload_id=init.upload_id,
        complete_multipart_upload=oss.CompleteMultipartUpload(
            parts=[oss.UploadPart(part_number=1, etag=part.etag)])))
    assert v2_tags(v2, bucket_name, "m") == [("d", "4")]


@pytest.mark.parametrize("header,ec", [
    ("aa=bb=cc", "0010-00000219"),
    ("&".join(f"k{i}=v" for i in range(11)), "0010-00000218"),
    ("a=1&a=2", "0010-00000210"),
    ("%25abc=v", "0010-00000212"),
    ("k=%FF", "0010-00000219"),
])
def test_invalid_header_refuses_the_write(raw, bucket, bucket_name, header, ec):
    r = raw.request("PUT", bucket_name, "h", headers={"x-oss-tagging": header}, data=b"x")
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == ec
    r = raw.request("POST", bucket_name, "h", params=[("uploads", None)],
                    headers={"x-oss-tagging": header})
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == ec
    r = raw.request("POST", bucket_name, "h", params=[("append", None), ("position", "0")],
                    headers={"x-oss-tagging": header}, data=b"x")
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == ec
    assert not bucket.object_exists("h")
    assert list(oss2.MultipartUploadIterator(bucket)) == []


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_copy_tagging_directive(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    b.put_object("src", b"s", headers={"x-oss-tagging": "a=1&b=2"})
    # COPY (the default) takes the source's tags, whatever x-oss-tagging says.
    b.copy_object(bucket_name, "src", "c1")
    assert oss2_tags(b, "c1") == {"a": "1", "b": "2"}
    b.copy_object(bucket_name, "src", "c2", headers={"x-oss-tagging-directive": "Copy",
                                                     "x-oss-tagging": "z=9"})
    assert oss2_tags(b, "c2") == {"a": "1", "b": "2"}
    # REPLACE takes the header's, or none; the metadata directive does not matter.
    b.copy_object(bucket_name, "src", "c3", headers={"x-oss-tagging-directive": "REPLACE",
                                                     "x-oss-tagging": "z=9"})
    assert oss2_tags(b, "c3") == {"z": "9"}
    b.copy_object(bucket_name, "src", "c4", headers={"x-oss-tagging-directive": "replace",
                                                     "x-oss-metadata-directive": "REPLACE"})
    assert oss2_tags(b, "c4") == {}
    assert "x-oss-tagging-count" not in b.head_object("c4").headers
    # Onto itself with REPLACE: how tags change through a copy.
    b.copy_object(bucket_name, "src", "src", headers={"x-oss-tagging-directive": "REPLACE",
                                                      "x-oss-tagging": "n=1"})
    assert oss2_tags(b, "src") == {"n": "1"}


def test_v2_copy_tagging_directive(v2, bucket_name):
    v2.put_object(oss.PutObjectRequest(bucket=bucket_name, key="s", body=b"x", tagging="a=1"))
    v2.copy_object(oss.CopyObjectRequest(bucket=bucket_name, key="d", source_key="s"))
    assert v2_tags(v2, bucket_name, "d") == [("a", "1")]
    v2.copy_object(oss.CopyObjectRequest(bucket=bucket_name, key="r", source_key="s",
                                         tagging_directive="REPLACE"))
    head = v2.head_object(oss.HeadObjectRequest(bucket=bucket_name, key="r"))
    assert head.tagging_count is None


def test_invalid_tagging_directive(raw, bucket, bucket_name):
    bucket.put_object("src", b"s")
    r = raw.request("PUT", bucket_name, "dst",
                    headers={"x-oss-copy-source": f"/{bucket_name}/src",
                             "x-oss-tagging-directive": "MERGE"})
    fields = assert_oss_error(r, 400, "InvalidArgument")
    assert fields["ArgumentName"] == "x-oss-tagging-directive"
    assert not bucket.object_exists("dst")


@pytest.mark.parametrize("version", VERSIONS)
def test_post_object_tagging_field(endpoint, creds, bucket, bucket_name, version):
    fields = [("key", "form"), ("x-oss-tagging", "f=1&g=")] + signed_fields(creds, version, [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"form", None))
    assert r.status_code == 204, r.text[:500]
    assert oss2_tags(bucket, "form") == {"f": "1", "g": ""}
    fields = [("key", "bad"), ("x-oss-tagging", "a=b=c")] + signed_fields(creds, version, [])
    r = post_form(endpoint, bucket_name, fields, ("f", b"form", None))
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == "0010-00000219"
    assert not bucket.object_exists("bad")


# ---------------------------------------------------------------------------- bucket tags


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_bucket_tags(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    assert b.get_bucket_tagging().tag_set.tagging_rule == {}
    # Bucket tags take characters object tags refuse.
    tags = {"%@abc": "abc", "123++": "++123%", "k1": "v1", "k2": "v2", "e": ""}
    b.put_bucket_tagging(oss2.models.Tagging(rule(**tags)))
    assert b.get_bucket_tagging().tag_set.tagging_rule == tags
    # Deleting listed keys keeps the others; unknown keys are ignored.
    b.delete_bucket_tagging(params={"tagging": "k1,k2,missing"})
    assert b.get_bucket_tagging().tag_set.tagging_rule == {
        "%@abc": "abc", "123++": "++123%", "e": ""}
    # PUT replaces the whole set.
    b.put_bucket_tagging(oss2.models.Tagging(rule(only="one")))
    assert b.get_bucket_tagging().tag_set.tagging_rule == {"only": "one"}
    b.delete_bucket_tagging()
    assert b.get_bucket_tagging().tag_set.tagging_rule == {}
    b.delete_bucket_tagging()


def test_v2_bucket_tags(v2, bucket_name):
    tagging = oss.models.bucket_tags.Tagging(tag_set=oss.TagSet(
        tags=[oss.Tag(key="team", value="storage"), oss.Tag(key="env", value="")]))
    v2.put_bucket_tags(oss.PutBucketTagsRequest(bucket=bucket_name, tagging=tagging))
    got = v2.get_bucket_tags(oss.GetBucketTagsRequest(bucket=bucket_name))
    assert [(t.key, t.value or "") for t in got.tagging.tag_set.tags] == [("team", "storage"),
                                                                    ("env", "")]
    res = v2.delete_bucket_tags(oss.DeleteBucketTagsRequest(bucket=bucket_name))
    assert res.status_code == 204
    got = v2.get_bucket_tags(oss.GetBucketTagsRequest(bucket=bucket_name))
    assert not (got.tagging.tag_set and got.tagging.tag_set.tags)


@pytest.mark.parametrize("pairs,ec", [
    ([("Aliyun-k", "v")], "0010-00000213"),
    ([("https://k", "v")], "0010-00000213"),
    ([("", "v")], "0010-00000208"),
    ([("k" * 65, "v")], "0010-00000219"),
    ([("k", "v" * 129)], "0010-00000219"),
    ([("k", "1"), ("k", "2")], "0010-00000210"),
])
def test_put_bucket_tags_refuses_what_oss_refuses(raw, bucket, bucket_name, pairs, ec):
    r = raw.request("PUT", bucket_name, params=[("tagging", None)], data=tag_xml(*pairs))
    assert assert_oss_error(r, 400, "InvalidArgument")["EC"] == ec
    assert bucket.get_bucket_tagging().tag_set.tagging_rule == {}


def test_bucket_tags_limit_and_owner_only(endpoint, raw, bucket, bucket_name):
    twenty = [(f"k{i}", "v") for i in range(20)]
    r = raw.request("PUT", bucket_name, params=[("tagging", None)], data=tag_xml(*twenty))
    assert r.status_code == 200, r.text
    r = raw.request("PUT", bucket_name, params=[("tagging", None)],
                    data=tag_xml(*twenty, ("k20", "v")))
    assert_oss_error(r, 400, "InvalidArgument")
    assert len(bucket.get_bucket_tagging().tag_set.tagging_rule) == 20
    # Even on a public-read-write bucket, only the owner manages its tags.
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    url = f"{endpoint}/{bucket_name}/?tagging"
    assert_oss_error(requests.get(url, timeout=30), 403, "AccessDenied")
    assert_oss_error(requests.delete(url, timeout=30), 403, "AccessDenied")
    assert len(bucket.get_bucket_tagging().tag_set.tagging_rule) == 20


def test_bucket_tags_survive_a_restart(spawn_server, tmp_path):
    srv = spawn_server(tmp_path / "d")
    b = oss2_bucket(srv.endpoint, srv.creds, "tags-restart")
    b.create_bucket()
    b.put_bucket_tagging(oss2.models.Tagging(rule(k="v")))
    b.put_object("o", b"x", headers={"x-oss-tagging": "a=1"})
    srv.stop()
    srv.start()
    assert b.get_bucket_tagging().tag_set.tagging_rule == {"k": "v"}
    assert oss2_tags(b, "o") == {"a": "1"}
