"""COS as a registered backend: ``cos://BUCKET/KEY?region=REGION[&endpoint=URL]`` URLs."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reconciler.errors import ConfigError
from reconciler.model import EMBEDDED
from reconciler.model.location import CosState, StateLocation
from reconciler.state.cos.lease import lease_seconds
from reconciler.state.cos.store import CosStateStore
from reconciler.state.protocols import Access, StateStore


class CosBackend:
    """``cos://`` -> :class:`CosState` -> :class:`CosStateStore` over a signed CI client."""

    name = "cos"
    schemes = ("cos",)
    usage = "cos://BUCKET/KEY?region=REGION"

    def parse(self, text: str) -> StateLocation:
        parts = urlsplit(text)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        key = parts.path.lstrip("/")
        unknown = sorted(set(query) - {"region", "endpoint"})
        if not parts.netloc or not key or unknown or not query.get("region"):
            raise ConfigError(
                f"state URL {text!r} must look like cos://BUCKET/KEY?region=REGION "
                "(optionally &endpoint=URL)"
            )
        return CosState(parts.netloc, query["region"], key, query.get("endpoint"))

    @contextmanager
    def connect(self, location: StateLocation, access: Access) -> Iterator[StateStore]:
        """The store; its connection (and an embedded emulator) is closed on exit."""
        if not isinstance(location, CosState):
            raise TypeError(f"the cos backend cannot open {location!r}")
        from reconciler.remote.client import CIClient

        env = os.environ if access.env is None else access.env
        where = location.endpoint or access.endpoint
        with _cos_access(location, where, env, access.transport) as (credentials, base, tp):
            client = CIClient(
                location.bucket, location.region, credentials, endpoint=base, transport=tp,
                timeout=access.timeout,
            )  # fmt: skip
            try:
                yield CosStateStore(
                    client, location.key, name=location.url, lease_seconds=lease_seconds(env)
                )
            finally:
                client.close()


@contextmanager
def _cos_access(
    spec: CosState, where: str | None, env: Mapping[str, str], transport: Any
) -> Iterator[tuple[Any, str | None, Any]]:
    """(credentials, base URL, transport) for the state's COS; ``embedded`` runs the emulator
    in this process (as targets do), so a COS state can be tried without an account."""
    from reconciler.remote.credentials import Credentials

    if where == EMBEDDED and transport is None:
        from reconciler.remote.embedded import EMBEDDED_BASE, embedded_app
        from reconciler.remote.inprocess import wsgi_transport

        app, credentials = embedded_app(env)
        try:
            yield credentials, EMBEDDED_BASE, wsgi_transport(app)
        finally:
            app.close()
        return
    if not (env.get("TENCENTCLOUD_SECRET_ID") and env.get("TENCENTCLOUD_SECRET_KEY")):
        raise ConfigError(
            f"state {spec.url}: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY"
            " (or use endpoint: embedded)"
        )
    from reconciler.remote.embedded import EMBEDDED_BASE

    yield Credentials.from_env(env), EMBEDDED_BASE if where == EMBEDDED else where, transport


COS_BACKEND = CosBackend()
