"""Issue 12's reproductions on the served emulator: a state that is missing, moved, restored
from its backup or overwritten by an older copy must not bill any job twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from tests.helpers.checks import assert_one_per_key
from tests.helpers.cosstate import state_url
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import apply_served as apply
from tests.helpers.processes import run_served as run

pytestmark = pytest.mark.emulator(job_seconds=0.5, seed=3)


def test_another_directory_adopts_instead_of_submitting(
    tmp_path: Path, server: RunningServer
) -> None:
    manifests = write_manifests(tmp_path / "m", 30)
    apply(server, tmp_path / "a" / "state.json", manifests)
    other = tmp_path / "b" / "state.json"
    plan = run(server, other, "plan", str(manifests))
    assert plan.exit_code == 0, plan.output
    assert f"State: {other} (does not exist yet" in plan.output
    assert "state is new; found on the service: 1 template(s) by name, 30 marked job(s)" in (
        plan.output
    )
    assert "adopt: found on the service  [30]" in plan.output
    assert "job(s) to submit" not in plan.output and "Billable work: none" in plan.output
    done = apply(server, other, manifests)
    assert "Apply complete: adopt job 30, adopt template 1; 0 failed." in done.output
    assert_one_per_key(server.url, 30, other)
    again = run(server, other, "plan", str(manifests), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_fresh_cos_key_adopts(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 20)
    apply(server, tmp_path / "state.json", manifests)
    url = state_url(server.url)
    plan = run(server, url, "plan", str(manifests))
    assert "State: cos://" in plan.output and "does not exist yet" in plan.output
    apply(server, url, manifests)
    assert_one_per_key(server.url, 20)
    listed = run(server, url, "state", "list")
    assert listed.output.count("job/load/") == 20


def test_restored_backup_adopts_the_last_apply(tmp_path: Path, server: RunningServer) -> None:
    state = tmp_path / "state.json"
    apply(server, state, write_manifests(tmp_path / "m", 10))
    apply(server, state, write_manifests(tmp_path / "m", 25))  # 15 more: only the state knows
    shutil.copy(state.with_name("state.json.backup"), state)  # as the corrupt-state error says
    plan = run(server, state, "plan", str(tmp_path / "m"))
    assert "adopt: found on the service  [15]" in plan.output, plan.output
    apply(server, state, tmp_path / "m")
    assert_one_per_key(server.url, 25, state)


def test_older_push_over_cos_adopts(tmp_path: Path, server: RunningServer) -> None:
    url = state_url(server.url)
    apply(server, url, write_manifests(tmp_path / "m", 10))
    old = tmp_path / "old.json"
    assert run(server, url, "state", "pull", "--out", str(old)).exit_code == 0
    apply(server, url, write_manifests(tmp_path / "m", 22))
    pushed = run(server, url, "state", "push", "--force", str(old))
    assert pushed.exit_code == 0, pushed.output
    plan = run(server, url, "plan", str(tmp_path / "m"))
    assert "adopt: found on the service  [12]" in plan.output, plan.output
    apply(server, url, tmp_path / "m")
    assert_one_per_key(server.url, 22)


def test_saved_plan_adopts_what_appeared_since(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 12)
    state, planfile = tmp_path / "s" / "state.json", tmp_path / "plan.json"
    made = run(server, state, "plan", str(manifests), "--out", str(planfile))
    assert "submit" in made.output
    apply(server, tmp_path / "elsewhere.json", manifests)  # submits all 12 meanwhile
    result = run(server, state, "apply", str(planfile))
    assert result.exit_code == 0, result.output
    assert_one_per_key(server.url, 12, state)


def test_intact_noop_lists_no_jobs(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 15)
    state = tmp_path / "state.json"
    apply(server, state, manifests)
    server.app.reset_stats()
    plan = run(server, state, "plan", str(manifests))
    assert "Looked up" not in plan.output
    stats = server.app.stats()
    assert "GET /jobs" not in stats and stats["total"] <= 2, stats


def test_saved_plan_with_adoptions_applies_them(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 9)
    apply(server, tmp_path / "first.json", manifests)
    state, planfile = tmp_path / "second.json", tmp_path / "plan.json"
    made = run(server, state, "plan", str(manifests), "--out", str(planfile))
    assert "adopt: found on the service  [9]" in made.output, made.output
    result = run(server, state, "apply", str(planfile))
    assert result.exit_code == 0, result.output
    assert "Apply complete: adopt job 9, adopt template 1; 0 failed." in result.output
    assert_one_per_key(server.url, 9, state)
