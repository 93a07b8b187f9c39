"""x-oss-forbid-overwrite on every write path that OSS documents it for (PutObject, CopyObject,
InitiateMultipartUpload, CompleteMultipartUpload, PostObject), decided inside the commit so that
of concurrent creates of one key exactly one wins."""

from __future__ import annotations

import threading

import oss2
import pytest

from conftest import assert_oss_error
from test_post_object import post_form, signed_fields

FORBID = {"x-oss-forbid-overwrite": "true"}
# Above the 16 KiB inline limit: the body goes to a blob file, which widens the race window.
BODY = 200 * 1024


def race(n: int, attempt) -> list:
    """Runs `attempt(i)` in n threads released together; returns what each returned or raised."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = attempt(i)
        except Exception as e:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def assert_one_winner(results, winner_type) -> int:
    winners = [i for i, r in enumerate(results) if isinstance(r, winner_type)]
    assert len(winners) == 1, results
    for r in results:
        if not isinstance(r, winner_type):
            assert isinstance(r, oss2.exceptions.ServerError), r
            assert (r.status, r.code) == (409, "FileAlreadyExists"), (r.status, r.code)
    return winners[0]


def test_eight_concurrent_creates_exactly_one_wins(bucket):
    for round_ in range(3):
        key = f"race-{round_}"
        results = race(8, lambda i: bucket.put_object(key, bytes([i]) * BODY, headers=FORBID))
        winner = assert_one_winner(results, oss2.models.PutObjectResult)
        assert bucket.get_object(key).read() == bytes([winner]) * BODY


def test_put_object_refuses_an_existing_key_and_bad_values(bucket, raw, bucket_name):
    bucket.put_object("p", b"first", headers=FORBID)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object("p", b"second", headers=FORBID)
    assert (e.value.status, e.value.code) == (409, "FileAlreadyExists")
    bucket.put_object("p", b"third", headers={"x-oss-forbid-overwrite": "false"})
    assert bucket.get_object("p").read() == b"third"
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object("p", b"fourth", headers={"x-oss-forbid-overwrite": "yes"})
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")
    assert bucket.get_object("p").read() == b"third"


def test_copy_object(bucket, bucket_name):
    bucket.put_object("src", b"source")
    bucket.put_object("dst", b"old")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.copy_object(bucket_name, "src", "dst", headers=FORBID)
    assert (e.value.status, e.value.code) == (409, "FileAlreadyExists")
    assert bucket.get_object("dst").read() == b"old"
    bucket.copy_object(bucket_name, "src", "new", headers=FORBID)
    assert bucket.get_object("new").read() == b"source"
    # Concurrent copies to one fresh key: one wins.
    results = race(8, lambda i: bucket.copy_object(bucket_name, "src", "copy-race", headers=FORBID))
    assert_one_winner(results, oss2.models.PutObjectResult)


def upload(bucket, key: str, data: bytes, init_headers=None):
    up = bucket.init_multipart_upload(key, headers=init_headers).upload_id
    part = bucket.upload_part(key, up, 1, data)
    return up, [oss2.models.PartInfo(1, part.etag)]


def test_initiate_multipart_upload(bucket):
    bucket.put_object("mp", b"exists")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.init_multipart_upload("mp", headers=FORBID)
    assert (e.value.status, e.value.code) == (409, "FileAlreadyExists")
    assert list(oss2.MultipartUploadIterator(bucket)) == []
    bucket.init_multipart_upload("fresh", headers=FORBID)


def test_complete_multipart_upload_header_decides(bucket):
    # Initiated without the header; the key appears meanwhile; Complete with it is refused and
    # the upload stays, so that the client may complete it without the header.
    up, parts = upload(bucket, "mpc", b"multipart")
    bucket.put_object("mpc", b"meanwhile")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.complete_multipart_upload("mpc", up, parts, headers=FORBID)
    assert (e.value.status, e.value.code) == (409, "FileAlreadyExists")
    assert bucket.get_object("mpc").read() == b"meanwhile"
    bucket.complete_multipart_upload("mpc", up, parts)
    assert bucket.get_object("mpc").read() == b"multipart"
    # Initiated with the header, completed without it: Complete's (absent) header decides.
    up, parts = upload(bucket, "mpd", b"second", init_headers=FORBID)
    bucket.put_object("mpd", b"meanwhile")
    bucket.complete_multipart_upload("mpd", up, parts)
    assert bucket.get_object("mpd").read() == b"second"


def test_concurrent_completes_exactly_one_wins(bucket):
    uploads = [upload(bucket, "mpr", bytes([i]) * 10) for i in range(4)]
    results = race(4, lambda i: bucket.complete_multipart_upload(
        "mpr", uploads[i][0], uploads[i][1], headers=FORBID))
    winner = assert_one_winner(results, oss2.models.PutObjectResult)
    assert bucket.get_object("mpr").read() == bytes([winner]) * 10


def test_post_object_concurrent_creates(endpoint, creds, bucket, bucket_name):
    def post(i: int):
        fields = [("key", "posted"), ("x-oss-forbid-overwrite", "true")] + signed_fields(
            creds, "v1", [])
        return post_form(endpoint, bucket_name, fields, ("f", bytes([i]) * BODY, None))

    responses = race(8, post)
    ok = [i for i, r in enumerate(responses) if r.status_code == 204]
    assert len(ok) == 1, [(r.status_code, r.text[:200]) for r in responses]
    for i, r in enumerate(responses):
        if i != ok[0]:
            assert_oss_error(r, 409, "FileAlreadyExists")
    assert bucket.get_object("posted").read() == bytes([ok[0]]) * BODY
    fields = [("key", "bad"), ("x-oss-forbid-overwrite", "maybe")] + signed_fields(creds, "v1", [])
    assert_oss_error(post_form(endpoint, bucket_name, fields, ("f", b"x", None)), 400,
                     "InvalidArgument")
