"""The Python API: the same flow as the command line (load, plan, apply, wait, status).

Entry point::

    from reconciler import Reconciler

    rc = Reconciler(state_path="state.json")
    plan = rc.plan(["manifests/"])
    if plan.changes:
        outcome = rc.apply(["manifests/"])
        rc.wait(["manifests/"], timeout=600)
    report = rc.status(["manifests/"])

A thin facade over :mod:`reconciler.engine.workflow`, on purpose: the CLI and the API must never
disagree about what a plan or an apply does, so neither holds logic of its own. Errors are the
:mod:`reconciler.errors` tree (``ManifestError``, ``PlanError``, ``LockError``, ...), exactly
as the CLI sees them before it turns them into exit codes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import manifest
from reconciler.engine import workflow
from reconciler.engine.apply import ApplyResult, Progress
from reconciler.engine.bounds import Budget
from reconciler.engine.planfile import read_plan, write_plan
from reconciler.engine.report import by_batch, failed_document, status_document
from reconciler.engine.track import Key
from reconciler.model import DesiredState
from reconciler.model.records import JobRecord
from reconciler.model.states import JobState
from reconciler.plan.planner import Plan, PlanOptions

Paths = Sequence[str | Path] | str | Path


@dataclass(frozen=True)
class ApplyOutcome:
    """What ``apply`` did: the plan it executed and its result (``None``: nothing was applied,
    because there was nothing to do or ``approve`` said no)."""

    plan: Plan
    result: ApplyResult | None

    @property
    def ok(self) -> bool:
        """True when every action succeeded (or there was nothing to do)."""
        return self.result is None or not self.result.failures

    @property
    def more_to_do(self) -> bool:
        """True when ``limit``/``time_limit`` stopped the run with submissions left (the CLI's
        exit 5): apply again to continue."""
        return self.result is not None and self.result.left > 0


@dataclass(frozen=True)
class BatchStatus:
    """One batch's jobs as last recorded or observed."""

    name: str
    jobs: tuple[JobRecord, ...]

    @property
    def counts(self) -> Counter[str]:
        return Counter(job.state for job in self.jobs)

    @property
    def failed(self) -> tuple[JobRecord, ...]:
        return tuple(job for job in self.jobs if JobState.is_failed(job.state))

    @property
    def finished(self) -> bool:
        return all(JobState.is_finished(job.state) for job in self.jobs)


@dataclass(frozen=True)
class StatusReport:
    """Jobs per batch; ``timed_out`` is only ever true for the result of ``wait``."""

    batches: dict[str, BatchStatus] = field(default_factory=dict)
    timed_out: bool = False

    @classmethod
    def of(cls, records: Iterable[JobRecord], timed_out: bool = False) -> StatusReport:
        groups = by_batch(records)
        return cls({b: BatchStatus(b, tuple(jobs)) for b, jobs in groups.items()}, timed_out)

    @property
    def jobs(self) -> dict[Key, JobRecord]:
        return {job.key: job for batch in self.batches.values() for job in batch.jobs}

    @property
    def failed(self) -> tuple[JobRecord, ...]:
        return tuple(job for batch in self.batches.values() for job in batch.failed)

    def to_dict(self, *, jobs: bool = False) -> dict[str, Any]:
        """The same document as ``reconciler status --json`` (``--jobs``: with every job)."""
        return status_document(self.jobs.values(), jobs=jobs)

    def failed_dict(self) -> dict[str, Any]:
        """The same document as ``reconciler status --failed --json``."""
        return failed_document(self.jobs.values())


def _paths(paths: Paths) -> list[str | Path]:
    return [paths] if isinstance(paths, str | Path) else list(paths)


class Reconciler:
    """Plan and apply manifests against a state, as ``reconciler`` does.

    ``state_path`` (a local file) overrides the manifests' ``state:``; without either, the state
    is ``.reconciler/state.json``.

    ``endpoint`` overrides every target's endpoint (like ``--endpoint``); ``env`` supplies the
    credentials (``TENCENTCLOUD_SECRET_ID``/``KEY``; default: ``os.environ``); ``transport``
    is for tests (an httpx transport, e.g. to an in-process emulator). ``request_timeout`` is
    one request's deadline in seconds (like ``--request-timeout``); a call's retries stop after
    twice it.
    """

    def __init__(
        self,
        *,
        state_path: str | Path | None = None,
        endpoint: str | None = None,
        env: Mapping[str, str] | None = None,
        submit_qps: float = 10.0,
        transport: object = None,
        request_timeout: float = 30.0,
    ) -> None:
        self.settings = workflow.Settings(
            state_path=None if state_path is None else Path(state_path), endpoint=endpoint, env=env,
            transport=transport, submit_qps=submit_qps, request_timeout=request_timeout,
        )  # fmt: skip

    def load(self, paths: Paths) -> DesiredState:
        """Load and check manifests (files or directories); no service contact. What the
        service would accept but ignore is on the result's ``warnings`` (located problems)."""
        return manifest.load(_paths(paths))

    def plan(
        self,
        paths: Paths,
        *,
        prune: bool = False,
        retry_failed: bool = False,
        allow_over_budget: bool = False,
    ) -> Plan:
        """Observe the service and build the plan; changes nothing. A plan over a declared
        budget raises ``PlanError`` unless ``allow_over_budget``."""
        options = PlanOptions(prune, retry_failed, allow_over_budget)
        _, plan = workflow.make_plan(_paths(paths), self.settings, options)
        return plan

    def apply(
        self,
        paths: Paths,
        *,
        prune: bool = False,
        retry_failed: bool = False,
        allow_over_budget: bool = False,
        approve: Callable[[Plan], bool] | None = None,
        progress: Progress | None = None,
        limit: int | None = None,
        time_limit: float | None = None,
    ) -> ApplyOutcome:
        """Plan and apply under the state lock. ``approve`` sees the plan first (default: yes);
        ``progress(phase, done, total)`` is called as jobs are submitted. ``limit`` (job
        submissions) and ``time_limit`` (seconds from this call) bound the run like
        ``apply --limit/--time-limit``; see :attr:`ApplyOutcome.more_to_do`."""
        plan, result = workflow.apply_manifests(
            _paths(paths), self.settings, PlanOptions(prune, retry_failed, allow_over_budget),
            approve=approve or (lambda _plan: True), progress=progress,
            budget=self._budget(limit, time_limit),
        )  # fmt: skip
        return ApplyOutcome(plan, result)

    def apply_plan(
        self,
        plan: Plan | str | Path,
        *,
        progress: Progress | None = None,
        limit: int | None = None,
        time_limit: float | None = None,
    ) -> ApplyOutcome:
        """Apply exactly a plan (a ``Plan`` or a file saved by ``save_plan``/``plan --out``);
        raises ``PlanError`` when it is stale (as it is after a bounded run applied a part)."""
        the_plan = plan if isinstance(plan, Plan) else read_plan(Path(plan))
        budget = self._budget(limit, time_limit)
        result = workflow.apply_plan(the_plan, self.settings, progress=progress, budget=budget)
        return ApplyOutcome(the_plan, result)

    def _budget(self, limit: int | None, time_limit: float | None) -> Budget:
        return Budget(limit, time_limit, qps=self.settings.submit_qps)

    @staticmethod
    def save_plan(plan: Plan, path: str | Path) -> None:
        """Write ``plan`` as the JSON Lines file ``reconciler apply PLANFILE`` accepts
        (docs/plan-format.md), streamed."""
        write_plan(plan, Path(path))

    def wait(
        self,
        paths: Paths,
        *,
        timeout: float = 3600.0,
        on_counts: Callable[[Counter[str]], None] | None = None,
    ) -> StatusReport:
        """Poll the manifests' unfinished jobs until they finish or ``timeout`` seconds pass."""
        desired = self.load(paths)
        outcome = workflow.wait_jobs(
            desired, set(desired.batches), self.settings, timeout=timeout,
            on_counts=on_counts or (lambda _counts: None),
        )  # fmt: skip
        return StatusReport.of(outcome.records.values(), outcome.timed_out)

    def status(self, paths: Paths) -> StatusReport:
        """Recorded jobs of the manifests' batches with fresh facts; the state is not written."""
        _, records = workflow.job_status(_paths(paths), self.settings)
        return StatusReport.of(records.values())
