"""Pick the state backend from the settings: the local file (default) or COS.

``--state FILE`` keeps meaning a local file; ``--state cos://BUCKET/KEY?region=REGION`` (optional
``&endpoint=URL``) puts the state on COS. The reconcile core only sees :class:`StateBackend`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from reconciler.errors import ConfigError
from reconciler.model import EMBEDDED, StateBackendSpec
from reconciler.model.records import StateSnapshot
from reconciler.state.cos.lease import lease_seconds
from reconciler.state.cos.store import CosStateStore
from reconciler.state.local.store import StateStore

COS_SCHEME = "cos://"


class StateBackend(Protocol):
    """What the core needs of a state store (``StateStore`` and ``CosStateStore`` both fit)."""

    def read(self) -> StateSnapshot: ...

    def open(self, *, command: str = "", wait_seconds: float = 0.0) -> Any: ...


def parse_state_url(text: str) -> StateBackendSpec:
    """``cos://bucket/key?region=ap-chongqing[&endpoint=URL]`` -> spec; ConfigError otherwise."""
    parts = urlsplit(text)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    key = parts.path.lstrip("/")
    unknown = sorted(set(query) - {"region", "endpoint"})
    if parts.scheme != "cos" or not parts.netloc or not key or unknown or not query.get("region"):
        raise ConfigError(
            f"state URL {text!r} must look like cos://BUCKET/KEY?region=REGION "
            "(optionally &endpoint=URL)"
        )
    return StateBackendSpec(parts.netloc, query["region"], key, query.get("endpoint"))


def is_state_url(text: str | None) -> bool:
    return bool(text) and str(text).startswith(COS_SCHEME)


@contextmanager
def state_backend(
    path: Path,
    spec: StateBackendSpec | None,
    *,
    endpoint: str | None = None,
    env: Mapping[str, str] | None = None,
    transport: Any = None,
    timeout: float = 30.0,
) -> Iterator[StateBackend]:
    """The configured store; a COS store's connection (and embedded emulator) is closed on exit.

    ``spec`` None (or a local spec) is the file at ``path`` (a local spec's own path wins).
    """
    if spec is None or spec.is_local:
        yield StateStore(path if spec is None else Path(spec.key))
        return
    from reconciler.remote.client import CIClient

    env = os.environ if env is None else env
    where = spec.endpoint or endpoint
    with _cos_access(spec, where, env, transport) as (credentials, base, tp):
        client = CIClient(
            spec.bucket, spec.region, credentials, endpoint=base, transport=tp, timeout=timeout
        )  # fmt: skip
        try:
            yield CosStateStore(client, spec.key, name=spec.url, lease_seconds=lease_seconds(env))
        finally:
            client.close()


@contextmanager
def _cos_access(
    spec: StateBackendSpec, where: str | None, env: Mapping[str, str], transport: Any
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
