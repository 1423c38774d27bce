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

from ..errors import ConfigError
from ..model import StateBackendSpec
from .cosstore import CosStateStore
from .lease import lease_seconds
from .records import StateSnapshot
from .store import StateStore

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
) -> Iterator[StateBackend]:
    """The configured store; a COS store's connection is closed on exit."""
    if spec is None:
        yield StateStore(path)
        return
    from ..remote.client import CIClient
    from ..remote.credentials import Credentials

    env = os.environ if env is None else env
    if not (env.get("TENCENTCLOUD_SECRET_ID") and env.get("TENCENTCLOUD_SECRET_KEY")):
        raise ConfigError(
            f"state {spec.url}: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY"
        )
    client = CIClient(
        spec.bucket, spec.region, Credentials.from_env(env),
        endpoint=spec.endpoint or endpoint, transport=transport,
    )  # fmt: skip
    try:
        yield CosStateStore(client, spec.key, name=spec.url, lease_seconds=lease_seconds(env))
    finally:
        client.close()
