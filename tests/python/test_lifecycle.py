"""Bucket lifecycle rules (OSS API reference: PutBucketLifecycle, GetBucketLifecycle,
DeleteBucketLifecycle; the EC pages 0014-…): the configuration through the SDKs' own methods
(oss2 V1 and V4, alibabacloud-oss-v2 V1 and V4) and raw HTTP for the validation errors."""

from __future__ import annotations

import concurrent.futures
import datetime
import time

import alibabacloud_oss_v2 as oss
import oss2
import pytest
import requests

from conftest import assert_oss_error, oss2_bucket, v2_error

MSG_NO_SUCH_LIFECYCLE = "No Row found in Lifecycle Table."


def lifecycle_xml(*rules: str) -> bytes:
    return f"<LifecycleConfiguration>{''.join(rules)}</LifecycleConfiguration>".encode()


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss2_put_get_delete_lifecycle(endpoint, creds, bucket_name, version):
    b = oss2_bucket(endpoint, creds, bucket_name, version)
    with pytest.raises(oss2.exceptions.NoSuchLifecycle):
        b.get_bucket_lifecycle()
    tagging = oss2.models.Tagging(oss2.models.TaggingRule())
    tagging.tag_set.add("k", "v")
    rules = [
        oss2.models.LifecycleRule(
            "logs", "logs/", status=oss2.models.LifecycleRule.ENABLED,
            expiration=oss2.models.LifecycleExpiration(days=357),
            storage_transitions=[
                oss2.models.StorageTransition(days=355, storage_class=oss2.BUCKET_STORAGE_CLASS_IA),
                oss2.models.StorageTransition(days=356,
                                              storage_class=oss2.BUCKET_STORAGE_CLASS_ARCHIVE)],
            tagging=tagging),
        oss2.models.LifecycleRule(
            "old", "old/中文+", status=oss2.models.LifecycleRule.DISABLED,
            expiration=oss2.models.LifecycleExpiration(
                created_before_date=datetime.date(2015, 11, 11))),
        oss2.models.LifecycleRule(
            "uploads", "tmp/", status=oss2.models.LifecycleRule.ENABLED,
            abort_multipart_upload=oss2.models.AbortMultipartUpload(days=3)),
    ]
    b.put_bucket_lifecycle(oss2.models.BucketLifecycle(rules))
    got = b.get_bucket_lifecycle().rules
    assert [r.id for r in got] == ["logs", "old", "uploads"]
    assert [r.prefix for r in got] == ["logs/", "old/中文+", "tmp/"]
    assert [r.status for r in got] == ["Enabled", "Disabled", "Enabled"]
    assert got[0].expiration.days == 357
    assert [(t.days, t.storage_class) for t in got[0].storage_transitions] == [
        (355, "IA"), (356, "Archive")]
    assert got[0].tagging.tag_set.tagging_rule == {"k": "v"}
    assert got[1].expiration.created_before_date == datetime.date(2015, 11, 11)
    assert got[2].abort_multipart_upload.days == 3
    # PUT replaces the whole configuration.
    b.put_bucket_lifecycle(oss2.models.BucketLifecycle([rules[2]]))
    assert [r.id for r in b.get_bucket_lifecycle().rules] == ["uploads"]
    b.delete_bucket_lifecycle()
    with pytest.raises(oss2.exceptions.NoSuchLifecycle):
        b.get_bucket_lifecycle()
    b.delete_bucket_lifecycle()


def test_v2_put_get_delete_lifecycle(v2, bucket_name):
    with pytest.raises(oss.exceptions.OperationError) as e:
        v2.get_bucket_lifecycle(oss.GetBucketLifecycleRequest(bucket=bucket_name))
    err = v2_error(e)
    assert (err.status_code, err.code, err.message) == (404, "NoSuchLifecycle",
                                                        MSG_NO_SUCH_LIFECYCLE)
    cfg = oss.LifecycleConfiguration(rules=[
        oss.LifecycleRule(
            id="r1", prefix="a/", status="Enabled",
            expiration=oss.LifecycleRuleExpiration(
                created_before_date=datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc)),
            abort_multipart_upload=oss.LifecycleRuleAbortMultipartUpload(days=7)),
        # No Prefix and no ID: the whole bucket, and a generated ID.
        oss.LifecycleRule(
            status="Enabled",
            noncurrent_version_expiration=oss.NoncurrentVersionExpiration(noncurrent_days=5),
            filter=oss.LifecycleRuleFilter(object_size_greater_than=10)),
    ])
    v2.put_bucket_lifecycle(oss.PutBucketLifecycleRequest(bucket=bucket_name,
                                                          lifecycle_configuration=cfg))
    got = v2.get_bucket_lifecycle(oss.GetBucketLifecycleRequest(bucket=bucket_name))
    rules = got.lifecycle_configuration.rules
    assert rules[0].id == "r1"
    assert rules[0].expiration.created_before_date.date() == datetime.date(2020, 1, 2)
    assert rules[0].abort_multipart_upload.days == 7
    assert rules[1].id and rules[1].id != "r1"
    assert rules[1].prefix in ("", None)
    assert rules[1].noncurrent_version_expiration.noncurrent_days == 5
    assert rules[1].filter.object_size_greater_than == 10
    res = v2.delete_bucket_lifecycle(oss.DeleteBucketLifecycleRequest(bucket=bucket_name))
    assert res.status_code == 204


EXP = "<Expiration><Days>3</Days></Expiration>"


@pytest.mark.parametrize("rules,code,ec", [
    (f"<Rule><Status>On</Status>{EXP}</Rule>", "InvalidArgument", "0014-00000024"),
    ("<Rule><Status>Enabled</Status></Rule>", "InvalidArgument", "0014-00000026"),
    ("<Rule><Status>Enabled</Status><Expiration><Days>-1</Days></Expiration></Rule>",
     "InvalidArgument", "0014-00000086"),
    ("<Rule><Status>Enabled</Status><Expiration><CreatedBeforeDate>2022-12-08"
     "</CreatedBeforeDate></Expiration></Rule>", "InvalidArgument", "0014-00000087"),
    (f"<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status>{EXP}</Rule>"
     f"<Rule><ID>a</ID><Prefix>y</Prefix><Status>Enabled</Status>{EXP}</Rule>",
     "InvalidArgument", "0014-00000020"),
    ("<Rule><Status>Enabled</Status><Transition><Days>3</Days><StorageClass>Standard"
     "</StorageClass></Transition></Rule>", "InvalidArgument", "0014-00000044"),
    ("<Rule><Status>Enabled</Status><Tag><Key>k</Key><Value>v</Value></Tag>"
     "<AbortMultipartUpload><Days>1</Days></AbortMultipartUpload></Rule>",
     "InvalidArgument", "0014-00000027"),
    (f"<Rule><Prefix>a</Prefix><Status>Enabled</Status>{EXP}</Rule>"
     f"<Rule><Prefix>ab</Prefix><Status>Enabled</Status>{EXP}</Rule>",
     "InvalidArgument", "0014-00000084"),
    (f"<Rule><Status>Enabled</Status>{EXP}<Transition><Days>4</Days><StorageClass>IA"
     "</StorageClass></Transition></Rule>", "InvalidArgument", None),
    ("<Rule><Status>Enabled</Status><Expiration><CreatedBeforeDate>2016-12-20T00:00:00.000Z"
     "</CreatedBeforeDate></Expiration><Transition><Days>1</Days><StorageClass>IA"
     "</StorageClass></Transition></Rule>", "InvalidRequest", None),
    ("", "MalformedXML", None),
])
def test_put_lifecycle_refuses_what_oss_refuses(raw, bucket, bucket_name, rules, code, ec):
    r = raw.request("PUT", bucket_name, params=[("lifecycle", None)], data=lifecycle_xml(rules))
    fields = assert_oss_error(r, 400, code)
    if ec:
        assert fields["EC"] == ec
    r = raw.request("GET", bucket_name, params=[("lifecycle", None)])
    fields = assert_oss_error(r, 404, "NoSuchLifecycle", MSG_NO_SUCH_LIFECYCLE)
    assert fields["BucketName"] == bucket_name


def test_overlap_header_allows_overlapping_rules(raw, bucket_name):
    body = lifecycle_xml(f"<Rule><Prefix>a</Prefix><Status>Enabled</Status>{EXP}</Rule>",
                         f"<Rule><Prefix>ab</Prefix><Status>Enabled</Status>{EXP}</Rule>")
    r = raw.request("PUT", bucket_name, params=[("lifecycle", None)], data=body)
    assert "Overlap for same action type Expiration" in r.text
    r = raw.request("PUT", bucket_name, params=[("lifecycle", None)], data=body,
                    headers={"x-oss-allow-same-action-overlap": "true"})
    assert r.status_code == 200, r.text


def test_lifecycle_is_the_owners(endpoint, bucket, bucket_name):
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    r = requests.put(f"{endpoint}/{bucket_name}/?lifecycle", timeout=30,
                     data=lifecycle_xml(f"<Rule><Status>Enabled</Status>{EXP}</Rule>"))
    assert_oss_error(r, 403, "AccessDenied")


# ------------------------------------------------------------------ applying the rules

DAY_MS = 86_400_000


def run_lifecycle(raw, now_ms: int) -> dict:
    """The admin API's "run now": one whole pass as if the time were `now_ms`."""
    r = raw.request("POST", "-", "admin/lifecycle/run", params=[("now-ms", str(now_ms))])
    assert r.status_code == 200, r.text
    return r.json()


def test_worker_expires_transitions_and_aborts(raw, bucket, bucket_name):
    bucket.put_object("logs/old", b"x")
    bucket.put_object("logs/tagged", b"x", headers={"x-oss-tagging": "keep=yes"})
    bucket.put_object("other/x", b"x")
    bucket.put_object("cold/x", b"x")
    bucket.put_object("off/x", b"x")
    mp = bucket.init_multipart_upload("tmp/upload").upload_id
    bucket.upload_part("tmp/upload", mp, 1, b"part")
    kept_upload = bucket.init_multipart_upload("other/upload").upload_id
    # A Not filter keeps the tagged object.
    body = lifecycle_xml(
        "<Rule><ID>exp</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Filter><Not>"
        "<Prefix>logs/</Prefix><Tag><Key>keep</Key><Value>yes</Value></Tag></Not></Filter>"
        "<Expiration><Days>2</Days></Expiration></Rule>",
        "<Rule><ID>ia</ID><Prefix>cold/</Prefix><Status>Enabled</Status><Transition><Days>1</Days>"
        "<StorageClass>IA</StorageClass></Transition></Rule>",
        "<Rule><ID>abort</ID><Prefix>tmp/</Prefix><Status>Enabled</Status><AbortMultipartUpload>"
        "<Days>1</Days></AbortMultipartUpload></Rule>",
        "<Rule><ID>off</ID><Prefix>off/</Prefix><Status>Disabled</Status><Expiration><Days>1</Days>"
        "</Expiration></Rule>")
    r = raw.request("PUT", bucket_name, params=[("lifecycle", None)], data=body)
    assert r.status_code == 200, r.text
    now = int(time.time() * 1000)
    # Nothing is due yet.
    assert run_lifecycle(raw, now) == {"expired": 0, "transitioned": 0, "aborted": 0}
    # A day and a bit later: the transition and the abort, not yet the 2-day expiry.
    assert run_lifecycle(raw, now + DAY_MS + 60_000) == {"expired": 0, "transitioned": 1,
                                                         "aborted": 1}
    assert bucket.head_object("cold/x").headers["x-oss-storage-class"] == "IA"
    assert [u.upload_id for u in oss2.MultipartUploadIterator(bucket)] == [kept_upload]
    assert run_lifecycle(raw, now + 2 * DAY_MS + 60_000) == {"expired": 1, "transitioned": 0,
                                                             "aborted": 0}
    keys = sorted(o.key for o in oss2.ObjectIterator(bucket))
    assert keys == ["cold/x", "logs/tagged", "off/x", "other/x"]
    # A pass over what is left changes nothing more.
    assert run_lifecycle(raw, now + 30 * DAY_MS) == {"expired": 0, "transitioned": 0,
                                                     "aborted": 0}


def test_worker_created_before_date_and_pages(raw, bucket, bucket_name):
    # More objects than one step takes (1000): the pass pages through them.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: bucket.put_object(f"d/{i:05d}", b""), range(1005)))
    bucket.put_object("e/keep", b"")
    r = raw.request("PUT", bucket_name, params=[("lifecycle", None)], data=lifecycle_xml(
        "<Rule><ID>d</ID><Prefix>d/</Prefix><Status>Enabled</Status><Expiration>"
        "<CreatedBeforeDate>2100-01-01T00:00:00.000Z</CreatedBeforeDate></Expiration></Rule>"))
    assert r.status_code == 200, r.text
    assert run_lifecycle(raw, int(time.time() * 1000))["expired"] == 1005
    assert [o.key for o in oss2.ObjectIterator(bucket)] == ["e/keep"]


def test_admin_run_needs_root(raw, endpoint):
    r = requests.post(f"{endpoint}/-/admin/lifecycle/run", timeout=30)
    assert r.status_code == 403
    r = raw.request("POST", "-", "admin/lifecycle/run", params=[("now-ms", "soon")])
    assert_oss_error(r, 400, "InvalidArgument")


def test_worker_runs_at_start_and_after_a_restart(spawn_server, tmp_path):
    """The background worker's first pass runs when the server starts: rules stored before a
    restart are applied after it, without the admin hook, and each expiry is logged."""
    srv = spawn_server(tmp_path / "d")
    b = oss2_bucket(srv.endpoint, srv.creds, "life-restart")
    b.create_bucket()
    b.put_object("d/gone", b"x")
    b.put_object("keep", b"x")
    b.put_bucket_lifecycle(oss2.models.BucketLifecycle([oss2.models.LifecycleRule(
        "past", "d/", status="Enabled",
        expiration=oss2.models.LifecycleExpiration(created_before_date=datetime.date(2100, 1, 1)))]))
    srv.stop()
    srv.start()
    deadline = time.time() + 10
    while b.object_exists("d/gone") and time.time() < deadline:
        time.sleep(0.1)
    assert not b.object_exists("d/gone")
    assert b.object_exists("keep")
    log = srv.log_path.read_text(errors="replace")
    assert "lifecycle expired object" in log and "d/gone" in log, srv.log_tail()


def test_worker_noncurrent_versions_and_expired_delete_markers(raw, bucket, bucket_name):
    """NoncurrentVersionTransition / NoncurrentVersionExpiration count NoncurrentDays from when a
    version became noncurrent; ExpiredObjectDeleteMarker removes a delete marker that no other
    version of its key is left behind (OSS lifecycle docs: "Lifecycle rules based on the last
    modified time for versioned buckets",
    https://www.alibabacloud.com/help/en/oss/user-guide/lifecycle-rules-based-on-the-last-modified-time-for-versioning-enabled-buckets)."""
    cfg = oss2.models.BucketVersioningConfig()
    cfg.status = "Enabled"
    bucket.put_bucket_versioning(cfg)
    ids = [bucket.put_object("n/k", data).versionid for data in (b"1", b"22", b"333")]
    lone = bucket.put_object("e/k", b"x").versionid
    marker = bucket.delete_object("e/k").versionid
    bucket.delete_object("e/k", params={"versionId": lone})
    bucket.put_object("e/kept", b"x")
    kept_marker = bucket.delete_object("e/kept").versionid
    body = lifecycle_xml(
        "<Rule><ID>nc</ID><Prefix>n/</Prefix><Status>Enabled</Status>"
        "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
        "<StorageClass>IA</StorageClass></NoncurrentVersionTransition>"
        "<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays>"
        "</NoncurrentVersionExpiration></Rule>",
        "<Rule><ID>eodm</ID><Prefix>e/</Prefix><Status>Enabled</Status><Expiration>"
        "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>")
    r = raw.request("PUT", bucket_name, params=[("lifecycle", None)], data=body)
    assert r.status_code == 200, r.text
    now = int(time.time() * 1000)
    # The lone marker goes at once; the marker with a version behind it stays.
    assert run_lifecycle(raw, now) == {"expired": 1, "transitioned": 0, "aborted": 0}
    listed = bucket.list_object_versions(prefix="e/")
    assert [m.versionid for m in listed.delete_marker] == [kept_marker]
    assert marker != kept_marker
    # A day later the two noncurrent versions move to IA; the current one stays Standard.
    assert run_lifecycle(raw, now + DAY_MS + 60_000) == {"expired": 0, "transitioned": 2,
                                                         "aborted": 0}
    classes = {v.versionid: v.storage_class
               for v in bucket.list_object_versions(prefix="n/").versions}
    assert classes == {ids[0]: "IA", ids[1]: "IA", ids[2]: "Standard"}
    # Three days later they are gone for good; the current version is untouched.
    assert run_lifecycle(raw, now + 3 * DAY_MS + 60_000) == {"expired": 2, "transitioned": 0,
                                                             "aborted": 0}
    left = bucket.list_object_versions(prefix="n/")
    assert [v.versionid for v in left.versions] == [ids[2]]
    assert bucket.get_object("n/k").read() == b"333"
