"""Job groups hold counts and a bounded set of samples, never every job: the samples are the
ones round-robin over every job would draw, and what a group keeps does not grow with the jobs
(a saved plan's jobs stream past once)."""

from __future__ import annotations

import random

import pytest

from reconciler.plan.actions import ForgetJob, JobAction, KeepJob
from reconciler.plan.groups import SAMPLE_CAP, group_jobs, round_robin


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
        assert len(group.kept) <= SAMPLE_CAP * SAMPLE_CAP
        for wanted in (1, 2, 5, 20, SAMPLE_CAP):
            assert group.sample(wanted) == round_robin(members, wanted)
