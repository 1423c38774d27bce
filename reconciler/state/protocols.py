"""What every state backend offers: a :class:`StateStore` and the :class:`StateWriter` it opens.

The engine, the CLI and the conformance suite see only these two Protocols; the local file
(:mod:`.local`) and COS (:mod:`.cos`) implement them, and :mod:`.registry` picks one by the
state's URL scheme. They follow Terraform's ``statemgr`` split: reading without a lock
(Refresher), a lock with a recorded holder (Locker) and durable writes (Persister), except that
every put is durable when it returns (journalled) instead of at an explicit persist.

Rules every backend keeps (checked by ``tests/conformance``):

- ``read()`` of a state that does not exist is an empty snapshot at serial 0 and creates nothing;
  ``exists()`` says whether it exists. ``open()`` creates it (serial 0, a fresh lineage).
- The lineage never changes except by ``replace_all`` (``state push``); the serial moves by one
  at each compaction that changed the records, and never otherwise.
- ``open()`` refuses a second writer with ``LockError`` naming the holder and the lock id, after
  waiting up to ``wait_seconds``; a writer that died is recovered by the next ``open()``: every
  put that returned is in the state, and the journal's torn tail is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self

from reconciler.model.records import JobRecord, StateSnapshot, TemplateRecord
from reconciler.state.document import Document


class StateWriter(Protocol):
    """Exclusive write access to a state, held until :meth:`close` (or the ``with`` block ends).

    Puts and drops are durable when they return, and safe to call from many threads.
    """

    #: Messages for the user from opening (e.g. a dead holder's journal was recovered).
    warnings: tuple[str, ...]

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    @property
    def lock_id(self) -> str:
        """The id ``force-unlock`` takes to release this writer's lock."""
        ...

    @property
    def snapshot(self) -> StateSnapshot:
        """Everything written so far (a copy)."""
        ...

    def job(self, batch: str, input_object: str) -> JobRecord | None: ...

    def template(self, target: str, name: str) -> TemplateRecord | None: ...

    def put_job(self, rec: JobRecord) -> None: ...

    def put_jobs(self, recs: Iterable[JobRecord]) -> None: ...

    def put_template(self, rec: TemplateRecord) -> None: ...

    def drop_job(self, batch: str, input_object: str) -> None: ...

    def drop_template(self, target: str, name: str) -> None: ...

    def replace_all(self, doc: Document) -> None:
        """Make ``doc`` the state as it is: lineage, serial and records (``state push``).

        ``doc.serial`` must be above the current serial (``StateError`` otherwise): the caller
        decides what may replace what (:mod:`.transfer`)."""
        ...

    def close(self) -> None:
        """Fold the journal into a new version (if anything changed) and release the lock."""
        ...

    def abandon(self) -> None:
        """Release the lock without compacting; the journal keeps everything written."""
        ...


class StateStore(Protocol):
    """One state, named by :attr:`location`; constructing it touches nothing."""

    @property
    def location(self) -> str:
        """How messages and ``--state`` name this state: a path or a ``cos://`` URL."""
        ...

    def exists(self) -> bool:
        """Whether the state has ever been written (a fresh location has nothing yet)."""
        ...

    def read(self) -> StateSnapshot:
        """The current state, journal included, without taking the lock."""
        ...

    def verify(self) -> int:
        """Check every segment the current version names against the size and SHA-256 its
        header records, without decoding it, and return how many; ``StateError`` names the
        first that does not match. A read may take a segment's pack and never look at the
        segment; a writer opening the state makes this same check, so this says, without the
        lock, whether the next apply will accept what a plan just read."""
        ...

    def open(self, *, command: str = "", wait_seconds: float = 0.0) -> StateWriter:
        """Take the lock (waiting up to ``wait_seconds``), recover a dead writer's journal.

        ``command`` (a command name, never a command line) is shown to others in lock errors.
        """
        ...

    def force_unlock(self, lock_id: str) -> str:
        """Release the lock ``lock_id`` left by a dead holder; returns a line saying what was
        released. Refuses another lock id, or (locally) a holder that is still running."""
        ...

    def holder(self) -> str | None:
        """Who holds the lock and its lock id, read without taking it (``doctor`` stays
        read-only); None when it is free or its holder is certainly gone."""
        ...


@dataclass(frozen=True)
class Access:
    """How to reach a remote state: ``--endpoint`` (a location's own endpoint wins), the
    environment (credentials) and, for tests, an HTTP transport."""

    endpoint: str | None = None
    env: Mapping[str, str] | None = None
    transport: Any = None
    timeout: float = 30.0  # one request's deadline (--request-timeout)
