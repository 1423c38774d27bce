"""Reply variants (``reply_variants`` / ``--reply-variants SEED``): every documented-but-unusual
shape shows up in the raw bytes over a few hundred seeded requests, nothing that identifies an
item changes, and the official SDK still parses every reply."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.emulator.server import RunningServer
from reconciler.emulator.variants import ReplyVariants
from tests.helpers.emulator_http import BUCKET, COS, REGION, Local

SPRITE = (
    "<SnapshotOutMode>SnapshotAndSprite</SnapshotOutMode><SpriteSnapshotConfig>"
    "<Color>Black</Color><Columns>2</Columns><Lines>1</Lines><CellWidth>160</CellWidth>"
    "</SpriteSnapshotConfig>"
)
DOC_SETTINGS = "<Mode>Interval</Mode><Start>0</Start><TimeInterval>2.5</TimeInterval>"
JOB_SECONDS = 10.0


def _template(name: str, sprite: bool) -> str:
    return (
        f"<Request><Tag>Snapshot</Tag><Name>{name}</Name><Snapshot>{DOC_SETTINGS}"
        f"<Count>3</Count><Width>640</Width>{SPRITE if sprite else ''}</Snapshot></Request>"
    )


def _job(obj: str, op: str, user_data: str | None) -> str:
    out = (
        f"<Output><Region>{REGION}</Region><Bucket>{BUCKET}</Bucket>"
        f"<Object>out/{obj}/f-${{Number}}.jpg</Object>"
        f"<SpriteObject>out/{obj}/s-${{Number}}.jpg</SpriteObject></Output>"
    )
    ud = f"<UserData>{user_data}</UserData>" if user_data is not None else ""
    return (
        f"<Request><Tag>Snapshot</Tag><Input><Object>{obj}</Object></Input>"
        f"<Operation>{op}{out}{ud}</Operation></Request>"
    )


@dataclass
class Sent:
    """What the test created, to check every reply against."""

    jobs: dict[str, tuple[str, str | None, float]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    bodies: list[bytes] = field(default_factory=list)
    at: list[float] = field(default_factory=list)  # the clock when each body was sent


def _ok(sent: Sent, resp: Any, now: float) -> ET.Element:
    assert resp.status_code == 200, resp.text
    sent.bodies.append(resp.content)
    sent.at.append(now)
    return ET.fromstring(resp.content)


def _traffic(local: Local, rounds: int) -> Sent:
    """About eight CI requests per round: templates, jobs (by template and inline),
    describes (with a missing id), listings (full and empty), the queue."""
    sent = Sent()
    assert local.http.put(f"{COS}/in/a.mp4", content=b"video").status_code == 200
    for i in range(rounds):
        root = _ok(
            sent,
            local.xml("POST", "/template", _template(f"t{i}", sprite=i % 2 == 0)),
            local.clock.now,
        )
        tid = root.findtext("Template/TemplateId") or ""
        sent.templates[tid] = f"t{i}"
        obj = "in/a.mp4" if i % 3 else "in/missing.mp4"
        ops = [
            f"<TemplateId>{tid}</TemplateId>",
            f"<Snapshot>{DOC_SETTINGS}<Count>2</Count></Snapshot>",
        ]
        for n, op in enumerate(ops):
            user_data = f"marker-{i}-{n}" if n == 0 or i % 2 else None
            created = local.clock.now
            root = _ok(sent, local.xml("POST", "/jobs", _job(obj, op, user_data)), local.clock.now)
            jid = _job_ids(root)[0]
            sent.jobs[jid] = (obj, user_data, created)
        recent = list(sent.jobs)[-2:]
        _ok(sent, local.http.get(f"/jobs/{','.join(recent)}"), local.clock.now)
        _ok(sent, local.http.get(f"/jobs/{recent[0]},jmissing{i}"), local.clock.now)
        _ok(
            sent,
            local.http.get("/jobs", params={"tag": "Snapshot", "inputObject": obj}),
            local.clock.now,
        )
        _ok(
            sent,
            local.http.get("/jobs", params={"tag": "Snapshot", "inputObject": "in/none"}),
            local.clock.now,
        )
        _ok(sent, local.http.get("/template", params={"ids": tid}), local.clock.now)
        if i % 5 == 0:
            _ok(sent, local.http.get("/queue"), local.clock.now)
        local.clock.advance(3)
    return sent


def _job_ids(root: ET.Element) -> list[str]:
    return [j.findtext("JobId") or "" for j in root.findall("JobsDetail") if len(j)]


def _expected_state(obj: str, created: float, now: float) -> str:
    if now < created + JOB_SECONDS / 2:
        return "Submitted"
    if now < created + JOB_SECONDS:
        return "Running"
    return "Success" if obj == "in/a.mp4" else "Failed"


@pytest.fixture
def varied(make_local: Callable[..., Local]) -> Local:
    return make_local(job_seconds=JOB_SECONDS, reply_variants=20261129)


def test_every_variant_kind_shows_in_the_bytes(varied: Local) -> None:
    sent = _traffic(varied, rounds=40)
    assert len(sent.bodies) > 300
    blob = b"\n".join(sent.bodies)
    expected = {
        "docs-sample empty leaf": rb"<Height></Height>",
        "self-closed empty leaf": rb"<Height/>",
        "empty sprite block": rb"<SpriteSnapshotConfig><CellWidth(/>|></CellWidth>)",
        "empty UserData": rb"<UserData(/>|></UserData>)",
        "empty NonExistJobIds": rb"<NonExistJobIds(/>|></NonExistJobIds>)",
        "int as float": rb"<Width>640\.0(00)?</Width>",
        "float padded": rb"<TimeInterval>2\.500</TimeInterval>",
        "zero as float": rb"<Start>0\.0(00)?</Start>",
        "count as float": rb"<Count>[23]\.0(00)?</Count>",
        "Queued state": rb"<State>Queued</State>",
        "empty state": rb"<State(/>|></State>)",
        "empty start time": rb"<StartTime(/>|></StartTime>)",
        "dash start time": rb"<StartTime>-</StartTime>",
        "empty job list": rb"<JobsDetail></JobsDetail>",
        "open-close NextToken": rb"<NextToken></NextToken>",
        "extra at the root": rb"<Response><X-Emulator-Extra>",
        "extra leaf": rb"<X-Emulator-Extra>1</X-Emulator-Extra>",
        "extra container": rb"<X-Emulator-Extra><Inner>1</Inner></X-Emulator-Extra>",
        "extra in a job": rb"<JobsDetail>(<[^J][^>]*>[^<]*</[^>]*>)*<X-Emulator-Extra>",
        "extra in settings": rb"<Snapshot>(<[A-Za-z]+>[^<]*</[A-Za-z]+>)*<X-Emulator-Extra>",
        "extra in media result": rb"<OutputFile>(<[A-Za-z]+>[^<]*</[A-Za-z]+>)*<X-Emulator-Extra>",
    }
    missing = [name for name, pattern in expected.items() if not re.search(pattern, blob)]
    assert not missing, missing
    absent = {
        "QueueId": [b for b in sent.bodies if b"<JobId>" in b and b"<QueueId>" not in b],
        "Message": [b for b in sent.bodies if b"<JobId>" in b and b"<Message" not in b],
        "TemplateName": [
            b
            for b in sent.bodies
            if b"<TemplateId>" in b and b"<JobId>" in b and b"<TemplateName>" not in b
        ],  # fmt: skip
        "StartTime": [b for b in sent.bodies if b"<JobId>" in b and b"<StartTime" not in b],
        "RequestId": [b for b in sent.bodies if b"<TotalCount>" in b and b"<RequestId>" not in b],
    }
    assert all(absent.values()), [k for k, v in absent.items() if not v]


def test_variants_never_touch_what_identifies_an_item(varied: Local) -> None:
    """JobId, UserData, Input/Object, CreationTime, TemplateId, Name and Count stay correct;
    only a job that is not running yet ever shows an unknown state."""
    sent = _traffic(varied, rounds=25)
    odd = 0
    for body in sent.bodies:
        root = ET.fromstring(body)
        for job in root.findall("JobsDetail"):
            if not len(job):
                continue  # the empty-list variant
            jid = job.findtext("JobId") or ""
            obj, user_data, created = sent.jobs[jid]
            assert job.findtext("Input/Object") == obj
            assert job.findtext("Operation/UserData") == user_data or (
                user_data is None and not job.findtext("Operation/UserData")
            )
            assert re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800", job.findtext("CreationTime") or ""
            )
            count = job.findtext("Operation/Snapshot/Count")
            assert count is None or float(count) == 2.0
            tid = job.findtext("Operation/TemplateId")
            assert tid is None or tid in sent.templates
        for tpl in root.findall("Template") + root.findall("TemplateList"):
            tid = tpl.findtext("TemplateId") or ""
            assert sent.templates[tid] == tpl.findtext("Name")
            assert float(tpl.findtext("Snapshot/Count") or "nan") == 3.0
            assert float(tpl.findtext("Snapshot/Width") or "nan") == 640.0
    # States, judged at the instant each reply was sent.
    for body, at in zip(sent.bodies, sent.at, strict=True):
        for job in ET.fromstring(body).findall("JobsDetail"):
            if not len(job):
                continue
            obj, _, created = sent.jobs[job.findtext("JobId") or ""]
            state, expected = job.findtext("State"), _expected_state(obj, created, at)
            if expected == "Submitted":
                odd += state != "Submitted"
                assert state in ("Submitted", "Queued", "", None)
            else:
                assert state == expected, (state, expected)
    assert odd > 0
    varied.clock.advance(100)
    for jid, (obj, _, _) in sent.jobs.items():
        root = ET.fromstring(varied.http.get(f"/jobs/{jid}").content)
        assert root.findtext("JobsDetail/State") == ("Success" if obj == "in/a.mp4" else "Failed")


def test_plain_replies_and_errors_carry_no_variant(make_local: Callable[..., Local]) -> None:
    plain = make_local(job_seconds=JOB_SECONDS)
    sent = _traffic(plain, rounds=5)
    assert not any(b"X-Emulator-Extra" in b or b"Queued" in b for b in sent.bodies)
    varied = make_local(reply_variants=1)
    for _ in range(30):
        resp = varied.http.get("/jobs")  # no tag: an error, which variants leave alone
        assert resp.status_code == 400 and b"X-Emulator-Extra" not in resp.content


def test_same_seed_same_shapes() -> None:
    body = (
        b"<?xml version='1.0'?><Response><JobsDetail><JobId>j1</JobId><State>Submitted</State>"
        b"<Operation><Snapshot><Count>3</Count><Width>640</Width></Snapshot></Operation>"
        b"</JobsDetail><NextToken/></Response>"
    )
    one, two = ReplyVariants(7), ReplyVariants(7)
    assert [one.apply(body, "GET /jobs") for _ in range(5)] == [
        two.apply(body, "GET /jobs") for _ in range(5)
    ]
    assert len({ReplyVariants(s).apply(body, "GET /jobs") for s in range(30)}) > 5


def test_rate_one_keeps_finished_states_and_values() -> None:
    """Even with every dice roll on, a finished job and set values are left as they are."""
    body = (
        b"<Response><JobsDetail><Code>Failed</Code><Message>boom</Message><JobId>j1</JobId>"
        b"<State>Failed</State><StartTime>2026-01-01T08:00:05+0800</StartTime>"
        b"<Operation><TemplateId>t1</TemplateId><UserData>m-1</UserData>"
        b"<Snapshot><Count>3</Count><TimeInterval>0.125</TimeInterval></Snapshot></Operation>"
        b"</JobsDetail><NextToken>abc</NextToken></Response>"
    )
    for seed in range(20):
        root = ET.fromstring(ReplyVariants(seed, rate=1.0).apply(body, "GET /jobs"))
        assert root.findtext("JobsDetail/State") == "Failed"
        assert root.findtext("JobsDetail/Message") == "boom"
        assert root.findtext("JobsDetail/StartTime") == "2026-01-01T08:00:05+0800"
        assert root.findtext("JobsDetail/Operation/UserData") == "m-1"
        assert root.findtext("JobsDetail/Operation/TemplateId") == "t1"
        assert root.findtext("NextToken") == "abc"
        assert float(root.findtext("JobsDetail/Operation/Snapshot/Count") or "") == 3
        assert root.findtext("JobsDetail/Operation/Snapshot/TimeInterval") == "0.1250"


@pytest.mark.served
def test_official_sdk_parses_variant_replies(
    make_served: Callable[..., RunningServer], make_sdk: Callable[..., Any]
) -> None:
    server = make_served(job_seconds=0.2, reply_variants=42)
    sdk = make_sdk(server)
    sdk.put_object(Bucket=BUCKET, Key="in/a.mp4", Body=b"video")
    snapshot = {"Mode": "Interval", "Count": "3", "Width": "640", "TimeInterval": "2.5"}
    ids = []
    for i in range(20):
        tpl = sdk.ci_create_template(
            Bucket=BUCKET, Template={"Tag": "Snapshot", "Name": f"v{i}", "Snapshot": snapshot}
        )
        assert isinstance(tpl, dict) and tpl["Template"]["Name"] == f"v{i}"
        tid = tpl["Template"]["TemplateId"]
        job = {
            "Tag": "Snapshot",
            "Input": {"Object": "in/a.mp4"},
            "Operation": {
                "TemplateId": tid,
                "Output": {"Region": REGION, "Bucket": BUCKET, "Object": f"o/{i}-${{Number}}.jpg"},
                "UserData": f"marker-{i}",
            },
        }
        made = sdk.ci_create_media_jobs(Bucket=BUCKET, Jobs=job, Lst={})
        detail = made["JobsDetail"][0]
        assert detail["JobId"].startswith("j") and detail["Operation"]["UserData"] == f"marker-{i}"
        ids.append(detail["JobId"])
        got = sdk.ci_get_media_jobs(Bucket=BUCKET, JobIDs=f"{detail['JobId']},jnope")
        assert isinstance(got, dict)
        assert [j["JobId"] for j in got["JobsDetail"] if j] == [detail["JobId"]]
        listed = sdk.ci_list_media_jobs(Bucket=BUCKET, Tag="Snapshot", Size=100)
        assert isinstance(listed, dict)
        assert {j["JobId"] for j in listed["JobsDetail"] if j} == set(ids)
        assert sdk.ci_get_template(Bucket=BUCKET, Ids=tid)["TemplateList"][0]["TemplateId"] == tid
        assert isinstance(sdk.ci_get_media_queue(Bucket=BUCKET), dict)
        empty = sdk.ci_list_media_jobs(Bucket=BUCKET, Tag="Snapshot", States="Cancel")
        assert isinstance(empty, dict) and not any(j for j in empty.get("JobsDetail") or [])
