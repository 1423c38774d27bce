"""The flows the CLI (and the Python API) run: load -> observe -> plan -> apply -> wait.

A composition of calls and nothing more: every decision lives in the modules it calls.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler import manifest
from reconciler.engine.apply import Applier, ApplyResult, Progress, apply_status
from reconciler.engine.bounds import Budget
from reconciler.engine.connect import Connections, connect
from reconciler.engine.keyfiles import check_key_files
from reconciler.engine.lookup import DEFAULT_WINDOW, plan_looking, rescan_saved, with_state_facts
from reconciler.engine.spool import list_prefix, spool_directory
from reconciler.engine.track import Key, Waiter, WaitOutcome, refresh
from reconciler.errors import PlanError
from reconciler.model import CosState, DesiredState, LocalState, StateLocation
from reconciler.model.records import JobRecord, StateSnapshot
from reconciler.model.times import iso
from reconciler.plan.actions import JobStatus
from reconciler.plan.jobseq import plan_pins
from reconciler.plan.pins import moved_pins
from reconciler.plan.planner import Plan, PlanOptions, StateRef
from reconciler.plan.select import narrow_snapshot, select_batches
from reconciler.remote import RemoteReader
from reconciler.state.protocols import Access, StateStore
from reconciler.state.registry import open_store

DEFAULT_STATE = Path(".reconciler") / "state.json"


@dataclass(frozen=True)
class Settings:
    """What every flow needs besides its own arguments (from global options and environment).

    The state is chosen in this order: what the caller gave (``state_backend``, any location:
    ``--state``/``RECONCILER_STATE``; ``state_path`` is the shorthand for a local file), else the
    manifests' ``state:`` (or a saved plan's record of it), else :data:`DEFAULT_STATE`.
    """

    state_path: Path | None = None
    endpoint: str | None = None
    env: Mapping[str, str] | None = None
    transport: object = None
    submit_qps: float = 10.0
    state_backend: StateLocation | None = None  # wins over state_path

    @property
    def given_state(self) -> StateLocation | None:
        """The state the caller gave, if any."""
        if self.state_backend is not None:
            return self.state_backend
        return None if self.state_path is None else LocalState(str(self.state_path))

    @property
    def location(self) -> StateLocation:
        """The state this run uses (after :meth:`with_state`)."""
        return self.given_state or LocalState(str(DEFAULT_STATE))

    lock_timeout: float | None = None  # --lock-timeout; None: the command's default

    def lock_wait(self, default: float = 0.0) -> float:
        """Seconds to wait for the state lock held by another run."""
        return default if self.lock_timeout is None else self.lock_timeout

    lookup_window: timedelta = DEFAULT_WINDOW  # how far back a new or empty state looks
    request_timeout: float = 30.0  # one request's deadline; a call's retries get twice it

    @property
    def local_state(self) -> Path:
        """The local state file, when the state is a local file (else the default path)."""
        where = self.location
        return Path(where.path) if isinstance(where, LocalState) else DEFAULT_STATE

    @property
    def state_given(self) -> bool:
        return self.given_state is not None

    def with_state(self, declared: StateLocation | None) -> Settings:
        """These settings with the manifests' (or a saved plan's) state, unless the caller gave
        one. ``--endpoint`` overrides a declared COS state's endpoint, as it does the targets'."""
        if self.state_given or declared is None:
            return self
        if isinstance(declared, CosState) and self.endpoint is not None:
            declared = replace(declared, endpoint=self.endpoint)
        return replace(self, state_backend=declared)

    def chosen_state(self, declared: StateLocation | None) -> StateLocation:
        """The state a run with ``declared`` uses, as a saved plan records it (before the
        ``--endpoint`` override, which applies again when the plan is applied)."""
        return self.given_state or declared or self.location

    def state(self) -> AbstractContextManager[StateStore]:
        """The configured state store, from the backend registered for its location."""
        return open_store(
            self.location, Access(self.endpoint, self.env, self.transport, self.request_timeout)
        )


def state_digest(snapshot: StateSnapshot) -> str:
    """Which version of the state a plan was made against, shown in plan documents: a hash of
    its lineage, serial, last write, journal entries not yet compacted and record counts.

    Not a hash of every record: that cost a pass over the whole state on every plan (1.8 s at
    100,000 jobs), and nothing judges a plan by it. Saved plans go stale per record instead
    (:mod:`reconciler.plan.pins`), since jobs finishing move the state without changing a plan.
    """
    facts = (snapshot.lineage, snapshot.serial, snapshot.written_at, snapshot.pending_journal,
             len(snapshot.templates), len(snapshot.jobs))  # fmt: skip
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:16]


def state_ref(snapshot: StateSnapshot) -> StateRef:
    return StateRef(snapshot.lineage, snapshot.serial, state_digest(snapshot))


def open_connections(desired: DesiredState, settings: Settings) -> Connections:
    return connect(
        desired.targets,
        endpoint=settings.endpoint,
        env=settings.env,
        submit_qps=settings.submit_qps,
        transport=settings.transport,
        timeout=settings.request_timeout,
    )


def plan_with(
    desired: DesiredState,
    snapshot: StateSnapshot,
    readers: Mapping[str, RemoteReader],
    options: PlanOptions,
    window: timedelta = DEFAULT_WINDOW,
) -> Plan:
    """Observe the service for ``desired`` and build the plan against ``snapshot`` (looking
    the service's jobs up first when anything would be submitted)."""
    if options.batches:
        snapshot = narrow_snapshot(snapshot, desired)
    return plan_looking(desired, snapshot, readers, options, state_ref(snapshot), window=window)


def _loaded(desired: DesiredState) -> None:
    """The default ``loaded`` hook: nothing to show."""


def make_plan(
    paths: Sequence[str | Path],
    settings: Settings,
    options: PlanOptions,
    loaded: Callable[[DesiredState], None] = _loaded,
) -> tuple[DesiredState, Plan]:
    """Load manifests and state (without locking), observe the service, build the plan.
    ``loaded`` sees the manifests as soon as they load (to show their warnings first)."""
    desired = select_batches(manifest.load(paths), options.batches)
    loaded(desired)
    recorded = settings.chosen_state(desired.state)
    settings = settings.with_state(desired.state)
    with settings.state() as store:
        snapshot = store.read()
        existed = bool(snapshot.serial or snapshot.jobs) or store.exists()  # COS: 1 request
        location = store.location
    with open_connections(desired, settings) as conns:
        plan = plan_with(desired, snapshot, conns.clients, options, settings.lookup_window)
    plan = with_state_facts(plan, location, existed, snapshot)
    return desired, replace(plan, state_backend=recorded)


def apply_manifests(
    paths: Sequence[str | Path],
    settings: Settings,
    options: PlanOptions,
    *,
    approve: Callable[[Plan], bool],
    progress: Progress | None = None,
    loaded: Callable[[DesiredState], None] = _loaded,
    budget: Budget | None = None,
) -> tuple[Plan, ApplyResult | None]:
    """Plan and apply under one hold of the state lock, so no other run can slip in between.

    ``loaded`` sees the manifests as they load, ``approve`` the plan (to show it and ask);
    nothing is changed when it says no or when there is nothing to do.
    """
    desired = select_batches(manifest.load(paths), options.batches)
    loaded(desired)
    recorded = settings.chosen_state(desired.state)
    settings = settings.with_state(desired.state)
    with open_connections(desired, settings) as conns, settings.state() as store:
        existed = store.exists()
        with store.open(command="apply", wait_seconds=settings.lock_wait()) as writer:
            snapshot = writer.snapshot
            plan = plan_with(desired, snapshot, conns.clients, options, settings.lookup_window)
            plan = with_state_facts(plan, store.location, existed, snapshot)
            plan = replace(plan, state_backend=recorded)
            if not (plan.changes or plan.refreshed) or not approve(plan):
                return plan, None
            applier = Applier(plan, conns.clients, writer, progress=progress, budget=budget)
            return plan, applier.run()


def check_fresh(plan: Plan, snapshot: StateSnapshot, readers: Mapping[str, RemoteReader]) -> None:
    """Refuse a saved plan when a record it acts on or a pinned listing moved since it was
    made. Refreshes (jobs finishing, recorded by ``wait``) do not count: see plan.pins."""
    if snapshot.lineage != plan.state.lineage and plan.state.serial != 0:
        raise PlanError("saved plan was made for another state (lineage differs); plan again")
    moved, first = 0, None
    for changed in moved_pins(plan_pins(plan), snapshot.templates, snapshot.jobs):
        moved, first = moved + 1, first or changed
    if first is not None:
        raise PlanError(
            f"saved plan is stale: {moved} record(s) it acts on changed since it was made "
            f"(first: {first.kind} {'/'.join(first.key)}); plan again"
        )
    with spool_directory() as spool:  # listed again as for the plan: streamed, then compared
        for pin in plan.listings:
            fresh = list_prefix(readers[pin.target], pin.prefix, spool)
            if (fresh.count, fresh.digest) != (pin.count, pin.sha256):
                raise PlanError(
                    f"saved plan is stale: the objects under {pin.prefix!r} changed; plan again"
                )
    check_key_files(plan.key_files)


def apply_plan(
    plan: Plan,
    settings: Settings,
    *,
    progress: Progress | None = None,
    budget: Budget | None = None,
) -> ApplyResult:
    """Execute ``plan`` under the state lock after checking it is not stale (the state and the
    pinned listings must be what the plan was made against). The state is the one the plan
    records, unless ``settings`` give one."""
    targets = DesiredState(targets={t.name: t for t in plan.targets})
    settings = settings.with_state(plan.state_backend)
    with open_connections(targets, settings) as conns, settings.state() as store:
        with store.open(command="apply", wait_seconds=settings.lock_wait()) as writer:
            check_fresh(plan, writer.snapshot, conns.clients)
            plan = rescan_saved(plan, writer.snapshot, conns.clients)
            return Applier(plan, conns.clients, writer, progress=progress, budget=budget).run()


def merge_status(rec: JobRecord, status: JobStatus) -> JobRecord:
    return apply_status(rec, status, iso(datetime.now(UTC)))


def tracked(snapshot: StateSnapshot, batches: Collection[str]) -> dict[Key, JobRecord]:
    """Submitted jobs of the given batches."""
    return {k: r for k, r in snapshot.jobs.items() if r.batch in batches and r.job_id}


def wait_jobs(
    desired: DesiredState,
    batches: Collection[str],
    settings: Settings,
    *,
    timeout: float,
    on_counts: Callable[[Counter[str]], None],
    keys: Collection[Key] | None = None,
) -> WaitOutcome:
    """Poll unfinished jobs of ``batches`` until finished or ``timeout``; ``desired`` gives
    the targets to connect to (and its ``state``, the state unless ``settings`` give one).
    ``keys``: only these jobs (a bounded apply waits for what it submitted)."""
    settings = settings.with_state(desired.state)
    with open_connections(desired, settings) as conns, settings.state() as store:
        with store.open(command="wait", wait_seconds=settings.lock_wait(30.0)) as writer:
            waiter = Waiter(
                conns.clients, timeout=timeout, on_counts=on_counts,
                save=writer.put_jobs, merge=merge_status,
            )  # fmt: skip
            jobs = tracked(writer.snapshot, batches)
            if keys is not None:
                jobs = {k: r for k, r in jobs.items() if k in keys}
            return waiter.wait(jobs)


def job_status(
    paths: Sequence[str | Path], settings: Settings, batches: Collection[str] = ()
) -> tuple[DesiredState, dict[Key, JobRecord]]:
    """Recorded jobs of the manifests' batches (or of ``batches`` among them) with fresh
    service facts (state not written)."""
    desired = select_batches(manifest.load(paths), batches)
    settings = settings.with_state(desired.state)
    with settings.state() as store:
        snapshot = store.read()
    records = {k: r for k, r in snapshot.jobs.items() if r.batch in desired.batches}
    with open_connections(desired, settings) as conns:
        for status in refresh(records.values(), conns.clients):
            key = (status.batch, status.input_object)
            records[key] = merge_status(records[key], status)
    return desired, records
