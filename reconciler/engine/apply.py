"""Execute a plan: templates first (their IDs feed the jobs), then jobs, concurrently.

The Applier has one ``visit_<kind>`` method per action class, chosen by an exhaustive
``match`` (mypy flags an action class it does not handle). Every success is written to the state
as it happens, so an interrupted apply loses nothing; one job's failure never stops the others,
and each failure is reported with the service's code and request id. A
:class:`~reconciler.engine.bounds.Budget` (``--limit``, ``--time-limit``) may leave job
submissions for the next run; they are counted in ``left``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import assert_never

from reconciler.engine.bounds import Budget, Deferred
from reconciler.engine.queues import QueueBook
from reconciler.engine.submit import SubmitFailed, SubmitPolicy, Submitter
from reconciler.engine.templatewrite import create_template
from reconciler.errors import ApiError, ApplyError, RemoteError
from reconciler.model import RemoteTemplate, SnapshotSettings
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.model.states import JobState
from reconciler.model.times import iso
from reconciler.plan.actions import (
    Action,
    AdoptJob,
    AdoptTemplate,
    CancelJob,
    CreateTemplate,
    DeleteTemplate,
    ForgetJob,
    ForgetTemplate,
    JobAction,
    JobStatus,
    KeepJob,
    KeepTemplate,
    RecreateTemplate,
    SubmitJob,
    UpdateTemplate,
)
from reconciler.plan.adopt import adopted_record
from reconciler.plan.jobactions import acting
from reconciler.plan.jobseq import acting_count
from reconciler.plan.planner import Plan
from reconciler.remote import RemoteWriter
from reconciler.state.protocols import StateWriter

Progress = Callable[[str, int, int], None]
#: Job actions read ahead of the workers at most: what an apply holds of a saved plan.
WINDOW = 1024


@dataclass(frozen=True)
class Failure:
    """One action that did not succeed, with what the service said."""

    what: str
    message: str
    code: str = ""
    request_id: str = ""


class ApplyInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped an apply: what was done is recorded; ``result`` and the
    counts say how far it got, so the user can be told to re-run for the rest."""

    def __init__(self, result: ApplyResult, total: int, settled: int) -> None:
        super().__init__()
        self.result = result
        self.total = total  # job actions the plan had to carry out
        self.settled = settled  # of them done or failed before the stop

    @property
    def submitted(self) -> int:
        return self.result.done.get("submit_job", 0)

    @property
    def left(self) -> int:
        return self.total - self.settled


@dataclass
class ApplyResult:
    done: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    left: int = 0  # job submissions not started because the run's budget was spent
    submitted: set[tuple[str, str]] = field(default_factory=set)  # job keys submitted or adopted

    def count(self, kind: str) -> None:
        self.done[kind] = self.done.get(kind, 0) + 1


def _failure(what: str, error: BaseException) -> Failure:
    if isinstance(error, ApiError):
        return Failure(what, error.message, error.code, error.request_id)
    return Failure(what, str(error))


class Applier:
    """Walks a plan and executes each action through the target's RemoteWriter."""

    def __init__(
        self,
        plan: Plan,
        writers: Mapping[str, RemoteWriter],
        state: StateWriter,
        *,
        workers: int = 16,
        policy: SubmitPolicy | None = None,
        progress: Progress | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        budget: Budget | None = None,
    ) -> None:
        self.plan = plan
        self.writers = writers
        self.state = state
        self.workers = workers
        self.policy = policy or SubmitPolicy()
        self.progress = progress or (lambda phase, done, total: None)
        self.now = now
        self.result = ApplyResult()
        self.queues = QueueBook()  # queue IDs learned during this apply, for job listings
        self.budget = budget or Budget()
        self._lock = threading.Lock()
        self._settled = 0  # job actions done or failed

    def run(self) -> ApplyResult:
        total = acting_count(self.plan.jobs)
        try:
            return self._run(total)
        except KeyboardInterrupt as stop:
            raise ApplyInterrupted(self.result, total, self._settled) from stop

    def _run(self, total: int) -> ApplyResult:
        """Templates first, then the job actions as a stream: at most :data:`WINDOW` of them
        are read ahead of the workers, so a saved plan of a million jobs is never held whole."""
        for action in self.plan.templates:
            self._visit(action)
        self._record_statuses(self.plan.refreshed)
        finished = 0
        self.progress("jobs", 0, total)
        pool = ThreadPoolExecutor(max_workers=self.workers)
        pending: set[Future[None]] = set()
        try:
            for job in acting(self.plan.jobs):  # kept jobs are skipped (and never built)
                if isinstance(job, SubmitJob) and self._spent():
                    self._visit(job)  # left for the next run at once: no worker needed
                    finished += 1
                    self.progress("jobs", finished, total)
                    continue
                if len(pending) >= max(WINDOW, self.workers):
                    finished += self._settle(pending, FIRST_COMPLETED, finished, total)
                pending.add(pool.submit(self._visit, job))
            self._settle(pending, ALL_COMPLETED, finished, total)
        finally:
            # On Ctrl-C nothing new starts; submissions in flight finish and are recorded.
            pool.shutdown(wait=True, cancel_futures=True)
        return self.result

    def _spent(self) -> bool:
        return self.budget.bounded and not self.budget.open()

    def _settle(self, pending: set[Future[None]], until: str, finished: int, total: int) -> int:
        """Wait for some (or all) of ``pending``, re-raising what a visit raised; remove the
        finished ones and return how many they were."""
        done, _ = wait(pending, return_when=until)
        for future in done:
            pending.discard(future)
            future.result()
            finished += 1
            self.progress("jobs", finished, total)
        return len(done)

    def _visit(self, action: Action) -> None:
        try:
            if isinstance(action, SubmitJob):
                self._admit(action)
            self._dispatch(action)
        except Deferred:
            with self._lock:
                self.result.left += 1
        except (RemoteError, ApplyError) as error:
            self._fail(_what(action), error)
        else:
            with self._lock:
                self.result.count(action.kind)
        finally:
            if isinstance(action, JobAction):
                with self._lock:
                    self._settled += 1

    def _dispatch(self, action: Action) -> None:
        match action:
            case CreateTemplate():
                self.visit_create_template(action)
            case RecreateTemplate():
                self.visit_recreate_template(action)
            case AdoptTemplate():
                self.visit_adopt_template(action)
            case UpdateTemplate():
                self.visit_update_template(action)
            case DeleteTemplate():
                self.visit_delete_template(action)
            case ForgetTemplate():
                self.visit_forget_template(action)
            case KeepTemplate():
                self.visit_keep_template(action)
            case SubmitJob():
                self.visit_submit_job(action)
            case AdoptJob():
                self.visit_adopt_job(action)
            case CancelJob():
                self.visit_cancel_job(action)
            case ForgetJob():
                self.visit_forget_job(action)
            case KeepJob():
                self.visit_keep_job(action)
            case _:
                assert_never(action)

    def _admit(self, action: Action) -> None:
        """Once the budget is spent, leave the remaining submissions untouched (no intent
        written, no look-up): the next run plans them again."""
        if self._spent():
            self.budget.refuse()
            raise Deferred(_what(action))

    def _fail(self, what: str, error: BaseException) -> None:
        with self._lock:
            self.result.failures.append(_failure(what, error))

    # -- templates -------------------------------------------------------------------------

    def _remember(self, target: str, name: str, tpl: RemoteTemplate, fingerprint: str) -> None:
        self.state.put_template(
            TemplateRecord(target, name, tpl.template_id, fingerprint, iso(self.now()))
        )

    def _create(self, target: str, name: str, settings: SnapshotSettings, fp: str) -> None:
        """Create once, retried; a lost reply or a taken name is settled by adopting by name."""
        tpl = create_template(self.writers[target], name, settings, self.policy)
        self._remember(target, name, tpl, fp)

    def visit_create_template(self, a: CreateTemplate) -> None:
        self._create(a.target, a.name, a.settings, a.fingerprint)

    def visit_recreate_template(self, a: RecreateTemplate) -> None:
        self._create(a.target, a.name, a.settings, a.fingerprint)

    def visit_adopt_template(self, a: AdoptTemplate) -> None:
        writer = self.writers[a.target]
        tpl = writer.update_template(a.template_id, a.name, a.settings) if a.changes else None
        tpl = tpl or RemoteTemplate(a.template_id, a.name, a.settings)
        self._remember(a.target, a.name, tpl, a.fingerprint)

    def visit_update_template(self, a: UpdateTemplate) -> None:
        try:
            tpl = self.writers[a.target].update_template(a.template_id, a.name, a.settings)
        except ApiError as error:
            if error.code != "TemplateNotFound":
                raise
            self._create(a.target, a.name, a.settings, a.fingerprint)
            return
        self._remember(a.target, a.name, tpl, a.fingerprint)

    def visit_delete_template(self, a: DeleteTemplate) -> None:
        try:
            self.writers[a.target].delete_template(a.template_id)
        except ApiError as error:
            if error.code != "TemplateNotFound":
                raise
        self.state.drop_template(a.target, a.name)

    def visit_forget_template(self, a: ForgetTemplate) -> None:
        self.state.drop_template(a.target, a.name)

    def visit_keep_template(self, a: KeepTemplate) -> None:
        """Nothing to do on the service."""

    # -- jobs ------------------------------------------------------------------------------

    def _record_statuses(self, statuses: tuple[JobStatus, ...]) -> None:
        """Write the fresh job states observed while planning (only for the same job ID)."""
        updates = []
        for s in statuses:
            rec = self.state.job(s.batch, s.input_object)
            # A saved plan's facts can be older than the record (wait saw the job finish
            # since): a finished record never moves back.
            if rec is not None and rec.job_id == s.job_id and not JobState.is_finished(rec.state):
                updates.append(apply_status(rec, s, iso(self.now())))
        if updates:
            self.state.put_jobs(updates)

    def visit_submit_job(self, a: SubmitJob) -> None:
        request = a.request
        if a.template is not None:
            record = self.state.template(a.target, a.template)
            if record is None:
                raise ApplyError(f"template {a.template} was not applied, so its ID is unknown")
            request = replace(request, template_id=record.template_id)
        writer = self.budget.gate(self.writers[a.target])
        submitter = Submitter(writer, self.state.put_job, self.policy, self.now, self.queues)
        previous = self.state.job(a.batch, a.input_object)
        if a.resolve_first and previous is not None and previous.is_intent:
            pending = previous
        else:
            pending = submitter.intent(request, a.batch, a.target, a.fingerprint, previous)
            self.state.put_job(pending)
        try:
            submitter.run(pending, request, a.resolve_first)
        except SubmitFailed as failed:
            if not failed.maybe_created:
                self._withdraw(pending, previous)
            raise failed.error from failed
        except Deferred:
            if pending is not previous:  # nothing was sent for this new intent
                self._withdraw(pending, previous)
            raise
        with self._lock:
            self.result.submitted.add((a.batch, a.input_object))

    def _withdraw(self, pending: JobRecord, previous: JobRecord | None) -> None:
        """The service certainly created nothing: put the key back as it was."""
        if previous is not None:
            self.state.put_job(previous)
        else:
            self.state.drop_job(pending.batch, pending.input_object)

    def visit_adopt_job(self, a: AdoptJob) -> None:
        """Record a job the look-up found on the service (no POST)."""
        previous = self.state.job(a.batch, a.input_object)
        self.state.put_job(adopted_record(a, previous, iso(self.now())))

    def visit_cancel_job(self, a: CancelJob) -> None:
        rec = self.state.job(a.batch, a.input_object)
        if rec is None or rec.job_id != a.job_id or not JobState.is_finished(rec.state):
            # Not known to have finished since the plan was made: stop it on the service.
            self.writers[a.target].cancel_job(a.job_id)
        self.state.drop_job(a.batch, a.input_object)

    def visit_forget_job(self, a: ForgetJob) -> None:
        self.state.drop_job(a.batch, a.input_object)

    def visit_keep_job(self, a: KeepJob) -> None:
        """Nothing to do."""


def _what(action: Action) -> str:
    return f"{action.noun} {action.subject}"


def apply_status(rec: JobRecord, status: JobStatus, now: str) -> JobRecord:
    """A record updated with fresh service facts (result fields only once finished)."""
    finished = JobState.is_finished(status.state)
    return replace(
        rec,
        state=status.state,
        code=status.code,
        message=status.message,
        outputs=status.outputs or rec.outputs,
        sprites=status.sprites or rec.sprites,
        finished_at=(rec.finished_at or now) if finished else None,
    )
