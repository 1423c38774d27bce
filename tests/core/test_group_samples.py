"""Job groups hold counts and a bounded set of samples, never every job: the samples are the
ones round-robin over every job would draw, and what a group keeps does not grow with the jobs
(a saved plan's jobs stream past once)."""

from __future__ import annotations

import heapq
import random

import pytest

from reconciler.model.records import JobRecord
from reconciler.plan.actions import ForgetJob, JobAction, KeepJob
from reconciler.plan.groups import SAMPLE_CAP, group_jobs
from reconciler.plan.jobactions import JobActions


def round_robin(items: list[JobAction], n: int) -> list[JobAction]:
    """The reference: every item held, each batch's smallest keys, one batch at a time."""
    per_batch: dict[str, list[JobAction]] = {}
    for item in items:
        per_batch.setdefault(item.batch, []).append(item)
    queues = [heapq.nsmallest(n, per_batch[b], key=lambda i: i.input_object)
              for b in sorted(per_batch)]  # fmt: skip
    out: list[JobAction] = []
    depth = 0
    while len(out) < n and any(depth < len(q) for q in queues):
        out += [q[depth] for q in queues if depth < len(q)][: n - len(out)]
        depth += 1
    return out


def _jobs(n: int, batches: int, seed: int) -> list[JobAction]:
    rng = random.Random(seed)
    out: list[JobAction] = []
    for i in range(n):
        batch = f"b{rng.randrange(batches):03d}"
        key = f"in/{rng.randrange(10**9):09d}-{i}.mp4"
        if i % 3:
            out.append(KeepJob(batch, key, f"j{i}", "Success", "up to date", "up_to_date"))
        else:
            out.append(ForgetJob(batch, key, f"j{i}"))
    return out


@pytest.mark.parametrize(("n", "batches"), [(5_000, 3), (5_000, 60), (40, 7)])
def test_groups_count_everything_and_sample_as_round_robin_over_all(n: int, batches: int) -> None:
    jobs = _jobs(n, batches, seed=n + batches)
    groups = group_jobs(iter(jobs))  # one pass over an iterator: nothing re-read
    assert sum(g.count for g in groups) == n
    for group in groups:
        members = [j for j in jobs if j.kind == group.kind]
        assert group.count == len(members)
        assert dict(group.batches()) == {b: sum(j.batch == b for j in members) for b in
                                         {j.batch for j in members}}  # fmt: skip
        assert all(len(held) <= SAMPLE_CAP for held in group.firsts.values())
        for wanted in (1, 2, 5, 20, SAMPLE_CAP):
            assert group.sample(wanted) == round_robin(members, wanted)


def test_compact_up_to_date_jobs_group_as_the_built_ones_do() -> None:
    """JobActions keeps up-to-date jobs as keys; its groups equal those of the built actions."""
    jobs = sorted(_jobs(3_000, 5, seed=7), key=lambda j: (j.batch, j.input_object))
    records = {
        (j.batch, j.input_object): JobRecord(
            j.batch, j.input_object, "t", "f", "m", "Success", "2026-01-01T00:00:00Z",
            job_id=getattr(j, "job_id", None),
        )
        for j in jobs
    }  # fmt: skip
    compact = JobActions(records)
    for job in jobs:
        if isinstance(job, KeepJob):
            compact.keep_current(job.batch, job.input_object)
        else:
            compact.append(job)
    assert list(compact) == jobs and compact.kept_count == sum(isinstance(j, KeepJob) for j in jobs)
    built, packed = group_jobs(jobs), group_jobs(compact)
    assert [(g.kind, g.count, g.batches()) for g in packed] == [
        (g.kind, g.count, g.batches()) for g in built
    ]
    for a, b in zip(packed, built, strict=True):
        assert (
            a.sample(SAMPLE_CAP)
            == b.sample(SAMPLE_CAP)
            == round_robin([j for j in jobs if j.kind == a.kind], SAMPLE_CAP)
        )
