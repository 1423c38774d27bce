"""Look before the first submit: list the service's jobs that the state may not know.

The state can go back in time or go missing (a restored backup, an older push, another
directory, a fresh COS key); the service cannot. When a plan would submit anything, the jobs
created since the state's last write (minus :data:`CLOCK_SKEW`), or within the lookup window
for a new or empty state, are listed once per target (``GET /jobs``, 100 per page, NextToken
paging) and handed to the planner, which adopts every submission it finds by marker
(:mod:`reconciler.plan.adopt`). A plan with nothing to submit lists nothing, so an intact state
still plans a no-op in the same requests as before.

The state's last write is the newest time any record carries: every write that can precede a
submission adds or changes a record stamped with the writer's clock (an intent, a submission,
a template), so a state restored from an older copy ends before any job it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from reconciler.engine.observe import observe
from reconciler.engine.submit import CLOCK_SKEW, iso, parse_iso
from reconciler.errors import ConfigError
from reconciler.model import DesiredState, JobDetail
from reconciler.model.records import StateSnapshot
from reconciler.plan.actions import AdoptJob, AdoptTemplate, JobAction
from reconciler.plan.adopt import adopt_jobs, needs_lookup
from reconciler.plan.observed import Lookup
from reconciler.plan.planner import Plan, PlanOptions, StateRef, build_plan
from reconciler.remote import RemoteReader

#: How far back a new or empty state looks (``--lookup-window`` / RECONCILER_LOOKUP_WINDOW).
DEFAULT_WINDOW = timedelta(days=7)
PAGE_SIZE = 100
SLICES = 8  # concurrent time slices of a long listing
OVERLAP = timedelta(seconds=1)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_window(text: str) -> timedelta:
    """``7d``, ``12h``, ``90m``, ``3600s`` or plain seconds -> timedelta; ConfigError otherwise."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"lookup window {text!r} must look like 7d, 12h, 90m or 3600 (seconds)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def last_write(snapshot: StateSnapshot) -> datetime | None:
    """The newest time any record carries (None: nothing recorded, a new or empty state)."""
    times = [t.updated_at for t in snapshot.templates.values()]
    for rec in snapshot.jobs.values():
        times += [t for t in (rec.intent_time, rec.submitted_at, rec.finished_at) if t]
    newest = [parse_iso(t) for t in times]
    return max(newest) if newest else None


def lookup_since(snapshot: StateSnapshot, window: timedelta, now: datetime) -> datetime:
    """Where the scan starts: the last write minus the clock-skew margin, never before the
    window (a new or empty state scans the whole window)."""
    floor = now - window
    last = last_write(snapshot)
    return floor if last is None else max(floor, last - CLOCK_SKEW)


def _pages(
    reader: RemoteReader, since: datetime, before: datetime | None
) -> tuple[list[JobDetail], int]:
    """Every job created after ``since`` (and before ``before``), newest first, NextToken
    paging until an empty token or an empty page; and the requests it took."""
    found: list[JobDetail] = []
    token, requests = "", 0
    while True:
        page = reader.list_jobs(
            start_creation_time=since, end_creation_time=before, size=PAGE_SIZE, next_token=token
        )
        requests += 1
        found.extend(page.jobs)
        if not page.next_token or not page.jobs:
            return found, requests
        token = page.next_token


def slices(since: datetime, until: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """``count`` (start, end) spans covering (since, until), newest first, each overlapping the
    next by one second: the service's bounds are whole seconds and strict."""
    step = (until - since) / count
    edges = [until - step * i for i in range(count)] + [since]
    return [(edges[i + 1] - OVERLAP, edges[i]) for i in range(count)]


def list_since(
    reader: RemoteReader, since: datetime, *, workers: int = SLICES
) -> tuple[tuple[JobDetail, ...], int]:
    """Every Snapshot job created after ``since``, newest first, and the requests it took.

    Paging is sequential (each NextToken comes from the previous reply), so a long listing
    would cost one round trip per 100 jobs end to end. The first page is asked for alone: one
    page and done is the common case. When there is more, the span older than that page is cut
    into ``workers`` time slices paged concurrently; duplicates at the slice edges are dropped.
    """
    first, requests = reader.list_jobs(start_creation_time=since, size=PAGE_SIZE), 1
    found = list(first.jobs)
    if not first.next_token or not first.jobs:
        return tuple(found), requests
    try:
        oldest = parse_iso(first.jobs[-1].creation_time) + OVERLAP
    except ValueError:  # no usable CreationTime: page on from the first token, in one line
        workers, oldest = 1, datetime.now(UTC) + OVERLAP
    count = max(1, min(workers, int((oldest - since).total_seconds())))
    with ThreadPoolExecutor(max_workers=count) as pool:
        parts = list(pool.map(lambda span: _pages(reader, *span), slices(since, oldest, count)))
    seen = {job.job_id for job in found}
    for jobs, cost in parts:
        requests += cost
        for job in jobs:
            if job.job_id not in seen:
                seen.add(job.job_id)
                found.append(job)
    return tuple(found), requests


def scan(readers: Mapping[str, RemoteReader], targets: Collection[str], since: datetime) -> Lookup:
    """One listing per target that has something to submit."""
    jobs: dict[str, tuple[JobDetail, ...]] = {}
    requests = 0
    for target in sorted(t for t in targets if t in readers):
        jobs[target], cost = list_since(readers[target], since)
        requests += cost
    return Lookup(iso(since), jobs, requests)


def plan_looking(
    desired: DesiredState,
    snapshot: StateSnapshot,
    readers: Mapping[str, RemoteReader],
    options: PlanOptions,
    state: StateRef,
    *,
    window: timedelta = DEFAULT_WINDOW,
) -> Plan:
    """Observe, plan, and when anything would be submitted scan the service and plan again."""
    now = datetime.now(UTC)
    observed = observe(desired, snapshot.jobs.values(), readers)
    plan = build_plan(
        desired, snapshot.templates, snapshot.jobs, observed, state, options, created_at=iso(now)
    )
    targets = needs_lookup(plan.jobs)
    if not targets:
        return plan
    found = scan(readers, targets, lookup_since(snapshot, window, now))
    observed = replace(observed, lookup=found)
    return build_plan(
        desired, snapshot.templates, snapshot.jobs, observed, state, options, created_at=iso(now)
    )


def rescan_saved(plan: Plan, snapshot: StateSnapshot, readers: Mapping[str, RemoteReader]) -> Plan:
    """A saved plan whose submissions appeared on the service since it was made adopts them.

    Run under the lock right before applying: jobs created since the plan's own scan (its
    creation time minus the clock-skew margin) are listed for the targets with submissions.
    """
    targets = needs_lookup(plan.jobs)
    if not targets:
        return plan
    made = parse_iso(plan.created_at) if plan.created_at else datetime.now(UTC) - DEFAULT_WINDOW
    found = scan(readers, targets, made - CLOCK_SKEW)
    jobs: tuple[JobAction, ...] = adopt_jobs(plan.jobs, found, snapshot.jobs)
    return replace(plan, jobs=jobs, lookup_requests=plan.lookup_requests + found.requests)


def with_state_facts(plan: Plan, location: str, existed: bool, snapshot: StateSnapshot) -> Plan:
    """The plan with the state it used named, and a note when a new or empty state found the
    manifests' work already on the service."""
    notes = plan.notes
    if not snapshot.jobs and not snapshot.templates and (note := new_state_note(plan)):
        notes = (*notes, note)
    return replace(plan, state_location=location, state_exists=existed, notes=notes)


def new_state_note(plan: Plan) -> str | None:
    """One line when a new or empty state meets a service that already holds its work."""
    templates = sum(1 for a in plan.templates if isinstance(a, AdoptTemplate))
    jobs = sum(1 for a in plan.jobs if isinstance(a, AdoptJob))
    if not (templates or jobs):
        return None
    return (
        f"state is new; found on the service: {templates} template(s) by name, {jobs} marked "
        "job(s) (adopted, not re-submitted)"
    )
