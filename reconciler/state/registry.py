"""Which backend serves a state: chosen once, by the location's URL scheme or its tag.

``--state`` text is parsed here (:func:`parse_location`): a plain path or ``file://`` is the
local file, ``cos://`` is COS, and any other scheme is refused in one line naming the supported
ones (it used to become a local file named ``s3:/x/y``, silently a fresh, empty state).
:func:`open_store` turns a location (from ``--state``, the manifests or a saved plan) into a
:class:`~reconciler.state.protocols.StateStore`; everything else (open, force-unlock, pull,
push) goes through that store, so nothing outside this module asks which backend it is.

A new backend is a folder ``state/<name>/`` with its store and a ``backend.py`` object that
fits :class:`Backend`, one :func:`register` line below, and its location type in
:mod:`reconciler.model.location` (which manifests and saved plans carry).
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Protocol

from reconciler.errors import ConfigError
from reconciler.model.location import StateLocation
from reconciler.state.cos.backend import COS_BACKEND
from reconciler.state.local.backend import LOCAL_BACKEND
from reconciler.state.protocols import Access, StateStore

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class Backend(Protocol):
    """One kind of state storage, as the registry needs it."""

    @property
    def name(self) -> str:
        """The tag of the locations it serves (``StateLocation.backend``)."""
        ...

    @property
    def schemes(self) -> tuple[str, ...]:
        """URL schemes it parses (``""``: a plain path)."""
        ...

    @property
    def usage(self) -> str:
        """How its URLs look, for the message that lists the supported forms."""
        ...

    def parse(self, text: str) -> StateLocation:
        """The location ``text`` names; ``ConfigError`` (one line) when malformed."""
        ...

    def connect(
        self, location: StateLocation, access: Access
    ) -> AbstractContextManager[StateStore]:
        """The store at ``location``; connections it made are closed when the context ends."""
        ...


_BY_NAME: dict[str, Backend] = {}
_BY_SCHEME: dict[str, Backend] = {}


def register(backend: Backend) -> None:
    """Serve ``backend.schemes`` and locations tagged ``backend.name`` with ``backend``."""
    _BY_NAME[backend.name] = backend
    for scheme in backend.schemes:
        _BY_SCHEME[scheme] = backend


register(LOCAL_BACKEND)
register(COS_BACKEND)


def supported() -> str:
    """The accepted forms, for messages: ``a file path, cos://BUCKET/KEY?region=REGION``."""
    return ", ".join(b.usage for b in _BY_NAME.values())


def parse_location(text: str) -> StateLocation:
    """The location ``--state``/``RECONCILER_STATE`` names; ``ConfigError`` for an unknown
    scheme or a malformed URL."""
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    backend = _BY_SCHEME.get(scheme)
    if backend is None:
        raise ConfigError(f"state {text!r}: unknown scheme {scheme}:// (supported: {supported()})")
    return backend.parse(text)


def open_store(location: StateLocation, access: Access) -> AbstractContextManager[StateStore]:
    """The store for ``location``, from the backend registered for its tag."""
    backend = _BY_NAME.get(location.backend)
    if backend is None:
        raise ConfigError(f"state {location.url}: no backend {location.backend!r} is registered")
    return backend.connect(location, access)
