"""The jobs of a read-only snapshot, packed: a ``Mapping[(batch, input_object), JobRecord]``.

Why: ``StateStore.read()`` serves plan, status and the look-up before submitting; none of them
change the records, and at a million jobs a dict of :class:`JobRecord` objects cost 850 MB.
:class:`PackedJobs` keeps them in the columns :mod:`.packing` builds (about a tenth of that)
and materialises a record only when it is asked for. Writers keep plain dicts
(:class:`~reconciler.state.view.RecordView`): only snapshots are packed.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Final, overload

from reconciler.model.records import JobRecord
from reconciler.model.states import JobState
from reconciler.state.entries import DROP_JOB, PUT_JOB, Entry
from reconciler.state.packing import Layer, Table, stream

_Key = tuple[str, str]
#: (fingerprint, state, job_id): what a plan compares a desired job with.
Brief = tuple[str, str, str | None]
_MISSING: Final = object()


class PackedJobs(Mapping[_Key, JobRecord]):
    """Job records by key, packed; iteration is in sorted key order (as ``sorted(dict)``).

    Records are built on access (each ``[]``, ``get`` or ``values()`` step makes a new,
    equal :class:`JobRecord`); hold on to the ones you need. For a plan, which compares every
    desired job with its record, two accessors avoid building records at all:

    - ``brief(key)``: ``(fingerprint, state, job_id)`` of the key's record, or None;
    - ``briefs()``: ``(key, (fingerprint, state, job_id))`` for every record, in key order
      (a merge join with a key-sorted desired list needs no look-up at all).

    And three for callers that would otherwise build every record: ``only(batches)``, the
    records of some batches (a view sharing the columns); ``times()``, every distinct
    intent, submission and finish time recorded (for the newest one); ``unfinished()``, the
    submitted records whose state is not finished (the ones a plan refreshes).

    A record that did not fit the packed shape is held whole in the overlay, as are records
    the journal or the small newest segments put on top; the overlay wins over the table.
    """

    def __init__(self, layer: Layer) -> None:
        self._table: Table = layer.table
        self._overlay: dict[_Key, JobRecord | None] = layer.overlay
        self._len = self._count()

    def _count(self) -> int:
        count = self._table.count()
        for key, rec in self._overlay.items():
            count += (rec is not None) - (self._row(key) >= 0)
        return count

    def _row(self, key: _Key) -> int:
        """The table row of ``key``, or -1 (overlay not consulted)."""
        return self._table.find(key[0], key[1])

    def __len__(self) -> int:
        return self._len

    def __contains__(self, key: object) -> bool:
        if not (isinstance(key, tuple) and len(key) == 2):
            return False
        found = self._overlay.get(key, _MISSING)
        if found is not _MISSING:
            return found is not None
        return self._row(key) >= 0

    def __getitem__(self, key: _Key) -> JobRecord:
        rec = self.get(key)
        if rec is None:
            raise KeyError(key)
        return rec

    @overload
    def get(self, key: _Key, /) -> JobRecord | None: ...
    @overload
    def get(self, key: _Key, default: JobRecord | Any, /) -> JobRecord | Any: ...
    def get(self, key: _Key, default: Any = None, /) -> Any:
        if type(key) is not tuple or len(key) != 2:
            return default
        found = self._overlay.get(key, _MISSING)
        if found is not _MISSING:
            return default if found is None else found
        row = self._row(key)
        return default if row < 0 else JobRecord(*self._table.fields(row, key[1]))

    def __iter__(self) -> Iterator[_Key]:
        if not self._overlay:
            for key, _ in self._table.keys():
                yield key
            return
        for key, _, _, _ in stream(Layer.of(self._table, self._overlay)):
            yield key

    def keys(self) -> KeysView[_Key]:
        return KeysView(self)

    def items(self) -> ItemsView[_Key, JobRecord]:
        return _Items(self)

    def values(self) -> ValuesView[JobRecord]:
        return _Values(self)

    def pairs(self) -> Iterator[tuple[_Key, JobRecord]]:
        """(key, record) in key order, each record built once (``items()`` iterates this)."""
        if not self._overlay:  # the common case: straight off the table
            fields = self._table.fields
            for key, row in self._table.keys():
                yield key, JobRecord(*fields(row, key[1]))
            return
        for key, table, row, rec in stream(Layer.of(self._table, self._overlay)):
            if table is None:
                assert rec is not None
                yield key, rec
            else:
                yield key, JobRecord(*table.fields(row, key[1]))

    def brief(self, key: _Key) -> Brief | None:
        """``(fingerprint, state, job_id)`` of ``key``'s record without building it; None when
        there is no record."""
        found = self._overlay.get(key, _MISSING)
        if found is not _MISSING:
            return None if found is None else _brief(found)  # type: ignore[arg-type]
        row = self._row(key)
        return None if row < 0 else self._table.brief(row)

    def briefs(self, job_ids: bool = True) -> Iterator[tuple[_Key, Brief]]:
        """``(key, (fingerprint, state, job_id))`` for every record, in key order; without
        ``job_ids`` the job ID of a packed row is not decoded (None): a plan needs it only to
        find fresh facts, and there are none when no recorded job was unfinished."""
        if not self._overlay:  # the common case: straight off the table
            brief = self._table.brief
            for key, row in self._table.keys():
                yield key, brief(row, job_ids)
            return
        for key, table, row, rec in stream(Layer.of(self._table, self._overlay)):
            if table is None:
                assert rec is not None
                yield key, _brief(rec)
            else:
                yield key, table.brief(row, job_ids)

    def only(self, batches: Collection[str]) -> PackedJobs:
        """The records of ``batches`` alone: a view sharing this one's columns."""
        table = copy.copy(self._table)
        table.ranges = {b: span for b, span in table.ranges.items() if b in batches}
        overlay = {k: r for k, r in self._overlay.items() if k[0] in batches}
        return PackedJobs(Layer.of(table, overlay))

    def unfinished(self) -> Iterator[JobRecord]:
        """The records worth refreshing: submitted (a job ID) and not finished. Only those are
        built; none at all from the table when every state it holds is a finished one."""
        table = self._table
        words = table.pools.words.values
        open_codes = {c for c, w in enumerate(words) if not JobState.is_finished(w[1])}
        if not open_codes:
            recs: Iterator[JobRecord | None] = iter(self._overlay.values())
        else:
            recs = self._open_rows(open_codes)
        for rec in recs:
            if rec is not None and rec.job_id and not rec.finished:
                yield rec

    def _open_rows(self, open_codes: set[int]) -> Iterator[JobRecord | None]:
        for key, table, row, rec in stream(Layer.of(self._table, self._overlay)):
            if table is None:
                yield rec
            elif table.ints[6 * row + 1] in open_codes:
                yield JobRecord(*table.fields(row, key[1]))

    def times(self) -> set[str]:
        """Every distinct ``intent_time``, ``submitted_at`` and ``finished_at`` of the records."""
        counts = self._table.time_codes()
        for key in self._overlay:
            row = self._row(key)
            if row >= 0:  # hidden by the overlay
                counts.subtract(self._table.time_codes_of(row))
        values = self._table.pools.times.values
        found = {values[code] for code, n in counts.items() if n > 0 and code}
        for rec in self._overlay.values():
            if rec is not None:
                found |= {t for t in (rec.intent_time, rec.submitted_at, rec.finished_at) if t}
        return found


def _brief(rec: JobRecord) -> Brief:
    return rec.fingerprint, rec.state, rec.job_id


class _Items(ItemsView[_Key, JobRecord]):
    """``items()`` that streams (the ABC's would look every key up again)."""

    _mapping: PackedJobs

    def __iter__(self) -> Iterator[tuple[_Key, JobRecord]]:
        return self._mapping.pairs()


class _Values(ValuesView[JobRecord]):
    """``values()`` that streams (the ABC's would look every key up again)."""

    _mapping: PackedJobs

    def __iter__(self) -> Iterator[JobRecord]:
        for _, rec in self._mapping.pairs():
            yield rec


def replay_onto(layer: Layer, entries: list[Entry]) -> None:
    """Apply journal job entries on top of a packed layer (templates are the caller's)."""
    for op, value in entries:
        if op == PUT_JOB:
            layer.overlay[value.key] = value
        elif op == DROP_JOB:
            layer.overlay[value] = None
