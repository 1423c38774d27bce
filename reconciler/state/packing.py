"""Building the packed job table of a read-only snapshot (:mod:`.packed`) from segment lines.

Why: a million :class:`JobRecord` objects of fifteen Python strings each cost about 850 MB and
most of a read's time. A plan only reads the snapshot, so its records are kept as columns:
one Python string per key (the input object, for ``bisect``), the fingerprint as 24 raw bytes,
the marker as 8, the repeated strings (batch, target, state, code, message, times) as codes
into shared pools, and the job ID and object keys as UTF-8 in one heap. A record that does not
have this shape (a fingerprint not of our four-group hex shape, a foreign marker, a NUL in
a key, thousands of outputs...) is kept whole in the overlay: correctness never depends on it.

Rows are appended in strictly increasing key order (segments are written sorted). Lines that
break the order, tombstones, odd records and every line of a later segment go to the overlay,
``{key: JobRecord | None}`` (None: removed), which the snapshot consults first. A big overlay is
folded into a new table (:func:`fold`), so memory stays packed whatever the segment stack.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from operator import itemgetter
from typing import Any, Final, cast

from reconciler.model.records import JobRecord
from reconciler.model.times import parse_iso

_Key = tuple[str, str]
#: Marker shape we pack: our prefix and 16 lowercase hex digits (plan/naming.py writes these).
MARKER_PREFIX: Final = "rcn:"
_MARKER_LEN: Final = len(MARKER_PREFIX) + 16
#: Fingerprint shape we pack (plan/fingerprint.py): four groups of 12 hex digits joined by
#: dots, i.e. 24 bytes shown in groups of 6; any other shape keeps its record whole.
FP_BYTES: Final = 24
FP_GROUP: Final = 6
#: Per list, at most this many strings are packed (counts share one 32-bit word).
_MAX_LIST: Final = 1023
_SEP: Final = "\x00"
_FIELDS: Final = frozenset(JobRecord._KINDS)
_GET: Final = itemgetter(*JobRecord._KINDS)


class Pool:
    """Distinct strings, each stored once, by small integer code. A value is checked once, when
    it is first pooled: a pooled value is a string (and, in a pool of times, an ISO-8601 time;
    that pool also holds None, as code 0)."""

    def __init__(self, *, times: bool = False) -> None:
        self.times = times
        self.values: list[Any] = [None] if times else []
        self.codes: dict[Any, int] = {None: 0} if times else {}

    def new(self, value: Any) -> int:
        """The code of a value not pooled yet; -1 when it is not a string (or not a time)."""
        if type(value) is not str:
            return -1
        if self.times:
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


ADDED, ODD, UNSORTED = 1, 0, -1


class Table:
    """Packed rows in strictly increasing key order; see the module docstring for the columns."""

    def __init__(self, words: Pool, times: Pool) -> None:
        self.words, self.times = words, times  # words: batch, target, state, code, message
        self.names: list[str] = []
        self.batch = array("I")
        self.target = array("I")
        self.state = array("I")
        self.code = array("I")
        self.message = array("I")
        self.intent = array("I")
        self.submitted = array("I")
        self.finished = array("I")
        self.shape = array("I")  # bit 0: has a job_id; then 10 bits per list: counts
        self.fingerprints = bytearray()
        self.markers = bytearray()
        self.heap = bytearray()  # job_id, outputs, sprites, previous_job_ids: NUL-separated
        self.ends = array("Q")  # heap end offset per row
        self.last: _Key | None = None  # the key of the last row
        # filled by seal(): batch name -> (first row, end row)
        self.ranges: dict[str, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.names)

    def add(self, v: tuple[Any, ...]) -> int:
        """Append a record given as its 15 field values in ``JobRecord`` order, types not yet
        checked: ADDED, ODD (nothing appended: not of the packed shape, or not a valid record),
        or UNSORTED (a valid shape whose key is not after the last row's)."""
        batch, name, target, fp, marker, state, intent, jid, sub, fin, code, msg, *lists = v
        words, times = self.words, self.times
        wcodes, tcodes = words.codes, times.codes
        try:  # a list or an object in a field is unhashable: TypeError
            found = [wcodes.get(batch), wcodes.get(target), wcodes.get(state),
                     wcodes.get(code), wcodes.get(msg), tcodes.get(intent), tcodes.get(sub),
                     tcodes.get(fin)]  # fmt: skip
        except TypeError:
            return ODD
        if None in found:
            fields = (batch, target, state, code, msg, intent, sub, fin)
            for i, c in enumerate(found):
                if c is None:
                    found[i] = (words if i < 5 else times).code(fields[i])  # may repeat
            if -1 in found:
                return ODD
        codes = cast(list[int], found)
        if not batch or codes[5] == 0 or type(name) is not str or not name:
            return ODD
        if jid is not None and type(jid) is not str:
            return ODD
        try:
            raw_fp = bytes.fromhex(fp.replace(".", " "))
            raw_marker = bytes.fromhex(marker[4:])
            blob = self._tail(jid, lists)
        except (ValueError, TypeError, AttributeError, UnicodeEncodeError):
            return ODD  # a lone surrogate cannot be encoded: kept whole
        if (
            blob is None
            or len(raw_fp) != FP_BYTES
            or raw_fp.hex(".", FP_GROUP) != fp
            or len(marker) != _MARKER_LEN
            or not marker.startswith(MARKER_PREFIX)
            or raw_marker.hex() != marker[4:]
        ):
            return ODD
        key = (batch, name)
        if self.last is not None and key <= self.last:
            return UNSORTED
        self.last = key
        self.names.append(name)
        self.batch.append(codes[0])
        self.target.append(codes[1])
        self.state.append(codes[2])
        self.code.append(codes[3])
        self.message.append(codes[4])
        self.intent.append(codes[5])
        self.submitted.append(codes[6])
        self.finished.append(codes[7])
        self.shape.append(
            (jid is not None) | len(lists[0]) << 1 | len(lists[1]) << 11 | len(lists[2]) << 21
        )
        self.fingerprints += raw_fp
        self.markers += raw_marker
        self.heap += blob
        self.ends.append(len(self.heap))
        return ADDED

    @staticmethod
    def _tail(jid: str | None, lists: list[Any]) -> bytes | None:
        """The heap bytes of the job ID and the three lists; None if they do not fit (a list
        too long or not a list, a NUL inside a string). TypeError: a non-string in a list."""
        outputs, sprites, previous = lists
        kinds = (list, tuple)
        if type(outputs) not in kinds or type(sprites) not in kinds or type(previous) not in kinds:
            return None
        if max(len(outputs), len(sprites), len(previous)) > _MAX_LIST:
            return None
        parts = (
            [*outputs, *sprites, *previous] if jid is None else [jid, *outputs, *sprites, *previous]
        )
        text = _SEP.join(parts)
        if text.count(_SEP) != max(len(parts) - 1, 0):
            return None
        return text.encode()

    def seal(self) -> Table:
        """Index the batches (contiguous: rows are sorted) once every row is in."""
        values, batch, ranges = self.words.values, self.batch, {}
        start = 0
        for row in range(1, len(batch) + 1):
            if row == len(batch) or batch[row] != batch[start]:
                ranges[str(values[batch[start]])] = (start, row)
                start = row
        self.ranges = ranges
        return self

    def brief(self, row: int) -> tuple[str, str, str | None]:
        """(fingerprint, state, job_id) of ``row`` without building the record."""
        jid = None
        if self.shape[row] & 1:
            start = self.ends[row - 1] if row else 0
            blob = self.heap[start : self.ends[row]]
            cut = blob.find(0)
            jid = (blob if cut < 0 else blob[:cut]).decode()
        state = self.words.values[self.state[row]]
        assert state is not None
        return (
            self.fingerprints[FP_BYTES * row : FP_BYTES * (row + 1)].hex(".", FP_GROUP),
            state,
            jid,
        )

    def fields(self, row: int) -> tuple[Any, ...]:
        """The 15 field values of ``row``, in ``JobRecord`` order."""
        words, times = self.words.values, self.times.values
        shape = self.shape[row]
        start = self.ends[row - 1] if row else 0
        count = (shape & 1) + (shape >> 1 & 1023) + (shape >> 11 & 1023) + (shape >> 21 & 1023)
        parts = self.heap[start : self.ends[row]].decode().split(_SEP) if count else []
        jid = parts.pop(0) if shape & 1 else None
        n_out, n_spr = shape >> 1 & 1023, shape >> 11 & 1023
        return (
            words[self.batch[row]], self.names[row], words[self.target[row]],
            self.fingerprints[FP_BYTES * row : FP_BYTES * (row + 1)].hex(".", FP_GROUP),
            MARKER_PREFIX + self.markers[8 * row : 8 * row + 8].hex(),
            words[self.state[row]], times[self.intent[row]], jid,
            times[self.submitted[row]], times[self.finished[row]],
            words[self.code[row]], words[self.message[row]],
            tuple(parts[:n_out]), tuple(parts[n_out : n_out + n_spr]),
            tuple(parts[n_out + n_spr :]),
        )  # fmt: skip


class Layer:
    """One segment's job lines: sorted ones packed in ``table``, the rest in ``overlay``."""

    def __init__(self, words: Pool, times: Pool) -> None:
        self.table = Table(words, times)
        self.overlay: dict[_Key, JobRecord | None] = {}
        self.in_order = True  # lines still arrive in strictly increasing key order

    @classmethod
    def of(cls, table: Table, overlay: dict[_Key, JobRecord | None]) -> Layer:
        layer = cls(table.words, table.times)
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


_Row = tuple[_Key, Table | None, int, JobRecord | None]  # table None + rec None: removed


def stream(layer: Layer, removed: bool = False) -> Iterator[_Row]:
    """The layer's keys in order with where each record is: (key, table, row, None) for a
    packed row, (key, None, -1, record) for an overlay record; tombstones only if ``removed``."""
    table, overlay = layer.table, layer.overlay
    extra = sorted(overlay)
    i, n = 0, len(extra)
    names = table.names
    for batch in sorted(table.ranges):
        start, end = table.ranges[batch]
        for row in range(start, end):
            key = (batch, names[row])
            while i < n and extra[i] <= key:
                k = extra[i]
                rec = overlay[k]
                i += 1
                if rec is not None or removed:
                    yield k, None, -1, rec
                if k == key:
                    break
            else:
                yield key, table, row, None
    for k in extra[i:]:
        rec = overlay[k]
        if rec is not None or removed:
            yield k, None, -1, rec


def _merge(older: Iterator[_Row], newer: Iterator[_Row]) -> Iterator[_Row]:
    """Two layers' streams in key order, the newer winning a key both have."""
    a, b = next(older, None), next(newer, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            yield a
            a = next(older, None)
            continue
        if a is not None and a[0] == b[0]:
            a = next(older, None)
        if b[1] is not None or b[3] is not None:
            yield b
        b = next(newer, None)


def fold(layers: list[Layer]) -> Layer:
    """One layer holding ``layers`` applied oldest first: every row that fits packed again,
    odd records kept whole in the overlay."""
    out = Layer(layers[0].table.words, layers[0].table.times)
    rows: Iterator[_Row] = stream(layers[0])
    for layer in layers[1:]:
        rows = _merge(rows, stream(layer, removed=True))
    for key, table, row, rec in rows:
        if table is not None:
            fields = table.fields(row)
            rec = None if out.table.add(fields) == ADDED else JobRecord(*fields)
        elif rec is not None and out.table.add(values(rec)) == ADDED:
            rec = None
        if rec is not None:
            out.overlay[key] = rec
    return out.seal()


def values(rec: JobRecord) -> tuple[Any, ...]:
    """A record's 15 field values, in constructor order."""
    return tuple(getattr(rec, name) for name in JobRecord._KINDS)
