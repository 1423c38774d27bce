"""Fixtures for the emulator tests: an in-process app behind httpx.WSGITransport (with an
injected clock and the tests' own q-sign signer), and the same app served on loopback for the
official Python SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.emulator.server import RunningServer, start_background
from tests.helpers.clocks import ManualClock
from tests.helpers.emulator_http import (
    CI,
    REGION,
    SID,
    SKEY,
    T0,
    Local,
    QSign,
)


@pytest.fixture
def make_local(tmp_path: Any) -> Iterator[Callable[..., Local]]:
    made: list[Local] = []

    def make(**overrides: Any) -> Local:
        clock = overrides.pop("clock", None) or ManualClock(T0)
        cfg = EmulatorConfig(credentials={SID: SKEY}, clock=clock, **overrides)
        app = create_app(cfg)
        http = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=CI, auth=QSign(clock))
        local = Local(app, clock, http)
        made.append(local)
        return local

    yield make
    for local in made:
        local.http.close()
        local.app.close()


@pytest.fixture
def local(make_local: Callable[..., Local]) -> Local:
    return make_local(job_seconds=10.0)


@pytest.fixture
def make_served() -> Iterator[Callable[..., RunningServer]]:
    servers: list[RunningServer] = []

    def make(**overrides: Any) -> RunningServer:
        creds = overrides.pop("credentials", {SID: SKEY})
        server = start_background(EmulatorConfig(credentials=creds, **overrides))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def served(make_served: Callable[..., RunningServer]) -> RunningServer:
    return make_served(job_seconds=0.3)


@pytest.fixture
def make_sdk() -> Iterator[Callable[..., Any]]:
    """Official SDK clients (cos-python-sdk-v5) pointed at a served emulator."""
    from qcloud_cos import CosConfig, CosS3Client

    clients: list[Any] = []

    def make(server: RunningServer, secret_key: str = SKEY, **kw: Any) -> Any:
        conf = CosConfig(
            Region=REGION,
            SecretId=kw.pop("secret_id", SID),
            SecretKey=secret_key,
            Domain=f"127.0.0.1:{server.port}",
            Scheme="http",
            Timeout=10,
            **kw,
        )
        client = CosS3Client(conf, retry=0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client._session.close()
