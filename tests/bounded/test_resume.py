"""Bounded applies under crashes and faults, as real processes.

* ``kill -9`` while a bounded run writes its final state (the closing compaction, or the lock
  release after it), then a run to completion: exactly one job per key, every ID recorded.
* Five ``--limit`` runs against an emulator injecting every fault it knows: the fifth leaves the
  service with exactly one job per key (read from the same data served again without faults).
"""

from __future__ import annotations

import math
import random
import subprocess
from pathlib import Path

import pytest

from reconciler.state.local.store import LocalStateStore as StateStore
from tests.helpers.checks import assert_exactly_once
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import (
    FAULTS,
    Releasing,
    ServedEmulator,
    Trigger,
    cli_argv,
    cli_env,
    compacting,
    kill_on,
    run_cli,
)


class FinalFlush:
    """True once the closing compaction of a run is being written: a compaction's temporary
    file after the journal was seen (each round starts without a journal, see below)."""

    def __init__(self) -> None:
        self.journal = False

    def __call__(self, names: set[str]) -> bool:
        self.journal = self.journal or "state.json.journal" in names
        return self.journal and compacting(names)


def kill_in_final_flush(tmp_path: Path, n: int, limit: int, rounds: int) -> list[bool]:
    """``rounds`` bounded runs each killed in its closing phase, then one unbounded run."""
    running = ServedEmulator(tmp_path / "data", **{"latency-ms": 3, "drop-after-commit-rate": 0.1})
    try:
        manifests = write_manifests(tmp_path / "m", n)
        home = tmp_path / "s"
        home.mkdir()
        state = home / "state.json"
        rng = random.Random(16)
        landed, serials = [], [0]
        for run in range(rounds):
            if run > 0 and run < rounds - 1:
                # Fold the journal a killed run left, so the next kill meets the *closing*
                # compaction; the last killed run's journal is left for the final run to recover.
                with StateStore(state).open():
                    pass
            trigger: Trigger = FinalFlush() if run % 2 == 0 else Releasing()
            argv = ("apply", str(manifests), "--auto-approve", "--limit", str(limit))
            proc = subprocess.Popen(
                cli_argv(state, running.url, *argv, qps=150), env=cli_env(),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            landed.append(kill_on(proc, home, trigger, rng, give_up=60))
            proc.wait()
            serials.append(StateStore(state).read().serial)
            assert serials == sorted(serials), f"serial went back: {serials}"
        final = run_cli(state, running.url, "apply", str(manifests), "--auto-approve")
        assert final.returncode == 0, final.stdout + final.stderr
        assert "Traceback" not in final.stderr
        assert_exactly_once(running.url, state, n)
        return landed
    finally:
        running.stop()


def test_kill9_during_the_final_flush_of_bounded_runs(tmp_path: Path) -> None:
    landed = kill_in_final_flush(tmp_path, n=120, limit=30, rounds=4)
    assert sum(landed) >= 2, landed


def bounded_runs_with_faults(tmp_path: Path, n: int, runs: int) -> list[int]:
    """``runs`` applies of ``--limit ceil(n / (runs - 1))``: room for every job and the retries
    of those a fault made fail. Returns the exit codes; the last must be 0."""
    emulator = ServedEmulator(tmp_path / "data", **FAULTS)
    limit = math.ceil(n / (runs - 1))
    try:
        manifests = write_manifests(tmp_path / "m", n)
        state = tmp_path / "state.json"
        codes = []
        for _ in range(runs):
            argv = ("apply", str(manifests), "--auto-approve", "--limit", str(limit))
            done = run_cli(state, emulator.url, *argv, qps=200, timeout=600)
            assert "Traceback" not in done.stderr, done.stderr
            assert done.returncode in (0, 1, 5), done.stdout + done.stderr
            codes.append(done.returncode)
        assert codes[-1] == 0, codes
        assert codes.count(5) >= runs - 2, codes  # the limit did bound the runs
        emulator.stop()
        emulator.start(**{name: 0 for name in FAULTS})  # same data, no faults: read the verdict
        assert_exactly_once(emulator.url, state, n)
        again = run_cli(state, emulator.url, "plan", str(manifests), "--detailed-exitcode")
        assert again.returncode == 0, again.stdout + again.stderr
        return codes
    finally:
        emulator.stop()


def test_five_bounded_runs_with_faults_reach_exactly_once(tmp_path: Path) -> None:
    bounded_runs_with_faults(tmp_path, n=100, runs=5)


@pytest.mark.slow
def test_five_bounded_runs_with_faults_reach_exactly_once_600(tmp_path: Path) -> None:
    codes = bounded_runs_with_faults(tmp_path, n=600, runs=5)
    print(f"\nfive bounded runs, 600 jobs, all faults: exit codes {codes}")


@pytest.mark.slow
def test_kill9_during_the_final_flush_12_rounds(tmp_path: Path) -> None:
    landed = kill_in_final_flush(tmp_path, n=300, limit=30, rounds=12)
    print(f"\nkill -9 in the final flush: landed {sum(landed)} of {len(landed)}")
    assert sum(landed) >= 6, landed
