"""The in-memory records of an open state, shared by the local and the COS writer.

Both writers hold the whole state and journal every put and drop before it returns;
only where the journal lives (a local file, COS chunk objects) and how the state is compacted
and released differ. So the record view, the journal lines it writes and the close sequence
live here once, over the :class:`GroupCommit` the backend's journal provides.

The view also remembers, per key touched since the last compaction, the value it had then: the
next compaction writes only the keys whose value differs (:meth:`RecordView._next_compaction`),
which is what keeps a run's writes proportional to what it changed.

The job records are held as loaded (packed, as a read-only snapshot holds them, when the state
was read packed) with the writer's puts and drops in a dict on top (:mod:`.overlaid`): a
writer that changes little costs about what a read costs, and its snapshot copies only its
changes.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Self

from reconciler.errors import StateError
from reconciler.model.records import JobRecord, StateSnapshot, TemplateRecord
from reconciler.state.document import STATE_VERSION, Document, new_document
from reconciler.state.entries import (
    DROP_JOB,
    DROP_TEMPLATE,
    PUT_JOB,
    PUT_TEMPLATE,
    Entry,
    encode,
)
from reconciler.state.groupcommit import GroupCommit
from reconciler.state.layout import Compaction, Loaded, plan_compaction
from reconciler.state.overlaid import Overlaid
from reconciler.state.packed import PackedJobs, replay_onto
from reconciler.state.segments import Header

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


def snapshot_of(
    doc: Document, pending_journal: int, jobs: Mapping[_Key, JobRecord] | None = None
) -> StateSnapshot:
    """A read-only snapshot over ``doc``'s records (not copied: ``doc`` must not change);
    ``jobs``, when given, stands for ``doc.jobs`` (a packed read)."""
    return StateSnapshot(
        version=doc.version,
        serial=doc.serial,
        lineage=doc.lineage,
        templates=MappingProxyType(doc.templates),
        jobs=MappingProxyType(doc.jobs) if jobs is None else jobs,
        pending_journal=pending_journal,
        written_at=doc.written_at,
    )


def read_snapshot(loaded: Loaded | None, entries: list[Entry]) -> StateSnapshot:
    """The snapshot a store's ``read()`` returns: ``loaded`` (None: no state yet) with the
    journal ``entries`` replayed on top; jobs packed when ``loaded`` was read packed."""
    if loaded is None or loaded.packed is None:
        doc = new_document() if loaded is None else loaded.doc
        replay(doc, entries)
        return snapshot_of(doc, len(entries))
    replay(loaded.doc, [e for e in entries if e[0] in (PUT_TEMPLATE, DROP_TEMPLATE)])
    replay_onto(loaded.packed[-1], entries)  # the newest layer's overlay wins over all
    return snapshot_of(loaded.doc, len(entries), PackedJobs(loaded.packed))


class RecordView(ABC):
    """Exclusive, thread-safe write access to a state's records; use as a context manager.

    ``name`` names the state in errors. Subclasses provide compaction (:meth:`compact`), what
    :meth:`close` does between sealing the journal and releasing (:meth:`_finish`) and the
    release itself (:meth:`abandon`).
    """

    def __init__(self, name: str, loaded: Loaded, commit: GroupCommit) -> None:
        doc = loaded.doc
        self._name = name
        self._lineage, self._serial, self._written_at = doc.lineage, doc.serial, doc.written_at
        self._templates: dict[_Key, TemplateRecord] = doc.templates
        # The jobs as loaded (never changed: snapshots share them) and this writer's changes
        # since (None: dropped); ``_jobs`` reads them as one.
        base = doc.jobs if loaded.packed is None else PackedJobs(loaded.packed)
        self._changes: dict[_Key, JobRecord | None] = {}
        self._jobs = Overlaid(base, self._changes)
        self._header: Header | None = loaded.header  # None: rewrite every record next time
        self._was_t: dict[_Key, TemplateRecord | None] = {}  # value at the last compaction
        self._was_j: dict[_Key, JobRecord | None] = {}
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
        """Everything written so far, as it is now (later writes do not show in it). Copies
        the templates and this writer's changes, not the records it loaded; packed records
        stay packed (with the changes as a newest layer: :meth:`PackedJobs.topped`)."""
        with self._commit.lock:
            base, changes = self._jobs.base, dict(self._changes)
            jobs: Mapping[_Key, JobRecord] = Overlaid(base, changes)
            if isinstance(base, PackedJobs):
                jobs = base.topped(changes) if changes else base
            doc = Document(
                STATE_VERSION,
                self._serial,
                self._lineage,
                dict(self._templates),
                {},
                self._written_at,
            )
            return snapshot_of(doc, self._commit.entries, jobs)

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

    def _set_t(self, key: _Key, rec: TemplateRecord | None) -> None:
        if key not in self._was_t:
            self._was_t[key] = self._templates.get(key)
        if rec is None:
            self._templates.pop(key, None)
        else:
            self._templates[key] = rec

    def _set_j(self, key: _Key, rec: JobRecord | None) -> None:
        if key not in self._was_j:
            self._was_j[key] = self._jobs.get(key)
        self._changes[key] = rec

    def _set_jobs(self, recs: list[JobRecord]) -> None:
        for rec in recs:
            self._set_j(rec.key, rec)

    def _replay(self, entries: list[Entry]) -> None:
        """Apply a dead writer's journal, remembering what it changed (for the compaction)."""
        for op, value in entries:
            if op == PUT_JOB:
                self._set_j(value.key, value)
            elif op == DROP_JOB:
                self._set_j(value, None)
            elif op == PUT_TEMPLATE:
                self._set_t(value.key, value)
            else:
                self._set_t(value, None)

    def put_template(self, rec: TemplateRecord) -> None:
        line = encode(self._lineage, PUT_TEMPLATE, rec)
        self._write([line], lambda: self._set_t(rec.key, rec))

    def drop_template(self, target: str, name: str) -> None:
        line = encode(self._lineage, DROP_TEMPLATE, (target, name))
        self._write([line], lambda: self._set_t((target, name), None))

    def put_job(self, rec: JobRecord) -> None:
        """Record ``rec``; it is durable when this returns (the write shared with other threads)."""
        self.put_jobs((rec,))

    def put_jobs(self, recs: Iterable[JobRecord]) -> None:
        """Record many jobs with one journal write (one fsync locally, one chunk PUT on COS)."""
        batch = list(recs)
        if not batch:
            return
        lines = [encode(self._lineage, PUT_JOB, rec) for rec in batch]
        self._write(lines, lambda: self._set_jobs(batch))

    def drop_job(self, batch: str, input_object: str) -> None:
        line = encode(self._lineage, DROP_JOB, (batch, input_object))
        self._write([line], lambda: self._set_j((batch, input_object), None))

    def _next_compaction(self) -> Compaction | None:
        """The version at serial + 1 holding the records that differ from the last version,
        or None when none does: the serial moves only when the content changed."""
        templates = {k: self._templates.get(k) for k in self._was_t}
        jobs = {k: self._jobs.get(k) for k in self._was_j}
        templates = {k: v for k, v in templates.items() if v != self._was_t[k]}
        jobs = {k: v for k, v in jobs.items() if v != self._was_j[k]}
        if not templates and not jobs:
            return None
        return plan_compaction(
            self._header,
            (templates, jobs),
            (self._templates, self._jobs),
            self._serial + 1,
            self._lineage,
            self._read_segment,
        )

    def _compacted(self, header: Header) -> None:
        """``header`` is durable: it is the base of the next compaction."""
        self._header, self._serial, self._written_at = header, header.serial, header.written_at
        self._was_t, self._was_j = {}, {}

    def _refuse_older(self, doc: Document) -> None:
        """``replace_all`` only moves a state forward: ``doc`` must be of a newer serial."""
        if doc.serial <= self._serial:
            raise StateError(
                f"state {self._name}: cannot replace serial {self._serial} with serial "
                f"{doc.serial}; nothing was changed"
            )

    def _reset(self, doc: Document) -> None:
        """Take ``doc``'s records as they are (``replace_all``), before writing them."""
        self._lineage = doc.lineage
        self._templates = dict(doc.templates)
        self._changes = {}
        self._jobs = Overlaid(dict(doc.jobs), self._changes)

    @abstractmethod
    def _read_segment(self, name: str) -> bytes | None:
        """One segment's bytes (for merging), None when it is missing."""

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
