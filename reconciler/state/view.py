"""The in-memory records of an open state, shared by the local and the COS writer.

Both writers keep the whole state in memory and journal every put and drop before it returns;
only where the journal lives (a local file, COS chunk objects) and how the state is compacted
and released differ. So the record view, the journal lines it writes and the close sequence
live here once, over the :class:`GroupCommit` the backend's journal provides.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Self

from reconciler.errors import StateError
from reconciler.model.records import JobRecord, StateSnapshot, TemplateRecord
from reconciler.state.document import (
    STATE_VERSION,
    Document,
    render_header,
    render_records,
)
from reconciler.state.entries import (
    DROP_JOB,
    DROP_TEMPLATE,
    PUT_JOB,
    PUT_TEMPLATE,
    Entry,
    encode,
)
from reconciler.state.groupcommit import GroupCommit

_Key = tuple[str, str]


def replay(doc: Document, entries: list[Entry]) -> None:
    """Apply journal entries in order; full-record puts and drops make replay idempotent."""
    for op, value in entries:
        if op == PUT_JOB:
            doc.jobs[value.key] = value
        elif op == DROP_JOB:
            doc.jobs.pop(value, None)
        elif op == PUT_TEMPLATE:
            doc.templates[value.key] = value
        else:
            doc.templates.pop(value, None)


def snapshot_of(doc: Document, pending_journal: int) -> StateSnapshot:
    """A read-only snapshot over ``doc``'s records (not copied: ``doc`` must not change)."""
    return StateSnapshot(
        version=doc.version,
        serial=doc.serial,
        lineage=doc.lineage,
        templates=MappingProxyType(doc.templates),
        jobs=MappingProxyType(doc.jobs),
        pending_journal=pending_journal,
    )


def _forget(records: dict[_Key, JobRecord] | dict[_Key, TemplateRecord], key: _Key) -> None:
    records.pop(key, None)


class RecordView(ABC):
    """Exclusive, thread-safe write access to a state's records; use as a context manager.

    ``name`` names the state in errors. Subclasses provide compaction (:meth:`compact`), what
    :meth:`close` does between sealing the journal and releasing (:meth:`_finish`) and the
    release itself (:meth:`abandon`).
    """

    def __init__(self, name: str, doc: Document, file_bytes: bytes, commit: GroupCommit) -> None:
        self._name = name
        self._lineage, self._serial = doc.lineage, doc.serial
        self._templates: dict[_Key, TemplateRecord] = doc.templates
        self._jobs: dict[_Key, JobRecord] = doc.jobs
        self._file_bytes = file_bytes
        self._commit = commit
        self._close_lock = threading.Lock()
        self._closed = False
        self.warnings: tuple[str, ...] = ()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def snapshot(self) -> StateSnapshot:
        """Everything written so far (a copy: O(records); use :meth:`job` for single lookups)."""
        with self._commit.lock:
            doc = Document(
                STATE_VERSION, self._serial, self._lineage, dict(self._templates), dict(self._jobs)
            )
            return snapshot_of(doc, self._commit.entries)

    def job(self, batch: str, input_object: str) -> JobRecord | None:
        """One job record, without copying the state."""
        with self._commit.lock:
            return self._jobs.get((batch, input_object))

    def template(self, target: str, name: str) -> TemplateRecord | None:
        """One template record, without copying the state."""
        with self._commit.lock:
            return self._templates.get((target, name))

    def _write(self, lines: list[bytes], apply: Callable[[], None]) -> None:
        if self._closed:
            raise StateError(f"state {self._name} is closed; open it again to write")
        self._commit.append(lines, apply)

    def put_template(self, rec: TemplateRecord) -> None:
        line = encode(self._lineage, PUT_TEMPLATE, rec)
        self._write([line], lambda: self._templates.__setitem__(rec.key, rec))

    def drop_template(self, target: str, name: str) -> None:
        line = encode(self._lineage, DROP_TEMPLATE, (target, name))
        self._write([line], lambda: _forget(self._templates, (target, name)))

    def put_job(self, rec: JobRecord) -> None:
        """Record ``rec``; it is durable when this returns (the write shared with other threads)."""
        self.put_jobs((rec,))

    def put_jobs(self, recs: Iterable[JobRecord]) -> None:
        """Record many jobs with one journal write (one fsync locally, one chunk PUT on COS)."""
        batch = list(recs)
        if not batch:
            return
        lines = [encode(self._lineage, PUT_JOB, rec) for rec in batch]
        self._write(lines, lambda: self._jobs.update((rec.key, rec) for rec in batch))

    def drop_job(self, batch: str, input_object: str) -> None:
        line = encode(self._lineage, DROP_JOB, (batch, input_object))
        self._write([line], lambda: _forget(self._jobs, (batch, input_object)))

    def _next_version(self) -> bytes | None:
        """The document at serial + 1 when the records or lineage differ from the version last
        written (``_file_bytes``), else None: the serial moves only when the content changed."""
        records = render_records(self._templates, self._jobs)
        header = render_header(self._serial, self._lineage)
        last = self._file_bytes
        if len(last) == len(header) + len(records) and last.startswith(header):
            if last.endswith(records):
                return None
        return render_header(self._serial + 1, self._lineage) + records

    @abstractmethod
    def compact(self, *, force: bool = False) -> None:
        """Fold the journal into a new state version."""

    def close(self) -> None:
        """Compact, then release the lock or lease; idempotent; released even on failure."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._commit.seal()  # later puts fail; earlier ones are in the compaction
                self._finish()
            finally:
                self.abandon()

    @abstractmethod
    def _finish(self) -> None:
        """The work of :meth:`close` between sealing the journal and releasing."""

    @abstractmethod
    def abandon(self) -> None:
        """Release everything without compacting (the journal keeps what was written)."""
