"""Follow submitted jobs until they finish: batched describes with backoff, results recorded.

Only unfinished jobs are asked about (finished ones are history), up to 100 IDs per call.
The caller decides whether fresh facts are written to the state (``wait``) or only shown
(``status``, which must not take the lock an apply may be holding).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from reconciler.engine.observe import describe_unfinished
from reconciler.model.records import JobRecord
from reconciler.model.states import JobState
from reconciler.plan.actions import JobStatus
from reconciler.remote import RemoteReader

Key = tuple[str, str]


def refresh(
    records: Iterable[JobRecord], readers: Mapping[str, RemoteReader], *, workers: int = 8
) -> list[JobStatus]:
    """Fresh statuses of the given unfinished, submitted records (one call per 100 IDs, run
    concurrently: :func:`~reconciler.engine.observe.describe_unfinished`)."""
    records = list(records)
    fresh = {d.job_id: d for d in describe_unfinished(records, readers, workers=workers).jobs}
    return [
        JobStatus.from_detail(rec.batch, rec.input_object, fresh[rec.job_id])
        for rec in records
        if rec.job_id in fresh and not rec.finished and rec.target in readers
    ]


def counts(records: Iterable[JobRecord]) -> Counter[str]:
    return Counter(rec.state for rec in records)


@dataclass
class WaitOutcome:
    records: dict[Key, JobRecord]
    timed_out: bool
    # The jobs that were unfinished when the wait began: what ``wait`` is judged on.
    waited: frozenset[Key] = frozenset()

    @property
    def failed(self) -> list[JobRecord]:
        """Every Failed or Cancelled job of the batches, old failures included (status)."""
        return [r for r in self.records.values() if JobState.is_failed(r.state)]

    def failed_of(self, keys: Iterable[Key]) -> list[JobRecord]:
        """The Failed or Cancelled jobs among ``keys``: a run is judged only on its own jobs,
        so a failure from the past does not keep a CI job red forever."""
        return [r for k in keys if (r := self.records.get(k)) and JobState.is_failed(r.state)]


class Waiter:
    """Polls until every tracked job is finished or the deadline passes."""

    def __init__(
        self,
        readers: Mapping[str, RemoteReader],
        *,
        timeout: float,
        on_counts: Callable[[Counter[str]], None],
        save: Callable[[list[JobRecord]], None],
        merge: Callable[[JobRecord, JobStatus], JobRecord],
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.readers = readers
        self.timeout = timeout
        self.on_counts = on_counts
        self.save = save
        self.merge = merge
        self.sleep = sleep
        self.clock = clock

    def wait(self, records: dict[Key, JobRecord]) -> WaitOutcome:
        deadline = self.clock() + self.timeout
        delay = 0.5
        last: Counter[str] | None = None
        waited = frozenset(k for k, r in records.items() if not JobState.is_finished(r.state))
        while True:
            now_counts = counts(records.values())
            if now_counts != last:
                self.on_counts(now_counts)
                last = now_counts
            pending = [r for r in records.values() if not JobState.is_finished(r.state)]
            if not pending:
                return WaitOutcome(records, timed_out=False, waited=waited)
            if self.clock() >= deadline:
                return WaitOutcome(records, timed_out=True, waited=waited)
            self.sleep(min(delay, max(0.0, deadline - self.clock())))
            delay = min(delay * 1.5, 10.0)
            updated = [
                self.merge(records[(s.batch, s.input_object)], s)
                for s in refresh(pending, self.readers)
                if s.state != records[(s.batch, s.input_object)].state
            ]
            if updated:
                self.save(updated)
                records.update((r.key, r) for r in updated)
