"""Durable state: template IDs and per-job submissions, safe against crashes and concurrency.

Every backend is a :class:`StateStore` (:mod:`.protocols`): ``read()`` gives a snapshot without
locking; ``open()`` locks the state and returns a :class:`StateWriter` whose puts are durable
(journalled, group-committed across threads) when they return. :mod:`.registry` chooses the
backend from the state's location; ``LocalStateStore(path)`` is the local file directly.
"""

from reconciler.model.records import (
    JobRecord,
    StateSnapshot,
    TemplateRecord,
)
from reconciler.model.times import utc_now
from reconciler.state.document import STATE_VERSION
from reconciler.state.local.lock import LockInfo, break_lock
from reconciler.state.local.store import LocalStateStore, LocalStateWriter
from reconciler.state.protocols import StateStore, StateWriter

__all__ = [
    "STATE_VERSION",
    "JobRecord",
    "LocalStateStore",
    "LocalStateWriter",
    "LockInfo",
    "StateSnapshot",
    "StateStore",
    "StateWriter",
    "TemplateRecord",
    "break_lock",
    "utc_now",
]
