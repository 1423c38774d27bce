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
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from reconciler.engine.observe import observe
from reconciler.engine.queues import QueueBook
from reconciler.engine.spool import spool_directory
from reconciler.engine.submit import CLOCK_SKEW
from reconciler.errors import ConfigError
from reconciler.model import DesiredState, JobDetail, JobPage
from reconciler.model.records import StateSnapshot
from reconciler.model.times import iso, parse_iso
from reconciler.plan.actions import AdoptJob, AdoptTemplate, JobAction, SubmitJob
from reconciler.plan.jobactions import acting
from reconciler.plan.observed import Lookup
from reconciler.plan.planner import (
    Plan,
    PlanOptions,
    StateRef,
    adopt_found,
    build_plan,
    within_budget,
)
from reconciler.remote import RemoteReader
from reconciler.state.packed import PackedJobs

#: How far back a new or empty state looks (``--lookup-window`` / RECONCILER_LOOKUP_WINDOW).
DEFAULT_WINDOW = timedelta(days=7)
PAGE_SIZE = 100
WORKERS = 8  # concurrent listings of time spans of a long scan
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
    """The newest time any record carries, or the state's own last write (format 2); None for
    a new or empty state (nothing recorded: the whole look-up window is scanned)."""
    if not snapshot.jobs and not snapshot.templates:
        return None
    times = [t.updated_at for t in snapshot.templates.values()]
    if snapshot.written_at:  # format 2 records its last write; format 1 only the records' times
        times.append(snapshot.written_at)
    if isinstance(snapshot.jobs, PackedJobs):  # a read-only snapshot: no record built
        times += snapshot.jobs.times()
    else:
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


@dataclass(frozen=True)
class _Span:
    """A creation-time span being listed; ``path`` orders spans newest first (a span's own
    pages, then its newer half, then its older half)."""

    path: tuple[int, ...]
    since: datetime
    before: datetime | None
    token: str = ""
    queue: str | None = None


def _page(reader: RemoteReader, span: _Span) -> JobPage:
    return reader.list_jobs(
        start_creation_time=span.since, end_creation_time=span.before, size=PAGE_SIZE,
        next_token=span.token, queue_id=span.queue,
    )  # fmt: skip


def _split(span: _Span, page: JobPage) -> list[_Span] | None:
    """The older rest of a full page's span cut in two halves at a whole second (the
    service's bounds are whole seconds and strict: the halves neither miss nor share one);
    None when the rest is too short to cut or has no usable CreationTime."""
    try:
        oldest = parse_iso(page.jobs[-1].creation_time).replace(microsecond=0) + OVERLAP
    except ValueError:
        return None
    mid = (span.since + (oldest - span.since) / 2).replace(microsecond=0)
    if mid - span.since < 2 * OVERLAP or oldest - mid < OVERLAP:
        return None
    return [_Span((*span.path, 0), mid - OVERLAP, oldest), _Span((*span.path, 1), span.since, mid)]


def list_since(
    reader: RemoteReader, since: datetime, *, workers: int = WORKERS, queue: str | None = None
) -> tuple[tuple[JobDetail, ...], int]:
    """Every Snapshot job created after ``since``, newest first, and the requests it took.

    NextToken paging is sequential: one round trip per 100 jobs end to end. So while fewer
    than ``workers`` listings run, a full page's older rest is cut in two time halves listed
    concurrently (an empty half costs one request); otherwise paging goes on with the token.
    One page and done, the common case, is one request. Jobs seen twice are dropped.
    """
    pages: dict[tuple[int, ...], list[JobDetail]] = {}
    requests = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        first = _Span((), since, None, queue=queue)
        running = {pool.submit(_page, reader, first): first}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                span, page = running.pop(future), future.result()
                requests += 1
                pages.setdefault(span.path, []).extend(page.jobs)
                if not page.next_token or not page.jobs:
                    continue
                halves = _split(span, page) if len(running) < workers - 1 else None
                for nxt in halves or [replace(span, token=page.next_token)]:
                    running[pool.submit(_page, reader, nxt)] = nxt
    seen: set[str] = set()
    found = []
    for path in sorted(pages):
        for job in pages[path]:
            if job.job_id not in seen:
                seen.add(job.job_id)
                found.append(job)
    return tuple(found), requests


def scan(
    readers: Mapping[str, RemoteReader],
    targets: Mapping[str, frozenset[str | None]],
    since: datetime,
) -> Lookup:
    """One listing per target that has something to submit (per queue, see :func:`_queues`)."""
    jobs: dict[str, tuple[JobDetail, ...]] = {}
    requests = 0
    for target in sorted(t for t in targets if t in readers):
        jobs[target], cost = _list_target(readers[target], since, targets[target])
        requests += cost
    return Lookup(iso(since), jobs, requests)


def _list_target(
    reader: RemoteReader, since: datetime, queues: frozenset[str | None]
) -> tuple[tuple[JobDetail, ...], int]:
    """Jobs since ``since`` in the queues the submissions use (None: no queue named, the
    bucket's default), per queue as :meth:`QueueBook.each_queue` decides."""
    listed = QueueBook().each_queue(
        reader, sorted(queues, key=str), lambda q: list_since(reader, since, queue=q)
    )
    found: dict[str, JobDetail] = {}
    for jobs, _ in listed:
        for job in jobs:
            found.setdefault(job.job_id, job)
    return tuple(found.values()), sum(cost for _, cost in listed)


def _queues(actions: Iterable[JobAction]) -> dict[str, frozenset[str | None]]:
    """Per target with a planned submission: the queues those submissions name. One pass (a
    saved plan's jobs stream from its file)."""
    out: dict[str, set[str | None]] = {}
    for a in actions:
        if isinstance(a, SubmitJob):
            out.setdefault(a.target, set()).add(a.request.queue_id or None)
    return {t: frozenset(q) for t, q in out.items()}


def plan_looking(
    desired: DesiredState,
    snapshot: StateSnapshot,
    readers: Mapping[str, RemoteReader],
    options: PlanOptions,
    state: StateRef,
    *,
    window: timedelta = DEFAULT_WINDOW,
) -> Plan:
    """Observe and plan; when anything would be submitted, scan the service and let the planner
    turn what it finds into adoptions."""
    now = datetime.now(UTC)
    jobs = snapshot.jobs
    unfinished = jobs.unfinished() if isinstance(jobs, PackedJobs) else jobs.values()
    # The build is done inside: the listings are read from their spool files, removed after.
    with spool_directory() as spool:
        observed = observe(desired, unfinished, readers, spool=spool)
        # The budget is judged after the look-up: a job found on the service is not billed again.
        lenient = replace(options, allow_over_budget=True)
        plan = build_plan(
            desired, snapshot.templates, jobs, observed, state, lenient, created_at=iso(now)
        )
    targets = _queues(acting(plan.jobs))
    if targets:
        found = scan(readers, targets, lookup_since(snapshot, window, now))
        plan = adopt_found(plan, found, snapshot.jobs)  # = build_plan with observed.lookup=found
    return within_budget(replace(plan, options=options), desired)


def rescan_saved(plan: Plan, snapshot: StateSnapshot, readers: Mapping[str, RemoteReader]) -> Plan:
    """A saved plan whose submissions appeared on the service since it was made adopts them.

    Run under the lock right before applying: jobs created since the plan's own scan (its
    creation time minus the clock-skew margin) are listed for the targets with submissions.
    """
    targets = _queues(acting(plan.jobs))
    if not targets:
        return plan
    made = parse_iso(plan.created_at) if plan.created_at else datetime.now(UTC) - DEFAULT_WINDOW
    return adopt_found(plan, scan(readers, targets, made - CLOCK_SKEW), snapshot.jobs)


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
    jobs = sum(1 for a in acting(plan.jobs) if isinstance(a, AdoptJob))
    if not (templates or jobs):
        return None
    return (
        f"state is new; found on the service: {templates} template(s) by name, {jobs} marked "
        "job(s) (adopted, not re-submitted)"
    )
