"""Every fault the emulator can inject, at once, against real apply processes.

The emulator runs as ``reconciler emulator serve --fail-rate 0.1 --slowdown-rate 0.1
--drop-after-commit-rate 0.1 --latency-ms 20`` with a data directory; applies are repeated until
one exits 0 (a run may stop on a fault it must not guess about). The verdict is read from the
same data served again without faults: exactly one job per input, every ID in the state.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.state.local.store import LocalStateStore
from tests.helpers.checks import assert_exactly_once
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import FAULTS, ServedEmulator, run_cli


def apply_until_done(state: Path, url: str, manifests: Path, runs: int) -> list[int]:
    """Exit codes of successive applies, stopping at the first success."""
    codes = []
    for _ in range(runs):
        done = run_cli(state, url, "apply", str(manifests), "--auto-approve", qps=200, timeout=600)
        assert "Traceback" not in done.stderr, done.stderr
        codes.append(done.returncode)
        if done.returncode == 0:
            return codes
        assert done.returncode == 1 and done.stderr.strip(), done.stderr
    raise AssertionError(f"no apply completed in {runs} runs: {codes}")


def check_all_faults(tmp_path: Path, n: int) -> list[int]:
    emulator = ServedEmulator(tmp_path / "data", **FAULTS)
    try:
        manifests = write_manifests(tmp_path / "m", n)
        state = tmp_path / "state.json"
        codes = apply_until_done(state, emulator.url, manifests, runs=10)
        emulator.stop()
        emulator.start(**{name: 0 for name in FAULTS})  # same data, no faults: read the verdict
        assert_exactly_once(emulator.url, state, n)
        assert all(r.job_id for r in LocalStateStore(state).read().jobs.values())
        again = run_cli(state, emulator.url, "plan", str(manifests), "--detailed-exitcode")
        assert again.returncode == 0, again.stdout + again.stderr
        return codes
    finally:
        emulator.stop()


def test_all_faults_together_150_jobs(tmp_path: Path) -> None:
    check_all_faults(tmp_path, 150)


@pytest.mark.slow
def test_all_faults_together_500_jobs(tmp_path: Path) -> None:
    codes = check_all_faults(tmp_path, 500)
    print(f"\nall faults, 500 jobs: apply runs until success {len(codes)}, exit codes {codes}")
