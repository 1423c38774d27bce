"""Where the state lives: a tagged union of the backends' locations.

A location is plain data (manifests declare it, saved plans record it, ``--state`` gives it);
opening it is :mod:`reconciler.state.registry`'s job. ``backend`` is the tag: it names the
registered backend that serves the location and is how a saved plan records which kind it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard


@dataclass(frozen=True)
class LocalState:
    """A state file on this machine (relative paths: to the working directory)."""

    path: str
    backend: Literal["local"] = field(default="local", init=False)

    @property
    def url(self) -> str:
        """How messages name it, in the form ``--state`` takes: the path itself."""
        return self.path


@dataclass(frozen=True)
class CosState:
    """A state under one COS object key (its versions, journal and lease are siblings).

    ``endpoint`` None means the real service; ``"embedded"`` the built-in emulator; a URL (e.g.
    a served emulator) otherwise.
    """

    bucket: str
    region: str
    key: str
    endpoint: str | None = None
    backend: Literal["cos"] = field(default="cos", init=False)

    @property
    def url(self) -> str:
        """``cos://bucket/key?region=...[&endpoint=...]``, the form ``--state`` takes."""
        where = f"&endpoint={self.endpoint}" if self.endpoint else ""
        return f"cos://{self.bucket}/{self.key}?region={self.region}{where}"


StateLocation = LocalState | CosState


def location_from_data(raw: Mapping[str, Any]) -> StateLocation:
    """A location from its saved-plan form (``to_data`` of one of the classes above).

    Plans saved before the union recorded a local file as ``{"bucket": "", "region": "",
    "key": PATH, "backend": "local"}``; that form is still read. Raises ``ValueError`` on
    anything else, which the plan reader reports as a damaged plan.
    """
    backend = raw.get("backend", "cos")
    if backend == "local":
        path = raw.get("path", raw.get("key"))
        if not isinstance(path, str) or not path:
            raise ValueError(f"a local state location needs a path, not {path!r}")
        return LocalState(path)
    if backend == "cos":
        bucket, region, key = (raw.get(name) for name in ("bucket", "region", "key"))
        endpoint = raw.get("endpoint")
        if not (_text(bucket) and _text(region) and _text(key)) or not isinstance(
            endpoint, str | None
        ):
            raise ValueError("a cos state location needs bucket, region and key strings")
        return CosState(bucket, region, key, endpoint)
    raise ValueError(f"unknown state backend {backend!r}")


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)
