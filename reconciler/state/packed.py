"""The jobs of a read-only snapshot, packed: a ``Mapping[(batch, input_object), JobRecord]``.

Why: ``StateStore.read()`` serves plan, status and the look-up before submitting; none of them
change the records, and at a million jobs a dict of :class:`JobRecord` objects cost 850 MB.
:class:`PackedJobs` keeps them in the columns :mod:`.packing` builds (about a tenth of that)
and materialises a record only when it is asked for. Writers keep the records they load
packed too, their own changes as whole records on top (:mod:`.overlaid`); a writer's snapshot
is these records with a copy of its changes as a newest layer (:meth:`PackedJobs.topped`).
"""

from __future__ import annotations

import copy
from collections.abc import (
    Callable,
    Collection,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from itertools import chain
from operator import itemgetter
from typing import Any, Final, TypeVar, overload

from reconciler.model.records import JobRecord
from reconciler.model.states import JobState
from reconciler.state.entries import DROP_JOB, PUT_JOB, Entry
from reconciler.state.layers import Shadow, merged, shadow, visible_keys
from reconciler.state.packing import Layer, Table

_Key = tuple[str, str]
#: (fingerprint, state, job_id): what a plan compares a desired job with.
Brief = tuple[str, str, str | None]
_MISSING: Final = object()
_Pair = tuple[_Key, JobRecord]
_Brief = tuple[_Key, Brief]
_T = TypeVar("_T", bound=tuple[Any, ...])
_first: Final = itemgetter(0)


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

    The records come in layers, oldest first (:mod:`.layers`; one, unless the state has
    several big segments): a table, and an overlay of whole records (odd shapes, small newer
    segments, the journal) that wins over its table. A key's record is the newest layer's
    that has the key; an overlay's None (a tombstone) hides the older layers' record.
    """

    def __init__(self, layers: Sequence[Layer], seen: Shadow | None = None) -> None:
        self._layers = tuple(layers)
        self._table: Table = self._layers[-1].table  # the one-layer paths use these two
        self._overlay: dict[_Key, JobRecord | None] = self._layers[-1].overlay
        self._one = len(self._layers) == 1
        self._plain = self._one and not self._overlay  # a table alone: walked straight off it
        self._seen = shadow(self._layers) if seen is None else seen
        self._len = sum(layer.table.count(mask) + len(live) for layer, mask, live in self._parts())

    def _parts(self) -> Iterator[tuple[Layer, bytearray | None, dict[_Key, JobRecord]]]:
        """Each layer with what is visible of it: its table's mask and live overlay records."""
        return zip(self._layers, self._seen.masks, self._seen.live, strict=True)

    def _find(self, key: _Key) -> JobRecord | tuple[Table, int] | None:
        """Where ``key``'s record is: a whole record, (table, row), or None (no record)."""
        for layer in reversed(self._layers):
            found = layer.overlay.get(key, _MISSING)
            if found is not _MISSING:
                return found  # type: ignore[return-value]
            row = layer.table.find(key[0], key[1])
            if row >= 0:
                return layer.table, row
        return None

    def __len__(self) -> int:
        return self._len

    def __contains__(self, key: object) -> bool:
        if not (isinstance(key, tuple) and len(key) == 2):
            return False
        if not self._one:
            return self._find(key) is not None
        found = self._overlay.get(key, _MISSING)
        if found is not _MISSING:
            return found is not None
        return self._table.find(key[0], key[1]) >= 0

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
        found = self._find(key)
        if isinstance(found, tuple):
            table, row = found
            return JobRecord(*table.fields(row, key[1]))
        return default if found is None else found

    def __iter__(self) -> Iterator[_Key]:
        if self._plain:
            return map(_first, self._table.keys())
        return map(
            _first, self._walk(lambda _, keys: keys, lambda live: ((k, k) for k in sorted(live)))
        )

    def keys(self) -> KeysView[_Key]:
        return KeysView(self)

    def items(self) -> ItemsView[_Key, JobRecord]:
        return _Items(self)

    def values(self) -> ValuesView[JobRecord]:
        return _Values(self)

    def pairs(self) -> Iterator[tuple[_Key, JobRecord]]:
        """(key, record) in key order, each record built once (``items()`` iterates this)."""

        def rows(table: Table, keys: Iterator[tuple[_Key, int]]) -> Iterator[_Pair]:
            fields = table.fields
            return ((key, JobRecord(*fields(row, key[1]))) for key, row in keys)

        if self._plain:  # the common case: straight off the table
            return rows(self._table, self._table.keys())
        return self._walk(rows, lambda live: ((k, live[k]) for k in sorted(live)))

    def brief(self, key: _Key) -> Brief | None:
        """``(fingerprint, state, job_id)`` of ``key``'s record without building it; None when
        there is no record."""
        if self._one:
            found = self._overlay.get(key, _MISSING)
            if found is not _MISSING:
                return None if found is None else _brief(found)  # type: ignore[arg-type]
            row = self._table.find(key[0], key[1])
            return None if row < 0 else self._table.brief(row)
        where = self._find(key)
        if isinstance(where, tuple):
            return where[0].brief(where[1])
        return None if where is None else _brief(where)

    def briefs(self, job_ids: bool = True) -> Iterator[tuple[_Key, Brief]]:
        """``(key, (fingerprint, state, job_id))`` for every record, in key order; without
        ``job_ids`` the job ID of a packed row is not decoded (None): a plan needs it only to
        find fresh facts, and there are none when no recorded job was unfinished."""

        def rows(table: Table, keys: Iterator[tuple[_Key, int]]) -> Iterator[_Brief]:
            brief = table.brief
            return ((key, brief(row, job_ids)) for key, row in keys)

        if self._plain:  # the common case (the plan's merge join): straight off the table
            return rows(self._table, self._table.keys())
        return self._walk(rows, lambda live: ((k, _brief(live[k])) for k in sorted(live)))

    def _walk(
        self,
        rows: Callable[[Table, Iterator[tuple[_Key, int]]], Iterator[_T]],
        records: Callable[[dict[_Key, JobRecord]], Iterator[_T]],
    ) -> Iterator[_T]:
        """Items of every visible record in key order: ``rows`` makes them from a table's
        visible (key, row) pairs, ``records`` from an overlay's live records (in key order)."""
        sized: list[tuple[int, Iterator[_T]]] = []
        for layer, mask, live in self._parts():
            sized.append(
                (layer.table.count(mask), rows(layer.table, visible_keys(layer.table, mask)))
            )
            if live:
                sized.append((len(live), records(live)))
        sized.sort(key=_first, reverse=True)  # the biggest first: its items pass one merge
        return merged([source for _, source in sized])

    def only(self, batches: Collection[str]) -> PackedJobs:
        """The records of ``batches`` alone: a view sharing this one's columns."""
        layers = []
        for layer in self._layers:
            table = copy.copy(layer.table)
            table.ranges = {b: span for b, span in table.ranges.items() if b in batches}
            overlay = {k: r for k, r in layer.overlay.items() if k[0] in batches}
            layers.append(Layer.of(table, overlay))
        lives = tuple(
            {k: r for k, r in live.items() if k[0] in batches} for live in self._seen.live
        )
        return PackedJobs(layers, Shadow(self._seen.masks, lives))

    def topped(self, overlay: dict[_Key, JobRecord | None]) -> PackedJobs:
        """These records with ``overlay`` (whole records; None: dropped) as a newest layer on
        top, sharing the columns (a writer's snapshot): a look-up per key and layer and a copy
        of the row marks (a byte a row) of a layer it hides rows of; no row is packed again.
        ``overlay`` becomes the new view's: do not change it afterwards."""
        masks: list[bytearray | None] = []
        lives: list[dict[_Key, JobRecord]] = []
        for layer, mask, live in self._parts():
            find = layer.table.find
            rows = [row for row in (find(b, n) for b, n in overlay) if row >= 0]
            if rows:
                mask = bytearray(b"\x01") * layer.table.rows if mask is None else bytearray(mask)
                for row in rows:
                    mask[row] = 0
            if any(key in live for key in overlay):
                live = {k: r for k, r in live.items() if k not in overlay}
            masks.append(mask)
            lives.append(live)
        masks.append(None)
        lives.append({k: r for k, r in overlay.items() if r is not None})
        top = Layer.of(Table(self._table.pools).seal(), overlay)
        return PackedJobs((*self._layers, top), Shadow(tuple(masks), tuple(lives)))

    def unfinished(self) -> Iterator[JobRecord]:
        """The records worth refreshing: submitted (a job ID) and not finished; not in key
        order. Only those are built; none at all from a table whose every state is finished."""
        for layer, mask, live in self._parts():
            table = layer.table
            words = table.pools.words.values
            open_codes = {c for c, w in enumerate(words) if not JobState.is_finished(w[1])}
            recs: Iterable[JobRecord] = live.values()
            if open_codes:
                built = (
                    JobRecord(*table.fields(row, table.name_of(row)))
                    for row in table.rows_with_words(open_codes, mask)
                )
                recs = chain(built, recs)
            for rec in recs:
                if rec.job_id and not rec.finished:
                    yield rec

    def times(self) -> set[str]:
        """Every distinct ``intent_time``, ``submitted_at`` and ``finished_at`` of the records."""
        found: set[str] = set()
        for layer, mask, live in self._parts():
            values = layer.table.pools.times.values
            found.update(values[code] for code in layer.table.time_codes(mask) if code)
            for rec in live.values():
                found.update(t for t in (rec.intent_time, rec.submitted_at, rec.finished_at) if t)
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
