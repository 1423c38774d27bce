"""Pack sidecars: a big segment's packed columns saved beside it, so a read maps them back.

Why: a read-only snapshot packs its records into columns (:mod:`.packing`). Building them from
a segment means decoding every JSON line and checking every field: about 8 s of a 15 s no-op
plan at a million jobs. The columns are a pure function of the segment, so the writer that
creates a segment of at least :data:`PACK_MIN_JOBS` job lines also saves them, as
``<serial>-<nonce>.pack`` beside ``<serial>-<nonce>.jsonl.gz`` (the same directory locally,
the same prefix on COS). A read with a usable pack decompresses a few columns instead.

A pack is only ever a cache. The segment stays the record: the header names segments, not
packs; writers, merges and ``state pull`` read segments only. A reader uses a pack only when
it names the segment by the size and SHA-256 the header records, its own SHA-256 matches,
its byte order and integer sizes are this machine's, and its columns agree with each other;
anything else (no pack, a torn or foreign one, another format) and the segment is read as
before. So a pack can be deleted at any time, and a bad one costs time, never a wrong record.

Layout: a magic line, one JSON line of metadata (the segment's identity, the pools' values,
the lines the table does not hold -- templates and odd records, as segment lines -- and the
columns' lengths), the columns each zlib-compressed, then the SHA-256 of all that.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from array import array
from codecs import getincrementaldecoder
from itertools import islice
from operator import ge, lt
from typing import Any, Final

from reconciler.model.records import JobRecord
from reconciler.state.packing import _INTS, Layer, Pool, Pools, Table
from reconciler.state.segments import SEGMENT_SUFFIX, SegmentInfo, encode_raw, job_line

#: Segments with fewer job lines get no pack: decoding them costs less than a request for it.
PACK_MIN_JOBS: Final = 4096
PACK_SUFFIX: Final = ".pack"
_MAGIC: Final = b"reconciler-pack 1\n"
_LEVEL: Final = 1  # most of the bytes are digests and IDs: more effort buys little
#: (column, array typecode or "" for bytes) in file order.
_COLUMNS: Final = (
    ("blob", ""), ("sparse", ""), ("block_rows", "I"), ("block_offs", "Q"), ("ints", "I"),
    ("fixed", ""), ("heap", ""), ("ends", "Q"),
)  # fmt: skip
_CHUNK: Final = 1 << 18  # bytes checked, or compressed bytes inflated, at a time
_ITEMSIZES: Final = [array("I").itemsize, array("Q").itemsize]


def pack_name(segment: str) -> str:
    """The pack of segment ``segment``: its name with ``.pack`` for ``.jsonl.gz``."""
    return segment.removesuffix(SEGMENT_SUFFIX) + PACK_SUFFIX


def with_packs(names: set[str]) -> set[str]:
    """``names`` and the packs of those segments (a pack lives and dies with its segment)."""
    return names | {pack_name(n) for n in names}


class PackBuilder:
    """Builds a segment's layer from its lines as the writer encodes them: give
    :meth:`take` as the ``sink`` of :func:`~.segments.encode_lines`, then :meth:`encode`."""

    def __init__(self) -> None:
        self.layer = Layer(Pools())
        self.lines: list[str] = []  # template lines, in segment order

    def take(self, raw: dict[str, Any]) -> None:
        """One segment line as its JSON value, before it is encoded."""
        [(kind, value)] = raw.items()
        if kind == "job":
            self.layer.job(value)
        elif kind == "drop_job":
            self.layer.drop((value[0], value[1]))
        else:
            self.lines.append(encode_raw(raw))

    def encode(self, info: SegmentInfo) -> bytes:
        """The pack of the segment ``info`` describes (the lines given to :meth:`take`)."""
        layer = self.layer.seal()
        return encode_pack(layer.table, self.lines + _overlay_lines(layer.overlay), info)


def _overlay_lines(overlay: dict[tuple[str, str], JobRecord | None]) -> list[str]:
    return [encode_raw(job_line(key, rec)) for key, rec in sorted(overlay.items())]


def encode_pack(table: Table, lines: list[str], info: SegmentInfo) -> bytes:
    """The pack bytes of ``table`` (with ``lines`` the segment lines it does not hold)."""
    pools = table.pools
    raw = {name: memoryview(getattr(table, name)) for name, _ in _COLUMNS if name != "sparse"}
    raw["sparse"] = memoryview("\x00".join(table.sparse).encode())
    bodies = [zlib.compress(raw[name], _LEVEL) for name, _ in _COLUMNS]
    meta = {
        "segment": info.name, "bytes": info.size, "sha256": info.sha256,
        "byteorder": sys.byteorder, "itemsizes": _ITEMSIZES,
        "rows": table.rows, "last": None if table.last is None else list(table.last),
        "batches": pools.batches.values, "words": pools.words.values,
        "times": pools.times.values[1:], "lines": lines,
        "columns": [[len(b), raw[n].nbytes] for b, (n, _) in zip(bodies, _COLUMNS, strict=True)],
    }  # fmt: skip
    # ASCII: a lone surrogate (which a record read from an escaped line may hold) survives.
    head = _MAGIC + json.dumps(meta, separators=(",", ":")).encode() + b"\n"
    digest = hashlib.sha256(head)
    for body in bodies:
        digest.update(body)
    return b"".join([head, *bodies, digest.digest()])


class _Bad(Exception):
    """The pack is not usable (the caller reads the segment instead)."""


def decode_pack(data: bytes, info: SegmentInfo) -> tuple[Layer, list[str]] | None:
    """The layer a pack holds and the segment lines to apply on top (templates, odd records);
    None when the pack is not usable for the segment ``info``: the caller reads the segment."""
    try:
        return _decode(data, info)
    except (_Bad, ValueError, TypeError, KeyError, IndexError, zlib.error):
        return None


def _decode(data: bytes, info: SegmentInfo) -> tuple[Layer, list[str]]:
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + 32:
        raise _Bad("not a pack of this format")
    view = memoryview(data)
    if hashlib.sha256(view[:-32]).digest() != data[-32:]:
        raise _Bad("damaged")
    end = data.index(b"\n", len(_MAGIC))
    meta = json.loads(view[len(_MAGIC) : end].tobytes())
    if (meta["segment"], meta["bytes"], meta["sha256"]) != (info.name, info.size, info.sha256):
        raise _Bad("made for another segment")
    if (meta["byteorder"], meta["itemsizes"]) != (sys.byteorder, _ITEMSIZES):
        raise _Bad("made on another kind of machine")
    table = Table(_pools(meta))
    _columns(table, view[end + 1 : -32], meta["columns"])
    table.rows = _int(meta["rows"])
    table.last = None if meta["last"] is None else (meta["last"][0], meta["last"][1])
    _check(table)
    lines = meta["lines"]
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise _Bad("lines")
    layer = Layer.of(table.seal(), {})
    layer.in_order = False  # the lines go on top, into the overlay
    return layer, lines


def _int(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise _Bad("not a count")
    return value


def _pools(meta: dict[str, Any]) -> Pools:
    """The pools, every value checked as :class:`Pool` checks a value it first sees."""
    pools = Pools()
    _fill(pools.batches, meta["batches"], lambda v: v)
    _fill(pools.words, meta["words"], lambda v: tuple(v) if type(v) is list else v)
    _fill(pools.times, meta["times"], lambda v: v)
    return pools


def _fill(pool: Pool, values: Any, shape: Any) -> None:
    if type(values) is not list:
        raise _Bad("pool")
    for value in values:
        value = shape(value)
        if value in pool.codes or pool.new(value) < 0:
            raise _Bad("pool value")


def _columns(table: Table, body: memoryview, sizes: Any) -> None:
    if type(sizes) is not list or len(sizes) != len(_COLUMNS):
        raise _Bad("columns")
    at = 0
    for (name, code), (packed, size) in zip(_COLUMNS, sizes, strict=True):
        column: Any = array(code) if code else bytearray()
        _inflate(body[at : at + _int(packed)], column)
        at += packed
        if len(column) * (column.itemsize if code else 1) != size:
            raise _Bad("column size")
        if name == "sparse":
            column = column.decode().split("\x00") if column else []
        setattr(table, name, column)
    if at != len(body):
        raise _Bad("trailing bytes")


def _inflate(body: memoryview, out: bytearray | array[int]) -> None:
    """Decompress ``body`` onto ``out`` a slice at a time (never a second whole copy)."""
    unzip = zlib.decompressobj()
    width = out.itemsize if isinstance(out, array) else 1
    add = out.frombytes if isinstance(out, array) else out.extend
    carry = b""  # the end of a slice that is not a whole item yet
    for start in range(0, len(body), _CHUNK):
        chunk = carry + unzip.decompress(body[start : start + _CHUNK])
        cut = len(chunk) - len(chunk) % width
        add(chunk[:cut] if cut < len(chunk) else chunk)
        carry = chunk[cut:]
    if carry + unzip.flush() or not unzip.eof or unzip.unused_data:
        raise _Bad("a column is torn")


def _check(t: Table) -> None:
    """The columns agree with each other and with the pools (so no later access can index
    out of a column or a pool); all of it at C speed."""
    rows, blocks = t.rows, len(t.block_rows)
    if (len(t.ints), len(t.fixed), len(t.ends)) != (_INTS * rows, 32 * rows, rows):
        raise _Bad("column lengths")
    if len(t.block_offs) != blocks or len(t.sparse) != blocks or (rows == 0) != (blocks == 0):
        raise _Bad("blocks")
    if rows:
        if t.block_rows[0] != 0 or t.block_offs[0] != 0 or t.block_rows[-1] >= rows:
            raise _Bad("first block")
        if t.ends[-1] != len(t.heap) or t.blob.count(0) != rows or t.blob[-1:] != b"\x00":
            raise _Bad("heap or names")
        for starts in (t.block_rows, t.block_offs):
            if any(map(ge, starts, islice(starts, 1, None))):
                raise _Bad("blocks out of order")
        _check_blocks(t)
        if any(map(lt, islice(t.ends, 1, None), t.ends)):
            raise _Bad("heap ends out of order")
        pools = t.pools
        times = len(pools.times.values)
        limits = (len(pools.batches.values), len(pools.words.values), times, times, times)
        for at, limit in enumerate(limits):
            if max(t.ints[at::_INTS]) >= limit:
                raise _Bad("a code outside its pool")
        if min(t.ints[2::_INTS]) == 0:
            raise _Bad("a row without intent time")
        if t.last is None or not all(type(x) is str for x in t.last):
            raise _Bad("last key")
    _utf8(t.blob)
    _utf8(t.heap)


def _check_blocks(t: Table) -> None:
    """Each block holds as many names as its rows (a look-up's row is its block's first row
    plus the name's place in the block)."""
    count, offs, starts = t.blob.count, t.block_offs, t.block_rows
    ends = [*islice(offs, 1, None), len(t.blob)]
    last = [*islice(starts, 1, None), t.rows]
    if any(count(0, a, b) != r - q for a, b, q, r in zip(offs, ends, starts, last, strict=True)):
        raise _Bad("a block's names do not match its rows")


def _utf8(column: bytearray) -> None:
    """UnicodeDecodeError (a ValueError) unless the column is UTF-8, without a copy of it."""
    decoder = getincrementaldecoder("utf-8")()
    view = memoryview(column)
    for start in range(0, len(view), _CHUNK):
        decoder.decode(view[start : start + _CHUNK])
    decoder.decode(b"", final=True)
