"""Fixtures for end-to-end tests: a real emulator (in-process or served), real state files.

Nothing of ours is mocked: manifests are YAML files copied from examples/, requests go over HTTP
(httpx's WSGI transport or a loopback socket) to the emulator, the state is a file in tmp_path.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig, create_app
from reconciler.engine.workflow import Settings
from reconciler.errors import ApiError
from reconciler.model import JobDetail
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET_ID = "AKIDe2eTestIdentity0000000000000000"
SECRET_KEY = "e2eTestSecretKeyNeverPrinted0123"
ENV = {"TENCENTCLOUD_SECRET_ID": SECRET_ID, "TENCENTCLOUD_SECRET_KEY": SECRET_KEY}


def reply_variants() -> int | None:
    """``make test`` runs the end-to-end and exactly-once suites a second time with the
    emulator sending documented-but-unusual reply shapes (``RECONCILER_TEST_REPLY_VARIANTS``
    = the seed), so the client proves it tolerates them end to end."""
    seed = os.environ.get("RECONCILER_TEST_REPLY_VARIANTS")
    return int(seed) if seed else None


def list_all_jobs(client: CIClient) -> list[JobDetail]:
    """Every job of the client's bucket, listed over the API page by page (queue by queue when
    the emulator is told to refuse listings that name no queue)."""
    queues: list[str | None] = [None]
    if client.list_queues() and _needs_queue(client):
        queues = [q.queue_id for q in client.list_queues()]
    jobs: list[JobDetail] = []
    for queue in queues:
        token = ""
        while True:
            page = client.list_jobs(size=100, next_token=token, queue_id=queue)
            jobs.extend(page.jobs)
            if not page.next_token or not page.jobs:
                break
            token = page.next_token
    return jobs


def _needs_queue(client: CIClient) -> bool:
    try:
        client.list_jobs(size=1)
    except ApiError as error:
        return error.status == 400
    return False


@dataclass
class Clock:
    """Emulator time that only moves when a test says so."""

    now: float = field(default_factory=time.time)  # starts now: requests are signed with real time

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class World:
    app: EmulatorApp
    clock: Clock
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


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = Clock()
    app = create_app(
        EmulatorConfig(
            credentials={SECRET_ID: SECRET_KEY},
            job_seconds=5,
            clock=clock,
            reply_variants=reply_variants(),
        )  # fmt: skip
    )
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    for name in ("target.yaml", "templates.yaml", "batches.yaml"):
        shutil.copy(EXAMPLES / name, manifests / name)
    settings = Settings(state_path=tmp_path / "state.json", env=ENV, transport=wsgi_transport(app))
    w = World(app, clock, settings, manifests)
    w.seed()
    yield w
    for c in w.clients:
        c.close()
    app.close()
