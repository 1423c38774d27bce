"""One CLI test per exit code of the contract (README, design.md): 0, 1 (usage errors
included, never 2), 2 (only plan --detailed-exitcode), 3 (only jobs of this run), 4, 130."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import RunningServer, start_background
from tests.core.clikit import (
    PYTHON,
    cli_args,
    default_sigint,
    invoke,
    job_count,
    run,
    seed,
    subprocess_env,
    write_batches,
)
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.manifests import write_manifests

pytestmark = pytest.mark.emulator(job_seconds=0.3, seed=3)


def test_exit_0_on_success(tmp_path: Path) -> None:
    result = invoke("validate", str(write_manifests(tmp_path / "m", 2)))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],  # missing argument
        ["plan", ".", "--no-such-flag"],  # unknown option
        ["deploy", "."],  # unknown command
        ["wait", ".", "--timeout", "soon"],  # bad value
        ["apply", ".", "--lock-timeout", "a while"],  # bad duration
        ["--endpoint", "127.0.0.1:9311", "status", "."],  # endpoint without a scheme
        [],  # no command at all
    ],
)
def test_usage_errors_exit_1_never_2(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Error" in result.output or "Usage" in result.output


def test_endpoint_without_scheme_is_refused_at_once_with_one_line(tmp_path: Path) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    result = invoke("--endpoint", "127.0.0.1:9311", "plan", str(manifests))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        "Error: --endpoint '127.0.0.1:9311' is not a URL: give the scheme, e.g. "
        "http://127.0.0.1:9311 (or 'embedded')"
    ]


def test_exit_2_only_for_detailed_exitcode_with_changes(
    tmp_path: Path, server: RunningServer
) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    state = tmp_path / "state.json"
    assert run(server, state, "plan", str(manifests)).exit_code == 0
    assert run(server, state, "plan", str(manifests), "--detailed-exitcode").exit_code == 2


def test_exit_3_judges_only_the_jobs_of_this_run(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 2)
    seed(server, ["in/video-0000.mp4"])  # video-0001 is missing: its job Fails
    state = tmp_path / "state.json"
    first = run(server, state, "apply", str(manifests), "--auto-approve", "--wait")
    assert first.exit_code == 3, first.output
    assert "1 job(s) of this run failed" in first.output
    # Nothing changed since: the old failure no longer fails apply --wait or wait ...
    again = run(server, state, "apply", str(manifests), "--auto-approve", "--wait")
    assert again.exit_code == 0, again.output
    waited = run(server, state, "wait", str(manifests))
    assert waited.exit_code == 0, waited.output
    # ... but status still shows it.
    status = json.loads(run(server, state, "status", str(manifests), "--json").output)
    assert status["batches"]["load"]["counts"] == {"Success": 1, "Failed": 1}
    # A retry that fails again is this run's failure.
    retried = run(
        server, state, "apply", str(manifests), "--auto-approve", "--retry-failed", "--wait"
    )
    assert retried.exit_code == 3, retried.output


def test_wait_exit_3_only_for_jobs_it_waited_for(tmp_path: Path) -> None:
    slow = start_background(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=1))
    try:
        manifests = write_batches(tmp_path / "m", {"bad": 1, "good": 1})
        seed(slow, ["in/good-0000.mp4"])  # bad-0000 is missing: its job Fails
        state = tmp_path / "state.json"
        bad = run(slow, state, "apply", str(manifests), "--auto-approve", "--batch", "bad")
        assert bad.exit_code == 0, bad.output
        assert run(slow, state, "wait", str(manifests)).exit_code == 3  # waited for it
        good = run(slow, state, "apply", str(manifests), "--auto-approve", "--batch", "good")
        assert good.exit_code == 0, good.output
        waited = run(slow, state, "wait", str(manifests))  # only good-0000 was unfinished
        assert waited.exit_code == 0, waited.output
        assert "Failed in/bad-0000.mp4" in waited.output  # still shown
    finally:
        slow.stop()


def test_exit_4_when_waiting_times_out(tmp_path: Path) -> None:
    slow = start_background(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=600))
    try:
        manifests = write_manifests(tmp_path / "m", 1)
        state = tmp_path / "state.json"
        assert run(slow, state, "apply", str(manifests), "--auto-approve").exit_code == 0
        result = run(slow, state, "wait", str(manifests), "--timeout", "0.3")
        assert result.exit_code == 4, result.output
        assert "timed out after 0.3s" in result.output
    finally:
        slow.stop()


def test_exit_130_on_ctrl_c_during_apply_says_what_was_done(tmp_path: Path) -> None:
    """SIGINT while submitting: the in-flight submissions finish and are recorded, the user is
    told how far it got, and a re-run submits the rest: every job exactly once."""
    slowed = start_background(
        EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=600, latency_ms=50)
    )
    try:
        n = 60
        manifests = write_manifests(tmp_path / "m", n)
        state = tmp_path / "state.json"
        argv = [*PYTHON, *cli_args(slowed, state, "apply", str(manifests), "--auto-approve")]
        argv[argv.index("200")] = "10"  # 60 jobs at 10 per second: about 6 s
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=subprocess_env({"NO_COLOR": "1"}), cwd=tmp_path, preexec_fn=default_sigint,
        )  # fmt: skip
        time.sleep(2.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, out + err
        assert "Traceback" not in err
        line = err.strip().splitlines()[-1]
        assert line.startswith("Error: interrupted: ") and "re-run to continue" in line, err
        submitted = int(line.split("interrupted: ")[1].split(" job(s) submitted")[0])
        left = int(line.split("submitted, ")[1].split(" left")[0])
        assert 0 < submitted < n and submitted + left == n
        assert job_count(slowed) == submitted
        rerun = subprocess.run(
            [a if a != "10" else "200" for a in argv], capture_output=True, text=True,
            env=subprocess_env({"NO_COLOR": "1"}), cwd=tmp_path, check=False,
        )  # fmt: skip
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert job_count(slowed) == n
    finally:
        slowed.stop()
