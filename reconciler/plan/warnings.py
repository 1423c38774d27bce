"""Things a reviewer must see even when nothing is wrong enough to refuse the plan.

Pure: each function looks at what the planner already has (desired state, listings, actions) and
returns one line per finding, with counts and a few sample names, never one line per job. They
are shown by default in every rendering, not only with ``-v``, because each one is a silent
surprise otherwise: a batch that vanished, an input that does not exist, a template or a
running job left behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from reconciler.model import DesiredState, InputSelector
from reconciler.model.records import JobRecord
from reconciler.plan import naming
from reconciler.plan.actions import JobAction, TemplateAction
from reconciler.plan.jobactions import acting
from reconciler.plan.observed import Listing

SAMPLES = 3


def _sample(names: Sequence[str]) -> str:
    more = f" and {len(names) - SAMPLES} more" if len(names) > SAMPLES else ""
    return ", ".join(names[:SAMPLES]) + more


def empty_prefixes(desired: DesiredState, listings: Mapping[str, Listing]) -> list[str]:
    """A prefix that selects nothing makes its batch silently absent from the plan."""
    out = []
    for name in sorted(desired.batches):
        inputs = desired.batches[name].inputs
        if inputs.prefix is None:
            continue
        listed = listings.get(name, Listing())
        bucket = desired.targets[desired.batches[name].target].bucket
        source = desired.batches[name].source
        where = f"{source.file}:{source.line}: " if source else ""
        if not listed:
            out.append(
                f"{where}batch {name}: prefix {inputs.prefix!r} matches no objects in {bucket}"
            )
        elif not _selects_any(listed, inputs):
            out.append(
                f"{where}batch {name}: prefix {inputs.prefix!r} lists {len(listed)} object(s) in "
                f"{bucket}, but include/exclude leave none"
            )
    return out


def _selects_any(listed: Listing, inputs: InputSelector) -> bool:
    """Whether the filters leave any input besides the explicit ones (stops at the first)."""
    if naming.select_inputs((), replace(inputs, objects=())):
        return True
    return any(naming.is_listed_input(key, inputs) for key in listed.keys())


def missing_inputs(desired: DesiredState, listings: Mapping[str, Listing]) -> list[str]:
    """Explicit inputs under a prefix that was listed anyway, yet absent from that listing.

    Only where the listing is already in hand (no extra request per object): such a job would
    be submitted and fail with InputFileNotExist, billed as a request and clogging the queue.
    A listing is walked (streamed) only when an explicit input falls under its prefix.
    """
    by_prefix: dict[tuple[str, str], Listing] = {}
    for name, listing in listings.items():
        batch = desired.batches.get(name)
        if batch is not None and batch.inputs.prefix is not None:
            by_prefix[(batch.target, batch.inputs.prefix)] = listing
    explicit = {(b.target, key) for b in desired.batches.values() for key in b.inputs.objects}
    covered: set[tuple[str, str]] = set()
    found: set[tuple[str, str]] = set()
    for (target, prefix), listing in by_prefix.items():
        wanted = {key for t, key in explicit if t == target and key.startswith(prefix)}
        covered.update((target, key) for key in wanted)
        if wanted:
            found.update((target, key) for key in listing.keys() if key in wanted)
    out = []
    for name in sorted(desired.batches):
        batch = desired.batches[name]
        absent = [
            key
            for key in batch.inputs.objects
            if (batch.target, key) in covered and (batch.target, key) not in found
        ]
        if absent:
            where = f"{len(absent)} explicit input(s) not in the bucket"
            out.append(f"batch {name}: {where}: {_sample(absent)}")
    return out


def removed_templates(templates: Iterable[TemplateAction]) -> list[str]:
    left = [a for a in templates if a.reason_code == "removed_left_alone"]
    if not left:
        return []
    names = [f"{a.name} ({a.target})" for a in left]
    return [
        f"{len(left)} template(s) removed from the manifests are left on the service: "
        f"{_sample(names)}; use --prune to delete"
    ]


def forgotten_running(jobs: Iterable[JobAction]) -> list[str]:
    per_batch = Counter(j.batch for j in acting(jobs) if j.reason_code == "forget_running")
    if not per_batch:
        return []
    total = sum(per_batch.values())
    batches = [f"{b}: {n}" for b, n in sorted(per_batch.items())]
    return [
        f"forgetting {total} job(s) still running on the service ({_sample(batches)}); they keep "
        "running and are billed; use --prune to cancel them"
    ]


def unknown_jobs(jobs: Mapping[tuple[str, str], JobRecord], missing: frozenset[str]) -> list[str]:
    if not missing:  # the usual case: no pass over every record
        return []
    found = [r for r in jobs.values() if r.job_id in missing]
    if not found:
        return []
    names = [f"{r.batch}/{r.input_object}" for r in found]
    return [
        f"{len(found)} unfinished job(s) unknown to the service, left as recorded: {_sample(names)}"
    ]


MAX_PROBLEMS = 10  # unreadable reply entries named one by one


def unreadable(problems: Sequence[str]) -> list[str]:
    """Reply entries the codec could not read: each spoiled only its own item."""
    out = [f"part of a reply could not be read: {p}" for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        out.append(f"... and {len(problems) - MAX_PROBLEMS} more unreadable entries")
    return out
