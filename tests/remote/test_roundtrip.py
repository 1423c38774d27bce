"""Every client call against the emulator, in-process and served on loopback (same tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.errors import ApiError, NoReplyError
from reconciler.model import JobOutput, JobRequest, SnapshotSettings, SpriteConfig
from reconciler.remote.credentials import Credentials
from reconciler.remote.ratelimit import RateLimiter
from reconciler.remote.retry import RetryPolicy
from tests.helpers.clocks import OffsetClock
from tests.helpers.rawserver import BUCKET, REGION, NoSleep

from .emulated import EMU_CREDS, Emulated

emulator_pkg = pytest.importorskip("reconciler.emulator")

SETTINGS = SnapshotSettings(
    count=3,
    mode="Interval",
    start=0.0,
    time_interval=2.5,
    width=640,
    snapshot_out_mode="SnapshotAndSprite",
    is_check_black=False,
    sprite=SpriteConfig(color="Black", columns=2, lines=2, cell_width=160, cell_height=90),
)
OUT_BUCKET = BUCKET


def start(mode: str, **config: Any) -> Emulated:
    clock = OffsetClock()
    options: dict[str, Any] = {
        "job_seconds": 2.0,
        "seed": 7,
        "clock": clock,
        "default_region": REGION,
    }
    options.update(config)
    cfg = emulator_pkg.EmulatorConfig(
        credentials={EMU_CREDS.secret_id: EMU_CREDS.secret_key}, **options
    )
    if mode == "inprocess":
        return Emulated(mode, emulator_pkg.create_app(cfg), clock)
    server_mod = pytest.importorskip("reconciler.emulator.server")
    served = server_mod.start_background(cfg)
    return Emulated(mode, served.app, clock, url=served.url, stop=served.stop)


@pytest.fixture(params=["inprocess", pytest.param("served", marks=pytest.mark.served)])
def emulator(request: pytest.FixtureRequest) -> Iterator[Callable[..., Emulated]]:
    started: list[Emulated] = []

    def make(**config: Any) -> Emulated:
        emu = start(request.param, **config)
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.close()


def job(input_object: str, **kw: Any) -> JobRequest:
    output = JobOutput(
        region=REGION,
        bucket=OUT_BUCKET,
        object=f"out/{input_object}/frame-${{number}}.jpg",
        sprite_object=f"out/{input_object}/sprite-${{number}}.jpg",
    )
    return JobRequest(input_object=input_object, output=output, **kw)


def test_template_lifecycle(emulator: Callable[..., Emulated]):
    client = emulator().client()
    created = client.create_template("thumbs-640", SETTINGS)
    assert created.name == "thumbs-640" and created.template_id
    assert created.snapshot.count == 3 and created.snapshot.time_interval == 2.5
    assert created.snapshot.sprite == SETTINGS.sprite
    client.create_template("other", SnapshotSettings(count=1))
    with pytest.raises(ApiError) as dup:
        client.create_template("thumbs-640", SETTINGS)
    assert dup.value.code == "TemplateNameDuplicate" and dup.value.request_id
    page = client.list_templates(name_prefix="thumbs")
    assert [t.name for t in page.templates] == ["thumbs-640"] and page.total_count == 1
    assert {t.name for t in client.list_templates().templates} == {"thumbs-640", "other"}
    paged = client.list_templates(page_size=1, page_number=2)
    assert len(paged.templates) == 1 and paged.total_count == 2
    changed = SnapshotSettings(count=5, mode="Average", width=320)
    updated = client.update_template(created.template_id, "thumbs-640", changed)
    assert updated.template_id == created.template_id and updated.snapshot.count == 5
    fetched = client.get_templates([created.template_id, "t1doesnotexist"])
    assert [t.snapshot.mode for t in fetched] == ["Average"]
    client.delete_template(created.template_id)
    assert client.get_templates([created.template_id]) == []
    with pytest.raises(ApiError) as missing:
        client.update_template(created.template_id, "thumbs-640", changed)
    assert missing.value.code == "TemplateNotFound"


def test_objects(emulator: Callable[..., Emulated]):
    client = emulator().client()
    etag = client.put_object("videos/新 年 (1).mp4", b"video-bytes", "video/mp4")
    info = client.head_object("videos/新 年 (1).mp4")
    assert info is not None and info.etag == etag and info.size == len(b"video-bytes")
    assert client.get_object("videos/新 年 (1).mp4") == b"video-bytes"
    for name in ("a", "b", "c", "d"):
        client.put_object(f"videos/{name}.mp4", name.encode())
    client.put_object("other/x.mp4", b"x")
    keys: list[str] = []
    marker = ""
    while True:
        page = client.list_objects(prefix="videos/", marker=marker, max_keys=2)
        keys += [o.key for o in page.objects]
        if not page.is_truncated:
            break
        marker = page.next_marker
    assert sorted(keys) == sorted(["videos/新 年 (1).mp4"] + [f"videos/{n}.mp4" for n in "abcd"])
    client.delete_object("videos/a.mp4")
    assert client.head_object("videos/a.mp4") is None
    assert client.head_object("never/was.mp4") is None


def test_jobs_submit_describe_list_cancel(emulator: Callable[..., Emulated]):
    emu = emulator(job_seconds=2.0)
    client = emu.client()
    client.put_object("videos/a.mp4", b"fake video")
    template = client.create_template("thumbs", SETTINGS)
    first = client.submit_job(
        job("videos/a.mp4", template_id=template.template_id, user_data="campaign=x", job_level=1)
    )
    assert first.state == "Submitted" and first.input_object == "videos/a.mp4"
    assert first.template_id == template.template_id and first.user_data == "campaign=x"
    missing = client.submit_job(job("videos/missing.mp4", snapshot=SnapshotSettings(count=2)))
    to_cancel = client.submit_job(job("videos/a.mp4", snapshot=SnapshotSettings(count=1)))
    client.cancel_job(to_cancel.job_id)
    emu.clock.advance(5)

    result = client.describe_jobs(
        [first.job_id, missing.job_id, to_cancel.job_id, "j00000000000000000000000000000000"]
    )
    states = {j.job_id: j.state for j in result.jobs}
    assert states == {first.job_id: "Success", missing.job_id: "Failed", to_cancel.job_id: "Cancel"}
    assert result.non_exist_ids == ("j00000000000000000000000000000000",)
    done = next(j for j in result.jobs if j.job_id == first.job_id)
    assert done.media_result is not None and done.media_result.output_files
    frame_keys = [k for f in done.media_result.output_files for k in f.keys]
    assert frame_keys and all(k.startswith("out/videos/a.mp4/frame-") for k in frame_keys)
    assert client.head_object(frame_keys[0]) is not None
    failed = next(j for j in result.jobs if j.job_id == missing.job_id)
    assert failed.code and failed.code != "Success"

    by_input = client.list_jobs(input_object="videos/a.mp4")
    assert {j.job_id for j in by_input.jobs} == {first.job_id, to_cancel.job_id}
    assert [j.job_id for j in client.list_jobs(states=["Failed"]).jobs] == [missing.job_id]
    seen: list[str] = []
    token = ""
    while True:
        page = client.list_jobs(size=1, next_token=token, order_by_time="Asc")
        seen += [j.job_id for j in page.jobs]
        token = page.next_token
        if not token:
            break
    assert sorted(seen) == sorted([first.job_id, missing.job_id, to_cancel.job_id])
    future = datetime.now(UTC) + timedelta(hours=1)
    assert client.list_jobs(start_creation_time=future).jobs == ()
    past = datetime.now(UTC) - timedelta(hours=1)
    assert len(client.list_jobs(start_creation_time=past, end_creation_time=future).jobs) == 3


def test_queues(emulator: Callable[..., Emulated]):
    queues = emulator().client().list_queues()
    assert len(queues) == 1 and queues[0].queue_id and queues[0].state == "Active"


def test_lost_reply_after_commit(emulator: Callable[..., Emulated]):
    emu = emulator(drop_after_commit_rate=1.0)
    client = emu.client()
    with pytest.raises(NoReplyError):
        client.submit_job(job("videos/lost.mp4", snapshot=SnapshotSettings(count=1)))
    found = client.list_jobs(input_object="videos/lost.mp4")
    assert len(found.jobs) == 1  # the job exists, and exactly once
    assert emu.app.stats()["POST /jobs"] == 1


def test_faults_retried_and_jobs_not_duplicated(emulator: Callable[..., Emulated]):
    emu = emulator(fail_rate=0.3, slowdown_rate=0.2, seed=11)
    sleeps = NoSleep()
    client = emu.client(
        retry=RetryPolicy(attempts=12, base_delay=0.001, max_delay=0.002, sleep=sleeps)
    )
    for i in range(6):
        client.put_object(f"videos/{i}.mp4", b"v")
        assert client.head_object(f"videos/{i}.mp4") is not None
    assert len(client.list_objects(prefix="videos/").objects) == 6
    assert client.list_templates().templates == ()
    submitted, refused = [], 0
    for i in range(20):
        try:
            submitted.append(
                client.submit_job(
                    job(f"videos/{i % 6}.mp4", snapshot=SnapshotSettings(count=1))
                ).job_id
            )
        except ApiError as exc:
            assert exc.status >= 500 and exc.code != "SlowDown"
            refused += 1
    assert sleeps.calls  # faults happened and were retried
    listed: list[str] = []
    token = ""
    while True:
        page = client.list_jobs(size=100, next_token=token)
        listed += [j.job_id for j in page.jobs]
        token = page.next_token
        if not token:
            break
    assert sorted(listed) == sorted(submitted) and len(submitted) + refused == 20


def test_rate_limiter_paces_submissions(emulator: Callable[..., Emulated]):
    emu = emulator(qps=1000)
    waits: list[float] = []
    now = [0.0]
    limiter = RateLimiter(2, burst=1, clock=lambda: now[0], sleep=waits.append)
    client = emu.client(submit_limiter=limiter)
    for i in range(3):
        client.submit_job(job(f"videos/{i}.mp4", snapshot=SnapshotSettings(count=1)))
    assert waits == [0.5, 1.0]
    client.list_jobs()
    assert len(waits) == 2  # only job submission is paced


def test_wrong_key_and_tokens(emulator: Callable[..., Emulated]):
    emu = emulator(security_token="session-token")
    good = emu.client(
        credentials=Credentials(EMU_CREDS.secret_id, EMU_CREDS.secret_key, "session-token")
    )
    assert good.list_templates().templates == ()
    good.put_object("k", b"v")  # x-cos-security-token on COS calls
    with pytest.raises(ApiError) as no_token:
        emu.client().list_templates()
    assert no_token.value.status in (401, 403)
    wrong = emu.client(credentials=Credentials(EMU_CREDS.secret_id, "not-the-key", "session-token"))
    with pytest.raises(ApiError) as refused:
        wrong.list_queues()
    assert refused.value.status in (401, 403) and refused.value.request_id
    assert "not-the-key" not in str(refused.value)


def test_buckets_routed_by_host_behind_one_endpoint(emulator: Callable[..., Emulated]):
    emu = emulator()
    left = emu.client("left-1250000000")
    right = emu.client("right-1250000000")
    left.put_object("only-left.txt", b"l")
    left.create_template("tpl", SnapshotSettings(count=1))
    assert right.head_object("only-left.txt") is None
    assert right.list_templates().templates == ()
    assert left.head_object("only-left.txt") is not None


def test_shared_pool_and_logging(
    emulator: Callable[..., Emulated], caplog: pytest.LogCaptureFixture
):
    import httpx

    emu = emulator()
    secret = Credentials(EMU_CREDS.secret_id, EMU_CREDS.secret_key)
    kwargs: dict[str, Any] = (
        {"transport": httpx.WSGITransport(app=emu.app)} if emu.mode == "inprocess" else {}
    )
    with httpx.Client(**kwargs) as shared:
        options: dict[str, Any] = {"http": shared}
        if emu.mode == "served":
            options["endpoint"] = emu.url
        first = emu.client("one-1250000000", credentials=secret, **options)
        second = emu.client("two-1250000000", credentials=secret, **options)
        with caplog.at_level("DEBUG", logger="reconciler.remote"):
            first.put_object("a", b"1")
            first.close()  # borrowed pool stays open
            assert second.head_object("a") is None
        assert not shared.is_closed
    text = caplog.text
    assert "PUT /a -> 200" in text and "HEAD /a -> 404" in text
    assert EMU_CREDS.secret_key not in text and "q-signature" not in text
