"""A known secret key and security token never appear in any output, log or file.

Every command runs as a real process with ``--debug`` (tracebacks on), on good and on error
paths (bad manifest, wrong credentials, server errors, a lock left by kill -9); afterwards every
byte of stdout, stderr and every file under the test directory (state, journal, backup, lock
record, plan files, the emulator's data) is searched. Logging at DEBUG is checked in process.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.commands import cli
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import ServedEmulator, cli_argv, cli_env, run_cli
from tests.helpers.rawserver import RawServer, reply

TOKEN = "SecurityTokenThatMustNeverLeak0123456789abcdef"
WRONG_KEY = "WrongSecretKeyAlsoNeverPrinted99"
SECRETS = (SECRET_KEY, TOKEN, WRONG_KEY)
ENV = cli_env({"TENCENTCLOUD_SECURITY_TOKEN": TOKEN})


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [s for s in SECRETS if s.encode() in data]


def every_file(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


class Runs:
    """Runs CLI processes and collects everything they printed."""

    def __init__(self, state: Path, url: str) -> None:
        self.state, self.url = state, url
        self.outputs: list[tuple[list[str], str]] = []
        self.codes: dict[str, int] = {}

    def __call__(self, name: str, *args: str, env: dict[str, str] = ENV, url: str = "") -> int:
        done = run_cli(self.state, url or self.url, *args, env=env, extra_global=["--debug"])
        self.outputs.append((list(args), done.stdout + done.stderr))
        self.codes[name] = done.returncode
        return done.returncode


def test_no_secret_in_any_output_or_file(tmp_path: Path) -> None:
    emulator = ServedEmulator(tmp_path / "emulator-data", **{"job-seconds": 0.5})
    bad_server = RawServer(reply(b"<html>oops</html>", "500 Internal Server Error"))
    try:
        manifests = write_manifests(tmp_path / "m", 5)
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "b.yaml").write_text("apiVersion: reconciler/v1\nkind: Target\nspec: [\n")
        state, planfile = tmp_path / "state" / "state.json", tmp_path / "plan.json"
        run = Runs(state, emulator.url)
        m = str(manifests)
        run("validate", "validate", m)
        run("validate bad", "validate", str(broken))
        run("plan", "plan", m)
        run("plan json", "plan", m, "--json")
        run("plan markdown", "plan", m, "--markdown")
        run("plan out", "plan", m, "--out", str(planfile))
        run("apply plan", "apply", str(planfile))
        # Nothing left to submit: the jobs failed (inputs missing) in the run before, so 0.
        run("apply", "apply", m, "--auto-approve", "--wait", "--timeout", "30")
        run("wait", "wait", m, "--timeout", "10")
        run("status", "status", m)
        run("status json", "-v", "status", m, "--json")
        wrong = {**ENV, "TENCENTCLOUD_SECRET_KEY": WRONG_KEY}
        run("wrong key plan", "plan", m, env=wrong)
        run("wrong key apply", "apply", m, "--auto-approve", env=wrong)
        run("server error plan", "plan", m, url=bad_server.url)
        run("server error apply", "apply", m, "--auto-approve", url=bad_server.url)
        run("force-unlock unlocked", "force-unlock", "no-such-lock", "--force")
        lock_info = leave_a_dead_lock(tmp_path, state, emulator.url)
        run("force-unlock", "force-unlock", json.loads(lock_info)["lock_id"], "--force")
    finally:
        bad_server.stop()
        emulator.stop()
    expected = {"validate": 0, "validate bad": 1, "plan": 0, "plan out": 0, "apply plan": 0,
                "apply": 0, "wait": 0, "status": 0, "wrong key plan": 1, "wrong key apply": 1,
                "server error plan": 1, "server error apply": 1, "force-unlock unlocked": 1,
                "force-unlock": 0}  # fmt: skip
    assert {k: run.codes[k] for k in expected} == expected, run.outputs
    assert any("Traceback" in out for _, out in run.outputs), "--debug shows tracebacks"
    for args, out in run.outputs:
        assert not leaks(out), (args, leaks(out))
    assert not leaks(emulator.stderr)
    files = every_file(tmp_path)
    assert any(p.name == "emulator.sqlite3" for p in files) and planfile in files
    for path, data in files.items():
        assert not leaks(data), (path, leaks(data))
    for path in (state, state.with_name("state.json.backup"), planfile):
        assert path.stat().st_mode & 0o777 == 0o600, path


def leave_a_dead_lock(tmp_path: Path, state: Path, url: str) -> bytes:
    """kill -9 an apply holding the lock; return its lock record (checked for secrets too)."""
    more = write_manifests(tmp_path / "more", 200)
    proc = subprocess.Popen(
        cli_argv(state, url, "apply", str(more), "--auto-approve", qps=20,
                 extra_global=["--debug"]),
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    info = state.with_name("state.json.lock.info")
    deadline = time.monotonic() + 30
    while not state.with_name("state.json.journal").exists() or not info.exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    data = info.read_bytes()
    assert not leaks(data) and state.with_name("state.json.journal").stat().st_size > 0
    assert state.with_name("state.json.journal").stat().st_mode & 0o777 == 0o600
    return data


def test_no_secret_in_debug_logging(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    emulator = ServedEmulator(tmp_path / "data", **{"drop-after-commit-rate": 0.5, "seed": 3})
    try:
        manifests = write_manifests(tmp_path / "m", 10)
        argv = ["--endpoint", emulator.url, "--state", str(tmp_path / "state.json"), "--debug"]
        caplog.set_level(logging.DEBUG)
        env = {"TENCENTCLOUD_SECRET_ID": SECRET_ID, "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
               "TENCENTCLOUD_SECURITY_TOKEN": TOKEN, "NO_COLOR": "1"}  # fmt: skip
        for args in (["plan", str(manifests)], ["apply", str(manifests), "--auto-approve"]):
            result = CliRunner().invoke(cli, [*argv, *args], env=env)
            assert result.exit_code == 0, result.output
            assert not leaks(result.output)
    finally:
        emulator.stop()
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "request logs were captured"
    assert not leaks(caplog.text), leaks(caplog.text)
    for record in caplog.records:
        assert not leaks(repr(record.args)) and not leaks(str(record.msg))
