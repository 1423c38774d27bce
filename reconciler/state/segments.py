"""State format v2: a small header naming immutable segments of records (an LSM in miniature).

Why: a v1 state is one JSON document rewritten whole at every compaction (47 MB at 100,000
jobs, locally and on COS). In v2 a compaction writes ONE new segment holding only the records
that changed since the last one (and the segments it merges, see :func:`merge_start`), then a
new header; so a run's cost grows with what it changed, amortised O(changes x log N).

Header (the state file itself locally, each ``<key>.states/<serial>`` object on COS)::

    {"version": 2, "serial": 7, "lineage": "...", "written_at": "2026-11-29T09:00:00Z",
     "segments": [{"name": "000000000003-1f2e....jsonl", "templates": 20, "jobs": 100000,
                   "bytes": 47000000, "sha256": "..."}, ...]}

Segments are listed oldest first. A segment is a gzip file (``zcat NAME | jq`` reads it) of
JSON lines sorted by key, templates first:
``{"template": {...}}``, ``{"job": {...}}``, and tombstones ``{"drop_template": [target, name]}``
and ``{"drop_job": [batch, input_object]}``. Reading applies the segments in order: a newer
line for a key replaces an older one and a tombstone removes it. The header is written last
(atomically), and names each segment with its size and SHA-256, so a torn or foreign segment is
refused instead of read. Gzip (level 3) makes segments about five times smaller on disk and on
COS, and lets a reader decode a segment in slices without holding its text.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

from reconciler.errors import StateError
from reconciler.model.records import JobRecord, RecordError, TemplateRecord
from reconciler.state.packing import Layer

#: The format version of headers (and of self-contained documents, see :mod:`.document`).
HEADER_VERSION: Final = 2
#: Tiered merging: the newest segments are merged while the next older one holds at most
#: MERGE_FACTOR times as many lines as those merged so far; and never more than MAX_SEGMENTS.
MERGE_FACTOR: Final = 2
MAX_SEGMENTS: Final = 16
#: Header files are tiny; anything bigger is a whole document (v1, or a pulled copy).
HEADER_MAX_BYTES: Final = 1 << 20
_HEADER_KEYS: Final = ("version", "serial", "lineage", "written_at", "segments")
_INFO_KEYS: Final = ("name", "templates", "jobs", "bytes", "sha256")

SEGMENT_SUFFIX: Final = ".jsonl.gz"
_GZIP: Final = 31  # zlib window bits for the gzip container
_LEVEL: Final = 3
_SLICE: Final = 1 << 20  # compressed bytes decoded at a time

_Key = tuple[str, str]
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
#: Digest-checked segment lines are decoded without ``json.loads``'s per-call set-up.
_PLAIN: Final = json.JSONDecoder()
#: ``decode`` without its Python wrapper (two regex matches per line): (value, end index).
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = _PLAIN.scan_once  # type: ignore[attr-defined]


class SegmentMissing(StateError):
    """A segment named by the header is gone (a compaction replaced it meanwhile): read again."""


@dataclass(frozen=True)
class SegmentInfo:
    """What the header says about one segment."""

    name: str
    templates: int  # template lines (records and tombstones)
    jobs: int  # job lines (records and tombstones)
    size: int
    sha256: str

    @property
    def lines(self) -> int:
        return self.templates + self.jobs

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "templates": self.templates, "jobs": self.jobs,
                "bytes": self.size, "sha256": self.sha256}  # fmt: skip


@dataclass(frozen=True)
class Header:
    """A v2 state header: which segments, in which order, make the state."""

    serial: int
    lineage: str
    written_at: str
    segments: tuple[SegmentInfo, ...]


def segment_name(serial: int) -> str:
    """A fresh name for a segment first named by header ``serial`` (unique: a crashed writer's
    orphan never collides with the next attempt)."""
    return f"{serial:012d}-{uuid.uuid4().hex[:16]}{SEGMENT_SUFFIX}"


def is_segment_name(name: str) -> bool:
    stem, dot, ext = name.partition(".")
    serial, dash, nonce = stem.partition("-")
    return (dot + ext, dash) == (SEGMENT_SUFFIX, "-") and serial.isdigit() and len(nonce) == 16


def render_header(header: Header) -> bytes:
    """The header bytes: one field per line and one segment per line, for readable diffs."""
    lines = [
        "{",
        f'  "version": {HEADER_VERSION},',
        f'  "serial": {header.serial},',
        f'  "lineage": {json.dumps(header.lineage)},',
        f'  "written_at": {json.dumps(header.written_at)},',
    ]
    infos = [_ENCODER.encode(s.to_dict()) for s in header.segments]
    if infos:
        lines += ['  "segments": [', *(f"    {i}," for i in infos[:-1]), f"    {infos[-1]}", "  ]"]
    else:
        lines.append('  "segments": []')
    return ("\n".join(lines) + "\n}\n").encode()


def _nonneg(raw: dict[str, Any], name: str) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name!r} must be a non-negative integer, not {value!r}")
    return value


def _info(raw: Any) -> SegmentInfo:
    if not isinstance(raw, dict) or sorted(raw) != sorted(_INFO_KEYS):
        raise ValueError(f"a segment entry must have exactly the keys {', '.join(_INFO_KEYS)}")
    name, digest = raw["name"], raw["sha256"]
    if not isinstance(name, str) or not is_segment_name(name):
        raise ValueError(f"bad segment name {name!r}")
    if not isinstance(digest, str) or len(digest) != 64:
        raise ValueError(f"bad sha256 for segment {name}")
    sizes = [_nonneg(raw, k) for k in ("templates", "jobs", "bytes")]
    return SegmentInfo(name, sizes[0], sizes[1], sizes[2], digest)


def header_fields(raw: dict[str, Any]) -> Header:
    """The header in ``raw`` (already checked: version 2, a ``segments`` key); ValueError if
    any field is malformed. Lineage and serial are checked by the caller (:mod:`.document`)."""
    unknown = sorted(set(raw) - set(_HEADER_KEYS))
    missing = [k for k in _HEADER_KEYS if k not in raw]
    if unknown or missing:
        raise ValueError(f"unknown key {unknown[0]!r}" if unknown else f"missing {missing[0]!r}")
    if not isinstance(raw["written_at"], str) or not isinstance(raw["segments"], list):
        raise ValueError("'written_at' must be a string and 'segments' a list")
    infos = tuple(_info(s) for s in raw["segments"])
    if len({i.name for i in infos}) != len(infos):
        raise ValueError("a segment is named twice")
    return Header(raw["serial"], raw["lineage"], raw["written_at"], infos)


def encode_raw(raw: dict[str, Any]) -> str:
    """One segment line's text (without its newline)."""
    return _ENCODER.encode(raw)


def job_line(key: _Key, rec: JobRecord | None) -> dict[str, Any]:
    """The JSON value of the segment line for job ``key``: its record, or a tombstone."""
    return {"drop_job": list(key)} if rec is None else {"job": rec.to_dict()}


def encode_lines(
    templates: Mapping[_Key, TemplateRecord | None],
    jobs: Mapping[_Key, JobRecord | None],
    sink: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[bytes]:
    """The segment's lines, sorted by key, templates first (None: a tombstone); each line's
    JSON value also goes to ``sink`` (a pack being built from the same lines)."""
    for tkey in sorted(templates):
        trec = templates[tkey]
        raw = {"drop_template": list(tkey)} if trec is None else {"template": trec.to_dict()}
        if sink is not None:
            sink(raw)
        yield _ENCODER.encode(raw).encode() + b"\n"
    for jkey, jrec in _in_key_order(jobs):
        raw = job_line(jkey, jrec)
        if sink is not None:
            sink(raw)
        yield _ENCODER.encode(raw).encode() + b"\n"


@runtime_checkable
class KeySorted(Protocol):
    """Records that stream themselves in key order (the packed ones, and a writer's)."""

    def pairs(self) -> Iterator[tuple[_Key, Any]]: ...


def _in_key_order(jobs: Mapping[_Key, JobRecord | None]) -> Iterator[tuple[_Key, Any]]:
    """(key, value) in key order; streamed when ``jobs`` can (a full compaction of a million
    packed records then builds no list of every key and looks none up)."""
    if isinstance(jobs, KeySorted):
        return jobs.pairs()
    return ((key, jobs[key]) for key in sorted(jobs))


class SegmentBuilder:
    """Compresses, counts, sizes and hashes segment lines as they are written (one pass):
    :meth:`add` and then :meth:`finish` return the bytes to store, in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._sha = hashlib.sha256()
        self._zip = zlib.compressobj(_LEVEL, zlib.DEFLATED, _GZIP)
        self._templates = self._jobs = self._size = 0

    def _out(self, data: bytes) -> bytes:
        self._sha.update(data)
        self._size += len(data)
        return data

    def add(self, line: bytes) -> bytes:
        if line.startswith((b'{"template"', b'{"drop_template"')):
            self._templates += 1
        else:
            self._jobs += 1
        return self._out(self._zip.compress(line))

    def finish(self) -> bytes:
        return self._out(self._zip.flush())

    def info(self) -> SegmentInfo:
        return SegmentInfo(
            self.name, self._templates, self._jobs, self._size, self._sha.hexdigest()
        )


def _lines(data: bytes) -> Iterator[bytes]:
    """The decompressed lines of a stored segment, a slice at a time (never the whole text)."""
    unzip = zlib.decompressobj(_GZIP)
    rest = b""
    for start in range(0, len(data), _SLICE):
        rest += unzip.decompress(data[start : start + _SLICE])
        *lines, rest = rest.split(b"\n")
        yield from lines
    rest += unzip.flush()
    if rest or not unzip.eof:
        raise ValueError("the segment ends in the middle of a line")


def _text_lines(data: bytes) -> Iterator[str]:
    """:func:`_lines` decoded: a slice's whole lines are decoded at once, not line by line. A
    slice that is not UTF-8 is decoded line by line, so the error comes at its own line."""
    unzip = zlib.decompressobj(_GZIP)
    rest = b""
    for start in range(0, len(data), _SLICE):
        rest += unzip.decompress(data[start : start + _SLICE])
        cut = rest.rfind(b"\n")
        if cut < 0:
            continue
        block, rest = rest[:cut], rest[cut + 1 :]
        try:
            yield from block.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            for line in block.split(b"\n"):
                yield line.decode("utf-8")
    rest += unzip.flush()
    if rest or not unzip.eof:
        raise ValueError("the segment ends in the middle of a line")


def verify(data: bytes, info: SegmentInfo, where: str) -> None:
    """Refuse a segment whose size or SHA-256 differ from what its header records."""
    if len(data) != info.size or hashlib.sha256(data).hexdigest() != info.sha256:
        raise StateError(
            f"{where}: segment {info.name} does not match the size and SHA-256 its header "
            "records (damaged or replaced); it was left untouched"
        )


def apply_segment(
    data: bytes,
    info: SegmentInfo,
    where: str,
    templates: dict[_Key, TemplateRecord],
    jobs: dict[_Key, JobRecord] | Layer,
) -> None:
    """Apply one segment's lines onto the records (newer wins, tombstones drop); ``jobs`` is a
    dict (writers) or the packed :class:`~reconciler.state.packing.Layer` of a snapshot.

    The digest is checked first: a segment that matches it is exactly what a writer rendered,
    so its lines are decoded with the plain C JSON decoder (no duplicate-key hook; about twice
    as fast at a million lines); every record is still validated (``from_dict``'s checks).
    """
    verify(data, info, where)
    apply_lines(_text_lines(data), f"{where}: segment {info.name}", templates, jobs)


def apply_lines(
    lines: Iterable[str],
    where: str,
    templates: dict[_Key, TemplateRecord],
    jobs: dict[_Key, JobRecord] | Layer,
) -> None:
    """Apply segment lines in order (see :func:`apply_segment`); ``where`` names their source
    in the one-line error."""
    sink = _DictSink(jobs) if isinstance(jobs, dict) else jobs
    number = 0  # lines applied
    try:
        for text in lines:
            try:  # the C scanner alone; any surprise goes through decode() and its checks
                raw, end = _SCAN(text, 0)
            except StopIteration:
                end = -1
            if end != len(text):
                raw = _PLAIN.decode(text)
            if len(raw) != 1:
                raise RecordError("one key per line")
            [(kind, value)] = raw.items()
            if kind == "job":
                sink.job(value)
            else:
                _apply(kind, value, templates, sink)
            number += 1
    except (ValueError, AttributeError, TypeError, zlib.error) as exc:
        raise StateError(f"{where} line {number + 1}: {exc}") from None


class _DictSink:
    """Job lines onto a plain dict of records (the writers' form)."""

    def __init__(self, jobs: dict[_Key, JobRecord]) -> None:
        self.jobs = jobs

    def job(self, value: Any) -> None:
        rec = JobRecord.from_full_dict(value)
        self.jobs[rec.key] = rec

    def drop(self, key: _Key) -> None:
        self.jobs.pop(key, None)


def _apply(
    kind: str, value: Any, templates: dict[_Key, TemplateRecord], jobs: _DictSink | Layer
) -> None:
    if kind == "template":
        trec = TemplateRecord.from_dict(value)
        templates[trec.key] = trec
    elif kind == "drop_job" and _is_key(value):
        jobs.drop((value[0], value[1]))
    elif kind == "drop_template" and _is_key(value):
        templates.pop((value[0], value[1]), None)
    else:
        raise RecordError(f"unknown line kind {kind!r} or bad key")


def _is_key(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def segment_keys(data: bytes) -> Iterator[tuple[str, _Key]]:
    """("template" | "job", key) of every line of a verified segment, for merging."""
    for line in _lines(data):
        kind, value = next(iter(json.loads(line).items()))
        if kind in ("drop_job", "drop_template"):
            yield kind[5:], (value[0], value[1])
        elif kind == "job":
            yield "job", (value["batch"], value["input_object"])
        else:
            yield "template", (value["target"], value["name"])


def merge_start(lines: Iterable[int]) -> int:
    """Index of the oldest segment to merge into the new one (``len`` = merge none).

    ``lines`` holds the line counts of the current segments, oldest first, followed by the new
    segment's. Size-tiered: walking back from the newest, a segment joins the merge while it is
    at most MERGE_FACTOR times the lines merged so far, so segments grow geometrically, there
    are O(log N) of them, and each record is rewritten O(log N) times over its life. A run that
    changes 1,000 records of a million writes about 1,000 lines, except on the rare run that
    closes a tier.
    """
    counts = list(lines)
    start = len(counts) - 1
    merged = counts[start]
    while start > 0 and (counts[start - 1] <= MERGE_FACTOR * merged or start >= MAX_SEGMENTS):
        start -= 1
        merged += counts[start]
    return start
