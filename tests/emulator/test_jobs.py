"""Jobs in process with an injected clock: lifecycle, validation, describe, list, cancel."""

from __future__ import annotations

import pytest

from tests.helpers.emulator_http import BUCKET, COS, REGION, Local

from .helpers import error, job_body, jobs, parse, template_body


def _submit(local: Local, body: str | None = None) -> str:
    resp = local.xml("POST", "/jobs", body or job_body())
    assert resp.status_code == 200, resp.text
    return jobs(resp)[0].findtext("JobId") or ""


def _state(local: Local, jid: str) -> str:
    return jobs(local.http.get(f"/jobs/{jid}"))[0].findtext("State") or ""


def _put_input(local: Local, key: str = "in/a.mp4") -> None:
    assert local.http.put(f"{COS}/{key}", content=b"video").status_code == 200


def test_lifecycle_success_writes_outputs(local: Local) -> None:
    _put_input(local)
    sprite = (
        "<SnapshotOutMode>SnapshotAndSprite</SnapshotOutMode><SpriteSnapshotConfig>"
        "<Color>Black</Color><Columns>2</Columns><Lines>2</Lines></SpriteSnapshotConfig>"
    )
    out = (
        f"<Output><Region>{REGION}</Region><Bucket>thumbs-1250000000</Bucket>"
        "<Object>f/${number}.jpg</Object><SpriteObject>s/sheet-${NUMBER}.jpg</SpriteObject>"
        "</Output>"
    )
    jid = _submit(local, job_body(count="5", output=out, snapshot_extra=sprite))
    detail = jobs(local.http.get(f"/jobs/{jid}"))[0]
    assert detail.findtext("State") == "Submitted" and detail.findtext("StartTime") == "-"
    assert detail.find("Operation/MediaResult") is None
    local.clock.advance(5)
    assert _state(local, jid) == "Running"
    local.clock.advance(5)
    detail = jobs(local.http.get(f"/jobs/{jid}"))[0]
    assert detail.findtext("State") == "Success" and detail.findtext("Code") == "Success"
    assert detail.findtext("EndTime") == "2026-01-01T08:00:10+0800"
    result = detail.find("Operation/MediaResult/OutputFile")
    assert result is not None and result.findtext("Bucket") == "thumbs-1250000000"
    assert result.findtext("ObjectPrefix") == "f/"
    assert [e.text for e in result.findall("ObjectName")] == [f"{i}.jpg" for i in range(5)]
    sprites = result.find("SpriteOutputFile")
    assert sprites is not None and sprites.findtext("ObjectPrefix") == "s/sheet-"
    assert [e.text for e in sprites.findall("ObjectName")] == ["0.jpg", "1.jpg"]
    other = f"http://thumbs-1250000000.cos.{REGION}.myqcloud.com"
    listing = parse(local.http.get(f"{other}/"))
    keys = [c.findtext("Key") for c in listing.findall("Contents")]
    assert keys == [f"f/{i}.jpg" for i in range(5)] + ["s/sheet-0.jpg", "s/sheet-1.jpg"]
    frame = local.http.get(f"{other}/f/4.jpg")
    assert frame.content.startswith(b"\xff\xd8") and frame.headers["etag"].startswith('"')


def test_failed_when_input_missing_and_zero_seconds(make_local: object) -> None:
    local = make_local(job_seconds=0)  # type: ignore[operator]
    detail = jobs(local.xml("POST", "/jobs", job_body("in/none.mp4")))[0]
    assert detail.findtext("State") == "Failed"
    assert detail.findtext("Code") == "ResourceNotFound"
    assert "in/none.mp4" in (detail.findtext("Message") or "")
    assert detail.find("Operation/MediaResult") is None


def test_template_wins_and_settings_captured_at_submission(local: Local) -> None:
    _put_input(local)
    tpl = parse(local.xml("POST", "/template", template_body("t", count="1")))
    tid = tpl.findtext("Template/TemplateId")
    body = job_body(
        template_id=tid,
        output=(
            f"<Output><Region>{REGION}</Region><Bucket>{BUCKET}</Bucket><Object>one.jpg</Object>"
            "</Output>"
        ),
    )
    body = body.replace("</TemplateId>", "</TemplateId><Snapshot><Count>x</Count></Snapshot>")
    detail = jobs(local.xml("POST", "/jobs", body))[0]
    assert detail.findtext("Operation/TemplateName") == "t"
    assert detail.find("Operation/Snapshot") is None
    local.xml("PUT", f"/template/{tid}", template_body("t", count="7"))
    local.clock.advance(11)
    detail = jobs(local.http.get(f"/jobs/{detail.findtext('JobId')}"))[0]
    names = [e.text for e in detail.findall("Operation/MediaResult/OutputFile/ObjectName")]
    assert names == ["one.jpg"]
    missing = job_body(template_id="t1nope")
    assert error(local.xml("POST", "/jobs", missing))[1] == "TemplateNotFound"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"obj": ""}, "Input.Object"),
        (
            {
                "count": "3",
                "output": f"<Output><Region>{REGION}</Region><Bucket>{BUCKET}</Bucket>"
                "<Object>a.jpg</Object></Output>",
            },
            "${number}",
        ),
        ({"output": f"<Output><Region>{REGION}</Region></Output>"}, "Bucket"),
        ({"operation_extra": "<UserData>caf\u00e9</UserData>"}, "UserData"),
        ({"operation_extra": f"<UserData>{'x' * 1025}</UserData>"}, "UserData"),
        ({"operation_extra": "<JobLevel>3</JobLevel>"}, "JobLevel"),
        ({"extra": "<CallBackFormat>YAML</CallBackFormat>"}, "CallBackFormat"),
        ({"extra": "<CallBackType>TDMQ</CallBackType>"}, "CallBackMqConfig"),
        ({"extra": "<CallBack>ftp://x</CallBack>"}, "CallBack"),
        (
            {
                "snapshot_extra": "<SnapshotOutMode>OnlySprite</SnapshotOutMode>"
                "<SpriteSnapshotConfig><Color>Red</Color><Columns>1</Columns><Lines>1</Lines>"
                "</SpriteSnapshotConfig>"
            },
            "SpriteObject",
        ),
    ],
)
def test_submit_validation(local: Local, kwargs: dict[str, str], needle: str) -> None:
    status, code, message = error(local.xml("POST", "/jobs", job_body(**kwargs)))
    assert (status, code) == (400, "InvalidArgument") and needle in message


def test_sprite_must_be_jpg_and_callback_ok(local: Local) -> None:
    sprite = (
        "<SnapshotOutMode>OnlySprite</SnapshotOutMode><SpriteSnapshotConfig><Color>Red"
        "</Color><Columns>1</Columns><Lines>1</Lines></SpriteSnapshotConfig>"
    )
    out = (
        f"<Output><Region>{REGION}</Region><Bucket>{BUCKET}</Bucket>"
        "<SpriteObject>s-${number}.png</SpriteObject></Output>"
    )
    assert (
        ".jpg"
        in error(
            local.xml("POST", "/jobs", job_body(count="1", output=out, snapshot_extra=sprite))
        )[2]
    )
    callback = (
        "<CallBack>https://hooks.example.com/ci</CallBack><CallBackFormat>JSON"
        "</CallBackFormat><CallBackType>TDMQ</CallBackType><CallBackMqConfig><MqRegion>bj"
        "</MqRegion><MqMode>Queue</MqMode><MqName>t</MqName></CallBackMqConfig>"
    )
    assert local.xml("POST", "/jobs", job_body(extra=callback)).status_code == 200
    bad_queue = job_body(extra="<QueueId>pnope</QueueId>")
    assert error(local.xml("POST", "/jobs", bad_queue))[1] == "QueueNotFound"


def test_describe_many_with_encoded_comma(local: Local) -> None:
    a, b = _submit(local), _submit(local)
    resp = local.http.get(f"/jobs/{a}%2Cjmissing%2C{b}")
    root = parse(resp)
    assert [j.findtext("JobId") for j in root.findall("JobsDetail")] == [a, b]
    assert [e.text for e in root.findall("NonExistJobIds")] == ["jmissing"]
    too_many = ",".join(f"j{i}" for i in range(101))
    assert error(local.http.get(f"/jobs/{too_many}"))[1] == "InvalidArgument"


def test_list_filters_and_paging(local: Local) -> None:
    ids = []
    for i in range(5):
        ids.append(_submit(local, job_body("in/x.mp4" if i % 2 == 0 else "in/y.mp4")))
        local.clock.advance(1)
    base = {"tag": "Snapshot", "inputObject": "in/x.mp4", "size": "2"}
    first = parse(local.http.get("/jobs", params=base))
    assert [j.findtext("JobId") for j in first.findall("JobsDetail")] == [ids[4], ids[2]]
    token = first.findtext("NextToken")
    assert token
    second = parse(local.http.get("/jobs", params={**base, "nextToken": token}))
    assert [j.findtext("JobId") for j in second.findall("JobsDetail")] == [ids[0]]
    assert second.find("NextToken") is not None and not second.findtext("NextToken")
    asc = parse(local.http.get("/jobs", params={"tag": "Snapshot", "orderByTime": "Asc"}))
    assert [j.findtext("JobId") for j in asc.findall("JobsDetail")] == ids
    # created at 08:00:00 .. 08:00:04; strict bounds keep 01, 02 and 03
    window = {
        "tag": "Snapshot",
        "startCreationTime": "2026-01-01T08:00:00+0800",
        "endCreationTime": "2026-01-01T00:00:04+0000",
        "orderByTime": "Asc",
    }
    got = parse(local.http.get("/jobs", params=window))
    assert [j.findtext("JobId") for j in got.findall("JobsDetail")] == ids[1:4]
    bad = {"tag": "Snapshot", "startCreationTime": "2026-01-01 08:00:00"}
    assert "startCreationTime" in error(local.http.get("/jobs", params=bad))[2]
    assert error(local.http.get("/jobs"))[1] == "InvalidArgument"  # tag is required
    assert error(local.http.get("/jobs", params={"tag": "Snapshot", "size": "101"}))[0] == 400


def test_list_states(local: Local) -> None:
    early = _submit(local)
    local.clock.advance(6)
    late = _submit(local)
    running = parse(local.http.get("/jobs", params={"tag": "Snapshot", "states": "Running"}))
    assert [j.findtext("JobId") for j in running.findall("JobsDetail")] == [early]
    both = parse(local.http.get("/jobs", params={"tag": "Snapshot", "states": "Submitted,Failed"}))
    assert [j.findtext("JobId") for j in both.findall("JobsDetail")] == [late]
    local.clock.advance(5)
    failed = parse(local.http.get("/jobs", params={"tag": "Snapshot", "states": "Failed"}))
    assert [j.findtext("JobId") for j in failed.findall("JobsDetail")] == [early]
    bogus = {"tag": "Snapshot", "states": "Done"}
    assert error(local.http.get("/jobs", params=bogus))[1] == "InvalidArgument"


def test_cancel_only_submitted(local: Local) -> None:
    jid = _submit(local)
    assert local.http.put(f"/jobs/{jid}?cancel").status_code == 200
    assert local.http.put(f"/jobs/{jid}?cancel").status_code == 200  # idempotent
    local.clock.advance(20)
    assert _state(local, jid) == "Cancel"
    running = _submit(local)
    local.clock.advance(6)
    status, code, message = error(local.http.put(f"/jobs/{running}?cancel"))
    assert (status, code) == (400, "InvalidArgument") and "Running" in message
    assert error(local.http.put(f"/jobs/{running}"))[1] == "InvalidArgument"
    assert error(local.http.put("/jobs/jnope?cancel"))[1] == "InvalidArgument"
