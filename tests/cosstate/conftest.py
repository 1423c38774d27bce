"""Fixtures of the COS state suite: an object client on the served emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.emulator.server import RunningServer
from reconciler.remote.client import CIClient
from tests.helpers.cosstate import client


@pytest.fixture
def cos(served: RunningServer) -> Iterator[CIClient]:
    with client(served.url) as c:
        yield c
