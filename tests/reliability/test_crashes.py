"""``kill -9`` of apply processes at random instants, aimed also at compaction and lock release.

The kill is timed from what the child does to the state directory, not from hooks in the
product: a temporary ``state.json.tmp.*`` / ``state.json.backup.tmp.*`` file means a compaction
is being written (the kill follows after a random 0-1 ms), and the journal vanishing means the
closing compaction is done and the lock is being released. Other kills come after a random delay.
After each kill the state must load and its serial must not go back; a final apply must then
leave exactly one job per input on the service, every ID recorded.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from reconciler.state.local.store import LocalStateStore
from tests.helpers.checks import assert_exactly_once
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import (
    Releasing,
    ServedEmulator,
    Trigger,
    cli_argv,
    cli_env,
    compacting,
    kill_on,
    run_cli,
)


def crash_runs(tmp_path: Path, runs: int, seed: int) -> Counter[str]:
    # The emulator runs in its own process so this one's polling is never starved of the GIL.
    running = ServedEmulator(tmp_path / "data", **{"latency-ms": 3, "drop-after-commit-rate": 0.1})
    try:
        manifests = write_manifests(tmp_path / "m", 300)
        home = tmp_path / "s"
        home.mkdir()
        state = home / "state.json"
        rng = random.Random(seed)
        landed: Counter[str] = Counter()
        serials = [0]
        for run in range(runs):
            phase = ("random", "compaction", "release", "compaction")[run % 4]
            proc = subprocess.Popen(
                cli_argv(state, running.url, "apply", str(manifests), "--auto-approve", qps=150),
                env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if phase == "random":
                time.sleep(rng.uniform(0.05, 0.8))
                hit = proc.poll() is None
                proc.send_signal(signal.SIGKILL)
            else:
                trigger: Trigger = compacting if phase == "compaction" else Releasing()
                hit = kill_on(proc, home, trigger, rng, give_up=60)
            proc.wait()
            landed[phase if hit else f"{phase} (missed)"] += 1
            snapshot = LocalStateStore(state).read()  # must always load, with or without a journal
            serials.append(snapshot.serial)
            assert serials == sorted(serials), f"serial went back: {serials}"
        final = run_cli(state, running.url, "apply", str(manifests), "--auto-approve")
        assert final.returncode == 0, final.stderr
        assert "Traceback" not in final.stderr
        assert_exactly_once(running.url, state, 300)
        assert LocalStateStore(state).read().serial >= serials[-1]
        return landed
    finally:
        running.stop()


def test_kill9_at_random_instants_and_phases_8_runs(tmp_path: Path) -> None:
    landed = crash_runs(tmp_path, 8, seed=5)
    assert landed["compaction"] + landed["release"] >= 1, landed


@pytest.mark.slow
def test_kill9_at_random_instants_and_phases_25_runs(tmp_path: Path) -> None:
    landed = crash_runs(tmp_path, 25, seed=23)
    print(f"\nkill -9 over 25 runs, 300 jobs: {dict(landed)}")
    assert landed["compaction"] >= 1 and landed["release"] >= 2, landed
