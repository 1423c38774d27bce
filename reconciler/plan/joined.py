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
from typing import Protocol, TypeVar, cast

from reconciler.model.records import JobRecord

Key = tuple[str, str]


class Keyed(Protocol):
    @property
    def key(self) -> Key: ...


K = TypeVar("K", bound=Keyed)
T = TypeVar("T")


#: What a plan compares a desired job with: (fingerprint, state, job ID) of its record.
Brief = tuple[str, str, str | None]


def briefs_in_key_order(
    jobs: Mapping[Key, JobRecord], job_ids: bool = True
) -> Iterator[tuple[Key, Brief]]:
    """(key, brief) per record, in key order. The state's packed records walk their columns
    (``briefs()``: no record is built, they are already in key order, and without ``job_ids``
    they may leave the job ID out); any other mapping (a writer's snapshot, tests) is sorted and
    briefed here."""
    briefs = getattr(jobs, "briefs", None)
    if briefs is not None:
        return cast(Iterator[tuple[Key, Brief]], briefs(job_ids))
    return ((k, (r.fingerprint, r.state, r.job_id)) for k, r in sorted(jobs.items()))


def joined(
    wanted: Iterable[K], records: Iterator[tuple[Key, T]]
) -> Iterator[tuple[K | None, tuple[Key, T] | None]]:
    """(desired, (key, record)) pairs in key order: (job, None) for a new key, (None, item) for
    a record no job wants, (job, item) for both. Keys must be strictly increasing on each side."""
    pending = next(records, None)
    for job in wanted:
        key = job.key
        while pending is not None and pending[0] < key:
            yield None, pending
            pending = next(records, None)
        if pending is not None and pending[0] == key:
            yield job, pending
            pending = next(records, None)
        else:
            yield job, None
    while pending is not None:
        yield None, pending
        pending = next(records, None)
