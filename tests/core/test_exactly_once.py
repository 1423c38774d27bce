"""Exactly once against the served emulator: lost replies, kill -9, two applies at once.

The applies here are real processes (``python -m reconciler``) talking HTTP over loopback to an
emulator served from this test process; afterwards the service is asked, over the API, how many
jobs exist for every job key.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from reconciler.engine.workflow import Settings, apply_manifests
from reconciler.plan.planner import PlanOptions
from reconciler.state.local.store import LocalStateStore
from tests.helpers.checks import assert_exactly_once
from tests.helpers.emulators import serve
from tests.helpers.identity import ENV
from tests.helpers.manifests import write_manifests

pytestmark = pytest.mark.emulator(drop_after_commit_rate=0.3)


def test_lost_replies_never_duplicate(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 200)
    settings = Settings(state_path=tmp_path / "state.json", endpoint=server.url, env=ENV,
                        submit_qps=500)  # fmt: skip
    plan, result = apply_manifests([manifests], settings, PlanOptions(), approve=lambda p: True)
    assert result is not None and result.failures == []
    assert result.done["submit_job"] == 200
    assert_exactly_once(server.url, settings.state_path, 200)


def cli(state: Path, url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "--endpoint", url, "--state", str(state),
            "--submit-qps", "300", *args]  # fmt: skip


def env() -> dict[str, str]:
    return {**os.environ, **ENV, "NO_COLOR": "1"}


@pytest.mark.parametrize("kills", [10])
def test_kill_minus_nine_then_complete(tmp_path: Path, kills: int) -> None:
    running = serve(latency_ms=3, drop_after_commit_rate=0.1)
    try:
        manifests = write_manifests(tmp_path / "m", 300)
        state = tmp_path / "state.json"
        rng = random.Random(11)
        serials = []
        for _ in range(kills):
            proc = subprocess.Popen(
                cli(state, running.url, "apply", str(manifests), "--auto-approve"),
                env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(rng.uniform(0.4, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            serials.append(LocalStateStore(state).read().serial if state.exists() else 0)
        assert serials == sorted(serials), "serial must only grow"
        final = subprocess.run(
            cli(state, running.url, "apply", str(manifests), "--auto-approve"),
            env=env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert final.returncode == 0, final.stderr
        assert_exactly_once(running.url, state, 300)
    finally:
        running.stop()


def test_two_applies_at_once_one_waits_out(tmp_path: Path) -> None:
    running = serve(latency_ms=30)
    try:
        manifests = write_manifests(tmp_path / "m", 100)
        state = tmp_path / "state.json"
        args = cli(state, running.url, "apply", str(manifests), "--auto-approve")
        args[args.index("300")] = "20"
        first = subprocess.Popen(args, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)  # fmt: skip
        time.sleep(1.5)
        second = subprocess.run(args, env=env(), capture_output=True, text=True, timeout=60)
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert second.returncode == 1
        assert "is held by" in second.stderr and f"pid {first.pid}" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        assert_exactly_once(running.url, state, 100)
    finally:
        running.stop()
