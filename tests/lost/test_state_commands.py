"""``state rebuild|list|show|rm`` on the served emulator, their --help, and the messages that
say which state is used and what restoring its backup means."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.commands import cli
from reconciler.emulator.server import RunningServer
from reconciler.state.local.store import LocalStateStore as StateStore
from tests.helpers.checks import assert_one_per_key
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import apply_served as apply
from tests.helpers.processes import run_served as run

pytestmark = pytest.mark.emulator(job_seconds=0.5, seed=3)


def test_rebuild_reconstructs_a_lost_state(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 12)
    original = tmp_path / "a.json"
    apply(server, original, manifests)
    write_manifests(tmp_path / "m", 14)  # two keys never submitted
    lost = tmp_path / "b.json"
    result = run(server, lost, "state", "rebuild", str(manifests))
    assert result.exit_code == 0, result.output
    assert "Templates found by name: 1; not found: 0" in result.output
    assert "batch load: 12 job(s) found by marker" in result.output
    assert "Job keys not found: 2" in result.output and "load/in/video-0013.mp4" in result.output
    ids = {k: r.job_id for k, r in StateStore(original).read().jobs.items()}
    rebuilt = StateStore(lost).read()
    assert {k: r.job_id for k, r in rebuilt.jobs.items()} == ids
    assert set(rebuilt.templates) == set(StateStore(original).read().templates)
    again = run(server, lost, "state", "rebuild", str(manifests))
    assert again.exit_code == 1 and "is not empty (1 template(s), 12 job(s))" in again.output
    assert run(server, lost, "state", "rebuild", "--force", str(manifests)).exit_code == 0
    apply(server, lost, manifests)
    assert_one_per_key(server.url, 14, lost)


def test_list_show_rm(tmp_path: Path, server: RunningServer) -> None:
    manifests, state = write_manifests(tmp_path / "m", 3), tmp_path / "state.json"
    apply(server, state, manifests)
    listed = run(server, state, "state", "list").output.splitlines()
    assert listed == ["template/load/load-tpl"] + [
        f"job/load/in/video-{i:04d}.mp4" for i in range(3)
    ]
    shown = run(server, state, "state", "show", "job/load/in/video-0001.mp4")
    record = StateStore(state).read().jobs[("load", "in/video-0001.mp4")]
    assert f"job_id            = {record.job_id}" in shown.output
    assert f"marker            = {record.marker}" in shown.output
    bad = run(server, state, "state", "rm", "job/load/in/video-0001.mp4", "job/load/nope")
    assert bad.exit_code == 1 and "no record 'job/load/nope'" in bad.output
    assert len(StateStore(state).read().jobs) == 3  # nothing removed
    assert run(server, state, "state", "show", "nonsense").exit_code == 1
    removed = run(server, state, "state", "rm", "job/load/in/video-0001.mp4")
    assert removed.exit_code == 0 and "the service was not changed" in removed.output
    assert len(StateStore(state).read().jobs) == 2
    plan = run(server, state, "plan", str(manifests))
    assert "adopt: found on the service  [1]" in plan.output  # looked up, not re-submitted
    apply(server, state, manifests)
    assert_one_per_key(server.url, 3, state)


@pytest.mark.parametrize("command", ["rebuild", "list", "show", "rm"])
def test_every_new_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, ["state", command, "--help"])
    assert result.exit_code == 0 and "Usage: cli state " + command in result.output


def test_corrupt_state_message_tells_the_truth_about_the_backup(
    tmp_path: Path, server: RunningServer
) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"version": 1, "serial": ')
    result = run(server, state, "plan", str(write_manifests(tmp_path / "m", 1)))
    assert result.exit_code == 1
    assert "one write behind" in result.output and "looks jobs up" in result.output
    assert f"cp {state}.backup {state}" in result.output


def test_bad_lookup_window_is_one_line(tmp_path: Path, server: RunningServer) -> None:
    result = run(server, tmp_path / "s.json", "--lookup-window", "soon", "plan", str(tmp_path))
    assert result.exit_code == 1 and "lookup window 'soon' must look like 7d" in result.output
    assert len(result.output.strip().splitlines()) == 1
