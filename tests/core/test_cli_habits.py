"""Terraform's habits: --batch targeting, --lock-timeout, approval only by typing yes,
force-unlock confirmation, -q everywhere, and NO_COLOR / --no-color stripping every style."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import click
import pytest

from reconciler.cli.options import Duration
from reconciler.emulator.server import RunningServer
from reconciler.state.local.lock import StateLock, lock_paths
from tests.core.clikit import (
    PYTHON,
    cli_args,
    invoke,
    job_count,
    run,
    run_in_pty,
    seed,
    subprocess_env,
    write_batches,
)
from tests.helpers.planlines import header, jobs

ANSI = "\x1b["


pytestmark = pytest.mark.emulator(job_seconds=0.2, seed=5)


@pytest.fixture
def manifests(tmp_path: Path, server: RunningServer) -> Path:
    seed(server, [f"in/{b}-{i:04d}.mp4" for b in ("alpha", "beta") for i in range(3)])
    seed(server, ["in/small-0000.mp4"])
    return write_batches(tmp_path / "m", {"alpha": 3, "beta": 3, "small": 1})


def test_batch_targets_plan_apply_status_and_wait(tmp_path: Path, server: RunningServer,
                                                   manifests: Path) -> None:  # fmt: skip
    state = tmp_path / "state.json"
    planned = run(server, state, "plan", str(manifests), "--json", "--batch", "beta").output
    assert {j["batch"] for j in jobs(planned)} == {"beta"}
    assert header(planned)["options"]["batches"] == ["beta"]
    applied = run(server, state, "apply", str(manifests), "--auto-approve", "--batch", "beta",
                  "--batch", "small", "--wait")  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert job_count(server) == 4
    # Out of view is left alone: alpha is still to submit, nothing of beta is forgotten.
    rest = header(run(server, state, "plan", str(manifests), "--json").output)
    assert rest["summary"] == {"keep_job": 4, "keep_template": 1, "submit_job": 3}
    only_alpha = json.loads(
        run(server, state, "status", str(manifests), "--json", "--batch", "alpha").output
    )
    assert only_alpha["batches"] == {}
    beta = json.loads(
        run(server, state, "status", str(manifests), "--json", "--batch", "beta").output
    )
    assert list(beta["batches"]) == ["beta"]
    waited = run(server, state, "wait", str(manifests), "--batch", "small")
    assert waited.exit_code == 0 and "batch small" in waited.output and "beta" not in waited.output


def test_unknown_batch_is_one_line_with_a_suggestion(tmp_path: Path, server: RunningServer,
                                                    manifests: Path) -> None:  # fmt: skip
    for command in ("plan", "apply", "status", "wait"):
        result = run(server, tmp_path / "s.json", command, str(manifests), "--batch", "betta")
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines() == [
            "Error: --batch 'betta': no such batch (did you mean 'beta'?); "
            "batches: alpha, beta, small"
        ]


def test_lock_timeout_waits_for_the_lock(tmp_path: Path, server: RunningServer,
                                         manifests: Path) -> None:  # fmt: skip
    state = tmp_path / "state.json"
    holder = StateLock(state)
    holder.acquire("test holder", 0)
    try:
        refused = run(server, state, "apply", str(manifests), "--auto-approve")
        assert refused.exit_code == 1 and "held by" in refused.output
        assert job_count(server) == 0
        threading.Timer(1.0, holder.release).start()
        waited = run(server, state, "apply", str(manifests), "--auto-approve",
                     "--lock-timeout", "1m")  # fmt: skip
        assert waited.exit_code == 0, waited.output
        assert job_count(server) == 7
    finally:
        holder.release()


def test_approval_needs_the_word_yes(tmp_path: Path, server: RunningServer,
                                     manifests: Path) -> None:  # fmt: skip
    state = tmp_path / "state.json"
    argv = [*PYTHON, *cli_args(server, state, "apply", str(manifests))]
    env = subprocess_env({"NO_COLOR": "1"})
    code, out = run_in_pty(argv, env=env, cwd=tmp_path, answer=b"y\n")
    assert code == 1 and "apply cancelled; nothing was changed" in out, out
    assert job_count(server) == 0
    still = header(run(server, state, "plan", str(manifests), "--json").output)
    assert still["summary"] == {"create_template": 1, "submit_job": 7}
    code, out = run_in_pty(argv, env=env, cwd=tmp_path, answer=b"yes\n")
    assert code == 0 and "Apply complete" in out, out
    assert job_count(server) == 7
    piped = run(server, tmp_path / "other.json", "apply", str(manifests))
    assert piped.exit_code == 1
    assert "stdin is not a terminal (use --auto-approve)" in piped.output


def test_force_unlock_asks_unless_forced(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    _, info = lock_paths(state)
    info.write_text(json.dumps({"lock_id": "dead-1", "owner": "ci", "pid": 999999,
                                "host": "gone", "created": "2026-01-01T00:00:00Z"}))  # fmt: skip
    asked = invoke("--state", str(state), "force-unlock", "dead-1")
    assert asked.exit_code == 1 and "use --force" in asked.output and info.exists()
    argv = [*PYTHON, "--state", str(state), "force-unlock", "dead-1"]
    code, out = run_in_pty(argv, env=subprocess_env(), cwd=tmp_path, answer=b"no\n")
    assert code == 1 and "cancelled" in out and info.exists(), out
    code, out = run_in_pty(argv, env=subprocess_env(), cwd=tmp_path, answer=b"yes\n")
    assert code == 0 and not info.exists(), out
    info.write_text(json.dumps({"lock_id": "dead-2", "owner": "ci", "pid": 999999,
                                "host": "gone", "created": "2026-01-01T00:00:00Z"}))  # fmt: skip
    forced = invoke("--state", str(state), "force-unlock", "dead-2", "--force")
    assert forced.exit_code == 0 and not info.exists(), forced.output


def test_quiet_prints_only_the_summary(tmp_path: Path, server: RunningServer,
                                       manifests: Path) -> None:  # fmt: skip
    state = tmp_path / "state.json"

    def lines(*args: str) -> list[str]:
        result = run(server, state, "-q", *args)
        assert result.exit_code == 0, result.output
        return result.output.strip().splitlines()

    assert lines("plan", str(manifests)) == ["Plan: 1 to create, 7 to submit; 0 unchanged."]
    applied = lines("apply", str(manifests), "--auto-approve")
    assert len(applied) == 1 and applied[0].startswith("Apply complete: "), applied
    waited = lines("wait", str(manifests))
    assert waited == ["jobs: Success 7"]
    assert lines("status", str(manifests)) == ["jobs: Success 7"]
    assert lines("validate", str(manifests)) == ["ok: 1 target, 1 template, 3 batches, 7 jobs"]


@pytest.mark.parametrize("command", ["plan", "status"])
def test_no_color_strips_every_style(tmp_path: Path, server: RunningServer, manifests: Path,
                                     command: str) -> None:  # fmt: skip
    state = tmp_path / "state.json"
    assert run(server, state, "apply", str(manifests), "--auto-approve", "--wait").exit_code == 0
    if command == "plan":  # something to colour: a job to submit
        seed(server, ["in/alpha-0003.mp4"])
        write_batches(manifests, {"alpha": 4, "beta": 3, "small": 1})
    argv = [*PYTHON, *cli_args(server, state, command, str(manifests))]
    env = subprocess_env({"TERM": "xterm-256color"})
    code, styled = run_in_pty(argv, env=env, cwd=tmp_path)
    assert code == 0 and ANSI in styled, styled  # on a terminal, styles are on by default
    for flags, extra in ((["--no-color"], {}), ([], {"NO_COLOR": "1"})):
        code, plain = run_in_pty([*PYTHON, *flags, *argv[len(PYTHON):]],
                                 env={**env, **extra}, cwd=tmp_path)  # fmt: skip
        assert code == 0 and ANSI not in plain and "\x1b" not in plain, plain


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0), ("0.5", 0.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert Duration().convert(text, None, None) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m", "1s2m", "-3s", "-3", "nan", "inf"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(click.BadParameter):
        Duration().convert(text, None, None)
