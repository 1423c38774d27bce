"""The planner: a pure function from (desired, recorded, observed) to an immutable Plan.

No files, no sockets: everything it needs arrives as arguments, so golden tests can feed it
plain data. Jobs are decided per job key ``(batch, input object)``:

* no record -> submit ("new job");
* a record still ``Pending`` (an intent whose reply never came) -> submit, but look it up first;
* a different fingerprint -> re-submit, naming which components changed;
* last run Failed or Cancelled -> left alone unless ``retry_failed``;
* a submission the service already holds (``observed.lookup`` found its marker) -> adopted
  instead (:mod:`reconciler.plan.adopt`);
* otherwise a recorded no-op. Records whose job left the manifests are forgotten (cancelled
  first with ``prune`` when still running).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from reconciler.errors import PlanError
from reconciler.model import (
    DesiredState,
    JobDetail,
    JobState,
    SnapshotSettings,
    StateLocation,
    TargetSpec,
)
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.plan import warnings
from reconciler.plan.actions import (
    CHANGES,
    ActionKind,
    CancelJob,
    ForgetJob,
    JobAction,
    JobStatus,
    KeepJob,
    SubmitJob,
    TemplateAction,
)
from reconciler.plan.adopt import adopt_jobs
from reconciler.plan.cost import CostPreview, batch_costs, budget_breaches, recount
from reconciler.plan.expand import DesiredJob, iter_expand
from reconciler.plan.fingerprint import changed_components, settings_fingerprint
from reconciler.plan.jobactions import JobActions, kind_counts, up_to_date
from reconciler.plan.joined import briefs_in_key_order, joined
from reconciler.plan.observed import Lookup, Observed
from reconciler.plan.pins import RecordPin, record_pins
from reconciler.plan.templates import plan_templates

SUCCESS = JobState.SUCCESS.value
# 2: per-action record pins replace the whole-state digest as the staleness check.
# 3: JSON Lines (a header line, one line per job action with its pin, an end line).
FORMAT_VERSION = 3
REASONS = {
    "request": "settings",
    "template": "template content",
    "output": "output",
    "input": "input object",
}


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    retry_failed: bool = False
    allow_over_budget: bool = False
    batches: tuple[str, ...] = ()  # --batch: only these (empty: all)


@dataclass(frozen=True)
class StateRef:
    """Which state the plan was made against. A saved plan for another lineage is refused;
    serial and digest are informational (staleness is judged per action: ``Plan.pins``)."""

    lineage: str
    serial: int
    digest: str


@dataclass(frozen=True)
class PinnedListing:
    """The prefix listing a batch was expanded from, pinned in saved plans by its object count
    and the sha256 of its (key, ETag) lines (``plan.observed.Listing.digest``): a million
    objects pin as 64 hex digits, and ``apply PLANFILE`` lists again and compares the two."""

    batch: str
    target: str
    prefix: str
    count: int
    sha256: str


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
    jobs: Sequence[JobAction]  # JobActions when planned; read lazily from a saved plan (jobseq)
    listings: tuple[PinnedListing, ...] = ()
    refreshed: tuple[JobStatus, ...] = ()
    created_at: str = ""
    format_version: int = FORMAT_VERSION
    warnings: tuple[str, ...] = field(default=())
    # The state the plan was made against, so ``apply PLANFILE`` uses it (None: not recorded).
    state_backend: StateLocation | None = None
    cost: CostPreview = field(default_factory=CostPreview)
    # The records the actions act on, as they were: a saved plan is stale once one moved.
    pins: tuple[RecordPin, ...] = ()
    # Which state, said in the header: its path or cos:// URL, and whether it existed.
    state_location: str = ""
    state_exists: bool = True
    # The look-before-submit scan: jobs listed since ``lookup_since`` ("" = no scan).
    lookup_since: str = ""
    lookup_requests: int = 0
    lookup_jobs: int = 0
    notes: tuple[str, ...] = field(default=())
    key_files: tuple[PinnedKeyFile, ...] = ()

    def kind_counts(self) -> Counter[ActionKind]:
        """Actions per kind, templates and jobs (one pass; compact jobs are not built)."""
        return kind_counts(self.jobs) + Counter(a.kind for a in self.templates)

    @property
    def changes(self) -> int:
        """Number of actions that change the service or the state."""
        return sum(n for kind, n in self.kind_counts().items() if kind in CHANGES)


def batch_settings(desired: DesiredState, observed: Observed) -> dict[str, SnapshotSettings]:
    """Batch name -> the snapshot settings its jobs run with: its template's (from the manifests
    or, by ID, from the service; a template wins over inline settings, as on the service), else
    its inline settings. A template ID the service does not know, or whose settings cannot be
    read, stops the plan naming it: a guessed content hash would re-submit every job."""
    out: dict[str, SnapshotSettings] = {}
    for name, batch in desired.batches.items():
        if batch.template is not None:
            out[name] = desired.templates[batch.template].snapshot
        elif batch.template_id is not None:
            remote = observed.external_templates.get(batch.template_id)
            if remote is None:
                raise PlanError(
                    f"batch {name}: template {batch.template_id} does not exist in target "
                    f"{batch.target}"
                )
            if remote.snapshot is None:
                raise PlanError(f"batch {name}: {remote.problem} (the template its jobs use)")
            out[name] = remote.snapshot
        elif batch.snapshot is not None:
            out[name] = batch.snapshot
    return out


def contents_of(desired: DesiredState, settings: Mapping[str, SnapshotSettings]) -> dict[str, str]:
    """Batch name -> content hash of the template its jobs use (the content, not the ID), or
    "inline" for a batch without a template (its settings are part of each request)."""
    return {
        name: "inline"
        if batch.template is None and batch.template_id is None
        else settings_fingerprint(settings[name])
        for name, batch in desired.batches.items()
    }


def template_contents(desired: DesiredState, observed: Observed) -> dict[str, str]:
    """:func:`contents_of` the settings :func:`batch_settings` resolves."""
    return contents_of(desired, batch_settings(desired, observed))


def plan_warnings(
    desired: DesiredState,
    jobs: Mapping[tuple[str, str], JobRecord],
    observed: Observed,
    templates: list[TemplateAction],
    actions: Sequence[JobAction],
) -> list[str]:
    """Every warning line of the plan (see :mod:`reconciler.plan.warnings`)."""
    return [
        *warnings.empty_prefixes(desired, observed.listings),
        *warnings.missing_inputs(desired, observed.listings),
        *warnings.removed_templates(templates),
        *warnings.forgotten_running(actions),
        *warnings.unknown_jobs(jobs, observed.missing_job_ids),
        *warnings.unreadable(observed.problems),
    ]


def _current_state(record: JobRecord, fresh: JobDetail | None) -> str:
    return fresh.state if fresh is not None else record.state


COMPONENT_CODES = {
    "request": "settings",
    "template": "template",
    "output": "output",
    "input": "input",
}


def _template_of(job: DesiredJob) -> str:
    """What a failure group names as the template: manifest name, remote ID or ``inline``."""
    return job.template or job.base.template_id or "inline"


def _resubmit_code(components: list[str]) -> str:
    if len(components) == 1:
        return "resubmit_" + COMPONENT_CODES[components[0]]
    return "resubmit_multiple"


def plan_job(
    job: DesiredJob, record: JobRecord | None, fresh: JobDetail | None, options: PlanOptions
) -> JobAction:
    """One desired job against its record and (for unfinished ones) fresh service facts."""

    def submit(
        reason: str,
        code: str,
        previous: str | None = None,
        resolve: bool = False,
        params: tuple[tuple[str, str], ...] = (),
    ) -> SubmitJob:
        return SubmitJob(
            job.batch, job.input_object, job.target, job.template, job.request,
            job.fingerprint, reason, previous, resolve, code, params,
        )  # fmt: skip

    if record is None:
        return submit("new job", "new_job")
    if record.fingerprint != job.fingerprint:
        changed = changed_components(record.fingerprint, job.fingerprint)
        why = ", ".join(REASONS[c] for c in changed)
        what = (("changed", ",".join(COMPONENT_CODES[c] for c in changed)),)
        return submit(f"re-submit: {why} changed", _resubmit_code(changed), record.job_id,
                      params=what)  # fmt: skip
    if record.is_intent:
        return submit(
            "submission from an interrupted run: look it up first", "resume_interrupted",
            resolve=True,
        )  # fmt: skip
    state = _current_state(record, fresh)
    if JobState.is_failed(state):
        detail = f"{record.code}: {record.message}" if record.code else state
        params = (("state", state), ("code", record.code or state), ("template", _template_of(job)))
        if options.retry_failed:
            return submit(f"retry: last run {state} ({detail})", "retry_failed", record.job_id,
                          params=params)  # fmt: skip
        return KeepJob(
            job.batch, job.input_object, record.job_id, state,
            f"last run {state} ({detail}); use --retry-failed", "keep_failed", params,
        )  # fmt: skip
    if state == JobState.SUCCESS:
        return up_to_date(job.batch, job.input_object, record.job_id)
    return KeepJob(
        job.batch, job.input_object, record.job_id, state, f"submitted, {state}", "running",
        (("state", state),),
    )  # fmt: skip


def plan_removed_job(record: JobRecord, fresh: JobDetail | None, options: PlanOptions) -> JobAction:
    state = _current_state(record, fresh)
    running = bool(record.job_id) and not JobState.is_finished(state)
    if options.prune and running:
        return CancelJob(record.batch, record.input_object, record.target, record.job_id or "")
    if running:
        return ForgetJob(
            record.batch, record.input_object, record.job_id,
            f"removed from the manifests; still {state} on the service", "forget_running",
            (("state", state),),
        )  # fmt: skip
    return ForgetJob(record.batch, record.input_object, record.job_id)


def plan_jobs(
    wanted: Iterable[DesiredJob],
    jobs: Mapping[tuple[str, str], JobRecord],
    observed: Observed,
    options: PlanOptions,
) -> tuple[JobActions, list[JobAction], tuple[JobStatus, ...]]:
    """One pass over desired and recorded jobs (:func:`reconciler.plan.joined.joined`): the
    actions for the desired jobs, those for records no job wants any more (both in key order),
    and the recorded jobs whose service state moved since they were recorded."""
    actions = JobActions(jobs)  # an up-to-date job's action is built from its record
    removed: list[JobAction] = []
    statuses: list[JobStatus] = []
    fresh_jobs = observed.jobs
    keep = actions.keep_current
    # Job IDs are only needed to find fresh facts: none when no recorded job was unfinished.
    for job, item in joined(wanted, briefs_in_key_order(jobs, job_ids=bool(fresh_jobs))):
        if item is None:
            assert job is not None
            actions.append(plan_job(job, None, None, options))
            continue
        key, (fingerprint, state, job_id) = item
        fresh = fresh_jobs.get(job_id) if job_id else None
        if (
            job is not None
            and fresh is None
            and state == SUCCESS
            and fingerprint == job.fingerprint
        ):
            keep(job.batch, job.input_object)  # up to date: no record built
            continue
        record = jobs[key]
        if fresh is not None and fresh.state != record.state:
            statuses.append(JobStatus.from_detail(record.batch, record.input_object, fresh))
        if job is not None:
            actions.append(plan_job(job, record, fresh, options))
        else:
            removed.append(plan_removed_job(record, fresh, options))
    return actions, removed, tuple(statuses)


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
    settings = batch_settings(desired, observed)
    wanted = iter_expand(desired, observed.listings, contents_of(desired, settings))
    job_actions, removed, statuses = plan_jobs(wanted, jobs, observed, options)
    costs = batch_costs(desired.batches, desired.targets, settings, job_actions)
    job_actions.extend(removed)
    plan = Plan(
        options=options,
        state=state,
        targets=tuple(desired.targets[name] for name in sorted(desired.targets)),
        templates=tuple(template_actions),
        jobs=job_actions,
        listings=pinned_listings(desired, observed),
        key_files=pinned_key_files(desired),
        refreshed=statuses,
        created_at=created_at,
        warnings=tuple(plan_warnings(desired, jobs, observed, template_actions, job_actions)),
        cost=CostPreview(costs),
        pins=record_pins(template_actions, job_actions, templates, jobs),
    )
    if observed.lookup is not None:
        plan = adopt_found(plan, observed.lookup, jobs)
    return within_budget(plan, desired)


def within_budget(plan: Plan, desired: DesiredState) -> Plan:
    """The plan with the budgets it exceeds noted; refused (PlanError) unless the options allow
    it. Checked on what will really be submitted: jobs found on the service cost nothing."""
    breaches = budget_breaches(plan.cost.batches, desired.batches, desired.targets)
    if breaches and not plan.options.allow_over_budget:
        more = f" (and {len(breaches) - 1} more)" if len(breaches) > 1 else ""
        raise PlanError(f"over budget: {breaches[0]}{more}; use --allow-over-budget to proceed")
    return replace(plan, cost=replace(plan.cost, over_budget=breaches))


def adopt_found(plan: Plan, lookup: Lookup, jobs: Mapping[tuple[str, str], JobRecord]) -> Plan:
    """``plan`` with every submission the service already holds adopted instead (what
    ``build_plan`` does with ``observed.lookup``, without planning the rest again)."""
    adopted = adopt_jobs(plan.jobs, lookup, jobs)
    return replace(
        plan,
        jobs=adopted,
        cost=replace(plan.cost, batches=recount(plan.cost.batches, adopted)),
        lookup_since=plan.lookup_since or lookup.since,
        lookup_requests=plan.lookup_requests + lookup.requests,
        lookup_jobs=plan.lookup_jobs + lookup.count,
    )


def pinned_listings(desired: DesiredState, observed: Observed) -> tuple[PinnedListing, ...]:
    pins = []
    for name in sorted(observed.listings):
        batch = desired.batches[name]
        listed = observed.listings[name]
        prefix = batch.inputs.prefix or ""
        pins.append(PinnedListing(name, batch.target, prefix, listed.count, listed.digest))
    return tuple(pins)


def pinned_key_files(desired: DesiredState) -> tuple[PinnedKeyFile, ...]:
    return tuple(
        PinnedKeyFile(name, ref.path, ref.digest)
        for name, batch in sorted(desired.batches.items())
        if (ref := batch.inputs.keys_file) is not None
    )
