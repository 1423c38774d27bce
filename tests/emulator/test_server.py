"""The served emulator as a process: start-up line, refusal without credentials, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.emulator_http import COS, SID, SKEY, QSign

from .helpers import job_body, jobs

pytestmark = pytest.mark.served

_SERVE = (
    "import sys; from reconciler.emulator.server import run_server; "
    "run_server('127.0.0.1', 0, data_dir=sys.argv[1] or None, latency_ms=0, qps=0, fail_rate=0,"
    " slowdown_rate=0, drop_after_commit_rate=0, job_seconds=0.2, seed=1)"
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    return {**env, **extra}


def _start(data_dir: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, data_dir],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(TENCENTCLOUD_SECRET_ID=SID, TENCENTCLOUD_SECRET_KEY=SKEY),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("emulator listening on http://127.0.0.1:"), line
    return proc, line.rsplit(" ", 1)[1]


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_refuses_without_credentials() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SERVE, ""], capture_output=True, text=True, env=_env(), timeout=30
    )
    assert done.returncode == 1
    assert "TENCENTCLOUD_SECRET_ID" in done.stderr and done.stdout == ""


def test_survives_kill_9(tmp_path: Path, procs: list[subprocess.Popen[str]]) -> None:
    proc, url = _start(str(tmp_path))
    procs.append(proc)
    with httpx.Client(base_url=url, auth=QSign(time.time)) as http:
        assert http.put("/in/a.mp4", content=iter([b"vid", b"eo"])).status_code == 200  # chunked
        jid = jobs(http.post("/jobs", content=job_body().encode()))[0].findtext("JobId")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    again, url2 = _start(str(tmp_path))
    procs.append(again)
    time.sleep(0.25)
    with httpx.Client(base_url=url2, auth=QSign(time.time)) as http:
        assert http.get("/in/a.mp4").content == b"video"
        assert jobs(http.get(f"/jobs/{jid}"))[0].findtext("State") == "Success"
        assert http.get(f"{url2}/shots/frame-1.jpg", headers={"Host": COS[7:]}).status_code == 200
    again.terminate()
    again.wait(timeout=10)
