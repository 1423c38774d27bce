"""Saved plans go stale only when what they decided could change: a record an action acts on,
or a pinned listing. Jobs finishing (recorded by wait) do not; a stale plan is refused before
anything of it is printed; options that would change a saved plan are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import RunningServer, start_background
from reconciler.state.local.store import LocalStateStore as StateStore
from tests.core.clikit import job_count, run, seed, write_batches
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.planlines import header, job_lines, write_sealed

PLAN_TEXT_MARKERS = ("Plan:", "to submit", "submit job")


pytestmark = pytest.mark.emulator(job_seconds=0.5, seed=9)


@pytest.fixture
def world(tmp_path: Path, server: RunningServer) -> tuple[Path, Path]:
    seed(server, [f"in/alpha-{i:04d}.mp4" for i in range(4)])
    return write_batches(tmp_path / "m", {"alpha": 2}), tmp_path / "state.json"


def assert_refused_before_printing(output: str, *expected: str) -> None:
    assert not any(m in output for m in PLAN_TEXT_MARKERS), output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    for text in expected:
        assert text in lines[0], output


def test_jobs_finishing_do_not_make_a_saved_plan_stale(
    tmp_path: Path, server: RunningServer, world: tuple[Path, Path]
) -> None:
    manifests, state = world
    assert run(server, state, "apply", str(manifests), "--auto-approve").exit_code == 0
    write_batches(manifests, {"alpha": 3})  # one more job, reviewed while the others run
    planfile = tmp_path / "plan.json"
    planned = run(server, state, "plan", str(manifests), "--out", str(planfile))
    assert planned.exit_code == 0 and "1 to submit" in planned.output, planned.output
    doc = header(planfile.read_text())
    assert doc["format_version"] == 3
    assert {p["kind"] for p in doc["pins"]} == {"template"}  # job pins are on the job lines
    pinned = [ln for ln in job_lines(planfile.read_text()) if "pin" in ln]
    assert [(p["action"]["batch"], p["action"]["input_object"]) for p in pinned] == [
        ("alpha", "in/alpha-0002.mp4")
    ]
    waited = run(server, state, "wait", str(manifests))  # the state moves: jobs finish
    assert waited.exit_code == 0 and "Success" in waited.output, waited.output
    # A plan made a moment later would have carried "Running" for the first job: those older
    # facts must not overwrite the Success that wait recorded since.
    key = ("alpha", "in/alpha-0000.mp4")
    job_id = StateStore(state).read().jobs[key].job_id
    doc["refreshed"] = [{"batch": key[0], "input_object": key[1], "job_id": job_id,
                         "state": "Running"}]  # fmt: skip
    write_sealed(planfile, doc, job_lines(planfile.read_text()))
    applied = run(server, state, "apply", str(planfile))
    assert applied.exit_code == 0, applied.output
    assert job_count(server) == 3
    assert StateStore(state).read().jobs[key].state == "Success"
    assert run(server, state, "wait", str(manifests)).exit_code == 0


def test_a_moved_template_record_makes_the_plan_stale(
    tmp_path: Path, server: RunningServer, world: tuple[Path, Path]
) -> None:
    manifests, state = world
    assert run(server, state, "apply", str(manifests), "--auto-approve").exit_code == 0
    planfile = tmp_path / "plan.json"
    write_batches(manifests, {"alpha": 2}, count=5)  # the template changes: update + re-submit
    assert run(server, state, "plan", str(manifests), "--out", str(planfile)).exit_code == 0
    write_batches(manifests, {"alpha": 2}, count=7)  # another change lands first
    assert run(server, state, "apply", str(manifests), "--auto-approve").exit_code == 0
    before = job_count(server)
    refused = run(server, state, "apply", str(planfile))
    assert refused.exit_code == 1
    assert_refused_before_printing(refused.output, "stale", "template load/load-tpl")
    assert job_count(server) == before


def test_a_changed_listing_makes_the_plan_stale(
    tmp_path: Path, server: RunningServer, world: tuple[Path, Path]
) -> None:
    manifests, state = world
    text = (manifests / "load.yaml").read_text()
    listed = text.replace(
        "    objects:\n      - in/alpha-0000.mp4\n      - in/alpha-0001.mp4\n", "    prefix: in/\n"
    )
    assert listed != text
    (manifests / "load.yaml").write_text(listed)
    planfile = tmp_path / "plan.json"
    assert run(server, state, "plan", str(manifests), "--out", str(planfile)).exit_code == 0
    seed(server, ["in/alpha-0009.mp4"])
    refused = run(server, state, "apply", str(planfile))
    assert refused.exit_code == 1
    assert_refused_before_printing(refused.output, "objects under 'in/' changed")
    assert job_count(server) == 0


@pytest.mark.parametrize(
    ("flags", "named"),
    [(["--prune"], "--prune"), (["--retry-failed"], "--retry-failed"),
     (["--batch", "alpha"], "--batch")],
)  # fmt: skip
def test_options_that_would_change_a_saved_plan_are_refused(
    tmp_path: Path, server: RunningServer, world: tuple[Path, Path], flags: list[str], named: str
) -> None:
    manifests, state = world
    planfile = tmp_path / "plan.json"
    assert run(server, state, "plan", str(manifests), "--out", str(planfile)).exit_code == 0
    refused = run(server, state, "apply", str(planfile), *flags)
    assert refused.exit_code == 1
    assert_refused_before_printing(refused.output, f"{named} cannot be used with a saved plan")
    fine = run(server, state, "apply", str(planfile), "--auto-approve")
    assert fine.exit_code == 0, fine.output
    assert job_count(server) == 2


def test_a_plan_of_an_older_format_is_refused_with_a_clear_line(
    tmp_path: Path, server: RunningServer, world: tuple[Path, Path]
) -> None:
    manifests, state = world
    planfile = tmp_path / "plan.json"
    assert run(server, state, "plan", str(manifests), "--out", str(planfile)).exit_code == 0
    text = planfile.read_text()
    doc = {**header(text), "jobs": [ln["action"] for ln in job_lines(text)]}
    del doc["line"]
    # Format 2 was one indented document, format 1 the same without pins (any layout).
    for version, dumped in ((2, json.dumps(doc, indent=1, sort_keys=True)),
                            (1, json.dumps({**doc, "format_version": 1}))):  # fmt: skip
        planfile.write_text(dumped.replace('"format_version": 3', f'"format_version": {version}'))
        refused = run(server, state, "apply", str(planfile))
        assert refused.exit_code == 1
        assert_refused_before_printing(
            refused.output, f"plan format {version} was made by an older reconciler",
            "make the plan again",
        )  # fmt: skip
    assert job_count(server) == 0


def test_a_planned_cancel_of_a_job_that_finished_since_only_forgets_it(tmp_path: Path) -> None:
    slow = start_background(
        EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=1.5, seed=4)
    )
    try:
        seed(slow, ["in/alpha-0000.mp4", "in/beta-0000.mp4"])
        both = write_batches(tmp_path / "both", {"alpha": 1, "beta": 1})
        only = write_batches(tmp_path / "only", {"alpha": 1})
        state, planfile = tmp_path / "state.json", tmp_path / "plan.json"
        assert run(slow, state, "apply", str(both), "--auto-approve").exit_code == 0
        planned = run(slow, state, "plan", str(only), "--prune", "--out", str(planfile))
        assert "cancel" in planned.output, planned.output  # beta is still running
        assert run(slow, state, "wait", str(both)).exit_code == 0  # ... and now it finished
        applied = run(slow, state, "apply", str(planfile))
        assert applied.exit_code == 0, applied.output
        status = json.loads(run(slow, state, "status", str(both), "--json").output)
        assert list(status["batches"]) == ["alpha"]  # beta's record is gone, nothing failed
    finally:
        slow.stop()
