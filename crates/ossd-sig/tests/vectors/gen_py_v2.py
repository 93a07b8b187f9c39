"""Produce signature V2 test vectors with oss2 (`oss2.AuthV2`, header and presigned URLs).

Like `gen_py.py` (whose capture server and decoding this reuses): oss2 sends real requests to a
loopback capture server, or returns a presigned URL; the method, target, query and headers are
decoded the way ossd decodes them and written as JSON. `tests/sdk_vectors.rs` checks that
ossd-sig accepts every vector with the right secret and rejects it when the secret, method, key,
a query parameter or a signed header changes.

Every call must send at least one request (the script stops otherwise), so no case is lost
silently. Header values carry no leading or trailing spaces: `requests` refuses leading ones, and
oss2 V2 signs values untrimmed while HTTP delivers them trimmed.

Run (from this directory), with a private venv:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install oss2==2.19.1 alibabacloud-oss-v2==1.4.1
    /tmp/venv/bin/python gen_py_v2.py > py_v2_vectors.json
"""

import datetime
import http.server
import json
import sys
import threading

import oss2

import gen_py
from gen_py import AK, BUCKET, REGION, SK, Capture, now_of, vector

SDK = "oss2 2.19.1"
# Unicode, spaces, '+', '%', '/', sub-delimiters, and the characters V1 joins its resource with.
KEYS = [
    "dir/hello.txt",
    "dir/a b+c%d ü中文~!*'().txt",
    "k?uploads&partNumber=1",
    "x=y&z/../日本語 ファイル#frag;,$@.bin",
]


def run(note, fn, out):
    """Runs one oss2 call and turns every request it sent into a vector; fails if none was sent."""
    start = len(gen_py.captured)
    try:
        fn()
    except oss2.exceptions.OssError:
        pass  # the capture server's answers do not always parse; the request is what counts
    except Exception as e:  # noqa: BLE001 - anything else means the SDK refused before sending
        if len(gen_py.captured) == start:
            raise SystemExit(f"{note}: nothing sent ({e!r})")
    sent = gen_py.captured[start:]
    if not sent:
        raise SystemExit(f"{note}: nothing sent")
    for method, target, headers in sent:
        out.append(vector(SDK, "v2-header", method, target, headers, now_of(headers), note))


def header_calls(endpoint):
    auth = oss2.AuthV2(AK, SK)
    b = oss2.Bucket(auth, endpoint, BUCKET, region=REGION)
    svc = oss2.Service(auth, endpoint, region=REGION)
    rule = oss2.models.CorsRule(allowed_origins=["http://a.example"], allowed_methods=["GET", "PUT"],
                                allowed_headers=["*"], expose_headers=["ETag"], max_age_seconds=100)
    since = "Fri, 27 Nov 2026 00:00:00 GMT"
    calls = [
        ("put_bucket_cors", lambda: b.put_bucket_cors(oss2.models.BucketCors([rule]))),
        ("get_bucket_cors", lambda: b.get_bucket_cors()),
        ("delete_bucket_cors", lambda: b.delete_bucket_cors()),
        ("put_bucket_acl", lambda: b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)),
        ("list_buckets (service level, non-sub-resource params)",
         lambda: svc.list_buckets(prefix="my b", marker="m+n", max_keys=5)),
        ("list_objects (non-sub-resource params)",
         lambda: b.list_objects(prefix="dir/ü ", delimiter="/", marker="a b&c=d", max_keys=10)),
        ("list_objects_v2 continuation-token",
         lambda: b.list_objects_v2(prefix="dir/", continuation_token="tok/+=", fetch_owner=True)),
        ("get_bucket_info", lambda: b.get_bucket_info()),
        ("batch_delete_objects", lambda: b.batch_delete_objects(KEYS[:2])),
        ("list_multipart_uploads", lambda: b.list_multipart_uploads(prefix="dir/", max_uploads=3)),
    ]
    for key in KEYS:
        calls += [
            (f"put_object {key!r}", lambda key=key: b.put_object(key, b"hi", headers={
                "Content-Type": "text/plain", "x-oss-meta-Author": "Foo  Bar", "x-oss-object-acl": "private"})),
            (f"get_object range+If-Modified-Since+overrides {key!r}", lambda key=key: b.get_object(
                key, byte_range=(0, 1), headers={"If-Modified-Since": since},
                params={"response-content-type": "text/plain; charset=utf-8", "response-cache-control": "no-cache"})),
            (f"get_object x-oss-process {key!r}", lambda key=key: b.get_object(key, process="image/resize,w_100")),
            (f"head_object {key!r}", lambda key=key: b.head_object(key)),
            (f"put_object_acl {key!r}", lambda key=key: b.put_object_acl(key, oss2.OBJECT_ACL_PUBLIC_READ)),
            (f"copy_object {key!r}", lambda key=key: b.copy_object(BUCKET, "dir/hello.txt", key)),
            (f"append_object {key!r}", lambda key=key: b.append_object(key, 0, b"ab")),
            (f"init_multipart_upload {key!r}", lambda key=key: b.init_multipart_upload(key)),
            (f"upload_part {key!r}", lambda key=key: b.upload_part(key, "0004B999EF518A1FE585B0C9360D****", 1, b"x")),
            (f"complete_multipart_upload {key!r}", lambda key=key: b.complete_multipart_upload(
                key, "0004B999EF518A1FE585B0C9360D****", [oss2.models.PartInfo(1, '"ETAG"')])),
            (f"abort_multipart_upload {key!r}", lambda key=key: b.abort_multipart_upload(
                key, "0004B999EF518A1FE585B0C9360D****")),
            (f"delete_object {key!r}", lambda key=key: b.delete_object(key)),
        ]
    return calls


def presigned(out):
    """Presigned URLs (`Bucket.sign_url` with AuthV2): the request a browser would send with them
    (the method, the URL, the listed headers) is recorded without being sent."""
    endpoint = "http://127.0.0.1:9000"
    host = "127.0.0.1:9000"
    b = oss2.Bucket(oss2.AuthV2(AK, SK), endpoint, BUCKET, region=REGION)
    cases = [
        ("GET", {}, {"response-content-type": "text/plain", "response-content-disposition": 'attachment; filename="a b.txt"'}, None),
        ("GET", {}, {"foo": "bar baz", "max-keys": "5", "empty": ""}, None),
        ("PUT", {"Content-Type": "text/plain", "x-oss-meta-a": "1"}, {}, None),
        ("GET", {"Range": "bytes=0-1"}, {}, ["range"]),
        ("PUT", {"Content-Type": "image/png", "Content-Disposition": "inline", "Cache-Control": "no-cache"},
         {}, ["content-disposition", "Cache-Control"]),
        ("PUT", {}, {"partNumber": "2", "uploadId": "0004B999EF518A1FE585B0C9360D****"}, None),
        ("DELETE", {}, {}, None),
        ("HEAD", {"If-Modified-Since": "Fri, 27 Nov 2026 00:00:00 GMT"}, {}, ["if-modified-since"]),
    ]
    for key in KEYS:
        for method, headers, params, additional in cases:
            url = b.sign_url(method, key, 3600, headers=dict(headers), params=dict(params),
                             additional_headers=additional)
            now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
            hdrs = [("host", host)] + [(k.lower(), v) for k, v in headers.items()]
            target = url[len(endpoint):]
            out.append(vector(SDK, "v2-presign", method, target, hdrs, now,
                              f"sign_url {method} {key!r} headers={headers} params={params} additional={additional}"))


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    out = []
    for note, fn in header_calls(endpoint):
        run(note, fn, out)
    presigned(out)
    server.shutdown()
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print(file=sys.stderr, end=f"{len(out)} vectors\n")


if __name__ == "__main__":
    main()
