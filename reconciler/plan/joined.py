"""Desired jobs against recorded ones, as one walk in key order (a merge join).

Both sides come in ``(batch, input object)`` order: expansion yields batches by name and inputs
sorted, and a state read from segments iterates its records sorted. Walking them side by side
pairs each desired job with its record and finds the records no job wants any more in the same
pass, without a dict of the desired keys or a set of the recorded ones, which at a million jobs
cost more than the rest of the plan. A plain ``dict`` of records (a writer's snapshot, tests) is
sorted first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, TypeVar

from reconciler.model.records import JobRecord

Key = tuple[str, str]


class Keyed(Protocol):
    @property
    def key(self) -> Key: ...


K = TypeVar("K", bound=Keyed)


def in_key_order(jobs: Mapping[Key, JobRecord]) -> Iterator[tuple[Key, JobRecord]]:
    """The records as (key, record) pairs in key order, sorting only when the mapping does not
    promise that order itself with a true ``key_ordered`` attribute (the state's packed
    records do)."""
    if getattr(jobs, "key_ordered", False):
        return iter(jobs.items())
    return iter(sorted(jobs.items()))


def joined(
    wanted: Iterable[K], records: Iterator[tuple[Key, JobRecord]]
) -> Iterator[tuple[K | None, JobRecord | None]]:
    """(desired, record) pairs in key order: (job, None) for a new key, (None, record) for a
    record no job wants, (job, record) for both. Keys must be strictly increasing on each side."""
    pending = next(records, None)
    for job in wanted:
        key = job.key
        while pending is not None and pending[0] < key:
            yield None, pending[1]
            pending = next(records, None)
        if pending is not None and pending[0] == key:
            yield job, pending[1]
            pending = next(records, None)
        else:
            yield job, None
    while pending is not None:
        yield None, pending[1]
        pending = next(records, None)
