"""Template A -> B -> A: the outputs of the first A jobs were overwritten by B, so A runs
again; that holds with the state intact (the record's superseded job IDs) and with the state
lost (a newer job on the service wrote the same outputs)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from reconciler.model import JobDetail, JobOutput, JobRequest
from reconciler.model.records import JobRecord
from reconciler.plan.actions import AdoptJob, SubmitJob
from reconciler.plan.adopt import adopt_jobs, marker_of
from reconciler.plan.expand import marker_for, with_marker
from reconciler.plan.observed import Lookup
from reconciler.plan.planner import adopt_found, build_plan
from tests.core.plan_cases import CASES, load_case
from tests.helpers.checks import per_submission
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import apply_served as apply
from tests.helpers.processes import run_served as run

N = 6


pytestmark = pytest.mark.emulator(job_seconds=0.5, seed=3)


def template(manifests: Path, count: int) -> None:
    path = manifests / "load.yaml"
    text = path.read_text()
    path.write_text(
        text.replace("count: 3,", f"count: {count},").replace("count: 4,", f"count: {count},")
    )


def markers_per_input(url: str) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = {}
    for (input_object, marker), n in per_submission(url).items():
        out.setdefault(input_object, []).extend([marker] * n)
    return out


def test_a_b_a_with_the_state_intact_runs_a_again(tmp_path: Path, server: RunningServer) -> None:
    manifests, state = write_manifests(tmp_path / "m", N), tmp_path / "state.json"
    apply(server, state, manifests)
    template(manifests, 4)
    apply(server, state, manifests)
    template(manifests, 3)
    plan = run(server, state, "plan", str(manifests))
    assert f"re-submit: template content changed  [{N}]" in plan.output, plan.output
    assert "adopt: found" not in plan.output
    apply(server, state, manifests)
    counts = per_submission(server.url)
    assert sorted(counts.values()) == [1] * N + [2] * N  # A twice per key, B once


def test_a_b_then_a_lost_state_runs_a_again(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", N)
    apply(server, tmp_path / "old.json", manifests)
    template(manifests, 4)
    apply(server, tmp_path / "old.json", manifests)
    fresh = tmp_path / "fresh.json"
    template(manifests, 3)  # back to A, with a new state: B's jobs are the newest outputs
    plan = run(server, fresh, "plan", str(manifests))
    assert f"submit: new job  [{N}]" in plan.output and "adopt: found" not in plan.output
    template(manifests, 4)  # B itself is found and adopted
    plan = run(server, fresh, "plan", str(manifests))
    assert f"adopt: found on the service  [{N}]" in plan.output, plan.output


def _job(job_id: str, marker: str, obj: str = "out/a/f-${number}.jpg") -> JobDetail:
    output = JobOutput("ap-chongqing", "out-1", obj)
    return JobDetail(job_id, "Success", "in/a.mp4", "2026-01-01T00:00:00+0800", output=output,
                     user_data=with_marker("note", marker))  # fmt: skip


def _submit(fingerprint: str) -> SubmitJob:
    output = JobOutput("ap-chongqing", "out-1", "out/a/f-${number}.jpg")
    request = JobRequest(input_object="in/a.mp4", output=output)
    return SubmitJob("b", "in/a.mp4", "t", None, request, fingerprint, "new job")


def test_adoption_rule_on_plain_data() -> None:
    a, b = marker_for("b", "in/a.mp4", "A"), marker_for("b", "in/a.mp4", "B")
    assert marker_of(with_marker("x", a)) == a and marker_of("x" + a) is None
    older_a, newer_b, newest_a = _job("j1", a), _job("j2", b), _job("j3", a)
    # newest first, as the service lists: an A job followed by a B job writing the same output
    lost = Lookup("2026-01-01T00:00:00Z", {"t": (newer_b, older_a)})
    assert adopt_jobs([_submit("A")], lost, {}) == (_submit("A"),)
    found = adopt_jobs([_submit("B")], lost, {})
    assert isinstance(found[0], AdoptJob) and found[0].job_id == "j2"
    # A again after B: adopted, unless the record already superseded it
    again = Lookup("2026-01-01T00:00:00Z", {"t": (newest_a, newer_b, older_a)})
    assert adopt_jobs([_submit("A")], again, {})[0].job_id == "j3"  # type: ignore[union-attr]
    record = JobRecord("b", "in/a.mp4", "t", "B", b, "Success", "2026-01-01T00:00:00Z",
                       job_id="j2", previous_job_ids=("j3",))  # fmt: skip
    assert adopt_jobs([_submit("A")], again, {("b", "in/a.mp4"): record}) == (_submit("A"),)
    # a job writing another output does not hide the candidate
    elsewhere = _job("j4", b, obj="other/f-${number}.jpg")
    moved = Lookup("2026-01-01T00:00:00Z", {"t": (elsewhere, older_a)})
    assert adopt_jobs([_submit("A")], moved, {})[0].job_id == "j1"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["fresh", "pending_intent", "template_content_change"])
def test_planner_adopts_from_observed_lookup(name: str) -> None:
    """``build_plan`` with ``observed.lookup`` adopts exactly what ``adopt_found`` adds to the
    plan made without it (the engine's shortcut), and only the listed submissions."""
    case = load_case(CASES / f"{name}.json")
    args = (case["desired"], case["templates"], case["jobs"])
    plain = build_plan(*args, case["observed"], case["state"], case["options"])
    submits = [a for a in plain.jobs if isinstance(a, SubmitJob)]
    assert submits, name
    listed = tuple(
        JobDetail(
            f"j{i}",
            "Success",
            a.input_object,
            output=a.request.output,
            user_data=with_marker(None, marker_for(a.batch, a.input_object, a.fingerprint)),
        )  # fmt: skip
        for i, a in enumerate(submits[::2])
    )
    lookup = Lookup("2026-01-01T00:00:00Z", {submits[0].target: listed}, requests=1)
    observed = replace(case["observed"], lookup=lookup)
    looked = build_plan(*args, observed, case["state"], case["options"])
    assert looked == adopt_found(plain, lookup, case["jobs"])
    adopted = [a for a in looked.jobs if isinstance(a, AdoptJob)]
    assert [a.input_object for a in adopted] == [a.input_object for a in submits[::2]]
    assert looked.lookup_requests == 1 and looked.lookup_jobs == len(listed)
