"""The v2 segment files of a local state: ``<state>.d/<segment>``, written once, never changed.

Write order of a compaction (each step durable before the next): the new segment (temporary
file, fsync, rename, directory fsync) and, for a big one, its pack sidecar
(:mod:`reconciler.state.packfile`), the previous header hard-linked as ``.backup``, the new
header (:func:`~.fileio.atomic_write`), then the garbage collection below. A ``kill -9`` before
the header rename leaves the previous header, which names only segments that still exist, plus
at worst an orphan segment or a temporary file; the next writer deletes them under the lock.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from reconciler.errors import StateError
from reconciler.state.layout import Compaction, parse_state_file
from reconciler.state.local.fileio import (
    TMP_INFIX,
    atomic_stream,
    atomic_write,
    ensure_dir,
    fsync_dir,
    read_or_none,
)
from reconciler.state.packfile import pack_name
from reconciler.state.segments import HEADER_MAX_BYTES, Header, SegmentBuilder, SegmentInfo

#: Compressed bytes are buffered and written in blocks of this size (a million-line segment is
#: streamed, never joined in memory).
_BLOCK = 1 << 20


def write_segment(directory: Path, name: str, lines: Iterable[bytes]) -> SegmentInfo:
    """Write the segment ``directory/name`` durably (:func:`~.fileio.atomic_stream`); returns
    its size, counts and digest."""
    ensure_dir(directory)
    builder = SegmentBuilder(name)
    with atomic_stream(directory / name, buffer=_BLOCK) as out:
        for line in lines:
            out.write(builder.add(line))
        out.write(builder.finish())
    return builder.info()


def write_compaction(directory: Path, comp: Compaction) -> SegmentInfo | None:
    """Write the compaction's segment (None: it has none) and, when it is big, its pack
    sidecar after it (:mod:`reconciler.state.packfile`)."""
    if comp.empty:
        return None
    pack = comp.pack_builder()
    info = write_segment(directory, comp.name, comp.lines(pack))
    if pack is not None:
        atomic_write(directory / pack_name(info.name), pack.encode(info))
    return info


def link_backup(path: Path, backup: Path) -> None:
    """Make ``backup`` the file ``path`` is now, atomically and without copying it (a hard
    link: the next header replaces ``path`` with a new file, the backup keeps the old one).

    Already linked (a crash after this step): nothing to do; and it must not be redone, since
    renaming one link of a file over another link of it succeeds without removing the source.
    """
    try:
        if os.path.samefile(path, backup):
            return
    except FileNotFoundError:
        pass
    tmp = backup.with_name(f"{backup.name}{TMP_INFIX}{uuid.uuid4().hex}")
    try:
        os.link(path, tmp)
    except OSError:  # a file system without hard links: copy the header (a few hundred bytes)
        data = read_or_none(path)
        if data is not None:
            atomic_write(backup, data)
        return
    try:
        os.replace(tmp, backup)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(backup.parent)


def header_names(path: Path) -> set[str]:
    """The segments the header at ``path`` names (none if missing, a document, or unreadable:
    a damaged backup must not stop the current state from being collected)."""
    try:
        if path.stat().st_size > HEADER_MAX_BYTES:
            return set()  # a whole format-1 document (a migration's backup): no segments
    except FileNotFoundError:
        return set()
    data = read_or_none(path)
    if data is None:
        return set()
    try:
        parsed = parse_state_file(data, path)
    except StateError:
        return set()
    return {s.name for s in parsed.segments} if isinstance(parsed, Header) else set()


def collect_garbage(directory: Path, keep: set[str]) -> int:
    """Delete every file in ``directory`` not in ``keep`` (replaced segments, orphans and
    temporary files of crashed writers); call under the lock only. Returns how many."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return 0
    gone = [n for n in names if n not in keep]
    for name in gone:
        (directory / name).unlink(missing_ok=True)
    if gone:
        fsync_dir(directory)
    return len(gone)
