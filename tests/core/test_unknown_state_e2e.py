"""A job state the service invents, end to end (issue 14, first reproduction).

Reproduction: a ``Queued`` (or empty) state was saved as-is, and the next run refused the
state file ("field 'state' has unknown value 'Queued'") until someone edited it. Here the
emulator's job replies are rewritten on their way to us; every run after must still work,
show the state as the service said it and keep following the job until it finishes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.engine.workflow import Settings, apply_plan, make_plan, wait_jobs
from reconciler.plan.planner import PlanOptions
from reconciler.remote.inprocess import wsgi_transport
from reconciler.state.local.store import LocalStateStore as StateStore
from tests.helpers.emulators import World
from tests.helpers.middleware import proxy


def job_replies(environ: dict[str, Any]) -> bool:
    return bool(str(environ["PATH_INFO"]).startswith("/jobs"))


def saying(world: World, state: bytes) -> Settings:
    """Settings whose job replies report ``state`` for every job not yet finished."""

    def rewrite(body: bytes) -> bytes:
        for known in (b"<State>Submitted</State>", b"<State>Running</State>"):
            body = body.replace(known, state)
        return body

    return replace(world.settings, transport=wsgi_transport(proxy(world.app, rewrite, job_replies)))


def test_queued_then_empty_states_never_spoil_the_state_file(world: World) -> None:
    queued = saying(world, b"<State>Queued</State>")
    desired, plan = make_plan([world.manifests], queued, PlanOptions())
    assert apply_plan(plan, queued).failures == []
    recorded = StateStore(world.settings.state_path).read().jobs
    assert len(recorded) == 4 and {r.state for r in recorded.values()} == {"Queued"}
    assert all(r.job_id and not r.is_intent for r in recorded.values())

    silent = saying(world, b"<State/>")
    _, again = make_plan([world.manifests], silent, PlanOptions())
    assert again.changes == 0
    assert {a.reason for a in again.jobs} == {"submitted, Unknown"}
    assert apply_plan(again, silent).failures == []  # records the refreshed "Unknown"
    states = {r.state for r in StateStore(world.settings.state_path).read().jobs.values()}
    assert states == {"Unknown"}

    world.clock.advance(10)  # the emulator finishes them; the real replies come through
    outcome = wait_jobs(desired, set(desired.batches), world.settings, timeout=30,
                        on_counts=lambda counts: None)  # fmt: skip
    assert not outcome.timed_out
    assert {r.state for r in outcome.records.values()} == {"Success"}
    assert len(world.jobs_on_service()) == 4
