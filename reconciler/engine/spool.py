"""Prefix listings spooled to a temporary file while the pages arrive, never held in memory.

A million listed objects held as Python strings cost about 220 MB (bench/inputs.py); written as
``key<TAB>etag`` lines (:func:`reconciler.plan.observed.listing_line`) they cost one page of
1,000 objects while listing, and one line at a time while the planner walks them. The
:class:`~reconciler.plan.observed.Listing` handed to the planner reads the file again for each
pass, so the planner stays pure and never opens a file itself.

COS returns keys in UTF-8 byte order, which is Python's ``str`` order, so the spool is sorted
as written: that is checked key by key. A service that does not sort (an S3-alike, a proxy) is
handled, not trusted: the file is then sorted externally, in runs of :data:`SORT_RUN` lines
merged with :func:`heapq.merge`, so memory stays bounded either way. A key listed twice (an
overlapping page) is kept once. The count and the sha256 digest are taken over the sorted
lines, while writing them.

Files live in a directory that :func:`spool_directory` creates and removes, errors included.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from itertools import islice
from pathlib import Path
from typing import IO

from reconciler.plan.observed import Listing, listing_line, listing_pair, unescape
from reconciler.remote import RemoteReader

PAGE = 1000  # objects per list request: the service's maximum
SORT_RUN = 200_000  # lines sorted in memory at a time when the service did not sort


@contextmanager
def spool_directory() -> Iterator[Path]:
    """A private temporary directory for listings, removed on the way out (errors included)."""
    with tempfile.TemporaryDirectory(prefix="reconciler-listing-") as where:
        yield Path(where)


def list_prefix(
    reader: RemoteReader, prefix: str, where: Path, *, page: int = PAGE, run: int = SORT_RUN
) -> Listing:
    """Every object under ``prefix`` (key and ETag), following NextMarker, spooled to a file in
    ``where``; the listing reads it back sorted by key. ``page``: max-keys per request."""
    path = _new_file(where, "listing")
    count, digest, ordered = _write_pages(reader, prefix, path, page)
    if not ordered:
        count, digest = sort_file(path, where, run)
    return Listing(partial(read_pairs, path), count, digest)


def read_pairs(path: Path) -> Iterator[tuple[str, str]]:
    """The (key, etag) pairs of a spool file, one line at a time."""
    with _open(path) as lines:
        for line in lines:
            yield listing_pair(line)


def _write_pages(reader: RemoteReader, prefix: str, path: Path, page: int) -> tuple[int, str, bool]:
    """Write every page as it arrives: (lines written, their sha256, whether keys rose)."""
    sha = hashlib.sha256()
    count, ordered, marker = 0, True, ""
    previous: str | None = None
    with _open(path, "w") as out:
        while True:
            reply = reader.list_objects(prefix=prefix, marker=marker, max_keys=page)
            lines = []
            for obj in reply.objects:
                if previous is not None and obj.key <= previous:
                    if obj.key == previous:
                        continue  # listed twice: a page that overlapped the one before
                    ordered = False
                previous = obj.key
                lines.append(listing_line(obj.key, obj.etag))
            chunk = "".join(lines)
            out.write(chunk)
            sha.update(chunk.encode())
            count += len(lines)
            if not reply.is_truncated:
                break
            marker = reply.next_marker or (reply.objects[-1].key if reply.objects else "")
            if not marker:
                break
    return count, sha.hexdigest(), ordered


def sort_file(path: Path, where: Path, run: int = SORT_RUN) -> tuple[int, str]:
    """Sort a spool file by key in place, each key once: sorted runs of ``run`` lines, then one
    merge. Returns the (count, sha256) of the sorted lines."""
    runs = []
    try:
        with _open(path) as src:
            while chunk := list(islice(src, run)):
                chunk.sort(key=_key_of)
                runs.append(_new_file(where, "run"))
                with _open(runs[-1], "w") as out:
                    out.writelines(chunk)
        with ExitStack() as stack, _open(path, "w") as out:
            sources = [stack.enter_context(_open(r)) for r in runs]
            return _write_unique(heapq.merge(*sources, key=_key_of), out)
    finally:
        for r in runs:
            r.unlink(missing_ok=True)


def _write_unique(lines: Iterable[str], out: IO[str]) -> tuple[int, str]:
    sha = hashlib.sha256()
    count, previous = 0, None
    for line in lines:
        key = _key_of(line)
        if key == previous:
            continue
        previous = key
        out.write(line)
        sha.update(line.encode())
        count += 1
    return count, sha.hexdigest()


def _key_of(line: str) -> str:
    return unescape(line.partition("\t")[0])


def _new_file(where: Path, kind: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=f"{kind}-", suffix=".txt", dir=where)
    os.close(handle)
    return Path(name)


def _open(path: Path, mode: str = "r") -> IO[str]:
    """Text in UTF-8, lines split on LF only (a listing line has no other line break)."""
    return path.open(mode, encoding="utf-8", newline="\n")
