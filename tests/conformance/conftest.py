"""One harness per state backend, so every conformance test runs against both stores.

Like Terraform's ``statemgr`` test helpers, the tests only see the Protocols (``StateStore``,
``StateWriter``); what differs per backend lives here: how a fresh location is made, where its
storage can be listed, and how a writer "dies" without closing (the local flock is released as
the kernel would on ``kill -9``, leaving the lock record and the journal; the COS lease stops
being renewed and the injected clock moves past its expiry). COS runs on the emulator in this
process over ``httpx.WSGITransport``: real signed HTTP requests, no socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport
from tests.helpers.conformance import Harness, cos_harness, local_harness
from tests.helpers.cosstate import REGION, STATE_BUCKET
from tests.helpers.identity import SECRET_ID, SECRET_KEY


@pytest.fixture(params=["local", "cos"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "local":
        yield local_harness(tmp_path)
        return
    app = create_app(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}))
    client = CIClient(
        STATE_BUCKET, REGION, Credentials(SECRET_ID, SECRET_KEY),
        endpoint="http://emulator.invalid", transport=wsgi_transport(app),
    )  # fmt: skip
    try:
        yield cos_harness(client)
    finally:
        client.close()
        app.close()
