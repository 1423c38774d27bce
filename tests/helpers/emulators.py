"""The emulator for tests: in-process behind httpx's WSGI transport (``World``) or served on a
loopback port (``serve``). Nothing of ours is mocked: requests are signed and go over HTTP."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.emulator import EmulatorApp, EmulatorConfig, create_app
from reconciler.emulator.server import RunningServer, start_background
from reconciler.engine.workflow import Settings, apply_plan, make_plan, wait_jobs
from reconciler.model import JobDetail
from reconciler.plan.planner import PlanOptions
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport
from tests.helpers.checks import list_all_jobs
from tests.helpers.clocks import ManualClock
from tests.helpers.identity import ENV, SECRET_ID, SECRET_KEY
from tests.helpers.manifests import EXAMPLES, copy_examples


def reply_variants() -> int | None:
    """``make test`` runs the end-to-end and exactly-once suites a second time with the
    emulator sending documented-but-unusual reply shapes (``RECONCILER_TEST_REPLY_VARIANTS``
    = the seed), so the client proves it tolerates them end to end."""
    seed = os.environ.get("RECONCILER_TEST_REPLY_VARIANTS")
    return int(seed) if seed else None


def serve(**config: Any) -> RunningServer:
    """The emulator served on a loopback port in a background thread (defaults: jobs take 60 s,
    seed 7, reply variants as the environment says); ``config`` overrides any EmulatorConfig
    field, e.g. fault rates."""
    options: dict[str, Any] = {
        "job_seconds": 60, "seed": 7, "reply_variants": reply_variants(), **config,
    }  # fmt: skip
    return start_background(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, **options))


@contextmanager
def served(**config: Any) -> Iterator[RunningServer]:
    running = serve(**config)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class World:
    """An in-process emulator whose clock only moves when a test says so, the example manifests
    copied to ``manifests`` and settings that point the engine at both."""

    app: EmulatorApp
    clock: ManualClock
    settings: Settings
    manifests: Path
    clients: list[CIClient] = field(default_factory=list)

    def client(self, bucket: str = "media-1250000000") -> CIClient:
        c = CIClient(
            bucket, "ap-chongqing", Credentials(SECRET_ID, SECRET_KEY),
            endpoint="http://emulator.invalid", transport=wsgi_transport(self.app),
        )  # fmt: skip
        self.clients.append(c)
        return c

    def seed(self) -> None:
        media = self.client()
        for line in (EXAMPLES / "demo-objects.txt").read_text().splitlines():
            key = line.split(" #", 1)[0].strip()
            if key and not key.startswith("#"):
                media.put_object(key, b"video " + key.encode())

    def jobs_on_service(self) -> list[JobDetail]:
        return list_all_jobs(self.client())

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.app.close()


def make_world(tmp_path: Path) -> World:
    # starts now: requests are signed with real time
    clock = ManualClock(time.time())
    app = create_app(
        EmulatorConfig(
            credentials={SECRET_ID: SECRET_KEY},
            job_seconds=5,
            clock=clock,
            reply_variants=reply_variants(),
        )  # fmt: skip
    )
    manifests = copy_examples(tmp_path / "manifests")
    settings = Settings(state_path=tmp_path / "state.json", env=ENV, transport=wsgi_transport(app))
    world = World(app, clock, settings, manifests)
    world.seed()
    return world


def apply_all(world: World) -> None:
    desired, plan = make_plan([world.manifests], world.settings, PlanOptions())
    result = apply_plan(plan, world.settings)
    assert result.failures == []
    world.clock.advance(10)
    outcome = wait_jobs(
        desired, set(desired.batches), world.settings, timeout=30, on_counts=lambda c: None
    )
    assert not outcome.timed_out
