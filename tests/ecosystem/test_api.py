"""The Python API runs the same flow as the CLI against the in-process emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import ApplyOutcome, Plan, Reconciler, StatusReport
from reconciler.errors import ManifestError, PlanError
from tests.helpers.emulators import World


def api(world: World) -> Reconciler:
    s = world.settings
    return Reconciler(state_path=s.state_path, env=s.env, transport=s.transport)


def test_plan_apply_wait_status_round_trip(world: World) -> None:
    rc = api(world)
    desired = rc.load(world.manifests)
    assert set(desired.batches) == {"launch-trailers", "archive-2026"}

    plan = rc.plan([world.manifests])
    assert isinstance(plan, Plan)
    assert plan.changes == 6  # 2 templates to create, 4 jobs to submit

    outcome = rc.apply(world.manifests)
    assert isinstance(outcome, ApplyOutcome) and outcome.ok
    assert outcome.result is not None and outcome.result.done["submit_job"] == 4
    assert len(world.jobs_on_service()) == 4

    running = rc.status(world.manifests)
    assert isinstance(running, StatusReport)
    assert sum(b.counts["Submitted"] + b.counts["Running"] for b in running.batches.values()) == 4
    assert not any(b.finished for b in running.batches.values())

    world.clock.advance(10)
    seen: list[dict[str, int]] = []
    done = rc.wait(world.manifests, timeout=30, on_counts=lambda c: seen.append(dict(c)))
    assert not done.timed_out and done.failed == ()
    assert seen[-1] == {"Success": 4}
    assert all(b.finished for b in done.batches.values())
    trailers = done.batches["launch-trailers"].jobs
    assert [j.input_object for j in trailers] == [
        "videos/launch/teaser.mp4",
        "videos/launch/trailer.mp4",
    ]
    assert all(j.outputs and j.sprites for j in trailers)

    doc = rc.status(world.manifests).to_dict()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["batches"]["archive-2026"]["counts"] == {"Success": 2}
    assert rc.plan(world.manifests).changes == 0


def test_declined_apply_changes_nothing(world: World) -> None:
    rc = api(world)
    seen: list[Plan] = []
    outcome = rc.apply(world.manifests, approve=lambda p: seen.append(p) or False)
    assert outcome.result is None and outcome.ok
    assert seen and seen[0].changes == 6
    assert world.jobs_on_service() == []


def test_saved_plan_applies_once_then_is_stale(world: World, tmp_path: Path) -> None:
    rc = api(world)
    path = tmp_path / "plan.json"
    rc.save_plan(rc.plan(world.manifests), path)
    first = rc.apply_plan(path)
    assert first.ok and first.result is not None
    assert first.result.done["submit_job"] == 4
    with pytest.raises(PlanError, match="stale"):
        rc.apply_plan(path)
    assert len(world.jobs_on_service()) == 4


def test_errors_are_the_library_exceptions(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: reconciler/v1\nkind: Target\nmetadata: {name: x}\nspec: {}\n")
    with pytest.raises(ManifestError) as info:
        api(world).plan(bad)
    assert info.value.problems
