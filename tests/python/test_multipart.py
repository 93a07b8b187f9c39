"""Multipart upload: oss2 resumable_upload and the plain calls, the alibabacloud-oss-v2 uploader and
multipart operations, UploadPartCopy with a range, x-oss-complete-all, every documented error
(NoSuchUpload 404, InvalidPart 400, InvalidPartOrder 400, EntityTooSmall 400, InvalidArgument for
part numbers outside 1..10000), last-upload-wins for a part number, DeleteBucket refused while an
upload exists, a SIGKILL during CompleteMultipartUpload, and server memory during a 2 GiB upload."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET

import alibabacloud_oss_v2 as oss
import oss2
import pytest
from oss2.models import PartInfo

from conftest import (
    MSG_BUCKET_NOT_EMPTY, RawClient, assert_oss_error, crc64_of, etag_of, http_date,
    oss2_bucket, unique_bucket_name, v1_signature, v2_error,
)

KIB = 1024
MIB = 1024 * KIB
MIN_PART = 100 * KIB
MULTIPART_ETAG_RE = re.compile(r'^"[0-9A-F]{32}-\d+"$')


def multipart_etag(parts: list[bytes]) -> str:
    """OSS multipart ETag: MD5 of the concatenated binary part MD5s, then `-<count>`."""
    h = hashlib.md5()
    for p in parts:
        h.update(hashlib.md5(p).digest())
    return f'"{h.hexdigest().upper()}-{len(parts)}"'


def complete_xml(parts: list[tuple[int, str]]) -> bytes:
    body = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts)
    return f"<CompleteMultipartUpload>{body}</CompleteMultipartUpload>".encode()


def upload_parts(bucket: oss2.Bucket, key: str, parts: list[bytes]):
    """Initiates an upload and uploads `parts` as 1..N; returns (upload_id, [PartInfo])."""
    upload_id = bucket.init_multipart_upload(key).upload_id
    infos = []
    for n, data in enumerate(parts, 1):
        r = bucket.upload_part(key, upload_id, n, data)
        assert r.etag == etag_of(data).strip('"')
        assert r.crc == crc64_of(data)
        infos.append(PartInfo(n, r.etag, size=len(data), part_crc=r.crc))
    return upload_id, infos


def listed_upload_ids(bucket: oss2.Bucket, prefix: str = "") -> set[str]:
    return {u.upload_id for u in oss2.MultipartUploadIterator(bucket, prefix=prefix)}


def check_object(bucket: oss2.Bucket, key: str, parts: list[bytes]) -> None:
    data = b"".join(parts)
    got = bucket.get_object(key)
    assert got.read() == data
    assert got.headers["ETag"] == multipart_etag(parts)
    assert MULTIPART_ETAG_RE.match(got.headers["ETag"])
    assert int(got.headers["x-oss-hash-crc64ecma"]) == crc64_of(data)
    assert got.headers.get("x-oss-object-type") == "Multipart"


# ------------------------------------------------------------------------------ oss2


def test_oss2_resumable_upload(bucket, tmp_path):
    data = os.urandom(3 * MIB + 12345)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    part_size = 256 * KIB
    result = oss2.resumable_upload(
        bucket, "resumable/big.bin", str(path),
        store=oss2.ResumableStore(root=str(tmp_path / "store")),
        multipart_threshold=200 * KIB, part_size=part_size, num_threads=2)
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    assert len(parts) == 13
    assert result.etag == multipart_etag(parts).strip('"')
    check_object(bucket, "resumable/big.bin", parts)
    head = bucket.head_object("resumable/big.bin")
    assert head.content_length == len(data)
    assert listed_upload_ids(bucket) == set()          # nothing left behind


def test_oss2_resumable_upload_small_file_is_single_put(bucket, tmp_path):
    path = tmp_path / "small.bin"
    path.write_bytes(b"s" * 1000)
    oss2.resumable_upload(bucket, "small", str(path), multipart_threshold=200 * KIB,
                          store=oss2.ResumableStore(root=str(tmp_path / "store")))
    assert bucket.head_object("small").etag == hashlib.md5(b"s" * 1000).hexdigest().upper()


def test_oss2_plain_calls(bucket, bucket_name):
    parts = [os.urandom(MIN_PART), os.urandom(MIN_PART + 1), b"tail"]
    init = bucket.init_multipart_upload("mp/plain.bin",
                                        headers={"Content-Type": "application/x-mp",
                                                 "x-oss-meta-origin": "plain"})
    upload_id = init.upload_id
    assert re.match(r"^[0-9A-Za-z]+$", upload_id), upload_id
    infos = []
    for n, data in enumerate(parts, 1):
        r = bucket.upload_part("mp/plain.bin", upload_id, n, data)
        infos.append(PartInfo(n, r.etag, size=len(data), part_crc=r.crc))
    listed = bucket.list_parts("mp/plain.bin", upload_id)
    assert [p.part_number for p in listed.parts] == [1, 2, 3]
    assert [p.size for p in listed.parts] == [len(p) for p in parts]
    assert [p.etag for p in listed.parts] == [i.etag for i in infos]
    assert not listed.is_truncated
    assert upload_id in listed_upload_ids(bucket)
    assert not bucket.object_exists("mp/plain.bin")        # invisible until completed
    result = bucket.complete_multipart_upload("mp/plain.bin", upload_id, infos)
    assert result.status == 200
    assert result.etag == multipart_etag(parts).strip('"')
    check_object(bucket, "mp/plain.bin", parts)
    head = bucket.head_object("mp/plain.bin")
    assert head.headers["Content-Type"] == "application/x-mp"
    assert head.headers["x-oss-meta-origin"] == "plain"
    assert upload_id not in listed_upload_ids(bucket)
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        bucket.list_parts("mp/plain.bin", upload_id)
    # the object is an ordinary object afterwards: listed, ranged reads across part edges
    assert [o.key for o in oss2.ObjectIterator(bucket)] == ["mp/plain.bin"]
    whole = b"".join(parts)
    lo, hi = MIN_PART - 3, MIN_PART + 5
    assert bucket.get_object("mp/plain.bin", byte_range=(lo, hi)).read() == whole[lo:hi + 1]


def test_complete_response_xml(raw, bucket, bucket_name):
    parts = [os.urandom(MIN_PART), b"end"]
    upload_id, infos = upload_parts(bucket, "x/done.bin", parts)
    r = raw.request("POST", bucket_name, "x/done.bin", params=[("uploadId", upload_id)],
                    data=complete_xml([(i.part_number, f'"{i.etag}"') for i in infos]))
    assert r.status_code == 200, r.text[:500]
    root = ET.fromstring(r.content)
    assert root.tag == "CompleteMultipartUploadResult"
    assert root.findtext("Bucket") == bucket_name
    assert root.findtext("Key") == "x/done.bin"
    assert root.findtext("ETag") == multipart_etag(parts)
    assert root.findtext("Location")
    assert r.headers["ETag"] == multipart_etag(parts)
    assert int(r.headers["x-oss-hash-crc64ecma"]) == crc64_of(b"".join(parts))


def test_list_parts_paging(bucket):
    parts = [os.urandom(MIN_PART) for _ in range(5)]
    upload_id, infos = upload_parts(bucket, "paged", parts)
    first = bucket.list_parts("paged", upload_id, max_parts=2)
    assert [p.part_number for p in first.parts] == [1, 2]
    assert first.is_truncated
    assert int(first.next_marker) == 2
    second = bucket.list_parts("paged", upload_id, marker=first.next_marker, max_parts=2)
    assert [p.part_number for p in second.parts] == [3, 4]
    assert second.is_truncated
    third = bucket.list_parts("paged", upload_id, marker=second.next_marker, max_parts=2)
    assert [p.part_number for p in third.parts] == [5]
    assert not third.is_truncated
    got = [p.part_number for p in oss2.PartIterator(bucket, "paged", upload_id, max_parts=1)]
    assert got == [1, 2, 3, 4, 5]
    bucket.abort_multipart_upload("paged", upload_id)


def test_list_parts_raw_document(raw, bucket, bucket_name):
    upload_id, infos = upload_parts(bucket, "doc", [os.urandom(MIN_PART), b"x"])
    r = raw.request("GET", bucket_name, "doc",
                    params=[("uploadId", upload_id), ("max-parts", "1")])
    assert r.status_code == 200, r.text[:300]
    root = ET.fromstring(r.content)
    assert root.tag == "ListPartsResult"
    assert root.findtext("UploadId") == upload_id
    assert root.findtext("Key") == "doc"
    assert root.findtext("MaxParts") == "1"
    assert root.findtext("IsTruncated") == "true"
    assert root.findtext("NextPartNumberMarker") == "1"
    (part,) = root.findall("Part")
    assert part.findtext("PartNumber") == "1"
    assert part.findtext("ETag") == f'"{infos[0].etag}"'
    assert part.findtext("Size") == str(MIN_PART)
    assert part.findtext("LastModified").endswith("Z")


def test_list_multipart_uploads_paging(bucket):
    made = []
    for key in ["a/1", "a/1", "a/2", "b/1", "c"]:
        made.append((key, bucket.init_multipart_upload(key).upload_id))
    everything = [(u.key, u.upload_id) for u in oss2.MultipartUploadIterator(bucket)]
    assert sorted(everything) == sorted(made)
    assert [k for k, _ in everything] == sorted(k for k, _ in made)      # ordered by key

    # manual paging with max_uploads=2 and both markers
    seen, key_marker, id_marker, pages = [], "", "", 0
    while True:
        page = bucket.list_multipart_uploads(key_marker=key_marker, upload_id_marker=id_marker,
                                             max_uploads=2)
        pages += 1
        assert len(page.upload_list) <= 2
        seen += [(u.key, u.upload_id) for u in page.upload_list]
        if not page.is_truncated:
            break
        key_marker, id_marker = page.next_key_marker, page.next_upload_id_marker
        assert key_marker
    assert seen == everything
    assert pages == 3

    # prefix and delimiter
    a = [(u.key, u.upload_id) for u in oss2.MultipartUploadIterator(bucket, prefix="a/")]
    assert sorted(a) == sorted(m for m in made if m[0].startswith("a/"))
    page = bucket.list_multipart_uploads(delimiter="/")
    assert sorted(page.prefix_list) == ["a/", "b/"]
    assert [u.key for u in page.upload_list] == ["c"]
    # key-marker alone skips every upload of that key
    after = bucket.list_multipart_uploads(key_marker="a/1")
    assert [u.key for u in after.upload_list] == ["a/2", "b/1", "c"]
    for key, uid in made:
        bucket.abort_multipart_upload(key, uid)
    assert listed_upload_ids(bucket) == set()


def test_abort(bucket):
    upload_id, infos = upload_parts(bucket, "aborted", [os.urandom(MIN_PART), b"x"])
    bucket.abort_multipart_upload("aborted", upload_id)
    assert upload_id not in listed_upload_ids(bucket)
    for call in (lambda: bucket.list_parts("aborted", upload_id),
                 lambda: bucket.upload_part("aborted", upload_id, 3, b"y"),
                 lambda: bucket.complete_multipart_upload("aborted", upload_id, infos),
                 lambda: bucket.abort_multipart_upload("aborted", upload_id)):
        with pytest.raises(oss2.exceptions.NoSuchUpload) as ei:
            call()
        assert ei.value.status == 404
    assert not bucket.object_exists("aborted")


def test_complete_replaces_existing_object(bucket):
    bucket.put_object("replace", b"old simple object",
                      headers={"x-oss-meta-old": "1", "Content-Type": "text/old"})
    parts = [os.urandom(MIN_PART), b"new"]
    upload_id, infos = upload_parts(bucket, "replace", parts)
    assert bucket.get_object("replace").read() == b"old simple object"   # until completed
    bucket.complete_multipart_upload("replace", upload_id, infos)
    check_object(bucket, "replace", parts)
    assert "x-oss-meta-old" not in bucket.head_object("replace").headers


def test_download_in_progress_survives_overwrite_and_delete(bucket):
    """A GET of a 40-part object that is overwritten and then deleted while the body is still
    being read returns the whole object it started on (more parts than the server opens up
    front, and more bytes than socket buffers hold)."""
    parts = [os.urandom(256 * KIB) for _ in range(40)]
    upload_id, infos = upload_parts(bucket, "busy", parts)
    bucket.complete_multipart_upload("busy", upload_id, infos)
    body = bucket.get_object("busy")
    first = body.read(64 * KIB)
    time.sleep(0.3)   # let the server's reader fill what the socket takes, then block
    bucket.put_object("busy", b"replaced")
    bucket.delete_object("busy")
    rest = body.read()
    assert hashlib.md5(first + rest).hexdigest() == hashlib.md5(b"".join(parts)).hexdigest()
    assert len(first + rest) == 40 * 256 * KIB
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("busy")


def test_complete_subset_of_parts(bucket):
    """Completing with parts 1 and 3 only: the object is those two, part 2 is discarded."""
    parts = [os.urandom(MIN_PART), os.urandom(MIN_PART), b"three"]
    upload_id, infos = upload_parts(bucket, "subset", parts)
    bucket.complete_multipart_upload("subset", upload_id, [infos[0], infos[2]])
    check_object(bucket, "subset", [parts[0], parts[2]])


def test_part_numbers_need_not_be_contiguous(bucket):
    upload_id = bucket.init_multipart_upload("gaps").upload_id
    a, b = os.urandom(MIN_PART), b"last"
    ra = bucket.upload_part("gaps", upload_id, 7, a)
    rb = bucket.upload_part("gaps", upload_id, 10000, b)
    bucket.complete_multipart_upload("gaps", upload_id, [
        PartInfo(7, ra.etag, size=len(a), part_crc=ra.crc),
        PartInfo(10000, rb.etag, size=len(b), part_crc=rb.crc)])
    check_object(bucket, "gaps", [a, b])


def test_same_part_number_last_upload_wins(bucket):
    upload_id = bucket.init_multipart_upload("twice").upload_id
    first, second, tail = os.urandom(MIN_PART), os.urandom(MIN_PART + 7), b"tail"
    r1 = bucket.upload_part("twice", upload_id, 1, first)
    r2 = bucket.upload_part("twice", upload_id, 1, second)
    rt = bucket.upload_part("twice", upload_id, 2, tail)
    listed = bucket.list_parts("twice", upload_id).parts
    assert [(p.part_number, p.etag, p.size) for p in listed] == [
        (1, r2.etag, len(second)), (2, rt.etag, len(tail))]
    # the replaced part's ETag is no longer valid
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bucket.complete_multipart_upload("twice", upload_id, [PartInfo(1, r1.etag),
                                                              PartInfo(2, rt.etag)])
    assert (ei.value.status, ei.value.code) == (400, "InvalidPart")
    bucket.complete_multipart_upload("twice", upload_id, [
        PartInfo(1, r2.etag, size=len(second), part_crc=r2.crc),
        PartInfo(2, rt.etag, size=len(tail), part_crc=rt.crc)])
    check_object(bucket, "twice", [second, tail])


def test_complete_all_header(bucket):
    """x-oss-complete-all: yes completes with every uploaded part in part-number order."""
    parts = {3: b"three", 1: os.urandom(MIN_PART), 2: os.urandom(MIN_PART)}
    upload_id = bucket.init_multipart_upload("all").upload_id
    for n in (3, 1, 2):
        bucket.upload_part("all", upload_id, n, parts[n])
    result = bucket.complete_multipart_upload("all", upload_id, None,
                                              headers={"x-oss-complete-all": "yes"})
    ordered = [parts[1], parts[2], parts[3]]
    assert result.etag == multipart_etag(ordered).strip('"')
    check_object(bucket, "all", ordered)
    assert upload_id not in listed_upload_ids(bucket)


def test_complete_all_small_middle_part(bucket):
    upload_id = bucket.init_multipart_upload("all-small").upload_id
    bucket.upload_part("all-small", upload_id, 1, b"small")
    bucket.upload_part("all-small", upload_id, 2, b"last")
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bucket.complete_multipart_upload("all-small", upload_id, None,
                                         headers={"x-oss-complete-all": "yes"})
    assert (ei.value.status, ei.value.code) == (400, "EntityTooSmall")


def test_upload_part_copy_with_range(bucket, bucket_name, bucket_factory, endpoint, creds):
    src_name = bucket_factory("src")
    src_bucket = oss2_bucket(endpoint, creds, src_name)
    source = os.urandom(300 * KIB)
    src_bucket.put_object("source.bin", source)
    bucket.put_object("same-bucket-src", source)
    upload_id = bucket.init_multipart_upload("copied").upload_id
    lo, hi = 1000, 1000 + MIN_PART - 1                     # inclusive range, exactly 100 KiB
    r1 = bucket.upload_part_copy(src_name, "source.bin", (lo, hi), "copied", upload_id, 1)
    piece1 = source[lo:hi + 1]
    assert r1.etag == etag_of(piece1).strip('"')
    r2 = bucket.upload_part_copy(bucket_name, "same-bucket-src", None, "copied", upload_id, 2)
    r3 = bucket.upload_part("copied", upload_id, 3, b"own bytes")
    listed = bucket.list_parts("copied", upload_id).parts
    assert [p.size for p in listed] == [len(piece1), len(source), 9]
    bucket.complete_multipart_upload("copied", upload_id, [
        PartInfo(1, r1.etag), PartInfo(2, r2.etag), PartInfo(3, r3.etag)])
    check_object(bucket, "copied", [piece1, source, b"own bytes"])


def test_upload_part_copy_raw_response(raw, bucket, bucket_name):
    bucket.put_object("src", b"0123456789" * 20000)
    upload_id = bucket.init_multipart_upload("dst").upload_id
    r = raw.request("PUT", bucket_name, "dst",
                    params=[("partNumber", "1"), ("uploadId", upload_id)],
                    headers={"x-oss-copy-source": f"/{bucket_name}/src",
                             "x-oss-copy-source-range": "bytes=10-19"})
    assert r.status_code == 200, r.text[:300]
    root = ET.fromstring(r.content)
    assert root.tag == "CopyPartResult"
    assert root.findtext("ETag") == etag_of(b"0123456789")
    assert root.findtext("LastModified")
    bucket.abort_multipart_upload("dst", upload_id)


def test_upload_part_copy_missing_source(bucket, bucket_name):
    upload_id = bucket.init_multipart_upload("dst").upload_id
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.upload_part_copy(bucket_name, "no-such-source", None, "dst", upload_id, 1)
    bucket.abort_multipart_upload("dst", upload_id)


def test_initiate_with_object_acl(raw, bucket, bucket_name):
    upload_id = bucket.init_multipart_upload(
        "acl-mp", headers={"x-oss-object-acl": "public-read"}).upload_id
    bucket.upload_part("acl-mp", upload_id, 1, b"pub")
    bucket.complete_multipart_upload("acl-mp", upload_id, None,
                                     headers={"x-oss-complete-all": "yes"})
    assert bucket.get_object_acl("acl-mp").acl == "public-read"
    assert raw.request("GET", bucket_name, "acl-mp", sign=False).content == b"pub"


# ------------------------------------------------------------------------------ errors


def test_no_such_upload_raw(raw, bucket_name):
    bogus = "0123456789ABCDEF0123456789ABCDEF"
    for method, params, data in [
        ("PUT", [("partNumber", "1"), ("uploadId", bogus)], b"x"),
        ("GET", [("uploadId", bogus)], None),
        ("DELETE", [("uploadId", bogus)], None),
        ("POST", [("uploadId", bogus)], complete_xml([(1, '"00"')])),
    ]:
        r = raw.request(method, bucket_name, "k", params=params, data=data)
        assert_oss_error(r, 404, "NoSuchUpload")


def test_upload_id_bound_to_key(bucket):
    """An upload id is only valid with the key it was initiated for."""
    upload_id = bucket.init_multipart_upload("right-key").upload_id
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        bucket.upload_part("wrong-key", upload_id, 1, b"x")
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        bucket.list_parts("wrong-key", upload_id)
    bucket.abort_multipart_upload("right-key", upload_id)


def test_invalid_part_wrong_etag(raw, bucket, bucket_name):
    upload_id, infos = upload_parts(bucket, "ip", [os.urandom(MIN_PART), b"x"])
    body = complete_xml([(1, f'"{infos[0].etag}"'), (2, '"0123456789ABCDEF0123456789ABCDEF"')])
    r = raw.request("POST", bucket_name, "ip", params=[("uploadId", upload_id)], data=body)
    assert_oss_error(r, 400, "InvalidPart")
    # a part number that was never uploaded
    body = complete_xml([(1, f'"{infos[0].etag}"'), (5, f'"{infos[1].etag}"')])
    r = raw.request("POST", bucket_name, "ip", params=[("uploadId", upload_id)], data=body)
    assert_oss_error(r, 400, "InvalidPart")
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bucket.complete_multipart_upload("ip", upload_id, [PartInfo(1, "00" * 16)])
    assert (ei.value.status, ei.value.code) == (400, "InvalidPart")
    # the upload is still intact and can be completed properly
    bucket.complete_multipart_upload("ip", upload_id, infos)
    assert bucket.head_object("ip").content_length == MIN_PART + 1


def test_invalid_part_order(raw, bucket, bucket_name):
    upload_id, infos = upload_parts(bucket, "order", [os.urandom(MIN_PART), os.urandom(MIN_PART),
                                                      b"x"])
    e = [f'"{i.etag}"' for i in infos]
    for order in ([(2, e[1]), (1, e[0])], [(1, e[0]), (3, e[2]), (2, e[1])],
                  [(1, e[0]), (1, e[0]), (2, e[1])]):
        r = raw.request("POST", bucket_name, "order", params=[("uploadId", upload_id)],
                        data=complete_xml(order))
        assert_oss_error(r, 400, "InvalidPartOrder")
    assert not bucket.object_exists("order")
    assert upload_id in listed_upload_ids(bucket)


def test_entity_too_small(raw, bucket, bucket_name):
    parts = [os.urandom(MIN_PART - 1), os.urandom(MIN_PART), b"last can be tiny"]
    upload_id, infos = upload_parts(bucket, "small", parts)
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        bucket.complete_multipart_upload("small", upload_id, infos)
    assert (ei.value.status, ei.value.code) == (400, "EntityTooSmall")
    r = raw.request("POST", bucket_name, "small", params=[("uploadId", upload_id)],
                    data=complete_xml([(i.part_number, f'"{i.etag}"') for i in infos]))
    assert_oss_error(r, 400, "EntityTooSmall")
    assert not bucket.object_exists("small")
    # replacing part 1 with a 100 KiB one fixes it
    r1 = bucket.upload_part("small", upload_id, 1, os.urandom(MIN_PART))
    bucket.complete_multipart_upload("small", upload_id, [PartInfo(1, r1.etag)] + infos[1:])
    assert bucket.head_object("small").content_length == 2 * MIN_PART + len(parts[2])


def test_single_small_part_is_fine(bucket):
    upload_id, infos = upload_parts(bucket, "one", [b"only part"])
    bucket.complete_multipart_upload("one", upload_id, infos)
    check_object(bucket, "one", [b"only part"])


@pytest.mark.parametrize("number", ["0", "10001", "-1", "abc", "1.5", ""])
def test_part_number_out_of_range(raw, bucket, bucket_name, number):
    upload_id = bucket.init_multipart_upload("pn").upload_id
    r = raw.request("PUT", bucket_name, "pn",
                    params=[("partNumber", number), ("uploadId", upload_id)], data=b"x")
    assert_oss_error(r, 400, "InvalidArgument")
    assert bucket.list_parts("pn", upload_id).parts == []
    bucket.abort_multipart_upload("pn", upload_id)


def test_part_number_out_of_range_oss2(bucket):
    upload_id = bucket.init_multipart_upload("pn2").upload_id
    for n in (0, 10001):
        with pytest.raises(oss2.exceptions.ServerError) as ei:
            bucket.upload_part("pn2", upload_id, n, b"x")
        assert (ei.value.status, ei.value.code) == (400, "InvalidArgument")
    bucket.abort_multipart_upload("pn2", upload_id)


def test_malformed_complete_body(raw, bucket, bucket_name):
    upload_id, infos = upload_parts(bucket, "mal", [b"x"])
    for body in (b"not xml", b"<CompleteMultipartUpload></CompleteMultipartUpload>",
                 b"<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>"):
        r = raw.request("POST", bucket_name, "mal", params=[("uploadId", upload_id)], data=body)
        assert_oss_error(r, 400, "MalformedXML")
    bucket.abort_multipart_upload("mal", upload_id)


def test_delete_bucket_with_unfinished_upload(endpoint, creds, bucket_factory):
    name = bucket_factory("mpdel")
    b = oss2_bucket(endpoint, creds, name)
    upload_id = b.init_multipart_upload("pending").upload_id
    with pytest.raises(oss2.exceptions.ServerError) as ei:
        b.delete_bucket()
    assert (ei.value.status, ei.value.code) == (409, "BucketNotEmpty")
    raw = RawClient(endpoint, creds)
    assert_oss_error(raw.request("DELETE", name), 409, "BucketNotEmpty", MSG_BUCKET_NOT_EMPTY)
    b.abort_multipart_upload("pending", upload_id)
    b.delete_bucket()
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        b.get_bucket_info()


def test_delete_object_leaves_upload_alone(bucket):
    """Deleting an object of the same key does not abort an upload in progress."""
    bucket.put_object("same", b"simple")
    upload_id, infos = upload_parts(bucket, "same", [b"mp"])
    bucket.delete_object("same")
    assert upload_id in listed_upload_ids(bucket)
    bucket.complete_multipart_upload("same", upload_id, infos)
    assert bucket.get_object("same").read() == b"mp"


# ------------------------------------------------------------------------------ v2 SDK


def test_v2_uploader(v2, bucket, bucket_name, tmp_path):
    data = os.urandom(2 * MIB + 999)
    path = tmp_path / "up.bin"
    path.write_bytes(data)
    part_size = 512 * KIB
    result = v2.uploader().upload_file(
        oss.PutObjectRequest(bucket=bucket_name, key="v2/uploaded.bin"), str(path),
        part_size=part_size, parallel_num=3)
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    assert result.etag == multipart_etag(parts)
    assert result.upload_id
    check_object(bucket, "v2/uploaded.bin", parts)
    assert listed_upload_ids(bucket) == set()


def test_v2_uploader_from_stream(v2, bucket, bucket_name):
    import io
    data = os.urandom(MIB + 1)
    result = v2.uploader().upload_from(
        oss.PutObjectRequest(bucket=bucket_name, key="v2/stream.bin"), io.BytesIO(data),
        part_size=256 * KIB, parallel_num=2)
    assert MULTIPART_ETAG_RE.match(result.etag), result.etag
    assert bucket.get_object("v2/stream.bin").read() == data


def test_v2_multipart_operations(v2, bucket, bucket_name):
    source = os.urandom(250 * KIB)
    bucket.put_object("v2src", source)
    init = v2.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
        bucket=bucket_name, key="v2/mp", content_type="application/x-v2mp"))
    uid = init.upload_id
    assert init.key == "v2/mp" and init.bucket == bucket_name
    p1 = os.urandom(MIN_PART)
    r1 = v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="v2/mp", upload_id=uid,
                                              part_number=1, body=p1))
    assert r1.etag == etag_of(p1)
    r2 = v2.upload_part_copy(oss.UploadPartCopyRequest(
        bucket=bucket_name, key="v2/mp", upload_id=uid, part_number=2, source_bucket=bucket_name,
        source_key="v2src", source_range="bytes=100-102499"))
    p2 = source[100:102500]
    assert r2.etag == etag_of(p2)
    p3 = b"v2 tail"
    r3 = v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="v2/mp", upload_id=uid,
                                              part_number=3, body=p3))
    lp = v2.list_parts(oss.ListPartsRequest(bucket=bucket_name, key="v2/mp", upload_id=uid,
                                            max_parts=2))
    assert [p.part_number for p in lp.parts] == [1, 2]
    assert lp.is_truncated is True
    lp2 = v2.list_parts(oss.ListPartsRequest(bucket=bucket_name, key="v2/mp", upload_id=uid,
                                             part_number_marker=lp.next_part_number_marker))
    assert [(p.part_number, p.size) for p in lp2.parts] == [(3, len(p3))]
    ups = v2.list_multipart_uploads(oss.ListMultipartUploadsRequest(bucket=bucket_name))
    assert [(u.key, u.upload_id) for u in ups.uploads] == [("v2/mp", uid)]
    done = v2.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=bucket_name, key="v2/mp", upload_id=uid,
        complete_multipart_upload=oss.CompleteMultipartUpload(parts=[
            oss.UploadPart(part_number=1, etag=r1.etag),
            oss.UploadPart(part_number=2, etag=r2.etag),
            oss.UploadPart(part_number=3, etag=r3.etag)])))
    assert done.etag == multipart_etag([p1, p2, p3])
    check_object(bucket, "v2/mp", [p1, p2, p3])
    assert bucket.head_object("v2/mp").headers["Content-Type"] == "application/x-v2mp"


def test_v2_complete_all_and_abort(v2, bucket, bucket_name):
    uid = v2.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
        bucket=bucket_name, key="v2/all")).upload_id
    for n, body in ((2, b"two"), (1, os.urandom(MIN_PART))):
        v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="v2/all", upload_id=uid,
                                             part_number=n, body=body))
    done = v2.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=bucket_name, key="v2/all", upload_id=uid, complete_all="yes"))
    assert MULTIPART_ETAG_RE.match(done.etag) and done.etag.endswith('-2"')

    uid = v2.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
        bucket=bucket_name, key="v2/abort")).upload_id
    v2.abort_multipart_upload(oss.AbortMultipartUploadRequest(
        bucket=bucket_name, key="v2/abort", upload_id=uid))
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.list_parts(oss.ListPartsRequest(bucket=bucket_name, key="v2/abort", upload_id=uid))
    err = v2_error(ei)
    assert (err.status_code, err.code) == (404, "NoSuchUpload")


def test_v2_errors(v2, bucket, bucket_name):
    uid = v2.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
        bucket=bucket_name, key="v2/err")).upload_id
    r1 = v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="v2/err", upload_id=uid,
                                              part_number=1, body=b"tiny"))
    r2 = v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="v2/err", upload_id=uid,
                                              part_number=2, body=b"tiny"))

    def complete(parts):
        with pytest.raises(oss.exceptions.OperationError) as ei:
            v2.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
                bucket=bucket_name, key="v2/err", upload_id=uid,
                complete_multipart_upload=oss.CompleteMultipartUpload(parts=[
                    oss.UploadPart(part_number=n, etag=e) for n, e in parts])))
        err = v2_error(ei)
        return err.status_code, err.code

    assert complete([(1, r1.etag), (2, r2.etag)]) == (400, "EntityTooSmall")
    assert complete([(1, r1.etag), (2, '"FFFF"')]) == (400, "InvalidPart")
    assert complete([(2, r2.etag), (1, r1.etag)]) == (400, "InvalidPartOrder")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="v2/err", upload_id=uid,
                                             part_number=10001, body=b"x"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (400, "InvalidArgument")
    with pytest.raises(oss.exceptions.OperationError) as ei:
        v2.upload_part(oss.UploadPartRequest(bucket=bucket_name, key="v2/err",
                                             upload_id="NOSUCHUPLOAD", part_number=1, body=b"x"))
    assert (v2_error(ei).status_code, v2_error(ei).code) == (404, "NoSuchUpload")
    v2.abort_multipart_upload(oss.AbortMultipartUploadRequest(
        bucket=bucket_name, key="v2/err", upload_id=uid))


# ---------------------------------------------------------------------- crash during Complete


def signed_raw_request(srv, method: str, bucket: str, key: str, params, body: bytes) -> bytes:
    """The bytes of a V1-signed HTTP/1.1 request (sent on a bare socket so that the test can
    kill the server at any moment without a client library in the way)."""
    headers = {"Date": http_date(), "Content-Type": "application/xml"}
    sig = v1_signature(srv.creds.access_key_secret, method, headers, bucket, key, params)
    headers["Authorization"] = f"OSS {srv.creds.access_key_id}:{sig}"
    query = "&".join(f"{k}={v}" for k, v in params)
    head = f"{method} /{bucket}/{key}?{query} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    return head.encode() + body


@pytest.mark.own_server
def test_sigkill_during_complete(spawn_server):
    """Complete is fired and the server SIGKILLed right away (several delays). After a restart
    on the same data directory the object is either whole (MD5 and multipart ETag match, upload
    gone) or absent, and then the upload is still listed and can be completed."""
    srv = spawn_server()
    creds, data_dir = srv.creds, srv.data_dir
    name = unique_bucket_name("crash")
    oss2_bucket(srv.endpoint, creds, name).create_bucket()
    outcomes = []
    for attempt, delay in enumerate([0.0, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.02]):
        b = oss2_bucket(srv.endpoint, creds, name)
        key = f"crash-{attempt}.bin"
        parts = [os.urandom(MIN_PART + attempt), os.urandom(MIN_PART), os.urandom(999)]
        upload_id, infos = upload_parts(b, key, parts)
        body = complete_xml([(i.part_number, f'"{i.etag}"') for i in infos])
        raw_req = signed_raw_request(srv, "POST", name, key, [("uploadId", upload_id)], body)
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(raw_req)
        if delay:
            time.sleep(delay)
        srv.kill()
        sock.close()

        srv = spawn_server(data_dir=data_dir, creds=creds)
        b = oss2_bucket(srv.endpoint, creds, name)
        whole = b"".join(parts)
        if b.object_exists(key):
            got = b.get_object(key)
            body_read = got.read()
            assert hashlib.md5(body_read).hexdigest() == hashlib.md5(whole).hexdigest(), attempt
            assert got.headers["ETag"] == multipart_etag(parts)
            assert upload_id not in listed_upload_ids(b), attempt
            outcomes.append("complete")
        else:
            assert upload_id in listed_upload_ids(b), (attempt, "object absent and upload lost")
            listed = b.list_parts(key, upload_id).parts
            assert [p.size for p in listed] == [len(p) for p in parts]
            b.complete_multipart_upload(key, upload_id, infos)
            check_object(b, key, parts)
            outcomes.append("absent")
    print("crash outcomes:", outcomes)
    assert srv.stop() == 0


# ------------------------------------------------------------------------------ memory


class PartStream:
    """`size` bytes of pseudo-random data, generated as read, never held whole; MD5 on the fly.
    Exposes __len__ so that requests sends a Content-Length instead of chunked encoding."""

    def __init__(self, size: int, block: bytes, seed: int, whole=None):
        self.whole = whole
        self.size = size
        self.pos = 0
        self.block = block
        self.shift = (seed * 7919) % len(block)
        self.md5 = hashlib.md5()

    def __len__(self):
        return self.size - self.pos

    def byte_range(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the stream, recomputed (for checking ranged reads)."""
        out = bytearray()
        n = len(self.block)
        pos = start
        while pos < end:
            off = (pos + self.shift) % n
            take = min(end - pos, n - off)
            out += self.block[off:off + take]
            pos += take
        return bytes(out)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, self.size - self.pos)
        if n <= 0:
            return b""
        chunk = self.byte_range(self.pos, self.pos + n)
        self.pos += n
        self.md5.update(chunk)
        if self.whole is not None:
            self.whole.update(chunk)
        return chunk


def _signed_get_headers(srv, bucket: str, key: str) -> dict:
    headers = {"Date": http_date()}
    sig = v1_signature(srv.creds.access_key_secret, "GET", headers, bucket, key, [])
    headers["Authorization"] = f"OSS {srv.creds.access_key_id}:{sig}"
    return headers


def vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.own_server
def test_2gib_upload_memory(spawn_server):
    """A 2 GiB object in 16 parts of 128 MiB, streamed from a generator-backed reader, then read
    back whole; the server's peak resident set (VmHWM) must stay below 64 MiB throughout."""
    import requests
    srv = spawn_server()
    name = unique_bucket_name("mem")
    b = oss2_bucket(srv.endpoint, srv.creds, name)
    b.create_bucket()
    key = "two-gib.bin"
    upload_id = b.init_multipart_upload(key).upload_id
    part_size, count = 128 * MIB, 16
    block = os.urandom(MIB + 17)          # odd length: parts do not repeat on MiB boundaries
    session = requests.Session()
    etags, streams = [], []
    whole = hashlib.md5()
    started = time.monotonic()
    for n in range(1, count + 1):
        stream = PartStream(part_size, block, n, whole)
        params = [("partNumber", str(n)), ("uploadId", upload_id)]
        headers = {"Date": http_date()}
        sig = v1_signature(srv.creds.access_key_secret, "PUT", headers, name, key, params)
        headers["Authorization"] = f"OSS {srv.creds.access_key_id}:{sig}"
        r = session.put(f"{srv.endpoint}/{name}/{key}", params=params, data=stream,
                        headers=headers, timeout=600)
        assert r.status_code == 200, r.text[:300]
        assert stream.pos == part_size
        assert r.headers["ETag"] == '"' + stream.md5.hexdigest().upper() + '"'
        etags.append(r.headers["ETag"])
        streams.append(stream)
    upload_secs = time.monotonic() - started
    raw = RawClient(srv.endpoint, srv.creds)
    r = raw.request("POST", name, key, params=[("uploadId", upload_id)],
                    data=complete_xml(list(enumerate(etags, 1))))
    assert r.status_code == 200, r.text[:300]
    h = hashlib.md5()
    for s in streams:
        h.update(s.md5.digest())
    assert r.headers["ETag"] == f'"{h.hexdigest().upper()}-{count}"'
    head = b.head_object(key)
    assert head.content_length == part_size * count
    # ranged reads across a part boundary and at the very end
    edge = 5 * part_size
    got = b.get_object(key, byte_range=(edge - 10, edge + 9)).read()
    assert got == streams[4].byte_range(part_size - 10, part_size) + streams[5].byte_range(0, 10)
    tail = b.get_object(key, byte_range=(count * part_size - 16, count * part_size - 1)).read()
    assert tail == streams[-1].byte_range(part_size - 16, part_size)
    hwm_upload = vm_hwm_kib(srv.proc.pid)
    # the whole object back, streamed
    started = time.monotonic()
    got_md5, got_len = hashlib.md5(), 0
    with session.get(f"{srv.endpoint}/{name}/{key}", stream=True, timeout=600,
                     headers=_signed_get_headers(srv, name, key)) as r:
        assert r.status_code == 200, r.text[:300]
        for chunk in r.iter_content(chunk_size=MIB):
            got_md5.update(chunk)
            got_len += len(chunk)
    download_secs = time.monotonic() - started
    assert got_len == part_size * count
    assert got_md5.hexdigest() == whole.hexdigest()
    hwm = vm_hwm_kib(srv.proc.pid)
    print(f"2 GiB: upload {upload_secs:.1f} s (VmHWM {hwm_upload} KiB), "
          f"download {download_secs:.1f} s (VmHWM {hwm} KiB)")
    assert hwm_upload < 64 * 1024, f"server VmHWM after upload {hwm_upload} KiB >= 64 MiB"
    assert hwm < 64 * 1024, f"server VmHWM after download {hwm} KiB >= 64 MiB"
    b.delete_object(key)
    assert srv.stop() == 0
