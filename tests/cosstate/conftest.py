"""A served emulator and COS state stores on it (real HTTP, signed requests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import RunningServer, start_background
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.state.clock import SYSTEM_CLOCK, Clock
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


class ManualClock:
    """A clock that moves only when told (or when the lease sleeps), so lease expiry is tested
    in microseconds. ``sleep`` also yields the CPU briefly so other threads can run."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.wall = start
        self.mono = 1000.0
        self._mutex = threading.Lock()

    def time(self) -> float:
        with self._mutex:
            return self.wall

    def monotonic(self) -> float:
        with self._mutex:
            return self.mono

    def advance(self, seconds: float) -> None:
        with self._mutex:
            self.wall += seconds
            self.mono += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        time.sleep(0.005)


def store(objects: CIClient, lease: float = 30.0, clock: Clock = SYSTEM_CLOCK) -> CosStateStore:
    return CosStateStore(
        objects, KEY, name=f"cos://{STATE_BUCKET}/{KEY}", lease_seconds=lease, clock=clock
    )
