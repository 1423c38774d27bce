"""Several packed layers of a read-only snapshot read as one, without packing a row again.

Why: segments are size-tiered (:func:`reconciler.state.segments.merge_start`), so a state
built by many applies is a big base and newer, geometrically smaller segments, several of them
too big to be held as whole records on top of the layer below
(:func:`reconciler.state.layout.load_state`). Folding those layers into one table at read time
built and packed every row again in Python: 6 of the 16 s of reading 1.3M jobs.

So a snapshot keeps its layers (oldest first), and :func:`shadow` works out once which records
of each one are visible: a row of a layer's table is hidden when its own overlay or a newer
layer has its key. That is found by matching names in bulk (4,096 blocks of a table decoded
at once and intersected, as a set, with the newer layers' names in their range; only the
names found are bisected for their row), not by a walk that handles each row in Python. A few
names next to a big table are looked up one by one instead. Visible records of different
layers then never share a key, so :class:`~reconciler.state.packed.PackedJobs` counts and
collects times per layer and walks the layers as disjoint key-sorted sources merged by
:func:`merged`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from typing import Any, Final, TypeVar

from reconciler.model.records import JobRecord
from reconciler.state.packing import Layer, Table

_Key = tuple[str, str]
_T = TypeVar("_T", bound=tuple[Any, ...])
#: Blocks of a table decoded at once when matching names (16 names a block).
CHUNK: Final = 4096
#: Fewer names than a batch's rows over this are looked up one by one instead of in bulk.
SPARSE: Final = 32


@dataclass(frozen=True)
class Shadow:
    """What is visible of each layer of a stack (oldest first): ``masks`` marks each visible
    row of its table 1 (None: every row); ``live`` holds its overlay's visible records."""

    masks: tuple[bytearray | None, ...]
    live: tuple[dict[_Key, JobRecord], ...]


def shadow(layers: Sequence[Layer], chunk: int = CHUNK, sparse: int = SPARSE) -> Shadow:
    """The :class:`Shadow` of ``layers``: a newer layer's key hides every older record of it
    (a tombstone included), and a layer's overlay hides its own table's row. ``chunk`` and
    ``sparse``: see ``CHUNK`` and ``SPARSE`` (tests vary them to take every path)."""
    masks = tuple(_mask(x, layers[i + 1 :], chunk, sparse) for i, x in enumerate(layers))
    live = tuple(_live(x, layers[i + 1 :]) for i, x in enumerate(layers))
    return Shadow(masks, live)


def visible_keys(table: Table, mask: bytearray | None) -> Iterator[tuple[_Key, int]]:
    """((batch, name), row) of the rows ``mask`` marks visible, in key order."""
    if mask is None:
        return table.keys()
    spans = [(b, table.ranges[b]) for b in sorted(table.ranges)]
    return chain.from_iterable(
        compress(table.batch_keys(b), mask[slice(*table.row_span(*span))]) for b, span in spans
    )


def merged(sources: list[Iterator[_T]]) -> Iterator[_T]:
    """Key-sorted sources of items ``(key, ...)``, no key in two of them, in key order. Put
    the biggest first: its items pass one merge step, the others one per source after it."""
    if not sources:
        return iter(())
    out = sources[-1]
    for source in reversed(sources[:-1]):
        out = _merge(source, out)
    return out


def _merge(a: Iterator[_T], b: Iterator[_T]) -> Iterator[_T]:
    x, y = next(a, None), next(b, None)
    while x is not None and y is not None:
        if x[0] < y[0]:
            yield x
            x = next(a, None)
        else:
            yield y
            y = next(b, None)
    if x is not None:
        yield x
        yield from a
    elif y is not None:
        yield y
        yield from b


def _chunks(table: Table, batch: str, chunk: int) -> Iterator[tuple[int, list[str], str | None]]:
    """(first row, names, bound) of a batch's rows, ``chunk`` blocks at a time; ``bound`` is
    the first name of the next chunk (None after the last one)."""
    first, end = table.ranges[batch]
    offs, starts, blob = table.block_offs, table.block_rows, table.blob
    for block in range(first, end, chunk):
        stop = min(block + chunk, end)
        tail = offs[stop] if stop < len(offs) else len(blob)
        names = blob[offs[block] : tail - 1].decode().split("\x00")
        yield starts[block], names, table.sparse[stop] if stop < end else None


class _Cursor:
    """Sorted names, given as sorted lists in order, handed out up to a bound."""

    def __init__(self, parts: Iterator[list[str]]) -> None:
        self._parts = parts
        self._names: list[str] = []
        self._at = 0

    def below(self, bound: str | None) -> Iterator[list[str]]:
        """The names not handed out yet that sort before ``bound`` (None: all of them)."""
        while True:
            names, at = self._names, self._at
            if at == len(names):
                part = next(self._parts, None)
                if part is None:
                    return
                self._names, self._at = part, 0
                continue
            cut = len(names) if bound is None else bisect_left(names, bound, at)
            if cut > at:
                yield names[at:cut]
            self._at = cut
            if cut < len(names):
                return


def _matched(table: Table, batch: str, sources: list[Iterator[list[str]]], chunk: int) -> list[int]:
    """The rows of ``table``'s ``batch`` whose name one of ``sources`` (sorted) holds."""
    cursors = [_Cursor(s) for s in sources]
    hits: list[int] = []
    for first, names, bound in _chunks(table, batch, chunk):
        wanted: set[str] = set()
        for cursor in cursors:
            wanted.update(*cursor.below(bound))
        if wanted:  # the names both have, then their rows (hashing is the bulk of the work)
            hits += [first + bisect_left(names, name) for name in wanted.intersection(names)]
    return hits


def _mask(layer: Layer, newer: Sequence[Layer], chunk: int, sparse: int) -> bytearray | None:
    """Marks of ``layer``'s rows: 0 where its overlay or a ``newer`` layer has the key.
    Names few next to a batch's rows are looked up one by one, the others in bulk."""
    table = layer.table
    overlaid: dict[str, set[str]] = {}
    for over in (layer.overlay, *(x.overlay for x in newer)):
        for batch, name in over:
            overlaid.setdefault(batch, set()).add(name)
    hidden: list[int] = []
    for batch, span in table.ranges.items():
        lo, hi = table.row_span(*span)
        few: list[Iterable[str]] = []
        many: list[Iterator[list[str]]] = []
        names = sorted(overlaid.get(batch, ()))
        if len(names) * sparse < hi - lo:
            few.append(names)
        else:
            many.append(iter([names]))
        for other in (x.table for x in newer if batch in x.table.ranges):
            parts = (part for _, part, _ in _chunks(other, batch, chunk))
            n_lo, n_hi = other.row_span(*other.ranges[batch])
            if (n_hi - n_lo) * sparse < hi - lo:
                few.append(chain.from_iterable(parts))
            else:
                many.append(parts)
        find = table.find
        hidden += [row for row in (find(batch, n) for n in chain(*few)) if row >= 0]
        if many:
            hidden += _matched(table, batch, many, chunk)
    if not hidden:
        return None
    mask = bytearray(b"\x01") * table.rows
    for row in hidden:
        mask[row] = 0
    return mask


def _live(layer: Layer, newer: Sequence[Layer]) -> dict[_Key, JobRecord]:
    """The overlay's records no newer layer has the key of (looked up one by one: an overlay
    below a newer layer is small, since merging keeps segments shrinking, newest last)."""

    if not newer:  # the newest layer: nothing hides its overlay
        return {k: r for k, r in layer.overlay.items() if r is not None}

    def hidden(key: _Key) -> bool:
        return any(key in x.overlay or x.table.find(*key) >= 0 for x in newer)

    return {k: r for k, r in layer.overlay.items() if r is not None and not hidden(k)}
