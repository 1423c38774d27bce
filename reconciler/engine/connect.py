"""Build one CIClient per target, sharing one connection pool and one submission rate limit.

Endpoints: the real service by default; a URL from ``--endpoint``/``RECONCILER_ENDPOINT`` or the
target's ``endpoint`` (the override wins); ``embedded`` runs the emulator in this process through
httpx's WSGI transport, keeping its data under ``.reconciler/emulator/``. Credentials only ever
come from the environment; the fixed demo pair is used only for the embedded emulator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import ConfigError
from reconciler.model import EMBEDDED, TargetSpec
from reconciler.remote.client import DEFAULT_TIMEOUT, CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.embedded import EMBEDDED_BASE, embedded_app, has_credentials
from reconciler.remote.inprocess import wsgi_transport
from reconciler.remote.ratelimit import RateLimiter


@dataclass
class Connections:
    """Clients by target name; closes everything it opened."""

    clients: dict[str, CIClient] = field(default_factory=dict)
    apps: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        for app in self.apps:
            app.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    targets: Mapping[str, TargetSpec],
    *,
    endpoint: str | None = None,
    env: Mapping[str, str] | None = None,
    submit_qps: float = 10.0,
    transport: Any = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Connections:
    """Clients for every target. ``transport`` (tests) replaces the network for all of them."""
    env = os.environ if env is None else env
    conns = Connections()
    # Burst 1: a burst of 10 at the 10 QPS cap occasionally overshoots the service's window
    # (one SlowDown per ~1,000 jobs in bench/throughput.py); pacing evenly costs ~0.1 s a run.
    limiter = RateLimiter(rate=submit_qps, burst=1)
    embedded: tuple[Any, Credentials] | None = None
    try:
        for name, target in sorted(targets.items()):
            where = endpoint or target.endpoint
            tp = transport
            if tp is None and where == EMBEDDED:
                if embedded is None:
                    embedded = embedded_app(env)
                    conns.apps.append(embedded[0])
                tp = wsgi_transport(embedded[0])
                creds = embedded[1]
            elif has_credentials(env):
                creds = Credentials.from_env(env)
            else:
                raise ConfigError(
                    f"target {name}: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY "
                    "(or use endpoint: embedded)"
                )
            base = EMBEDDED_BASE if where == EMBEDDED else where
            conns.clients[name] = CIClient(
                target.bucket, target.region, creds, endpoint=base, transport=tp,
                submit_limiter=limiter, timeout=timeout,
            )  # fmt: skip
    except BaseException:
        conns.close()
        raise
    return conns
