"""Durable state: template IDs and per-job submissions, safe against crashes and concurrency.

``StateStore(path).read()`` gives a snapshot without locking; ``StateStore(path).open()`` locks
the state and returns a :class:`StateWriter` whose puts are durable (journalled and fsynced,
group-committed across threads) when they return.
"""

from reconciler.model.records import (
    FINISHED_STATES,
    JOB_STATES,
    JobRecord,
    StateSnapshot,
    TemplateRecord,
    utc_now,
)
from reconciler.state.document import STATE_VERSION
from reconciler.state.local.lock import LockInfo, break_lock
from reconciler.state.local.store import StateStore, StateWriter

__all__ = [
    "FINISHED_STATES",
    "JOB_STATES",
    "STATE_VERSION",
    "JobRecord",
    "LockInfo",
    "StateSnapshot",
    "StateStore",
    "StateWriter",
    "TemplateRecord",
    "break_lock",
    "utc_now",
]
