"""A seeded random history of everything that loses or rewinds a state, on the served emulator.

Each step may add inputs to the manifests (new work), then does one of: apply; delete the state
and apply; restore the backup and apply; apply from another directory (a fresh state); push an
older copy of some state (taken with ``state pull``) over the current one with
``state push --force`` and apply; or ``kill -9`` an apply process at a random moment.
Afterwards one apply must leave exactly one job per (key, fingerprint) on the service, and one
more must submit nothing.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from tests.helpers.checks import assert_one_per_key, per_submission
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import apply_served as apply
from tests.helpers.processes import cli_argv, cli_env
from tests.helpers.processes import run_served as run

OPS = ("apply", "delete", "restore", "move", "older", "kill")


pytestmark = pytest.mark.emulator(job_seconds=0.5, seed=3)


class History:
    def __init__(self, tmp_path: Path, server: RunningServer, seed: int) -> None:
        self.tmp, self.server, self.rng = tmp_path, server, random.Random(seed)
        self.inputs = 8
        self.manifests = write_manifests(tmp_path / "m", self.inputs)
        self.dirs = 0
        self.state = self.new_dir()
        self.copies: list[bytes] = []
        self.kills = 0  # kills that landed while the apply was still running

    def new_dir(self) -> Path:
        self.dirs += 1
        home = self.tmp / f"d{self.dirs}"
        home.mkdir()
        return home / "state.json"

    def forget(self) -> None:
        """Remove the state and what lives beside it (segments, journal, backup, lock)."""
        for path in self.state.parent.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()

    def step(self, op: str) -> None:
        if op == "kill" or self.rng.random() < 0.6:  # a kill needs work to interrupt
            self.inputs += self.rng.randint(15, 30) if op == "kill" else self.rng.randint(1, 4)
            write_manifests(self.tmp / "m", self.inputs)
        if self.state.exists():
            pulled = run(self.server, self.state, "state", "pull")
            assert pulled.exit_code == 0, pulled.output
            self.copies.append(pulled.output.encode())
        backup = self.state.with_name("state.json.backup")
        if op == "delete":
            self.forget()
        elif op == "restore" and backup.exists():
            self.state.with_name("state.json.journal").unlink(missing_ok=True)
            shutil.copy(backup, self.state)
        elif op == "move":
            self.state = self.new_dir()
        elif op == "older" and self.copies:
            older = self.tmp / "older.json"
            older.write_bytes(self.rng.choice(self.copies))
            pushed = run(self.server, self.state, "state", "push", "--force", str(older))
            assert pushed.exit_code == 0, pushed.output
        if op == "kill":
            self.kill_apply()
        else:
            apply(self.server, self.state, self.manifests)

    def kill_apply(self) -> None:
        argv = cli_argv(self.state, self.server.url, "apply", str(self.manifests),
                        "--auto-approve", qps=50)  # fmt: skip
        proc = subprocess.Popen(
            argv, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        journal = self.state.with_name("state.json.journal")
        deadline = time.monotonic() + 20
        while not journal.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # the journal appears with the first intent: apply is under way
        time.sleep(self.rng.uniform(0, 0.3))
        self.kills += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def random_history(tmp_path: Path, server: RunningServer, steps: int, seed: int) -> list[str]:
    history = History(tmp_path, server, seed)
    ops = [history.rng.choice(OPS) for _ in range(steps)]
    for op in ops:
        history.step(op)
    if "kill" in ops:
        assert history.kills >= 1, "no kill landed mid-apply"
    apply(server, history.state, history.manifests)
    assert_one_per_key(server.url, history.inputs, history.state)
    before = per_submission(server.url)
    again = run(server, history.state, "plan", str(history.manifests), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    apply(server, history.state, history.manifests)
    assert per_submission(server.url) == before
    return ops


def test_random_history_8_steps(tmp_path: Path, server: RunningServer) -> None:
    ops = random_history(tmp_path, server, 8, seed=12)
    assert {"kill", "restore", "older"} <= set(ops), ops


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_history_40_steps(tmp_path: Path, server: RunningServer, seed: int) -> None:
    ops = random_history(tmp_path, server, 40, seed=seed)
    assert set(ops) == set(OPS), ops
