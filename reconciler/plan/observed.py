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
class Observed:
    """What the service reported, keyed for the planner."""

    templates: Mapping[str, tuple[RemoteTemplate, ...]] = field(default_factory=dict)
    external_templates: Mapping[str, RemoteTemplate] = field(default_factory=dict)
    jobs: Mapping[str, JobDetail] = field(default_factory=dict)
    missing_job_ids: frozenset[str] = frozenset()
    listings: Mapping[str, Listing] = field(default_factory=dict)
