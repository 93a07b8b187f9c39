"""Produce signature test vectors with the official Python SDKs (oss2, alibabacloud-oss-v2).

Each SDK sends real requests to a loopback capture server (or, for presigned URLs, returns a
URL); the captured method, path, query and headers are decoded the way ossd decodes them and
written as JSON. The Rust test `tests/sdk_vectors.rs` then checks that ossd-sig accepts every
vector with the right secret and rejects it with another.

Run (from this directory), with a private venv:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install oss2==2.19.1 alibabacloud-oss-v2==1.4.1
    /tmp/venv/bin/python gen_py.py > py_vectors.json
"""

import datetime
import http.server
import json
import sys
import threading
import urllib.parse

import oss2
import alibabacloud_oss_v2 as oss
from oss2.credentials import StaticCredentialsProvider as Oss2Creds

AK, SK, REGION, BUCKET = "test-ak", "test-sk", "cn-hangzhou", "my-bucket"
# Keys that exercise the canonical URI: spaces, '+', '%', '/', unicode, sub-delims.
KEYS = ["dir/hello.txt", "dir/a b+c%d ü中文~!*'().txt", "plus+sign=and&amp;.bin"]

captured = []


class Capture(http.server.BaseHTTPRequestHandler):
    """Records each request and answers 200 with a tiny XML body."""

    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        captured.append((self.command, self.path, [(k.lower(), v) for k, v in self.headers.items()]))
        body = b"" if self.command == "HEAD" else b'<?xml version="1.0" encoding="UTF-8"?><R/>'
        self.send_response(200)
        self.send_header("x-oss-request-id", "0" * 24)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, *args):
        pass


def decode_target(path_and_query, host):
    """Splits a request target into (bucket, key, query) the way the server must decode it:
    path-style `/bucket/key` on an IP host; the path is %XX-decoded with '+' literal, the query
    is form-decoded ('+' is a space: oss2, through `requests`, sends spaces in values as '+')."""
    path, _, raw_query = path_and_query.partition("?")
    query = []
    if raw_query:
        for pair in raw_query.split("&"):
            if not pair:
                continue
            k, eq, v = pair.partition("=")
            query.append([urllib.parse.unquote_plus(k), urllib.parse.unquote_plus(v) if eq else None])
    rest = path[1:]
    if not rest:
        return None, None, query
    bucket, _, key = rest.partition("/")
    return urllib.parse.unquote(bucket), (urllib.parse.unquote(key) if key else None), query


def vector(sdk, kind, method, target, headers, now, note):
    host = dict(headers).get("host", "")
    bucket, key, query = decode_target(target, host)
    return {
        "sdk": sdk,
        "kind": kind,
        "note": note,
        "method": method,
        "target": target,
        "bucket": bucket,
        "key": key,
        "query": query,
        "headers": [[k, v] for k, v in headers],
        "secret": SK,
        "region": REGION,
        "now": now,
    }


def http_date_to_unix(s):
    return int(datetime.datetime.strptime(s, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=datetime.timezone.utc).timestamp())


def iso_to_unix(s):
    return int(datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())


def now_of(headers):
    h = dict(headers)
    if "x-oss-date" in h and "T" in h["x-oss-date"]:
        return iso_to_unix(h["x-oss-date"])
    return http_date_to_unix(h.get("x-oss-date") or h["date"])


def run(sdk, kind, note, fn, out):
    """Runs one SDK call and turns every request it sent into a vector."""
    start = len(captured)
    try:
        fn()
    except Exception:  # the capture server's answers do not always parse; the request is what counts
        pass
    for method, target, headers in captured[start:]:
        out.append(vector(sdk, kind, method, target, headers, now_of(headers), note))


def oss2_calls(endpoint, version):
    if version == "v4":
        auth = oss2.ProviderAuthV4(Oss2Creds(AK, SK))
    else:
        auth = oss2.Auth(AK, SK)
    b = oss2.Bucket(auth, endpoint, BUCKET, region=REGION)
    svc = oss2.Service(auth, endpoint, region=REGION)
    rule = oss2.models.CorsRule(allowed_origins=["http://a.example"], allowed_methods=["GET", "PUT"],
                                allowed_headers=["*"], expose_headers=["ETag"], max_age_seconds=100)
    calls = [
        ("put_bucket_cors", lambda: b.put_bucket_cors(oss2.models.BucketCors([rule]))),
        ("get_bucket_cors", lambda: b.get_bucket_cors()),
        ("delete_bucket_cors", lambda: b.delete_bucket_cors()),
        ("list_buckets (service level)", lambda: svc.list_buckets(prefix="my", max_keys=5)),
        ("list_objects", lambda: b.list_objects(prefix="dir/", delimiter="/", marker="a b", max_keys=10)),
        ("list_objects_v2 continuation-token", lambda: b.list_objects_v2(prefix="dir/", continuation_token="tok/+=")),
        ("get_bucket_info", lambda: b.get_bucket_info()),
    ]
    for key in KEYS:
        calls += [
            (f"put_object {key!r}", lambda key=key: b.put_object(key, b"hi", headers={
                "Content-Type": "text/plain", "x-oss-meta-Author": " Foo Bar ", "x-oss-object-acl": "private"})),
            (f"get_object range+overrides {key!r}", lambda key=key: b.get_object(
                key, byte_range=(0, 1), params={"response-content-type": "text/plain; charset=utf-8",
                                                "response-cache-control": "no-cache"})),
            (f"head_object {key!r}", lambda key=key: b.head_object(key)),
            (f"get_object_acl {key!r}", lambda key=key: b.get_object_acl(key)),
            (f"init_multipart_upload {key!r}", lambda key=key: b.init_multipart_upload(key)),
            (f"upload_part {key!r}", lambda key=key: b.upload_part(key, "0004B999EF518A1FE585B0C9360D****", 1, b"x")),
            (f"get_object x-oss-process {key!r}", lambda key=key: b.get_object(key, process="image/resize,w_100")),
        ]
    return calls


def v2_client(endpoint, version, additional=None):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(AK, SK)
    cfg.region = REGION
    cfg.endpoint = endpoint
    cfg.use_path_style = True
    cfg.signature_version = version
    cfg.retry_max_attempts = 1
    if additional:
        cfg.additional_headers = additional
    return oss.Client(cfg)


def v2_calls(endpoint, version):
    c = v2_client(endpoint, version)
    ca = v2_client(endpoint, version, additional=["range", "x-oss-meta-ignored", "content-disposition"])
    cors = oss.CORSConfiguration(cors_rules=[oss.CORSRule(
        allowed_origins=["http://a.example"], allowed_methods=["GET", "PUT"], allowed_headers=["*"],
        expose_headers=["ETag"], max_age_seconds=100)], response_vary=False)
    calls = [
        ("put_bucket_cors", lambda: c.put_bucket_cors(oss.PutBucketCorsRequest(bucket=BUCKET, cors_configuration=cors))),
        ("get_bucket_cors", lambda: c.get_bucket_cors(oss.GetBucketCorsRequest(bucket=BUCKET))),
        ("delete_bucket_cors", lambda: c.delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=BUCKET))),
        ("list_buckets (service level)", lambda: c.list_buckets(oss.ListBucketsRequest(prefix="my", max_keys=5))),
        ("list_objects", lambda: c.list_objects(oss.ListObjectsRequest(
            bucket=BUCKET, prefix="dir/", delimiter="/", marker="a b", max_keys=10, encoding_type="url"))),
        ("list_objects_v2 continuation-token", lambda: c.list_objects_v2(oss.ListObjectsV2Request(
            bucket=BUCKET, prefix="dir/", continuation_token="tok/+="))),
        ("option_object (signed OPTIONS)", lambda: c.option_object(oss.OptionObjectRequest(
            bucket=BUCKET, key="dir/hello.txt", origin="http://a.example", access_control_request_method="PUT",
            access_control_request_headers="x-oss-meta-a"))),
    ]
    for key in KEYS:
        calls += [
            (f"put_object {key!r}", lambda key=key: c.put_object(oss.PutObjectRequest(
                bucket=BUCKET, key=key, body=b"hi", content_type="text/plain", metadata={"Author": " Foo Bar "},
                acl="private"))),
            (f"get_object range+overrides {key!r}", lambda key=key: c.get_object(oss.GetObjectRequest(
                bucket=BUCKET, key=key, range_header="bytes=0-1",
                response_content_type="text/plain; charset=utf-8", response_cache_control="no-cache"))),
            (f"head_object {key!r}", lambda key=key: c.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=key))),
            (f"get_object_acl {key!r}", lambda key=key: c.get_object_acl(oss.GetObjectAclRequest(bucket=BUCKET, key=key))),
            (f"initiate_multipart_upload {key!r}", lambda key=key: c.initiate_multipart_upload(
                oss.InitiateMultipartUploadRequest(bucket=BUCKET, key=key))),
            (f"upload_part {key!r}", lambda key=key: c.upload_part(oss.UploadPartRequest(
                bucket=BUCKET, key=key, upload_id="0004B999EF518A1FE585B0C9360D****", part_number=1, body=b"x"))),
            (f"get_object additional headers {key!r}", lambda key=key: ca.get_object(oss.GetObjectRequest(
                bucket=BUCKET, key=key, range_header="bytes=0-1"))),
            (f"put_object additional headers {key!r}", lambda key=key: ca.put_object(oss.PutObjectRequest(
                bucket=BUCKET, key=key, body=b"hi", content_disposition="attachment; filename=\"a b.txt\""))),
        ]
    return calls


def presigned(out):
    """Presigned URLs: the request a browser would send with them (GET/PUT with the listed
    headers) is recorded without being sent."""
    endpoint = "http://127.0.0.1:9000"
    host = "127.0.0.1:9000"
    for version in ["v1", "v4"]:
        auth = oss2.ProviderAuthV4(Oss2Creds(AK, SK)) if version == "v4" else oss2.Auth(AK, SK)
        b = oss2.Bucket(auth, endpoint, BUCKET, region=REGION)
        for key in KEYS:
            for method, headers, params, additional in [
                ("GET", {}, {"response-content-type": "text/plain"}, None),
                ("PUT", {"Content-Type": "text/plain", "x-oss-meta-a": "1"}, {}, None),
                ("GET", {"Range": "bytes=0-1"}, {}, ["range"]),
            ]:
                if additional and version == "v1":
                    continue
                url = b.sign_url(method, key, 3600, headers=dict(headers), params=dict(params), additional_headers=additional)
                now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
                hdrs = [("host", host)] + [(k.lower(), v) for k, v in headers.items()]
                target = url[len(endpoint):]
                out.append(vector("oss2 2.19.1", f"{version}-presign", method, target, hdrs, now,
                                  f"sign_url {method} {key!r} headers={headers} params={params} additional={additional}"))
        c = v2_client(endpoint, version)
        ca = v2_client(endpoint, version, additional=["range"])
        for key in KEYS:
            reqs = [
                (c, oss.GetObjectRequest(bucket=BUCKET, key=key, response_content_type="text/plain")),
                (c, oss.PutObjectRequest(bucket=BUCKET, key=key, content_type="text/plain", metadata={"a": "1"})),
                (ca, oss.GetObjectRequest(bucket=BUCKET, key=key, range_header="bytes=0-1")),
            ]
            for client, req in reqs:
                r = client.presign(req, expires=datetime.timedelta(hours=1))
                now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
                hdrs = [("host", host)] + [(k.lower(), v) for k, v in (r.signed_headers or {}).items()]
                target = r.url[len(endpoint):]
                out.append(vector("alibabacloud-oss-v2 1.4.1", f"{version}-presign", r.method, target, hdrs, now,
                                  f"presign {type(req).__name__} {key!r}"))


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    out = []
    for version in ["v1", "v4"]:
        for note, fn in oss2_calls(endpoint, version):
            run("oss2 2.19.1", f"{version}-header", note, fn, out)
        for note, fn in v2_calls(endpoint, version):
            run("alibabacloud-oss-v2 1.4.1", f"{version}-header", note, fn, out)
    presigned(out)
    server.shutdown()
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print(file=sys.stderr, end=f"{len(out)} vectors\n")


if __name__ == "__main__":
    main()
