"""Job actions grouped by what they do and why, with fair samples: what every rendering shows.

A group is ``(kind, reason_code, params)``: never the English reason, which names the object,
so 1,000 failures with 50 error codes are 50 groups, not 1,000. The code is generic: a reason
code this module has never heard of still groups, counts and samples; it only gets a plainer
label (its reason code in words). Every action kind has a verb (:func:`verb`, checked by
mypy). Samples are drawn round-robin over batches so a batch of 2 beside a batch of 2,000 still
shows up, and in a fixed order so goldens are stable.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, assert_never

from reconciler.plan.actions import CHANGES, Action, ActionKind, JobAction

# How a reason code reads; ``{name}`` placeholders are the action's params.
LABELS = {
    "new_job": "new job",
    "resume_interrupted": "submission from an interrupted run: look it up first",
    "resubmit_settings": "re-submit: settings changed",
    "resubmit_template": "re-submit: template content changed",
    "resubmit_output": "re-submit: output changed",
    "resubmit_input": "re-submit: input object changed",
    "resubmit_multiple": "re-submit: {changed} changed",
    "retry_failed": "retry: last run {state}, {code} (template {template})",
    "keep_failed": "last run {state}, {code} (template {template}); use --retry-failed",
    "up_to_date": "up to date",
    "running": "submitted, {state}",
    "forget": "removed from the manifests",
    "forget_running": "removed from the manifests; still {state} on the service",
    "cancel_removed": "removed from the manifests (--prune)",
    "found_on_service": "found on the service",
}


def verb(kind: ActionKind) -> str:
    """The plan's word for an action kind (exhaustive: mypy flags a kind left out)."""
    match kind:
        case "create_template":
            return "create"
        case "adopt_template" | "adopt_job":
            return "adopt"
        case "update_template":
            return "update in place"
        case "recreate_template":
            return "re-create"
        case "delete_template":
            return "delete"
        case "forget_template" | "forget_job":
            return "forget"
        case "keep_template" | "keep_job":
            return "no change"
        case "submit_job":
            return "submit"
        case "cancel_job":
            return "cancel"
        case _:
            assert_never(kind)


def label(action: Action) -> str:
    """The group's reason in words: from the code and params, never naming one object."""
    code = action.reason_code
    return _label(code, action.params, "" if code else action.reason)


@cache
def _label(code: str, params: tuple[tuple[str, str], ...], reason: str) -> str:
    if not code:
        return reason
    template = LABELS.get(code)
    if template is None:
        extra = ", ".join(f"{k} {v}" for k, v in params)
        return code.replace("_", " ") + (f" ({extra})" if extra else "")
    try:
        return template.format(**dict(params))
    except KeyError:
        return template


#: The most samples one group keeps per batch, and the most batches it samples: what a rendering
#: asks for (Markdown 20, the text 2 plus 3 per -v), so a group of a million jobs holds 1,024.
SAMPLE_CAP = 32


@dataclass(frozen=True)
class Group:
    """Jobs of one kind and reason: how many, per batch, and the first of each batch by input
    object (up to :data:`SAMPLE_CAP`; a plan read from a file is never held whole)."""

    kind: ActionKind
    reason_code: str
    params: tuple[tuple[str, str], ...]
    label: str
    count: int
    kept: tuple[JobAction, ...]
    per_batch: tuple[tuple[str, int], ...]

    @property
    def changes(self) -> bool:
        return self.kind in CHANGES

    def sample(self, n: int) -> list[JobAction]:
        """Up to ``n`` (at most :data:`SAMPLE_CAP`) jobs, one per batch in turn."""
        return round_robin(self.kept, n)

    def batches(self) -> Counter[str]:
        return Counter(dict(self.per_batch))


class _Gathering:
    """One group while the jobs stream past: a count per batch and each batch's first jobs."""

    def __init__(self) -> None:
        self.count = 0
        self.per_batch: Counter[str] = Counter()
        self.firsts: dict[str, list[JobAction]] = {}

    def add(self, job: JobAction) -> None:
        self.count += 1
        self.per_batch[job.batch] += 1
        firsts = self.firsts.setdefault(job.batch, [])
        firsts.append(job)
        if len(firsts) >= 2 * SAMPLE_CAP:  # amortised: trim to the first by input object
            firsts[:] = heapq.nsmallest(SAMPLE_CAP, firsts, key=lambda i: i.input_object)

    def kept(self) -> tuple[JobAction, ...]:
        """The samples round-robin may draw: the first batches by name, their first jobs."""
        return tuple(
            job
            for batch in sorted(self.firsts)[:SAMPLE_CAP]
            for job in heapq.nsmallest(SAMPLE_CAP, self.firsts[batch], key=lambda i: i.input_object)
        )


def group_jobs(jobs: Iterable[JobAction]) -> list[Group]:
    """Groups in a stable order that is fair to every reason: changes first, and within them
    the largest group of each (kind, reason code) before the second of any, so 50 failure
    codes never push the one group of new jobs out of a capped view. One pass; what it holds
    is bounded by the number of groups and batches, not of jobs."""
    found: dict[tuple[Any, ...], _Gathering] = {}
    for job in jobs:
        key = (job.kind, job.reason_code, job.params, label(job))
        gathering = found.get(key)
        if gathering is None:
            gathering = found[key] = _Gathering()
        gathering.add(job)
    groups = [
        Group(k[0], k[1], k[2], k[3], g.count, g.kept(), tuple(sorted(g.per_batch.items())))
        for k, g in found.items()
    ]
    groups.sort(key=lambda g: (-g.count, g.kind, g.label))
    rank: dict[int, int] = {}
    seen: Counter[tuple[ActionKind, str]] = Counter()
    for i, g in enumerate(groups):
        rank[i] = seen[(g.kind, g.reason_code)]
        seen[(g.kind, g.reason_code)] += 1
    order = sorted(range(len(groups)), key=lambda i: (not groups[i].changes, rank[i], i))
    return [groups[i] for i in order]


def round_robin(items: Sequence[JobAction], n: int) -> list[JobAction]:
    """Up to ``n`` items, one per batch in turn (batches and keys in sorted order)."""
    per_batch: dict[str, list[JobAction]] = {}
    for item in items:
        per_batch.setdefault(item.batch, []).append(item)
    queues = [
        heapq.nsmallest(n, per_batch[b], key=lambda i: i.input_object) for b in sorted(per_batch)
    ]
    out: list[JobAction] = []
    depth = 0
    while len(out) < n and any(depth < len(q) for q in queues):
        out += [q[depth] for q in queues if depth < len(q)][: n - len(out)]
        depth += 1
    return out


def batch_counts(jobs: Iterable[JobAction]) -> dict[str, Counter[str]]:
    """Batch -> verb -> count, batches sorted by name."""
    pairs = Counter((job.batch, job.kind) for job in jobs)
    out: dict[str, Counter[str]] = {}
    for (batch, kind), n in pairs.items():
        out.setdefault(batch, Counter())[verb(kind)] += n
    return {b: out[b] for b in sorted(out)}


def counts_text(counts: Counter[str]) -> str:
    """``800 to submit, 3 to forget, 200 no change``: changes first, then the no-ops."""
    parts = [f"{n} to {v}" for v, n in sorted(counts.items()) if v != "no change"]
    if counts.get("no change"):
        parts.append(f"{counts['no change']} no change")
    return ", ".join(parts)
