"""Fixtures shared by every suite; the code behind them lives in tests/helpers/.

``server`` is the emulator served on a loopback port for one test; a module configures it with
``pytestmark = pytest.mark.emulator(job_seconds=0.3, seed=3, ...)`` (any EmulatorConfig field).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from tests.helpers.emulators import World, make_world
from tests.helpers.emulators import served as served_emulator


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    marker = request.node.get_closest_marker("emulator")
    with served_emulator(**(marker.kwargs if marker else {})) as running:
        yield running


@pytest.fixture
def served() -> Iterator[RunningServer]:
    """The served emulator of the state suites (seed 3, default jobs)."""
    with served_emulator(seed=3) as running:
        yield running
