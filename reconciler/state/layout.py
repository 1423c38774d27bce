"""Reading a state file of any version, and planning the next v2 version: shared by both stores.

The stores differ only in where the header and the segments live (files beside the state
file, or objects under the COS key) and how they are made durable; what a header means and
what the next segment holds is decided here once (:func:`load_state`, :func:`plan_compaction`).

A base that is a whole document (a version 1 file, or a self-contained copy pushed as the state
file) is migrated on the first compaction that changes something: it is then written as one
full segment and a v2 header. Until then it is read as it is.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from reconciler.errors import StateError
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.model.times import utc_now
from reconciler.state.document import (
    Document,
    check_lineage,
    check_version,
    parse_document,
    refusal,
    strict_json,
)
from reconciler.state.packfile import PACK_MIN_JOBS, PackBuilder, decode_pack
from reconciler.state.packing import Layer, Pools
from reconciler.state.segments import (
    HEADER_MAX_BYTES,
    HEADER_VERSION,
    Header,
    SegmentInfo,
    SegmentMissing,
    apply_lines,
    apply_segment,
    encode_lines,
    header_fields,
    merge_start,
    segment_keys,
    segment_name,
    verify,
)

_Key = tuple[str, str]
#: A packed read keeps a segment of at most this many job lines (or a sixteenth of the rows
#: below it) as whole records on top of the layer below, rather than folding a new layer in.
SMALL_SEGMENT: Final = 4096
#: Reads one segment by name; None when it does not exist.
ReadSegment = Callable[[str], bytes | None]


@dataclass(frozen=True)
class Loaded:
    """A state as read: its records, and the header they came from (None: a whole document,
    or nothing yet; the next compaction then writes every record). A packed read
    (``load_state(..., packed=True)``) leaves ``doc.jobs`` empty and fills ``packed``: its
    layers, oldest first (:mod:`.layers`)."""

    doc: Document
    header: Header | None
    packed: tuple[Layer, ...] | None = None


def _header(raw: Any, path: Path) -> Header | None:
    if not isinstance(raw, dict) or "segments" not in raw:
        return None
    if check_version(raw, path) != HEADER_VERSION:
        raise refusal(path, "a header with 'segments' must have version 2")
    try:
        header = header_fields(raw)
    except ValueError as exc:
        raise refusal(path, str(exc)) from None
    serial = header.serial
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise refusal(path, f"'serial' must be a non-negative integer, not {serial!r}")
    check_lineage(header.lineage, path)
    return header


def parse_state_file(data: bytes, path: Path) -> Document | Header:
    """A v2 header, or a whole document (version 1, or a self-contained version 2 copy)."""
    if len(data) <= HEADER_MAX_BYTES:
        try:
            raw = strict_json(data)
        except (ValueError, RecursionError):
            raw = None  # the document parse says precisely what is wrong
        header = _header(raw, path)
        if header is not None:
            return header
    return parse_document(data, path)


def load_state(
    data: bytes,
    path: Path,
    read_segment: ReadSegment,
    *,
    packed: bool = False,
    small_segment: int = SMALL_SEGMENT,
    read_pack: ReadSegment | None = None,
    verify_packed: bool = False,
) -> Loaded:
    """The state whose header (or whole document) is ``data``; ``SegmentMissing`` when a
    segment it names is gone (a writer replaced it meanwhile: the caller reads again).

    ``packed``: the jobs go into a packed :class:`Layer` (for a read-only snapshot, see
    :mod:`.packed`) instead of a dict of records (``small_segment``: see ``SMALL_SEGMENT``);
    ``read_pack`` reads a segment's pack sidecar (:mod:`.packfile`), used instead of the
    segment when it is usable; ``verify_packed`` (a writer's load) still reads such a segment
    and checks its size and SHA-256, without decoding it, so a writer never builds on a damaged
    segment a later merge would need. A whole document is never packed."""
    parsed = parse_state_file(data, path)
    if isinstance(parsed, Document):
        return Loaded(parsed, None)
    templates: dict[_Key, TemplateRecord] = {}
    jobs: dict[_Key, JobRecord] = {}
    layers: list[Layer] = []
    pools = Pools()
    collecting = gc.isenabled()
    gc.disable()  # millions of new acyclic objects: each full collection would scan them all
    try:
        for info in parsed.segments:
            if packed and read_pack is not None and not _joins_below(info, layers, small_segment):
                layer = _from_pack(info, read_pack, f"state {path}", templates)
                if layer is not None:
                    if verify_packed:
                        verify(_segment(read_segment, info, path), info, f"state {path}")
                    layers.append(layer)
                    continue
            seg = _segment(read_segment, info, path)
            sink: dict[_Key, JobRecord] | Layer = jobs
            if packed:
                sink = _layer_for(info, layers, pools, small_segment)
            apply_segment(seg, info, f"state {path}", templates, sink)
            del seg
        stack = (tuple(x.seal() for x in layers) or (Layer(pools).seal(),)) if packed else None
    finally:
        if collecting:
            gc.enable()
    doc = Document(HEADER_VERSION, parsed.serial, parsed.lineage, templates, jobs)
    return Loaded(_with_time(doc, parsed.written_at), parsed, stack)


def verify_segments(data: bytes, path: Path, read_segment: ReadSegment) -> int:
    """Check the segments the header ``data`` names (see ``StateStore.verify``); 0 for a
    whole document."""
    parsed = parse_state_file(data, path)
    if isinstance(parsed, Document):
        return 0
    for info in parsed.segments:
        verify(_segment(read_segment, info, path), info, f"state {path}")
    return len(parsed.segments)


def _segment(read_segment: ReadSegment, info: SegmentInfo, path: Path) -> bytes:
    """The bytes of the segment ``info`` names; ``SegmentMissing`` when it is gone."""
    seg = read_segment(info.name)
    if seg is None:
        raise SegmentMissing(
            f"state {path}: segment {info.name} named by its header is missing; "
            "restore it, or the previous header and its segments, from a copy"
        )
    return seg


def _joins_below(info: SegmentInfo, layers: list[Layer], small: int) -> bool:
    """A packed read puts a small segment's jobs on top of the layer below (its overlay), a
    big one in a layer of its own (the snapshot reads the layers as one)."""
    rows = sum(len(x.table) + len(x.overlay) for x in layers)
    return bool(layers) and info.jobs <= max(small, rows // 16)


def _layer_for(info: SegmentInfo, layers: list[Layer], pools: Pools, small: int) -> Layer:
    if _joins_below(info, layers, small):
        layers[-1].in_order = False
        return layers[-1]
    layers.append(Layer(pools))
    return layers[-1]


def _from_pack(
    info: SegmentInfo,
    read_pack: ReadSegment,
    where: str,
    templates: dict[_Key, TemplateRecord],
) -> Layer | None:
    """The layer of a big segment from its pack (the lines it carries applied on top); None
    when there is no usable pack (the caller reads the segment)."""
    if info.jobs < PACK_MIN_JOBS:
        return None
    data = read_pack(info.name)
    unpacked = None if data is None else decode_pack(data, info)
    if unpacked is None:
        return None
    del data
    layer, lines = unpacked
    before = dict(templates)
    try:
        apply_lines(lines, f"{where}: pack of segment {info.name}", templates, layer)
    except StateError:  # a pack we do not understand: read the segment instead
        templates.clear()
        templates.update(before)
        return None
    return layer


def _with_time(doc: Document, written_at: str) -> Document:
    return Document(doc.version, doc.serial, doc.lineage, doc.templates, doc.jobs, written_at)


@dataclass
class Compaction:
    """The next version: keep ``keep``, add one segment holding ``templates`` and ``jobs``
    (None values are tombstones), then a header at ``serial``."""

    serial: int
    lineage: str
    keep: tuple[SegmentInfo, ...]
    templates: Mapping[_Key, TemplateRecord | None]
    jobs: Mapping[_Key, JobRecord | None]
    name: str

    @property
    def empty(self) -> bool:
        """Nothing to write as a segment (e.g. every record dropped): only the header."""
        return not self.templates and not self.jobs

    def lines(self, pack: PackBuilder | None = None) -> Iterator[bytes]:
        """The segment's lines; ``pack`` (from :meth:`pack_builder`) sees each as it goes."""
        return encode_lines(self.templates, self.jobs, None if pack is None else pack.take)

    def pack_builder(self) -> PackBuilder | None:
        """A builder of the segment's pack sidecar, when it is big enough to want one."""
        return PackBuilder() if len(self.jobs) >= PACK_MIN_JOBS else None

    def header(self, info: SegmentInfo | None) -> Header:
        segments = self.keep if info is None else (*self.keep, info)
        return Header(self.serial, self.lineage, utc_now(), segments)


def full_compaction(
    serial: int,
    lineage: str,
    templates: Mapping[_Key, TemplateRecord],
    jobs: Mapping[_Key, JobRecord],
) -> Compaction:
    """Every record in one segment (migration, ``state push``, a merge of every tier)."""
    return Compaction(serial, lineage, (), templates, jobs, segment_name(serial))


def plan_compaction(
    header: Header | None,
    changed: tuple[Mapping[_Key, TemplateRecord | None], Mapping[_Key, JobRecord | None]],
    records: tuple[Mapping[_Key, TemplateRecord], Mapping[_Key, JobRecord]],
    serial: int,
    lineage: str,
    read_segment: ReadSegment,
) -> Compaction:
    """The version at ``serial`` after the ``changed`` records (their new values; None:
    dropped). The new segment also absorbs the newest segments :func:`merge_start` picks: their
    keys are read back from storage and take their current values from ``records``."""
    templates, jobs = records
    if header is None:
        return full_compaction(serial, lineage, templates, jobs)
    segs = header.segments
    start = merge_start([s.lines for s in segs] + [len(changed[0]) + len(changed[1])])
    if start == 0:
        return full_compaction(serial, lineage, templates, jobs)
    out_t: dict[_Key, TemplateRecord | None] = dict(changed[0])
    out_j: dict[_Key, JobRecord | None] = dict(changed[1])
    for info in segs[start:]:
        data = read_segment(info.name)
        if data is None:
            raise SegmentMissing(f"state segment {info.name} disappeared while merging")
        verify(data, info, "state")
        for kind, key in segment_keys(data):
            if kind == "job":
                out_j[key] = jobs.get(key)
            else:
                out_t[key] = templates.get(key)
    return Compaction(serial, lineage, segs[:start], out_t, out_j, segment_name(serial))
