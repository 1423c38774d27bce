"""Building the packed job table of a read-only snapshot (:mod:`.packed`) from segment lines.

Why: a million :class:`JobRecord` objects of fifteen Python strings each cost about 850 MB and
most of a read's time. A plan only reads the snapshot, so its records are kept as columns: the
input objects as UTF-8 in blocks of 16 (a sparse list of each block's first one to bisect),
the fingerprint and marker as 32 raw bytes, the batch, (target, state, code, message) and the
three times as codes into shared pools, and the job ID and object keys as UTF-8 in one heap.
A record not of this shape (a fingerprint not of our four-group hex shape, a foreign marker, a
NUL in a key, thousands of outputs...) is kept whole in the overlay: correctness never
depends on the shape.

Rows are appended in strictly increasing key order (segments are written sorted). Lines that
break the order, tombstones and odd records go to the layer's overlay, ``{key: JobRecord |
None}`` (None: removed), which wins over the table; so do the lines of a small newer segment
(:func:`reconciler.state.layout.load_state` decides). A big newer segment gets a layer of its
own; the snapshot reads the layers as one (:mod:`.layers`), no row is packed twice. A table's
pools are its own to read from (``table.pools``): tables of one read need not share them.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import compress
from operator import itemgetter
from typing import Any, Final

from reconciler.model.records import JobRecord
from reconciler.model.times import parse_iso

_Key = tuple[str, str]
#: Marker shape we pack: our prefix and 16 lowercase hex digits (plan/naming.py writes these).
MARKER_PREFIX: Final = "rcn:"
#: Fingerprint shape we pack (plan/fingerprint.py): four groups of 12 lowercase hex digits
#: joined by dots. With the marker's 8 bytes: 32 fixed bytes a row. Other shapes stay whole.
_FP_LEN: Final = 51
_FIXED: Final = 32
_MAX_LIST: Final = 1023  # strings per list packed (three counts share one 32-bit word)
_SEP: Final = "\x00"
_BLOCK: Final = 16  # input objects per block: one bisect, then one block decoded
_INTS: Final = 6  # per row: batch, words, intent_time, submitted_at, finished_at, shape
_FIELDS: Final = frozenset(JobRecord._KINDS)
_GET: Final = itemgetter(*JobRecord._KINDS)


class Pool:
    """Distinct values, each stored once, by small integer code. A value is checked once, when
    it is first pooled, as its ``kind`` says: "str", "words" (a tuple of strings: target,
    state, code, message), or "time" (an ISO-8601 time; that pool holds None as code 0)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.values: list[Any] = [None] if kind == "time" else []
        self.codes: dict[Any, int] = {None: 0} if kind == "time" else {}

    def new(self, value: Any) -> int:
        """The code of a value not pooled yet; -1 when it is not of the pool's kind."""
        if self.kind == "words":
            if type(value) is not tuple or not all(type(v) is str for v in value):
                return -1
        elif type(value) is not str:
            return -1
        elif self.kind == "time":
            try:
                parse_iso(value)
            except ValueError:
                return -1
        code = self.codes[value] = len(self.values)
        self.values.append(value)
        return code

    def code(self, value: Any) -> int:
        found = self.codes.get(value)
        return self.new(value) if found is None else found


class Pools:
    """The pools of a table (the tables of one read share theirs, so a value repeated in
    every segment is stored once; nothing depends on it)."""

    def __init__(self) -> None:
        self.batches, self.words, self.times = Pool("str"), Pool("words"), Pool("time")


ADDED, ODD, UNSORTED = 1, 0, -1


class Table:
    """Packed rows in strictly increasing key order; see the module docstring for the columns."""

    def __init__(self, pools: Pools) -> None:
        self.pools = pools
        self.rows = 0
        self.blob = bytearray()  # the input objects, each ended by a NUL, in row order
        self.sparse: list[str] = []  # the first input object of each block (for bisect)
        self.block_rows = array("I")  # the first row of each block
        self.block_offs = array("Q")  # where each block starts in ``blob``
        self.ints = array("I")  # _INTS codes per row; shape: bit 0 job_id, 10 bits per count
        self.fixed = bytearray()  # per row: fingerprint (24 bytes) and marker (8 bytes)
        self.heap = bytearray()  # job_id, outputs, sprites, previous_job_ids: NUL-separated
        self.ends = array("Q")  # heap end offset per row
        self.last: _Key | None = None  # the key of the last row
        self._cached: tuple[int, list[str]] = (-1, [])
        # seal(): batch -> (first block, end block); blocks never span two batches
        self.ranges: dict[str, tuple[int, int]] = {}

    def __len__(self) -> int:
        return self.rows

    def add(self, v: tuple[Any, ...]) -> int:
        """Append a record given as its 15 field values in ``JobRecord`` order, types not yet
        checked (lists as lists): ADDED, ODD (nothing appended: not of the packed shape, or not
        a valid record), or UNSORTED (a valid shape whose key is not after the last row's)."""
        batch, name, target, fp, marker, state, intent, jid, sub, fin, code, msg, o, s, p = v
        pools = self.pools
        times = pools.times
        try:  # a list or an object in a field is unhashable: TypeError
            words = (target, state, code, msg)
            # .code() looks again: a value new to a pool may have been pooled by a field before.
            bc = pools.batches.codes.get(batch)
            if bc is None:
                bc = pools.batches.code(batch)
            wc = pools.words.codes.get(words)
            if wc is None:
                wc = pools.words.code(words)
            ic = times.codes.get(intent)
            if ic is None:
                ic = times.code(intent)
            sc = times.codes.get(sub)
            if sc is None:
                sc = times.code(sub)
            fc = times.codes.get(fin)
            if fc is None:
                fc = times.code(fin)
            hexes = fp.replace(".", "") + marker[4:]
            fixed = bytes.fromhex(hexes)
            if type(o) is not list or type(s) is not list or type(p) is not list:
                return ODD
            parts = [*o, *s, *p] if jid is None else [jid, *o, *s, *p]
            text = _SEP.join(parts)  # TypeError: not a string
            blob = text.encode()
            encoded = (name + _SEP).encode()
        except (ValueError, TypeError, AttributeError, UnicodeEncodeError):
            return ODD  # UnicodeEncodeError: a lone surrogate, which UTF-8 cannot hold
        if (
            bc < 0
            or wc < 0
            or ic <= 0  # -1: not a time; 0: intent_time None
            or sc < 0
            or fc < 0
            or not batch
            or type(name) is not str
            or not name
            or _SEP in name
            or (jid is not None and type(jid) is not str)
            or len(fixed) != _FIXED
            or fixed.hex() != hexes
            or len(fp) != _FP_LEN
            or fp[12:39:13] != "..."  # the dots at 12, 25 and 38
            or marker[:4] != MARKER_PREFIX
            or (len(parts) > _MAX_LIST and max(len(o), len(s), len(p)) > _MAX_LIST)
            or text.count(_SEP) != max(len(parts) - 1, 0)  # a NUL inside a string
        ):
            return ODD
        key = (batch, name)
        if self.last is not None and key <= self.last:
            return UNSORTED
        self.last = key
        rows, starts = self.rows, self.block_rows
        if not rows or rows - starts[-1] == _BLOCK or self.ints[-_INTS] != bc:
            starts.append(rows)
            self.block_offs.append(len(self.blob))
            self.sparse.append(name)
        self.rows = rows + 1
        self.blob += encoded
        shape = (jid is not None) | len(o) << 1 | len(s) << 11 | len(p) << 21
        self.ints.extend((bc, wc, ic, sc, fc, shape))
        self.fixed += fixed
        self.heap += blob
        self.ends.append(len(self.heap))
        return ADDED

    def seal(self) -> Table:
        """Index the batches (contiguous: rows are sorted) once every row is in."""
        ints, values, starts, ranges = self.ints, self.pools.batches.values, self.block_rows, {}
        blocks = len(starts)
        first = 0
        for k in range(1, blocks + 1):
            if k == blocks or ints[_INTS * starts[k]] != ints[_INTS * starts[first]]:
                ranges[values[ints[_INTS * starts[first]]]] = (first, k)
                first = k
        self.ranges = ranges
        return self

    def count(self, mask: bytearray | None = None) -> int:
        """Rows in the batches of ``ranges`` (a view may keep only some); only those ``mask``
        marks 1, if given."""
        spans = [self.row_span(first, end) for first, end in self.ranges.values()]
        if mask is None:
            return sum(hi - lo for lo, hi in spans)
        return sum(mask.count(1, lo, hi) for lo, hi in spans)

    def row_span(self, first: int, end: int) -> tuple[int, int]:
        """The rows (start, end) of blocks ``first`` to ``end`` (a batch's span in ``ranges``)."""
        starts = self.block_rows
        return starts[first], starts[end] if end < len(starts) else self.rows

    def time_codes(self, mask: bytearray | None = None) -> set[int]:
        """The time codes in the rows of ``ranges`` (those ``mask`` marks 1, if given)."""
        codes: set[int] = set()
        for first, end in self.ranges.values():
            lo, hi = self.row_span(first, end)
            for column in (2, 3, 4):
                values = self.ints[_INTS * lo + column : _INTS * hi : _INTS]
                codes.update(values if mask is None else compress(values, mask[lo:hi]))
        return codes

    def rows_with_words(self, codes: set[int], mask: bytearray | None = None) -> Iterator[int]:
        """The rows of ``ranges`` whose (target, state, code, message) code is in ``codes``
        (and that ``mask`` marks 1, if given), batch by batch."""
        for first, end in self.ranges.values():
            lo, hi = self.row_span(first, end)
            for row, code in enumerate(self.ints[_INTS * lo + 1 : _INTS * hi : _INTS], lo):
                if code in codes and (mask is None or mask[row]):
                    yield row

    def names(self, block: int) -> list[str]:
        """The input objects of ``block``'s rows, in order (the last block asked for is kept:
        look-ups in key order mostly land in the same block)."""
        cached = self._cached  # one read: another thread may replace it
        if cached[0] == block:
            return cached[1]
        offs = self.block_offs
        end = offs[block + 1] if block + 1 < len(offs) else len(self.blob)
        names = self.blob[offs[block] : end - 1].decode().split(_SEP)
        self._cached = (block, names)
        return names

    def find(self, batch: str, name: str) -> int:
        """The row of (batch, name), or -1."""
        span = self.ranges.get(batch)
        if span is None:
            return -1
        block = bisect_right(self.sparse, name, span[0], span[1]) - 1
        if block < span[0]:
            return -1
        names = self.names(block)
        at = bisect_left(names, name)
        return self.block_rows[block] + at if at < len(names) and names[at] == name else -1

    def keys(self) -> Iterator[tuple[_Key, int]]:
        """((batch, name), row) of every row, in key order."""
        for batch in sorted(self.ranges):
            yield from self.batch_keys(batch)

    def batch_keys(self, batch: str) -> Iterator[tuple[_Key, int]]:
        """((batch, name), row) of the rows of one batch of ``ranges``, in key order."""
        starts = self.block_rows
        first, end = self.ranges[batch]
        for block in range(first, end):
            row = starts[block]
            for name in self.names(block):
                yield (batch, name), row
                row += 1

    def name_of(self, row: int) -> str:
        """The input object of ``row``."""
        block = bisect_right(self.block_rows, row) - 1
        return self.names(block)[row - self.block_rows[block]]

    def brief(self, row: int, job_id: bool = True) -> tuple[str, str, str | None]:
        """(fingerprint, state, job_id) of ``row`` without building the record (job_id None
        without looking when not ``job_id``)."""
        at = _INTS * row
        jid = None
        if job_id and self.ints[at + 5] & 1:
            start = self.ends[row - 1] if row else 0
            blob = self.heap[start : self.ends[row]]
            cut = blob.find(0)
            jid = (blob if cut < 0 else blob[:cut]).decode()
        fixed = self.fixed[_FIXED * row : _FIXED * row + 24]
        return fixed.hex(".", 6), self.pools.words.values[self.ints[at + 1]][1], jid

    def fields(self, row: int, name: str) -> tuple[Any, ...]:
        """The 15 field values of ``row`` (whose input object is ``name``), in ``JobRecord``
        order (lists as tuples)."""
        pools, at = self.pools, _INTS * row
        batch, words, intent, sub, fin, shape = self.ints[at : at + _INTS]
        target, state, code, message = pools.words.values[words]
        times = pools.times.values
        start = self.ends[row - 1] if row else 0
        count = (shape & 1) + (shape >> 1 & 1023) + (shape >> 11 & 1023) + (shape >> 21 & 1023)
        parts = self.heap[start : self.ends[row]].decode().split(_SEP) if count else []
        fixed = self.fixed[_FIXED * row : _FIXED * row + _FIXED]
        if shape == 3:  # the common shape: a job ID and one output
            return (
                pools.batches.values[batch], name, target, fixed[:24].hex(".", 6),
                MARKER_PREFIX + fixed[24:].hex(), state, times[intent], parts[0], times[sub],
                times[fin], code, message, (parts[1],), (), (),
            )  # fmt: skip
        jid = parts.pop(0) if shape & 1 else None
        n_out, n_spr = shape >> 1 & 1023, shape >> 11 & 1023
        return (
            pools.batches.values[batch], name, target, fixed[:24].hex(".", 6),
            MARKER_PREFIX + fixed[24:].hex(), state, times[intent], jid, times[sub], times[fin],
            code, message, tuple(parts[:n_out]), tuple(parts[n_out : n_out + n_spr]),
            tuple(parts[n_out + n_spr :]),
        )  # fmt: skip


class Layer:
    """One segment's job lines: sorted ones packed in ``table``, the rest in ``overlay``."""

    def __init__(self, pools: Pools) -> None:
        self.table = Table(pools)
        self.overlay: dict[_Key, JobRecord | None] = {}
        self.in_order = True  # lines still arrive in strictly increasing key order

    @classmethod
    def of(cls, table: Table, overlay: dict[_Key, JobRecord | None]) -> Layer:
        layer = cls(table.pools)
        layer.table, layer.overlay = table, overlay
        return layer

    def _advance(self, key: _Key) -> bool:
        last = self.table.last
        if self.in_order and (last is None or key > last):
            self.table.last = key
            return True
        self.in_order = False
        return False

    def job(self, value: Any) -> None:
        """One ``{"job": value}`` line; RecordError (from ``from_dict``) when not a record."""
        if self.in_order and type(value) is dict and value.keys() == _FIELDS:
            status = self.table.add(_GET(value))
            if status == ADDED:
                return
            if status == UNSORTED:
                self.in_order = False
        rec = JobRecord.from_full_dict(value)
        if self.in_order:
            self._advance(rec.key)
        self.overlay[rec.key] = rec

    def drop(self, key: _Key) -> None:
        """One ``{"drop_job": key}`` line."""
        self._advance(key)
        self.overlay[key] = None

    def seal(self) -> Layer:
        self.table.seal()
        return self
