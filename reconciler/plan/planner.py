"""The planner: a pure function from (desired, recorded, observed) to an immutable Plan.

No files, no sockets: everything it needs arrives as arguments, so golden tests can feed it
plain data. Jobs are decided per job key ``(batch, input object)``:

* no record -> submit ("new job");
* a record still ``Pending`` (an intent whose reply never came) -> submit, but look it up first;
* a different fingerprint -> re-submit, naming which components changed;
* last run Failed or Cancelled -> left alone unless ``retry_failed``;
* otherwise a recorded no-op. Records whose job left the manifests are forgotten (cancelled
  first with ``prune`` when still running).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.errors import PlanError
from reconciler.model import DesiredState, JobDetail, StateBackendSpec, TargetSpec
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.plan.actions import (
    CHANGES,
    CancelJob,
    ForgetJob,
    JobAction,
    JobStatus,
    KeepJob,
    SubmitJob,
    TemplateAction,
)
from reconciler.plan.expand import DesiredJob, expand
from reconciler.plan.fingerprint import changed_components, settings_fingerprint
from reconciler.plan.observed import Observed
from reconciler.plan.templates import plan_templates

FORMAT_VERSION = 1
REASONS = {
    "request": "settings",
    "template": "template content",
    "output": "output",
    "input": "input object",
}
RETRYABLE_STATES = frozenset({"Failed", "Cancel"})


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    retry_failed: bool = False


@dataclass(frozen=True)
class StateRef:
    """Which state the plan was made against; a saved plan is stale once this moves."""

    lineage: str
    serial: int
    digest: str


@dataclass(frozen=True)
class PinnedListing:
    """The prefix listing a batch was expanded from (keys and ETags), pinned in saved plans."""

    batch: str
    target: str
    prefix: str
    objects: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PinnedKeyFile:
    """The key-list file a batch was expanded from (path and sha256), pinned in saved plans."""

    batch: str
    path: str
    digest: str


@dataclass(frozen=True)
class Plan:
    options: PlanOptions
    state: StateRef
    targets: tuple[TargetSpec, ...]
    templates: tuple[TemplateAction, ...]
    jobs: tuple[JobAction, ...]
    listings: tuple[PinnedListing, ...] = ()
    refreshed: tuple[JobStatus, ...] = ()
    created_at: str = ""
    format_version: int = FORMAT_VERSION
    warnings: tuple[str, ...] = field(default=())
    # The state the plan was made against, so ``apply PLANFILE`` uses it (None: not recorded).
    state_backend: StateBackendSpec | None = None
    key_files: tuple[PinnedKeyFile, ...] = ()

    @property
    def changes(self) -> int:
        """Number of actions that change the service or the state."""
        return sum(1 for a in (*self.templates, *self.jobs) if a.kind in CHANGES)


def template_contents(desired: DesiredState, observed: Observed) -> dict[str, str]:
    """Batch name -> content hash of the template its jobs use (the content, not the ID)."""
    out: dict[str, str] = {}
    for name, batch in desired.batches.items():
        if batch.template is not None:
            out[name] = settings_fingerprint(desired.templates[batch.template].snapshot)
        elif batch.template_id is not None:
            remote = observed.external_templates.get(batch.template_id)
            if remote is None:
                raise PlanError(
                    f"batch {name}: template {batch.template_id} does not exist in target "
                    f"{batch.target}"
                )
            out[name] = settings_fingerprint(remote.snapshot)
        else:
            out[name] = "inline"
    return out


def _current_state(record: JobRecord, fresh: JobDetail | None) -> str:
    return fresh.state if fresh is not None else record.state


def plan_job(
    job: DesiredJob, record: JobRecord | None, fresh: JobDetail | None, options: PlanOptions
) -> JobAction:
    """One desired job against its record and (for unfinished ones) fresh service facts."""

    def submit(reason: str, previous: str | None = None, resolve: bool = False) -> SubmitJob:
        return SubmitJob(
            job.batch, job.input_object, job.target, job.template, job.request,
            job.fingerprint, reason, previous, resolve,
        )  # fmt: skip

    if record is None:
        return submit("new job")
    if record.fingerprint != job.fingerprint:
        why = ", ".join(REASONS[c] for c in changed_components(record.fingerprint, job.fingerprint))
        return submit(f"re-submit: {why} changed", record.job_id)
    if record.state == "Pending":
        return submit("submission from an interrupted run: look it up first", resolve=True)
    state = _current_state(record, fresh)
    if state in RETRYABLE_STATES:
        detail = f"{record.code}: {record.message}" if record.code else state
        if options.retry_failed:
            return submit(f"retry: last run {state} ({detail})", record.job_id)
        return KeepJob(
            job.batch, job.input_object, record.job_id, state,
            f"last run {state} ({detail}); use --retry-failed",
        )  # fmt: skip
    reason = "up to date" if state == "Success" else f"submitted, {state}"
    return KeepJob(job.batch, job.input_object, record.job_id, state, reason)


def plan_removed_job(record: JobRecord, fresh: JobDetail | None, options: PlanOptions) -> JobAction:
    state = _current_state(record, fresh)
    if options.prune and record.job_id and state in ("Submitted", "Running", "Pause"):
        return CancelJob(record.batch, record.input_object, record.target, record.job_id)
    return ForgetJob(record.batch, record.input_object, record.job_id)


def job_statuses(
    records: Mapping[tuple[str, str], JobRecord], observed: Observed
) -> tuple[JobStatus, ...]:
    """Recorded jobs whose service state moved since they were recorded."""
    out = []
    for rec in records.values():
        fresh = observed.jobs.get(rec.job_id or "")
        if fresh is None or fresh.state == rec.state:
            continue
        result = fresh.media_result
        outputs = tuple(k for f in result.output_files for k in f.keys) if result else ()
        sprites = tuple(k for f in result.sprite_files for k in f.keys) if result else ()
        out.append(
            JobStatus(
                rec.batch,
                rec.input_object,
                fresh.job_id,
                fresh.state,
                fresh.code,
                fresh.message,
                fresh.end_time,
                outputs,
                sprites,
            )  # fmt: skip
        )
    return tuple(out)


def build_plan(
    desired: DesiredState,
    templates: Mapping[tuple[str, str], TemplateRecord],
    jobs: Mapping[tuple[str, str], JobRecord],
    observed: Observed,
    state: StateRef,
    options: PlanOptions | None = None,
    created_at: str = "",
) -> Plan:
    """The whole plan: template actions, job actions, refreshed statuses, pinned listings."""
    options = options or PlanOptions()
    template_actions = plan_templates(
        desired.templates, templates, observed.templates, prune=options.prune
    )
    wanted = expand(desired, observed.listings, template_contents(desired, observed))
    job_actions: list[JobAction] = []
    for job in wanted:
        record = jobs.get(job.key)
        fresh = observed.jobs.get(record.job_id or "") if record else None
        job_actions.append(plan_job(job, record, fresh, options))
    keys = {job.key for job in wanted}
    for key in sorted(set(jobs) - keys):
        rec = jobs[key]
        job_actions.append(plan_removed_job(rec, observed.jobs.get(rec.job_id or ""), options))
    return Plan(
        options=options,
        state=state,
        targets=tuple(desired.targets[name] for name in sorted(desired.targets)),
        templates=tuple(template_actions),
        jobs=tuple(job_actions),
        listings=pinned_listings(desired, observed),
        key_files=pinned_key_files(desired),
        refreshed=job_statuses(jobs, observed),
        created_at=created_at,
        warnings=tuple(_warnings(jobs, observed)),
    )


def pinned_listings(desired: DesiredState, observed: Observed) -> tuple[PinnedListing, ...]:
    pins = []
    for name in sorted(observed.listings):
        batch = desired.batches[name]
        objects = tuple(observed.listings[name].pairs())
        pins.append(PinnedListing(name, batch.target, batch.inputs.prefix or "", objects))
    return tuple(pins)


def pinned_key_files(desired: DesiredState) -> tuple[PinnedKeyFile, ...]:
    return tuple(
        PinnedKeyFile(name, ref.path, ref.digest)
        for name, batch in sorted(desired.batches.items())
        if (ref := batch.inputs.keys_file) is not None
    )


def _warnings(jobs: Mapping[tuple[str, str], JobRecord], observed: Observed) -> list[str]:
    missing = [r for r in jobs.values() if r.job_id in observed.missing_job_ids]
    if not missing:
        return []
    sample = ", ".join(f"{r.batch}/{r.input_object}" for r in missing[:3])
    return [f"{len(missing)} unfinished job(s) unknown to the service, left as recorded: {sample}"]
