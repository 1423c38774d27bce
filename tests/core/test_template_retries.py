"""Template create and update survive transient errors; a lost create reply adopts by name.

The emulator's own fault flags (fail_rate, slowdown_rate) answer before doing anything; its
drop-after-commit flag only hits POST /jobs, so a WSGI middleware drops or spoils the reply of a
POST /template that the emulator has committed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.engine.workflow import Settings, apply_manifests
from reconciler.plan.planner import PlanOptions
from reconciler.remote.inprocess import wsgi_transport
from reconciler.state.local.store import LocalStateStore as StateStore
from tests.helpers.emulators import World
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.middleware import Middleware, Reply, body_to, drop, error


def _apply(world: World, app: Any) -> Any:
    settings = Settings(
        state_path=world.settings.state_path, env=world.settings.env, transport=wsgi_transport(app)
    )
    _, result = apply_manifests([world.manifests], settings, PlanOptions(), approve=lambda p: True)
    return result


def _templates_once(world: World) -> None:
    names = Counter(t.name for t in world.client().list_templates(page_size=100).templates)
    assert names == {"frames-640": 1, "storyboard-320": 1}, names
    recorded = StateStore(world.settings.state_path).read().templates.values()
    on_service = {t.name: t.template_id for t in world.client().list_templates().templates}
    assert {r.name: r.template_id for r in recorded} == on_service


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(drop, id="reply-dropped"),
        pytest.param(error("500 Internal Server Error", "InternalError", "x"), id="5xx-after"),
        pytest.param(body_to(b""), id="empty-2xx"),
        pytest.param(body_to(b"<Response/>"), id="bare-2xx"),
    ],
)
def test_create_whose_reply_is_lost_adopts_the_template_by_name(world: World, spoil: Any) -> None:
    mw = Middleware(world.app)
    rule = mw.add("POST /template", spoil, times=2)
    result = _apply(world, mw)
    assert result.failures == [], result.failures
    assert rule.hits == 2, "each create was sent once, then adopted by name"
    _templates_once(world)


def test_create_refused_before_commit_is_retried(world: World) -> None:
    mw = Middleware(world.app)
    left = {"n": 3}

    def refuse_first(environ: dict[str, Any]) -> Reply | None:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/template":
            if left["n"] > 0:
                left["n"] -= 1
                body = b"<Error><Code>InternalError</Code><Message>x</Message></Error>"
                return "503 Service Unavailable", [("Content-Type", "application/xml")], body
        return None

    mw.before.append(refuse_first)
    result = _apply(world, mw)
    assert result.failures == [] and left["n"] == 0
    _templates_once(world)


def test_definite_refusal_of_a_create_is_not_retried(world: World) -> None:
    mw = Middleware(world.app)
    rule = mw.add("POST /template", error("400 Bad Request", "InvalidArgument", "bad width"))
    result = _apply(world, mw)
    assert {f.code for f in result.failures} >= {"InvalidArgument"}
    assert rule.hits == 2, "one POST per template, no retry of a refusal"


@pytest.mark.parametrize("seed", [3, 7])
def test_apply_completes_under_injected_faults(world: World, seed: int) -> None:
    config = EmulatorConfig(
        credentials={SECRET_ID: SECRET_KEY}, fail_rate=0.2, slowdown_rate=0.1, seed=seed,
        clock=world.clock,
    )  # fmt: skip
    flaky = World(create_app(config), world.clock, world.settings, world.manifests)
    try:
        flaky.seed()
        result = _apply(flaky, flaky.app)
        assert result.failures == [], result.failures
        assert result.done["create_template"] == 2
        _templates_once(flaky)
        assert flaky.app.stats().get("total", 0) > 0
    finally:
        for c in flaky.clients:
            c.close()
        flaky.app.close()


@pytest.mark.parametrize(("status", "code"), [("503 Service Unavailable", "ServiceUnavailable"),
                                              ("503 Slow Down", "SlowDown")])  # fmt: skip
def test_update_is_retried_on_transient_errors(world: World, status: str, code: str) -> None:
    assert _apply(world, world.app).failures == []
    path = world.manifests / "templates.yaml"
    path.write_text(path.read_text().replace("count: 12 ", "count: 10 "))
    mw = Middleware(world.app)
    refused = {"n": 2}

    def refuse_twice(environ: dict[str, Any]) -> Reply | None:
        if environ["REQUEST_METHOD"] == "PUT" and environ["PATH_INFO"].startswith("/template/"):
            if refused["n"] > 0:
                refused["n"] -= 1
                body = f"<Error><Code>{code}</Code><Message>x</Message></Error>".encode()
                return status, [("Content-Type", "application/xml")], body
        return None

    mw.before.append(refuse_twice)
    result = _apply(world, mw)
    assert result.failures == [] and result.done["update_template"] == 1
    assert refused["n"] == 0
    frames = next(t for t in world.client().list_templates().templates if t.name == "frames-640")
    assert frames.snapshot.count == 10
