"""Helpers shared by the process-level suites: the emulator as a real ``reconciler emulator serve``
process, the CLI as a real ``python -m reconciler`` process, and checks on the service's jobs.

The in-thread emulator lives in ``tests.helpers.emulators`` and the exactly-once checks in
``tests.helpers.checks``; this module adds an emulator that can be killed and restarted on the
same port and data directory, and in-process CLI runs (click's runner) against a served one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.emulator.server import RunningServer
from tests.helpers.identity import ENV

PYTHON = [sys.executable, "-m", "reconciler"]


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI child: test credentials, no colour, nothing from the test run."""
    return {**os.environ, **ENV, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **(extra or {})}


class ServedEmulator:
    """``reconciler emulator serve`` in a child process, restartable on the same port and data."""

    def __init__(self, data: Path, *, port: int = 0, **flags: float | int) -> None:
        self.data, self.flags = data, flags
        self.port = port
        self.proc: subprocess.Popen[str] | None = None
        self.stderr = ""  # everything the emulator processes wrote to stderr so far
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **flags: float | int) -> None:
        """Start (again) with ``flags`` overriding those given before, on the same port."""
        merged = {"job-seconds": 60, "seed": 7, **self.flags, **flags}
        argv = [*PYTHON, "emulator", "serve", "--port", str(self.port), "--data", str(self.data)]
        for name, value in merged.items():
            argv += [f"--{name.replace('_', '-')}", str(value)]
        for _ in range(50):  # the port may still be in use for a moment after a kill
            self.proc = subprocess.Popen(
                argv, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline()
            if line.startswith("emulator listening on "):
                self.port = int(line.rsplit(":", 1)[1])
                return
            _, err = self.proc.communicate(timeout=10)
            self.stderr += err
            if "cannot listen" not in err:
                raise AssertionError(f"emulator did not start: {line}{err}")
            time.sleep(0.1)
        raise AssertionError("emulator port stayed busy")

    def kill(self) -> None:
        """``kill -9`` the emulator (whatever it was doing)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.stop()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
        self.stderr += self.proc.communicate(timeout=10)[1]
        self.proc = None

    def alive(self) -> bool:
        try:
            with httpx.Client(timeout=1) as c:
                return c.get(self.url + "/_emulator/stats").status_code < 500
        except httpx.HTTPError:
            return False


def run_cli(
    state: Path,
    url: str,
    *args: str,
    qps: float = 300,
    env: Mapping[str, str] | None = None,
    timeout: float = 180,
    extra_global: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """One ``python -m reconciler`` run to completion, output captured."""
    return subprocess.run(
        cli_argv(state, url, *args, qps=qps, extra_global=extra_global),
        env=dict(env) if env is not None else cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_argv(
    state: Path, url: str, *args: str, qps: float = 300, extra_global: Sequence[str] = ()
) -> list[str]:
    return [*PYTHON, "--endpoint", url, "--state", str(state), "--submit-qps", str(qps),
            *extra_global, *args]  # fmt: skip


def invoke(url: str, state: Path | str, *args: str, qps: float = 300) -> Result:
    """One in-process CLI run (click's runner) against the served emulator at ``url``."""
    argv = ["--endpoint", url, "--state", str(state), "--submit-qps", str(qps), *args]
    return CliRunner().invoke(cli, argv, env={**ENV, "NO_COLOR": "1"})


def run_served(server: RunningServer, state: Path | str, *args: str) -> Result:
    """One in-process CLI run against the served emulator (HTTP over loopback)."""
    return invoke(server.url, state, *args)


def apply_served(server: RunningServer, state: Path | str, manifests: Path) -> Result:
    """``apply --auto-approve`` in process, asserted to succeed."""
    result = run_served(server, state, "apply", str(manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    return result


# Every fault of ``reconciler emulator serve`` at once (flag -> value), for ServedEmulator.
FAULTS = {"fail-rate": 0.1, "slowdown-rate": 0.1, "drop-after-commit-rate": 0.1, "latency-ms": 20}


# -- kill -9 at a chosen phase of the state directory ------------------------------------

Trigger = Callable[[set[str]], bool]


def compacting(names: set[str]) -> bool:
    return any(n.startswith(("state.json.tmp.", "state.json.backup.tmp.")) for n in names)


class Releasing:
    """True once the journal, seen before, is gone: the writer is closing and unlocking."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, names: set[str]) -> bool:
        here = "state.json.journal" in names
        self.seen = self.seen or here
        return self.seen and not here


def kill_on(proc: subprocess.Popen[bytes], directory: Path, trigger: Trigger,
            rng: random.Random, give_up: float) -> bool:  # fmt: skip
    """Kill ``proc`` right after ``trigger`` sees the directory in the wanted phase.

    True when the kill landed in that phase, False when the child finished first or the phase
    never came (then it is killed at ``give_up`` seconds).
    """
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline and proc.poll() is None:
        if trigger(set(os.listdir(directory))):
            spin = time.perf_counter() + rng.uniform(0, 0.001)
            while time.perf_counter() < spin:
                pass
            landed = proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            return landed
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return False
