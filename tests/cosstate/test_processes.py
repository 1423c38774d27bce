"""Several ``reconciler apply`` processes sharing one COS state on the served emulator.

What must hold: while one run holds the lease the others stop with a message naming it; a run
killed with SIGKILL is taken over once its lease expires; and whatever happens, the service ends
with exactly one job per job key and the COS state records every job ID (no lost update).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from reconciler.engine.workflow import Settings, apply_manifests
from reconciler.model import CosState
from reconciler.plan.planner import PlanOptions
from tests.helpers.checks import jobs_on_service
from tests.helpers.cosstate import KEY, REGION, STATE_BUCKET, client, store
from tests.helpers.emulators import serve
from tests.helpers.identity import ENV
from tests.helpers.manifests import write_manifests


def cos_state_url() -> str:
    return f"cos://{STATE_BUCKET}/{KEY}?region={REGION}"


def cli(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "--endpoint", url, "--state", cos_state_url(),
            "--submit-qps", "200", *args]  # fmt: skip


def env(lease: float = 30.0) -> dict[str, str]:
    return {**os.environ, **ENV, "NO_COLOR": "1", "RECONCILER_LEASE_SECONDS": str(lease)}


def assert_exactly_once(url: str, n: int) -> None:
    jobs = jobs_on_service(url)
    per_key = Counter(j.input_object for j in jobs)
    assert len(per_key) == n and set(per_key.values()) == {1}, per_key.most_common(3)
    with client(url) as objects:
        state = store(objects).read()
    recorded = {r.input_object: r.job_id for r in state.jobs.values()}
    assert recorded == {j.input_object: j.job_id for j in jobs}, "the COS state lost an update"


def test_three_applies_at_once_one_proceeds(tmp_path: Path) -> None:
    running = serve(latency_ms=15)
    try:
        manifests = write_manifests(tmp_path / "m", 60)
        args = cli(running.url, "apply", str(manifests), "--auto-approve")
        procs = [
            subprocess.Popen(
                args, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )  # fmt: skip
            for _ in range(3)
        ]
        results = [(p.pid, *p.communicate(timeout=120), p.returncode) for p in procs]
        winners = [r for r in results if r[3] == 0]
        losers = [r for r in results if r[3] != 0]
        assert len(winners) == 1, results
        for _, _, err, code in losers:
            assert code == 1 and "is locked by" in err, err
            assert f"pid {winners[0][0]}" in err and "force-unlock" in err, err
            assert "Traceback" not in err
        again = subprocess.run(args, env=env(), capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert_exactly_once(running.url, 60)
    finally:
        running.stop()


def test_killed_holder_is_taken_over_after_expiry(tmp_path: Path) -> None:
    running = serve(latency_ms=10)
    try:
        manifests = write_manifests(tmp_path / "m", 120)
        args = cli(running.url, "apply", str(manifests), "--auto-approve")
        # The victim submits at 20 jobs/s (six seconds for 120), so the kill lands mid-apply.
        slow = [*args[: args.index("200")], "20", *args[args.index("200") + 1 :]]
        victim = subprocess.Popen(slow, env=env(lease=2), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(2.5)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        blocked = subprocess.run(args, env=env(lease=2), capture_output=True, text=True,
                                 timeout=60)  # fmt: skip
        assert blocked.returncode == 1 and f"pid {victim.pid}" in blocked.stderr, blocked.stderr
        time.sleep(2.2)
        taker = subprocess.run(args, env=env(lease=2), capture_output=True, text=True,
                               timeout=120)  # fmt: skip
        assert taker.returncode == 0, taker.stderr
        assert_exactly_once(running.url, 120)
    finally:
        running.stop()


def test_lost_replies_never_duplicate_with_cos_state(tmp_path: Path) -> None:
    """The exactly-once lost-reply test of the core, with the state on COS."""
    running: RunningServer = serve(drop_after_commit_rate=0.3)
    try:
        manifests = write_manifests(tmp_path / "m", 100)
        spec = CosState(STATE_BUCKET, REGION, KEY)
        settings = Settings(endpoint=running.url, env=ENV, submit_qps=500, state_backend=spec)
        _, result = apply_manifests([manifests], settings, PlanOptions(), approve=lambda p: True)
        assert result is not None and result.failures == []
        assert_exactly_once(running.url, 100)
    finally:
        running.stop()


@pytest.mark.slow
@pytest.mark.parametrize("kills", [6])
def test_kill_minus_nine_loop_with_cos_state(tmp_path: Path, kills: int) -> None:
    """The core's kill -9 test with the state on COS (each kill waits out a 1.5 s lease)."""
    running = serve(latency_ms=3, drop_after_commit_rate=0.1)
    try:
        manifests = write_manifests(tmp_path / "m", 200)
        args = cli(running.url, "apply", str(manifests), "--auto-approve")
        for i in range(kills):
            proc = subprocess.Popen(args, env=env(lease=1.5), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(0.6 + 0.3 * i)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            time.sleep(1.7)
        final = subprocess.run(args, env=env(lease=1.5), capture_output=True, text=True,
                               timeout=180)  # fmt: skip
        assert final.returncode == 0, final.stderr
        assert_exactly_once(running.url, 200)
    finally:
        running.stop()
