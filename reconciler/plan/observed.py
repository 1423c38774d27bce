"""What the service reported, keyed for the planner: plain data, filled by the engine.

It lives in the plan package (not beside the code that fetches it) so that the planner's
import closure stays pure: ``engine.observe`` fills it, ``plan.planner`` reads it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from reconciler.model import JobDetail, ObjectInfo, RemoteTemplate

_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


def escape(text: str) -> str:
    """``text`` without tab, newline or carriage return (a backslash escapes them and itself):
    COS keys may hold any character, and a listing line is ``key<TAB>etag<LF>``."""
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group()], text) if _SPECIAL.search(text) else text


def unescape(text: str) -> str:
    """The inverse of :func:`escape`."""
    return (
        _ESCAPED.sub(lambda m: _UNESCAPES.get(m.group(1), m.group(1)), text)
        if "\\" in text
        else text
    )


def listing_line(key: str, etag: str) -> str:
    """One object of a listing as a line: what the engine spools and what the digest covers."""
    return f"{escape(key)}\t{escape(etag)}\n"


def listing_pair(line: str) -> tuple[str, str]:
    """The (key, etag) of a :func:`listing_line` (its newline may be there or not)."""
    key, _, etag = line.rstrip("\n").partition("\t")
    return unescape(key), unescape(etag)


def _no_pairs() -> Iterator[tuple[str, str]]:
    return iter(())


@dataclass(frozen=True, slots=True)
class Listing:
    """A prefix listing as the planner needs it: (key, ETag) pairs sorted by key, each key
    once, with their count and a digest.

    The pairs are not held here: ``source`` yields them afresh on every call, so a million
    objects can stay in the engine's spool file (``engine.spool``) while the planner walks them
    in one pass each; the planner never opens a file itself. ``digest`` is the sha256 of the
    pairs as :func:`listing_line` lines in key order: a saved plan pins it with ``count`` instead
    of every object (``plan.planner.PinnedListing``).

    Keys are in Python ``str`` order, which is code-point order and so the UTF-8 byte order in
    which COS lists keys; the planner merges the listing with the explicit inputs on that order.
    """

    source: Callable[[], Iterator[tuple[str, str]]] = _no_pairs
    count: int = 0
    digest: str = EMPTY_DIGEST

    @classmethod
    def of(cls, objects: Iterable[ObjectInfo]) -> Listing:
        """A listing held in memory (tests, small listings): sorted, each key once (first wins)."""
        return cls.of_pairs((o.key, o.etag) for o in objects)

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Listing:
        kept: dict[str, str] = {}
        for key, etag in pairs:
            kept.setdefault(key, etag)
        ordered = tuple(sorted(kept.items()))
        sha = hashlib.sha256()
        for key, etag in ordered:
            sha.update(listing_line(key, etag).encode())
        return cls(lambda: iter(ordered), len(ordered), sha.hexdigest())

    def __len__(self) -> int:
        return self.count

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every (key, ETag), sorted by key: a fresh pass each call."""
        return self.source()

    def keys(self) -> Iterator[str]:
        return (key for key, _ in self.source())


@dataclass(frozen=True)
class Lookup:
    """Jobs the service listed for the look-before-submit scan (``engine.lookup`` fills it).

    ``jobs`` maps target -> every Snapshot job created after ``since`` (ISO-8601 UTC), newest
    first as the service ordered them: that order decides which job last wrote an output.
    ``requests`` is what the scan cost, for the plan header and the benchmark.
    """

    since: str
    jobs: Mapping[str, tuple[JobDetail, ...]] = field(default_factory=dict)
    requests: int = 0

    @property
    def count(self) -> int:
        return sum(len(found) for found in self.jobs.values())


@dataclass(frozen=True)
class Observed:
    """What the service reported, keyed for the planner."""

    templates: Mapping[str, tuple[RemoteTemplate, ...]] = field(default_factory=dict)
    external_templates: Mapping[str, RemoteTemplate] = field(default_factory=dict)
    jobs: Mapping[str, JobDetail] = field(default_factory=dict)
    missing_job_ids: frozenset[str] = frozenset()
    listings: Mapping[str, Listing] = field(default_factory=dict)
    # Reply entries the codec could not (fully) read, one line each naming the item.
    problems: tuple[str, ...] = ()
    lookup: Lookup | None = None  # None: not scanned (nothing would be submitted)
