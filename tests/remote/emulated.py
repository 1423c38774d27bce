"""Running the emulator for client tests: in-process (WSGITransport) or served on loopback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from tests.helpers.clocks import OffsetClock
from tests.helpers.rawserver import REGION, quick_retry

EMU_CREDS = Credentials("AKIDroundTripId0000000000000000000", "roundTripSecretKey000000000000")


@dataclass
class Emulated:
    mode: str
    app: Any
    clock: OffsetClock
    url: str | None = None
    stop: Callable[[], None] | None = None
    clients: list[CIClient] = field(default_factory=list)

    def client(self, bucket: str = "media-1250000000", **kwargs: Any) -> CIClient:
        options: dict[str, Any] = {"retry": quick_retry(), "timeout": 10.0}
        options.update(kwargs)
        creds = options.pop("credentials", EMU_CREDS)
        if "http" in options:
            pass  # the borrowed httpx.Client already knows where to go
        elif self.mode == "inprocess":
            options.setdefault("transport", httpx.WSGITransport(app=self.app))
        else:
            options.setdefault("endpoint", self.url)
        client = CIClient(bucket, REGION, creds, **options)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()
        if self.stop is not None:
            self.stop()
        close = getattr(self.app, "close", None)
        if close is not None:
            close()
