"""The official Python SDK (cos-python-sdk-v5 1.9.44) driving the served emulator.

If the SDK cannot tell the difference for these calls, neither can our client's assumptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from qcloud_cos import CosServiceError
from qcloud_cos.cos_auth import CosS3Auth

from reconciler.emulator.server import RunningServer
from tests.helpers.emulator_http import BUCKET, REGION, SID, SKEY

pytestmark = pytest.mark.served

SNAPSHOT = {
    "Mode": "Interval",
    "Start": "0",
    "TimeInterval": "",
    "Count": "3",
    "Width": "640",
    "SnapshotOutMode": "SnapshotAndSprite",
    "SpriteSnapshotConfig": {"Color": "Black", "Columns": "2", "Lines": "1", "CellWidth": "160"},
}


def _job(obj: str, template_id: str | None = None, **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "Output": {
            "Region": REGION,
            "Bucket": BUCKET,
            "Object": f"out/{obj}/f-${{Number}}.jpg",
            "SpriteObject": f"out/{obj}/s-${{number}}.jpg",
        },
        "UserData": "campaign=launch",
        "JobLevel": "1",
    }
    if template_id:
        operation = {"TemplateId": template_id, **operation}
    else:
        operation = {"Snapshot": SNAPSHOT, **operation}
    return {"Tag": "Snapshot", "Input": {"Object": obj}, "Operation": operation, **extra}


def _wait_done(sdk: Any, ids: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        jobs: list[dict[str, Any]] = sdk.ci_get_media_jobs(Bucket=BUCKET, JobIDs=ids)["JobsDetail"]
        if all(j["State"] in ("Success", "Failed") for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.05)


def test_template_crud(served: RunningServer, make_sdk: Callable[..., Any]) -> None:
    sdk = make_sdk(served)
    created = sdk.ci_create_template(
        Bucket=BUCKET, Template={"Tag": "Snapshot", "Name": "thumbs-640", "Snapshot": SNAPSHOT}
    )["Template"]
    tid = created["TemplateId"]
    assert tid.startswith("t1") and len(tid) == 34
    assert created["Snapshot"]["Count"] == "3"
    assert "TimeInterval" not in created["Snapshot"]  # empty element = not set
    updated = sdk.ci_update_template(
        Bucket=BUCKET,
        TemplateId=tid,
        Template={"Tag": "Snapshot", "Name": "thumbs-640", "Snapshot": {**SNAPSHOT, "Count": "4"}},
    )["Template"]
    assert updated["TemplateId"] == tid and updated["Snapshot"]["Count"] == "4"
    listed = sdk.ci_get_template(Bucket=BUCKET, Name="thumbs")
    assert listed["TotalCount"] == "1" and listed["TemplateList"][0]["TemplateId"] == tid
    assert sdk.ci_get_template(Bucket=BUCKET, Ids=tid)["TemplateList"][0]["Name"] == "thumbs-640"
    with pytest.raises(CosServiceError) as dup:
        sdk.ci_create_template(
            Bucket=BUCKET, Template={"Tag": "Snapshot", "Name": "thumbs-640", "Snapshot": SNAPSHOT}
        )
    assert dup.value.get_status_code() == 400
    assert sdk.ci_delete_template(Bucket=BUCKET, TemplateId=tid)["TemplateId"] == tid
    assert sdk.ci_get_template(Bucket=BUCKET, Ids=tid)["TotalCount"] == "0"
    with pytest.raises(CosServiceError):
        sdk.ci_delete_template(Bucket=BUCKET, TemplateId=tid)


def test_jobs_describe_many_list_and_results(
    served: RunningServer, make_sdk: Callable[..., Any]
) -> None:
    sdk = make_sdk(served)
    sdk.put_object(Bucket=BUCKET, Key="videos/a.mp4", Body=b"video-a")
    tid = sdk.ci_create_template(
        Bucket=BUCKET, Template={"Tag": "Snapshot", "Name": "t", "Snapshot": SNAPSHOT}
    )["Template"]["TemplateId"]
    a = sdk.ci_create_media_jobs(
        Bucket=BUCKET, Jobs=_job("videos/a.mp4", tid), Lst={}, ContentType="application/xml"
    )["JobsDetail"][0]
    b = sdk.ci_create_media_jobs(Bucket=BUCKET, Jobs=_job("videos/missing.mp4"), Lst={})
    b = b["JobsDetail"][0]
    assert a["State"] == "Submitted" and a["Operation"]["TemplateName"] == "t"
    jobs = _wait_done(sdk, f"{a['JobId']},{b['JobId']}")
    assert [j["JobId"] for j in jobs] == [a["JobId"], b["JobId"]]
    ok, failed = jobs
    assert ok["State"] == "Success" and failed["State"] == "Failed"
    assert failed["Code"] == "ResourceNotFound" and "missing.mp4" in failed["Message"]
    out = ok["Operation"]["MediaResult"]["OutputFile"]
    assert out["ObjectPrefix"] == "out/videos/a.mp4/f-"
    assert out["ObjectName"] == ["0.jpg", "1.jpg", "2.jpg"]
    assert out["SpriteOutputFile"]["ObjectName"] == ["0.jpg", "1.jpg"]
    head = sdk.head_object(Bucket=BUCKET, Key="out/videos/a.mp4/f-2.jpg")
    assert int(head["Content-Length"]) > 0
    missing = sdk.ci_get_media_jobs(Bucket=BUCKET, JobIDs=f"{a['JobId']},jnope")
    assert missing["NonExistJobIds"] == "jnope"
    listed = sdk.ci_list_media_jobs(Bucket=BUCKET, Tag="Snapshot", States="Success", Size=10)
    assert [j["JobId"] for j in listed["JobsDetail"]] == [a["JobId"]]
    assert listed["NextToken"] is None  # empty <NextToken/> on the last page


def test_list_by_input_object_through_sdk_internals(
    served: RunningServer, make_sdk: Callable[..., Any]
) -> None:
    """PY cannot send inputObject from ci_list_media_jobs; its send_request can."""
    sdk = make_sdk(served)
    ids = [
        sdk.ci_create_media_jobs(Bucket=BUCKET, Jobs=_job(o), Lst={})["JobsDetail"][0]["JobId"]
        for o in ("v/x.mp4", "v/y.mp4", "v/x.mp4")
    ]
    params = {"tag": "Snapshot", "inputObject": "v/x.mp4", "orderByTime": "Asc", "size": "10"}
    url = sdk._conf.uri(bucket=BUCKET, path="/jobs", endpoint=sdk._conf._endpoint_ci)
    rt = sdk.send_request(
        method="GET",
        url=url,
        bucket=BUCKET,
        params=params,
        headers={},
        auth=CosS3Auth(sdk._conf, "/jobs", params=params),
        ci_request=True,
    )
    assert rt.status_code == 200
    body = rt.content.decode()
    assert ids[0] in body and ids[2] in body and ids[1] not in body
    assert body.index(ids[0]) < body.index(ids[2])


def test_cancel_and_queue(
    make_served: Callable[..., RunningServer], make_sdk: Callable[..., Any]
) -> None:
    server = make_served(job_seconds=30)
    sdk = make_sdk(server)
    queue = sdk.ci_get_media_queue(Bucket=BUCKET)["QueueList"][0]
    assert queue["QueueId"].startswith("p") and queue["State"] == "Active"
    job = sdk.ci_create_media_jobs(
        Bucket=BUCKET, Jobs=_job("v/c.mp4", QueueId=queue["QueueId"]), Lst={}
    )["JobsDetail"][0]
    assert job["QueueId"] == queue["QueueId"]
    assert sdk.ci_cancel_jobs(Bucket=BUCKET, JobID=job["JobId"]) == ""
    again = sdk.ci_get_media_jobs(Bucket=BUCKET, JobIDs=job["JobId"])["JobsDetail"][0]
    assert again["State"] == "Cancel"


def test_objects(served: RunningServer, make_sdk: Callable[..., Any]) -> None:
    sdk = make_sdk(served)
    put = sdk.put_object(Bucket=BUCKET, Key="docs/中文 a.txt", Body=b"hello")
    assert put["ETag"] == '"5d41402abc4b2a76b9719d911017c592"'
    got = sdk.get_object(Bucket=BUCKET, Key="docs/中文 a.txt")
    assert got["Body"].get_raw_stream().read() == b"hello"
    for i in range(3):
        sdk.put_object(Bucket=BUCKET, Key=f"docs/n{i}", Body=b"x")
    page = sdk.list_objects(Bucket=BUCKET, Prefix="docs/n", MaxKeys=2)
    assert page["IsTruncated"] == "true" and page["NextMarker"] == "docs/n1"
    rest = sdk.list_objects(Bucket=BUCKET, Prefix="docs/n", Marker=page["NextMarker"])
    assert [c["Key"] for c in rest["Contents"]] == ["docs/n2"] and rest["IsTruncated"] == "false"
    sdk.delete_object(Bucket=BUCKET, Key="docs/n0")
    with pytest.raises(CosServiceError) as err:
        sdk.get_object(Bucket=BUCKET, Key="docs/n0")
    assert err.value.get_error_code() == "NoSuchKey" and err.value.get_status_code() == 404


def test_wrong_key_refused(served: RunningServer, make_sdk: Callable[..., Any]) -> None:
    bad = make_sdk(served, secret_key="not-the-key")
    with pytest.raises(CosServiceError) as ci_err:
        bad.ci_get_template(Bucket=BUCKET)
    assert ci_err.value.get_status_code() == 403
    with pytest.raises(CosServiceError) as cos_err:
        bad.list_objects(Bucket=BUCKET)
    assert cos_err.value.get_error_code() == "SignatureDoesNotMatch"


def test_temporary_credentials(
    make_served: Callable[..., RunningServer], make_sdk: Callable[..., Any]
) -> None:
    server = make_served(security_token="tok-123")
    good = make_sdk(server, Token="tok-123")
    assert good.ci_get_media_queue(Bucket=BUCKET)["TotalCount"] == "1"  # x-ci-security-token
    good.put_object(Bucket=BUCKET, Key="k", Body=b"v")  # x-cos-security-token
    with pytest.raises(CosServiceError) as err:
        make_sdk(server, Token="wrong").ci_get_media_queue(Bucket=BUCKET)
    assert err.value.get_status_code() == 401
    with pytest.raises(CosServiceError):
        make_sdk(server).put_object(Bucket=BUCKET, Key="k", Body=b"v")
    assert SID in server.app.config.credentials and SKEY not in repr(server.app.config)
