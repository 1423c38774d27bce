"""Fault flags, control routes, persistence and the served drop-after-commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorConfigError
from reconciler.emulator.server import RunningServer
from tests.helpers.clocks import ManualClock
from tests.helpers.emulator_http import BUCKET, CI, COS, SID, SKEY, T0, Local, QSign

from .helpers import error, job_body, jobs, parse


def test_fail_rate_and_slowdown_rate(make_local: Callable[..., Local]) -> None:
    failing = make_local(fail_rate=1.0)
    assert error(failing.http.get("/queue"))[:2] == (500, "InternalError")
    cos = failing.http.get(f"{COS}/x")
    assert error(cos)[:2] == (500, "InternalError") and "<Resource>" in cos.text
    slow = make_local(slowdown_rate=1.0)
    assert error(slow.xml("POST", "/jobs", job_body()))[:2] == (503, "SlowDown")
    assert slow.app.stats()["POST /jobs"] == 1


def test_rates_are_seeded(make_local: Callable[..., Local]) -> None:
    runs = []
    for _ in range(2):
        local = make_local(fail_rate=0.5, seed=7)
        runs.append([local.http.get("/queue").status_code for _ in range(20)])
    assert runs[0] == runs[1] and 500 in runs[0] and 200 in runs[0]


def test_qps_applies_to_submission(make_local: Callable[..., Local]) -> None:
    local = make_local(qps=2.0)
    codes = [local.xml("POST", "/jobs", job_body()).status_code for _ in range(3)]
    assert codes == [200, 200, 503]
    assert all(local.http.get("/queue").status_code == 200 for _ in range(5))
    local.clock.advance(0.5)
    assert local.xml("POST", "/jobs", job_body()).status_code == 200


def test_drop_after_commit_in_process(make_local: Callable[..., Local]) -> None:
    local = make_local(drop_after_commit_rate=1.0)
    with pytest.raises(ConnectionAbortedError):
        local.xml("POST", "/jobs", job_body("in/dropped.mp4"))
    listed = local.http.get("/jobs", params={"tag": "Snapshot", "inputObject": "in/dropped.mp4"})
    assert len(jobs(listed)) == 1


@pytest.mark.served
def test_drop_after_commit_served(make_served: Callable[..., RunningServer]) -> None:
    server = make_served(drop_after_commit_rate=1.0)
    with httpx.Client(base_url=server.url, auth=QSign(lambda: __import__("time").time())) as http:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            http.post("/jobs", content=job_body("in/d.mp4").encode())
        listed = http.get("/jobs", params={"tag": "Snapshot", "inputObject": "in/d.mp4"})
        assert len(jobs(listed)) == 1
        stats = http.get("/_emulator/stats").json()
        assert stats["POST /jobs"] == 1 and stats["GET /jobs"] == 1 and stats["total"] == 2


def test_stats_and_reset(local: Local) -> None:
    local.http.get("/queue")
    local.http.get("/jobs/ja,jb")
    local.http.put(f"{COS}/k", content=b"v")
    assert local.app.stats() == {"GET /queue": 1, "GET /jobs/{ids}": 1, "PUT /{key}": 1, "total": 3}
    assert json.loads(local.http.get("/_emulator/stats").content)["total"] == 3
    assert local.http.post("/_emulator/reset-stats").status_code == 204
    assert local.app.stats() == {"total": 0}


def test_persistence_across_restart(tmp_path: Path, make_local: Callable[..., Local]) -> None:
    clock = ManualClock(T0)
    first = make_local(data_dir=str(tmp_path), clock=clock, job_seconds=10)
    first.http.put(f"{COS}/in/a.mp4", content=b"video")
    jid = jobs(first.xml("POST", "/jobs", job_body()))[0].findtext("JobId")
    tid = parse(
        first.xml(
            "POST",
            "/template",
            "<Request><Tag>Snapshot</Tag><Name>p</Name>"
            "<Snapshot><Count>1</Count></Snapshot></Request>",
        )
    )
    first.app.close()
    clock.advance(11)
    second = make_local(data_dir=str(tmp_path), clock=clock, job_seconds=10)
    detail = jobs(second.http.get(f"/jobs/{jid}"))[0]
    assert detail.findtext("State") == "Success"
    assert second.http.get(f"{COS}/shots/frame-1.jpg").status_code == 200
    names = parse(second.http.get("/template")).findall("TemplateList/TemplateId")
    assert [n.text for n in names] == [tid.findtext("Template/TemplateId")]
    assert (tmp_path / "emulator.sqlite3").exists()


def test_objects_and_hosts(local: Local) -> None:
    other = "http://other-1250000000.cos.ap-beijing.myqcloud.com:9000"
    assert local.http.put(f"{other}/k", content=b"b").status_code == 200
    assert local.http.get(f"{COS}/k").status_code == 404
    assert local.http.get("http://127.0.0.1:1/k").status_code == 404  # default bucket
    local.http.put("http://127.0.0.1:1/k", content=b"d")
    assert local.http.get(f"{COS}/k").content == b"d"
    head = local.http.head(f"{COS}/missing")
    assert head.status_code == 404 and head.content == b""
    assert local.http.delete(f"{COS}/k").status_code == 204
    assert error(local.http.get(f"{CI}/some/object"))[1] == "InvalidUrl"
    listing = parse(local.http.get(f"{COS}/", params={"max-keys": "5000"}))
    assert listing.findtext("MaxKeys") == "1000" and listing.findtext("Name") == BUCKET


def test_config_from_env() -> None:
    env = {
        "TENCENTCLOUD_SECRET_ID": SID,
        "TENCENTCLOUD_SECRET_KEY": SKEY,
        "TENCENTCLOUD_SECURITY_TOKEN": "t",
    }
    cfg = EmulatorConfig.from_env(env, qps=3.0)
    assert cfg.credentials == {SID: SKEY} and cfg.security_token == "t" and cfg.qps == 3.0
    with pytest.raises(EmulatorConfigError):
        EmulatorConfig.from_env({})
    demo = EmulatorConfig.from_env({}, allow_demo=True)
    assert len(demo.credentials) == 1
    with pytest.raises(EmulatorConfigError):
        EmulatorConfig.from_env({"TENCENTCLOUD_SECRET_ID": SID})
    with pytest.raises(EmulatorConfigError):
        EmulatorConfig(credentials={SID: SKEY}, fail_rate=1.5)
