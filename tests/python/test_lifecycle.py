"""Bucket lifecycle rules (OSS API reference: PutBucketLifecycle, GetBucketLifecycle,
DeleteBucketLifecycle; the EC pages 0014-…): the configuration through the SDKs' own methods
(oss2 V1 and V4, alibabacloud-oss-v2 V1 and V4) and raw HTTP for the validation errors."""

from __future__ import annotations

import datetime

import alibabacloud_oss_v2 as oss
import oss2
import pytest

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
    import requests
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    r = requests.put(f"{endpoint}/{bucket_name}/?lifecycle", timeout=30,
                     data=lifecycle_xml(f"<Rule><Status>Enabled</Status>{EXP}</Rule>"))
    assert_oss_error(r, 403, "AccessDenied")
