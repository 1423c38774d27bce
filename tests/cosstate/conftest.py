"""A served emulator and COS state stores on it (real HTTP, signed requests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import RunningServer, start_background
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.state.cos.store import CosStateStore
from tests.core.conftest import (
    SECRET_ID,
    SECRET_KEY,
    world,  # noqa: F401  (the fixture, by name)
)

STATE_BUCKET = "tfstate-1250000000"
REGION = "ap-chongqing"
KEY = "teams/media/state.json"


@pytest.fixture
def served() -> Iterator[RunningServer]:
    config = EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=60, seed=3)
    running = start_background(config)
    yield running
    running.stop()


def client(url: str) -> CIClient:
    return CIClient(STATE_BUCKET, REGION, Credentials(SECRET_ID, SECRET_KEY), endpoint=url)


def state_url(url: str) -> str:
    return f"cos://{STATE_BUCKET}/{KEY}?region={REGION}&endpoint={url}"


@pytest.fixture
def cos(served: RunningServer) -> Iterator[CIClient]:
    with client(served.url) as c:
        yield c


def store(objects: CIClient, lease: float = 30.0) -> CosStateStore:
    return CosStateStore(objects, KEY, name=f"cos://{STATE_BUCKET}/{KEY}", lease_seconds=lease)
