"""The flows the CLI (and the Python API) run: load -> observe -> plan -> apply -> wait.

A composition of calls and nothing more: every decision lives in the modules it calls.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from reconciler import manifest
from reconciler.engine.apply import Applier, ApplyResult, Progress, apply_status
from reconciler.engine.bounds import Budget
from reconciler.engine.connect import Connections, connect
from reconciler.engine.keyfiles import check_key_files
from reconciler.engine.observe import list_prefix, observe
from reconciler.engine.submit import iso
from reconciler.engine.track import Key, Waiter, WaitOutcome, refresh
from reconciler.errors import PlanError
from reconciler.model import DesiredState, StateBackendSpec
from reconciler.model.records import JobRecord, StateSnapshot
from reconciler.plan.actions import JobStatus
from reconciler.plan.planner import Plan, PlanOptions, StateRef, build_plan
from reconciler.remote import RemoteReader
from reconciler.state.backends import StateBackend, state_backend

DEFAULT_STATE = Path(".reconciler") / "state.json"


@dataclass(frozen=True)
class Settings:
    """What every flow needs besides its own arguments (from global options and environment).

    The state is chosen in this order: what the caller gave (``state_path``, or ``state_backend``
    for COS: ``--state``/``RECONCILER_STATE``), else the manifests' ``state:`` (or a saved plan's
    record of it), else :data:`DEFAULT_STATE`. ``state_path`` None means "not given".
    """

    state_path: Path | None = None
    endpoint: str | None = None
    env: Mapping[str, str] | None = None
    transport: object = None
    submit_qps: float = 10.0
    state_backend: StateBackendSpec | None = None  # a COS state; None: the local file

    @property
    def local_state(self) -> Path:
        """The local state file used when the state is not on COS."""
        return DEFAULT_STATE if self.state_path is None else self.state_path

    @property
    def state_given(self) -> bool:
        return self.state_path is not None or self.state_backend is not None

    def with_state(self, declared: StateBackendSpec | None) -> Settings:
        """These settings with the manifests' (or a saved plan's) state, unless the caller gave
        one. ``--endpoint`` overrides a declared COS state's endpoint, as it does the targets'."""
        if self.state_given or declared is None:
            return self
        if declared.is_local:
            return replace(self, state_path=Path(declared.key))
        if self.endpoint is not None:
            declared = replace(declared, endpoint=self.endpoint)
        return replace(self, state_backend=declared)

    def chosen_state(self, declared: StateBackendSpec | None) -> StateBackendSpec:
        """The state a run with ``declared`` uses, as a saved plan records it (before the
        ``--endpoint`` override, which applies again when the plan is applied)."""
        if self.state_backend is not None:
            return self.state_backend
        if self.state_path is not None or declared is None:
            return StateBackendSpec.local(str(self.local_state))
        return declared

    def state(self) -> AbstractContextManager[StateBackend]:
        """The configured state store (local file or COS): the one place that chooses."""
        return state_backend(
            self.local_state, self.state_backend, endpoint=self.endpoint, env=self.env,
            transport=self.transport,
        )  # fmt: skip


def state_digest(snapshot: StateSnapshot) -> str:
    """Content hash of the recorded state: a saved plan is stale once this changes."""
    h = hashlib.sha256()
    for key in sorted(snapshot.templates):
        h.update(repr(snapshot.templates[key]).encode())
    for key in sorted(snapshot.jobs):
        h.update(repr(snapshot.jobs[key]).encode())
    return h.hexdigest()[:16]


def state_ref(snapshot: StateSnapshot) -> StateRef:
    return StateRef(snapshot.lineage, snapshot.serial, state_digest(snapshot))


def open_connections(desired: DesiredState, settings: Settings) -> Connections:
    return connect(
        desired.targets,
        endpoint=settings.endpoint,
        env=settings.env,
        submit_qps=settings.submit_qps,
        transport=settings.transport,
    )


def plan_with(
    desired: DesiredState,
    snapshot: StateSnapshot,
    readers: Mapping[str, RemoteReader],
    options: PlanOptions,
) -> Plan:
    """Observe the service for ``desired`` and build the plan against ``snapshot``."""
    observed = observe(desired, snapshot.jobs.values(), readers)
    return build_plan(
        desired, snapshot.templates, snapshot.jobs, observed, state_ref(snapshot), options,
        created_at=iso(datetime.now(UTC)),
    )  # fmt: skip


def make_plan(
    paths: Sequence[str | Path], settings: Settings, options: PlanOptions
) -> tuple[DesiredState, Plan]:
    """Load manifests and state (without locking), observe the service, build the plan."""
    desired = manifest.load(paths)
    recorded = settings.chosen_state(desired.state)
    settings = settings.with_state(desired.state)
    with settings.state() as store:
        snapshot = store.read()
    with open_connections(desired, settings) as conns:
        plan = plan_with(desired, snapshot, conns.clients, options)
    return desired, replace(plan, state_backend=recorded)


def apply_manifests(
    paths: Sequence[str | Path],
    settings: Settings,
    options: PlanOptions,
    *,
    approve: Callable[[Plan], bool],
    progress: Progress | None = None,
    budget: Budget | None = None,
) -> tuple[Plan, ApplyResult | None]:
    """Plan and apply under one hold of the state lock, so no other run can slip in between.

    ``approve`` sees the plan (to show it and ask); nothing is changed when it says no or
    when there is nothing to do.
    """
    desired = manifest.load(paths)
    recorded = settings.chosen_state(desired.state)
    settings = settings.with_state(desired.state)
    with open_connections(desired, settings) as conns, settings.state() as store:
        with store.open(command="apply") as writer:
            plan = plan_with(desired, writer.snapshot, conns.clients, options)
            plan = replace(plan, state_backend=recorded)
            if not (plan.changes or plan.refreshed) or not approve(plan):
                return plan, None
            applier = Applier(plan, conns.clients, writer, progress=progress, budget=budget)
            return plan, applier.run()


def check_fresh(plan: Plan, snapshot: StateSnapshot, readers: Mapping[str, RemoteReader]) -> None:
    """Refuse a saved plan whose state or pinned listings moved since it was made."""
    now = state_ref(snapshot)
    if now.lineage != plan.state.lineage and plan.state.serial != 0:
        raise PlanError("saved plan was made for another state (lineage differs); plan again")
    if now.digest != plan.state.digest:
        raise PlanError(
            f"saved plan is stale: the state changed since it was made (serial "
            f"{plan.state.serial} -> {now.serial}); plan again"
        )
    for pin in plan.listings:
        fresh = tuple(list_prefix(readers[pin.target], pin.prefix).pairs())
        if fresh != pin.objects:
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
        with store.open(command="apply") as writer:
            check_fresh(plan, writer.snapshot, conns.clients)
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
        with store.open(command="wait", wait_seconds=30.0) as writer:
            waiter = Waiter(
                conns.clients, timeout=timeout, on_counts=on_counts,
                save=writer.put_jobs, merge=merge_status,
            )  # fmt: skip
            jobs = tracked(writer.snapshot, batches)
            if keys is not None:
                jobs = {k: r for k, r in jobs.items() if k in keys}
            return waiter.wait(jobs)


def job_status(
    paths: Sequence[str | Path], settings: Settings
) -> tuple[DesiredState, dict[Key, JobRecord]]:
    """Recorded jobs of the manifests' batches with fresh service facts (state not written)."""
    desired = manifest.load(paths)
    settings = settings.with_state(desired.state)
    with settings.state() as store:
        snapshot = store.read()
    records = {k: r for k, r in snapshot.jobs.items() if r.batch in desired.batches}
    with open_connections(desired, settings) as conns:
        for status in refresh(records.values(), conns.clients):
            key = (status.batch, status.input_object)
            records[key] = merge_status(records[key], status)
    return desired, records
