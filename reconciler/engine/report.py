"""The ``status --json`` document: built here once, for the CLI and :mod:`reconciler.api` alike.

Compact by default so it stays small at 100,000 jobs: per batch the counts by state and the
failures grouped by (state, error code) with a count, a few sample inputs and one example
message. Per-job detail only on request (``jobs=True``: ``status --json --jobs``). The failed
jobs alone, one row each, are :func:`failed_document` (``status --failed --json``): the list to
reprocess. The shape is documented in ``schemas/status.schema.json``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from reconciler.engine.apply import Failure
from reconciler.model.records import JobRecord
from reconciler.model.states import JobState

FORMAT_VERSION = 2
SAMPLES = 5


def by_batch(records: Iterable[JobRecord]) -> dict[str, list[JobRecord]]:
    """Records grouped by batch; batches and keys in sorted order."""
    groups: dict[str, list[JobRecord]] = {}
    for rec in sorted(records, key=lambda r: r.key):
        groups.setdefault(rec.batch, []).append(rec)
    return groups


def failure_groups(records: Iterable[JobRecord]) -> list[dict[str, Any]]:
    """Failed or cancelled jobs grouped by (state, code): largest first, then by code."""
    groups: dict[tuple[str, str], list[JobRecord]] = {}
    for rec in records:
        if JobState.is_failed(rec.state):
            groups.setdefault((rec.state, rec.code), []).append(rec)
    order = sorted(groups, key=lambda k: (-len(groups[k]), k))
    return [
        {
            "state": state,
            "code": code,
            "count": len(groups[(state, code)]),
            "message": groups[(state, code)][0].message,
            "samples": [r.input_object for r in groups[(state, code)][:SAMPLES]],
        }
        for state, code in order
    ]


def status_document(records: Iterable[JobRecord], *, jobs: bool = False) -> dict[str, Any]:
    """Counts per batch and grouped failures; every job record too with ``jobs``."""
    batches: dict[str, Any] = {}
    totals: Counter[str] = Counter()
    for name, recs in by_batch(records).items():
        counts = Counter(r.state for r in recs)
        totals += counts
        entry: dict[str, Any] = {
            "total": len(recs),
            "counts": dict(sorted(counts.items())),
            "failures": failure_groups(recs),
        }
        if jobs:
            entry["jobs"] = [r.to_dict() for r in recs]
        batches[name] = entry
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "total": sum(totals.values()),
        "counts": dict(sorted(totals.items())),
        "batches": batches,
    }
    return doc


def failed_document(records: Iterable[JobRecord]) -> dict[str, Any]:
    """Every failed or cancelled job, one row each, for reprocessing elsewhere."""
    rows = [
        {
            "batch": r.batch,
            "input_object": r.input_object,
            "job_id": r.job_id,
            "state": r.state,
            "code": r.code,
            "message": r.message,
        }
        for recs in by_batch(records).values()
        for r in recs
        if JobState.is_failed(r.state)
    ]
    return {"format_version": FORMAT_VERSION, "failed": rows}


def apply_failure_groups(failures: Iterable[Failure]) -> list[list[Failure]]:
    """Apply's failures grouped by what failed (template or job) and the error: one failed
    template behind 120 jobs is one group of 120, not 120 lines. Largest groups first."""
    groups: dict[tuple[str, str, str], list[Failure]] = {}
    for f in failures:
        noun = f.what.split(" ", 1)[0]
        groups.setdefault((noun, f.code, f.message if not f.code else ""), []).append(f)
    ordered = [sorted(g, key=lambda f: f.what) for g in groups.values()]
    return sorted(ordered, key=lambda g: (-len(g), g[0].what))
