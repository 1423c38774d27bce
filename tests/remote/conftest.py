"""Fixtures for the remote tests: tiny misbehaving HTTP servers and client factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reconciler.remote.client import CIClient
from tests.helpers.rawserver import (
    BUCKET,
    REGION,
    TEST_CREDS,
    Handler,
    RawServer,
    quick_retry,
)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def make_client() -> Iterator[Callable[..., CIClient]]:
    clients: list[CIClient] = []

    def make(**kwargs: object) -> CIClient:
        options: dict[str, object] = {"retry": quick_retry(), "timeout": 2.0}
        options.update(kwargs)
        client = CIClient(BUCKET, REGION, TEST_CREDS, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
