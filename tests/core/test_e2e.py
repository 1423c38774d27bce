"""End to end against the emulator: apply the examples, re-plan, change, add inputs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from reconciler.engine.workflow import apply_plan, make_plan
from reconciler.plan.planner import PlanOptions
from reconciler.state.local.store import LocalStateStore
from tests.helpers.emulators import World, apply_all


def _kinds(actions: object) -> Counter[str]:
    return Counter(a.kind for a in actions)  # type: ignore[attr-defined]


def test_apply_examples_then_plan_again_is_empty_and_free(world: World) -> None:
    apply_all(world)
    state = LocalStateStore(world.settings.state_path).read()
    assert {r.state for r in state.jobs.values()} == {"Success"}
    assert len(state.jobs) == 4 and len(state.templates) == 2
    assert len(world.jobs_on_service()) == 4

    world.app.reset_stats()
    _, plan = make_plan([world.manifests], world.settings, PlanOptions())
    assert plan.changes == 0
    stats = world.app.stats()
    job_calls = {op: n for op, n in stats.items() if "/jobs" in op}
    assert job_calls == {}, "finished jobs must cost no calls"
    # one template page for the target and one listing page for the prefix batch
    assert stats["total"] == 2, stats


def test_template_change_updates_in_place_and_resubmits_its_jobs(world: World) -> None:
    apply_all(world)
    before = LocalStateStore(world.settings.state_path).read()
    path = world.manifests / "templates.yaml"
    path.write_text(path.read_text().replace("count: 12 ", "count: 10 "))

    _, plan = make_plan([world.manifests], world.settings, PlanOptions())
    updates = [a for a in plan.templates if a.kind == "update_template"]
    assert [(a.name, [(c.path, c.old, c.new) for c in a.changes]) for a in updates] == [
        ("frames-640", [("count", 12, 10)])
    ]
    submits = [a for a in plan.jobs if a.kind == "submit_job"]
    assert {a.batch for a in submits} == {"archive-2026"} and len(submits) == 2
    assert {a.reason for a in submits} == {"re-submit: template content changed"}

    assert apply_plan(plan, world.settings).failures == []
    after = LocalStateStore(world.settings.state_path).read()
    key = ("media", "frames-640")
    assert after.templates[key].template_id == before.templates[key].template_id
    remote = world.client().get_templates([after.templates[key].template_id])
    assert remote[0].snapshot.count == 10
    assert len(world.jobs_on_service()) == 6
    resubmitted = after.jobs[("archive-2026", "videos/2026/intro.mp4")]
    old = before.jobs[("archive-2026", "videos/2026/intro.mp4")]
    assert resubmitted.job_id != old.job_id and resubmitted.previous_job_ids == (old.job_id,)


def test_adding_inputs_submits_only_those(world: World) -> None:
    apply_all(world)
    world.client().put_object("videos/launch/extra.mp4", b"more video")
    world.client().put_object("videos/2026/new.mp4", b"new upload under the prefix")
    path: Path = world.manifests / "batches.yaml"
    text = path.read_text()
    path.write_text(
        text.replace(
            "      - videos/launch/trailer.mp4\n",
            "      - videos/launch/trailer.mp4\n      - videos/launch/extra.mp4\n",
        )
    )
    _, plan = make_plan([world.manifests], world.settings, PlanOptions())
    submits = sorted(f"{a.batch}/{a.input_object}" for a in plan.jobs if a.kind == "submit_job")
    assert submits == [
        "archive-2026/videos/2026/new.mp4",
        "launch-trailers/videos/launch/extra.mp4",
    ]
    assert _kinds(plan.templates) == Counter({"keep_template": 2})
    assert apply_plan(plan, world.settings).failures == []
    assert len(world.jobs_on_service()) == 6
