"""Any answer to ``POST /jobs`` but a definite refusal is "maybe created": never withdrawn.

The emulator commits every job for real; a WSGI middleware in front of it spoils the reply the
way an odd service build or a proxy could. Exactly once: one job per key on the service after
the next apply, whatever the unreadable reply was.
"""

from __future__ import annotations

from collections import Counter

import pytest

from reconciler.engine.workflow import Settings, apply_manifests
from reconciler.errors import ApiError
from reconciler.plan.planner import PlanOptions
from reconciler.remote.inprocess import wsgi_transport
from reconciler.state.local.store import LocalStateStore as StateStore
from tests.helpers.emulators import World
from tests.helpers.middleware import Middleware, body_to, error

UNREADABLE_2XX = {
    "empty": b"",
    "bare-response": b"<Response/>",
    "no-jobid": b"<Response><JobsDetail><State>Submitted</State></JobsDetail></Response>",
    "garbage": b"\x00\x01not xml at all",
}


def _apply(world: World, mw: Middleware) -> object:
    settings = Settings(
        state_path=world.settings.state_path, env=world.settings.env, transport=wsgi_transport(mw)
    )
    _, result = apply_manifests([world.manifests], settings, PlanOptions(), approve=lambda p: True)
    return result


def _one_job_per_key(world: World) -> None:
    jobs = world.jobs_on_service()
    per_key = Counter(j.input_object for j in jobs)
    assert len(per_key) == 4 and set(per_key.values()) == {1}, per_key
    state = StateStore(world.settings.state_path).read()
    assert {r.input_object: r.job_id for r in state.jobs.values()} == {
        j.input_object: j.job_id for j in jobs
    }


@pytest.mark.parametrize("shape", sorted(UNREADABLE_2XX))
def test_unreadable_2xx_then_next_apply_gives_exactly_one_job(world: World, shape: str) -> None:
    mw = Middleware(world.app)
    mw.add("POST /jobs", body_to(UNREADABLE_2XX[shape]))
    # The lost-reply lookup (by input object) fails too during this run, so the intents must
    # survive to the next apply.
    down = error("500 Internal Server Error", "InternalError", "down")
    listing = mw.add("GET /jobs", down, query="inputObject=")
    result = _apply(world, mw)
    assert result is not None and len(result.failures) == 4  # type: ignore[attr-defined]
    pending = StateStore(world.settings.state_path).read().jobs.values()
    assert {r.state for r in pending} == {"Pending"}, "an unreadable yes must not be withdrawn"
    assert len(world.jobs_on_service()) == 4

    mw.rules.remove(listing)
    second = _apply(world, mw)
    assert second is not None and second.failures == []  # type: ignore[attr-defined]
    _one_job_per_key(world)


def test_unreadable_2xx_is_resolved_by_the_lookup_in_the_same_run(world: World) -> None:
    mw = Middleware(world.app)
    rule = mw.add("POST /jobs", body_to(b"<Response/>"))
    result = _apply(world, mw)
    assert result is not None and result.failures == []  # type: ignore[attr-defined]
    assert rule.hits == 4  # one POST per key: adopted by marker, never re-sent
    _one_job_per_key(world)


def test_4xx_without_a_service_body_keeps_the_intent(world: World) -> None:
    mw = Middleware(world.app)
    mw.add("POST /jobs", lambda env, reply: ("400 Bad Request", [], b"<html>proxy</html>"))
    down = error("503 Service Unavailable", "ServiceUnavailable", "down")
    mw.add("GET /jobs", down, query="inputObject=")
    _apply(world, mw)
    assert {r.state for r in StateStore(world.settings.state_path).read().jobs.values()} == {
        "Pending"
    }


def test_4xx_with_a_service_error_body_withdraws(world: World) -> None:
    mw = Middleware(world.app)
    mw.add("POST /jobs", error("400 Bad Request", "InvalidArgument", "no such template"))
    result = _apply(world, mw)
    assert result is not None and len(result.failures) == 4  # type: ignore[attr-defined]
    assert StateStore(world.settings.state_path).read().jobs == {}


def test_a_failed_look_up_before_the_first_submit_submits_nothing(world: World) -> None:
    """The pre-submit scan is what makes a lost state safe: when it cannot be made, the plan
    stops (one error) instead of submitting jobs the service may already hold."""
    mw = Middleware(world.app)
    mw.add("GET /jobs", error("503 Service Unavailable", "ServiceUnavailable", "down"))
    with pytest.raises(ApiError):
        _apply(world, mw)
    assert world.jobs_on_service() == []
