"""Job actions grouped by what they do and why, with fair samples: what every rendering shows.

A group is ``(kind, reason_code, params)``: never the English reason, which names the object,
so 1,000 failures with 50 error codes are 50 groups, not 1,000. The code is generic: a reason
code this module has never heard of still groups, counts and samples; it only gets a plainer
label (its reason code in words). Every action kind has a verb (:func:`verb`, checked by
mypy). Samples are drawn round-robin over batches so a batch of 2 beside a batch of 2,000 still
shows up, and in a fixed order so goldens are stable.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, assert_never

from reconciler.plan.actions import CHANGES, Action, ActionKind, JobAction
from reconciler.plan.jobactions import UP_TO_DATE, JobActions, batch_kind_counts

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


#: Samples kept per (group, batch): more than any rendering shows of one batch.
SAMPLE_CAP = 64


@dataclass(frozen=True)
class Group:
    """Job actions alike in kind, reason and params: counted, with the first few of each batch
    kept as samples (not every item: a group can be a million jobs)."""

    kind: ActionKind
    reason_code: str
    params: tuple[tuple[str, str], ...]
    label: str
    count: int
    per_batch: Counter[str]
    firsts: Mapping[str, Sequence[JobAction]]  # batch -> its first items by input key

    @property
    def changes(self) -> bool:
        return self.kind in CHANGES

    def sample(self, n: int) -> list[JobAction]:
        """Up to ``n`` items (at most :data:`SAMPLE_CAP` per batch), one batch at a time."""
        return round_robin([self.firsts[b] for b in sorted(self.firsts)], n)

    def batches(self) -> Counter[str]:
        return Counter(self.per_batch)


class _Gathering:
    """One group while the actions stream by: its count and its first items per batch (by
    input key; actions mostly arrive in key order, so a full list costs one comparison)."""

    def __init__(self) -> None:
        self.count = 0
        self.per_batch: Counter[str] = Counter()
        self.kept: dict[str, list[tuple[str, int, JobAction]]] = {}

    def add(self, action: JobAction, order: int) -> None:
        self.count += 1
        self.per_batch[action.batch] += 1
        kept = self.kept.setdefault(action.batch, [])
        if len(kept) == SAMPLE_CAP:
            if action.input_object >= kept[-1][0]:
                return
            kept.pop()
        bisect.insort(kept, (action.input_object, order, action), key=lambda t: t[:2])

    def firsts(self) -> dict[str, list[JobAction]]:
        return {b: [a for *_, a in items] for b, items in self.kept.items()}


def group_jobs(jobs: Iterable[JobAction]) -> list[Group]:
    """Groups in a stable order that is fair to every reason: changes first, and within them
    the largest group of each (kind, reason code) before the second of any, so 50 failure
    codes never push the one group of new jobs out of a capped view. One pass; compact
    up-to-date jobs (:class:`JobActions`) are counted without being built."""
    found: dict[tuple[Any, ...], _Gathering] = {}
    source = jobs.stored() if isinstance(jobs, JobActions) else jobs
    for order, job in enumerate(source):
        key = (job.kind, job.reason_code, job.params, label(job))
        gathering = found.get(key)
        if gathering is None:
            gathering = found[key] = _Gathering()
        gathering.add(job, order)
    groups = [
        Group(k[0], k[1], k[2], k[3], g.count, g.per_batch, g.firsts()) for k, g in found.items()
    ]
    if isinstance(jobs, JobActions) and jobs.kept_count:
        groups = _with_kept(groups, jobs)
    groups.sort(key=lambda g: (-g.count, g.kind, g.label))
    rank: dict[int, int] = {}
    seen: Counter[tuple[ActionKind, str]] = Counter()
    for i, g in enumerate(groups):
        rank[i] = seen[(g.kind, g.reason_code)]
        seen[(g.kind, g.reason_code)] += 1
    ranked = sorted(range(len(groups)), key=lambda i: (not groups[i].changes, rank[i], i))
    return [groups[i] for i in ranked]


def _with_kept(groups: list[Group], jobs: JobActions) -> list[Group]:
    """``groups`` with the compact up-to-date jobs merged into their group (stored ones of the
    same group, if any, keep their samples too)."""
    key = ("keep_job", UP_TO_DATE, ())
    kept = jobs.kept_per_batch()
    firsts: dict[str, list[JobAction]] = jobs.kept_firsts(SAMPLE_CAP)
    rest = []
    for g in groups:
        if (g.kind, g.reason_code, g.params) == key:
            kept.update(g.per_batch)
            for batch, items in g.firsts.items():
                merged = sorted([*firsts.get(batch, []), *items], key=lambda a: a.input_object)
                firsts[batch] = merged[:SAMPLE_CAP]
        else:
            rest.append(g)
    label_text = LABELS[UP_TO_DATE]
    return [*rest, Group("keep_job", UP_TO_DATE, (), label_text, kept.total(), kept, firsts)]


def round_robin(per_batch: Sequence[Sequence[JobAction]], n: int) -> list[JobAction]:
    """Up to ``n`` items, one per batch in turn (each batch's items already in key order)."""
    out: list[JobAction] = []
    depth = 0
    while len(out) < n and any(depth < len(q) for q in per_batch):
        out += [q[depth] for q in per_batch if depth < len(q)][: n - len(out)]
        depth += 1
    return out


def batch_counts(jobs: Iterable[JobAction]) -> dict[str, Counter[str]]:
    """Batch -> verb -> count, batches sorted by name."""
    pairs = batch_kind_counts(jobs)
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
