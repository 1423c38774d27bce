"""What the service reported, keyed for the planner: plain data, filled by the engine.

It lives in the plan package (not beside the code that fetches it) so that the planner's
import closure stays pure: ``engine.observe`` fills it, ``plan.planner`` reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from reconciler.model import JobDetail, ObjectInfo, RemoteTemplate


@dataclass(frozen=True, slots=True)
class Listing:
    """A prefix listing as the planner needs it: keys and ETags, in listing order.

    Two flat tuples instead of an :class:`ObjectInfo` per object: a million objects cost their
    key and ETag strings plus 16 bytes, not a dataclass instance, its ``__dict__``, a size and a
    modification time each (bench/inputs.py measures it).
    """

    keys: tuple[str, ...] = ()
    etags: tuple[str, ...] = ()

    @classmethod
    def of(cls, objects: Iterable[ObjectInfo]) -> Listing:
        pairs = [(o.key, o.etag) for o in objects]
        return cls(tuple(k for k, _ in pairs), tuple(e for _, e in pairs))

    def __len__(self) -> int:
        return len(self.keys)

    def pairs(self) -> Iterator[tuple[str, str]]:
        return zip(self.keys, self.etags, strict=True)


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
