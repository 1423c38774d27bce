"""The billable work a plan would start, and whether it stays within the declared budgets.

Pure arithmetic over the plan's submit actions and the settings they use. CI bills snapshot
jobs by the frames they produce, and the settings bound that number: ``count`` caps the frames
of one job in modes Interval and Average, and a sprite job makes ``ceil(count / (columns *
lines))`` sheets. Mode KeyFrame takes a frame per key frame, so its frames depend on the
video's length and the preview says so instead of guessing. Prices are the user's own
(``pricing`` on a Target or batch); reconciler holds no price list that could go stale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from reconciler.model import BatchSpec, Budget, Pricing, SnapshotSettings, TargetSpec
from reconciler.plan.actions import JobAction, SubmitJob
from reconciler.plan.jobactions import acting

SPRITE_MODES = frozenset({"OnlySprite", "SnapshotAndSprite"})


@dataclass(frozen=True)
class BatchCost:
    """One batch's billable work in this plan. ``frames_per_job`` None: depends on video length."""

    batch: str
    target: str
    new_jobs: int
    resubmit_jobs: int
    frames_per_job: int | None
    sprites_per_job: int | None
    pricing: Pricing | None = None

    @property
    def jobs(self) -> int:
        return self.new_jobs + self.resubmit_jobs

    @property
    def frames(self) -> int | None:
        """Upper bound of frames, or None when it depends on video length."""
        if self.jobs == 0:
            return 0
        return None if self.frames_per_job is None else self.frames_per_job * self.jobs

    @property
    def sprites(self) -> int | None:
        if self.jobs == 0:
            return 0
        return None if self.sprites_per_job is None else self.sprites_per_job * self.jobs

    @property
    def money(self) -> float | None:
        """Upper bound of the price (None without pricing or without a frame bound)."""
        frames = self.frames
        if self.pricing is None or frames is None:
            return None
        return frames * self.pricing.per_thousand_frames / 1000


@dataclass(frozen=True)
class CostPreview:
    """Billable work per batch, plus one message per budget the plan exceeds."""

    batches: tuple[BatchCost, ...] = ()
    over_budget: tuple[str, ...] = ()

    @property
    def jobs(self) -> int:
        return sum(b.jobs for b in self.batches)

    @property
    def frames(self) -> int:
        """Frames of the jobs whose frames are bounded."""
        return sum(b.frames or 0 for b in self.batches)

    @property
    def sprites(self) -> int:
        return sum(b.sprites or 0 for b in self.batches)

    @property
    def unbounded_jobs(self) -> int:
        """Jobs whose frames depend on video length."""
        return sum(b.jobs for b in self.batches if b.frames is None)

    def money(self) -> dict[str, float]:
        """Estimated upper bound per currency, over the bounded, priced batches."""
        out: dict[str, float] = {}
        for b in self.batches:
            if b.money is not None and b.pricing is not None:
                out[b.pricing.currency] = out.get(b.pricing.currency, 0.0) + b.money
        return dict(sorted(out.items()))


def frame_bound(settings: SnapshotSettings) -> tuple[int | None, int | None]:
    """(frames, sprite sheets) at most per job; None where the video's length decides."""
    if settings.mode == "KeyFrame":
        return None, None
    sheets = 0
    if settings.sprite is not None and settings.snapshot_out_mode in SPRITE_MODES:
        per_sheet = max(settings.sprite.columns * settings.sprite.lines, 1)
        sheets = math.ceil(settings.count / per_sheet)
    return settings.count, sheets


def batch_costs(
    batches: Mapping[str, BatchSpec],
    targets: Mapping[str, TargetSpec],
    settings: Mapping[str, SnapshotSettings],
    jobs: Iterable[JobAction],
) -> tuple[BatchCost, ...]:
    """Cost per batch that submits anything; ``settings`` maps batch name -> its settings."""
    new, again = _submissions(jobs)
    out = []
    for name in sorted(set(new) | set(again)):
        spec = batches[name]
        frames, sheets = frame_bound(settings[name])
        pricing = spec.pricing or targets[spec.target].pricing
        out.append(
            BatchCost(
                name, spec.target, new.get(name, 0), again.get(name, 0), frames, sheets, pricing
            )  # fmt: skip
        )
    return tuple(out)


def _submissions(jobs: Iterable[JobAction]) -> tuple[dict[str, int], dict[str, int]]:
    """Per batch: new submissions, and re-submissions (a previous job exists)."""
    new: dict[str, int] = {}
    again: dict[str, int] = {}
    for job in acting(jobs):
        if isinstance(job, SubmitJob):
            bucket = again if job.previous_job_id else new
            bucket[job.batch] = bucket.get(job.batch, 0) + 1
    return new, again


def recount(costs: tuple[BatchCost, ...], jobs: Iterable[JobAction]) -> tuple[BatchCost, ...]:
    """``costs`` after some submissions became adoptions (found on the service: not billed
    again): the same per-job bounds and prices, the counts of what is still submitted."""
    new, again = _submissions(jobs)
    out = []
    for cost in costs:
        fresh = replace(
            cost, new_jobs=new.get(cost.batch, 0), resubmit_jobs=again.get(cost.batch, 0)
        )
        if fresh.jobs:
            out.append(fresh)
    return tuple(out)


def _breaches(scope: str, budget: Budget, costs: list[BatchCost]) -> list[str]:
    jobs = sum(c.jobs for c in costs)
    found = []
    if budget.max_jobs is not None and jobs > budget.max_jobs:
        found.append(f"{scope} submits {jobs:,} jobs (budget maxJobs {budget.max_jobs:,})")
    if budget.max_frames is not None and jobs:
        if any(c.frames is None for c in costs):
            found.append(
                f"{scope} has jobs whose frames depend on video length "
                f"(budget maxFrames {budget.max_frames:,} cannot be checked)"
            )
        else:
            frames = sum(c.frames or 0 for c in costs)
            if frames > budget.max_frames:
                found.append(
                    f"{scope} submits up to {frames:,} frames (budget maxFrames "
                    f"{budget.max_frames:,})"
                )
    return found


def budget_breaches(
    costs: tuple[BatchCost, ...],
    batches: Mapping[str, BatchSpec],
    targets: Mapping[str, TargetSpec],
) -> tuple[str, ...]:
    """Every declared budget the plan exceeds: per batch, then per target (all its batches)."""
    found: list[str] = []
    for cost in costs:
        budget = batches[cost.batch].budget
        if budget is not None:
            found += _breaches(f"batch {cost.batch}", budget, [cost])
    for name in sorted(targets):
        budget = targets[name].budget
        if budget is not None:
            found += _breaches(f"target {name}", budget, [c for c in costs if c.target == name])
    return tuple(found)
