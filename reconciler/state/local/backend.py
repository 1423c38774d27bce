"""The local file as a registered backend: plain paths and ``file://`` URLs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reconciler.errors import ConfigError
from reconciler.model.location import LocalState, StateLocation
from reconciler.state.local.store import LocalStateStore
from reconciler.state.protocols import Access, StateStore


class LocalBackend:
    """``PATH`` or ``file:///abs/path`` -> :class:`LocalState` -> :class:`LocalStateStore`."""

    name = "local"
    schemes = ("", "file")
    usage = "a file path or file:///PATH"

    def parse(self, text: str) -> StateLocation:
        if not text.lower().startswith("file://"):
            return LocalState(text)
        parts = urlsplit(text)
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path or parts.query:
            raise ConfigError(f"state URL {text!r} must look like file:///ABSOLUTE/PATH")
        return LocalState(path)

    @contextmanager
    def connect(self, location: StateLocation, access: Access) -> Iterator[StateStore]:
        if not isinstance(location, LocalState):
            raise TypeError(f"the local backend cannot open {location!r}")
        yield LocalStateStore(Path(location.path))


LOCAL_BACKEND = LocalBackend()
