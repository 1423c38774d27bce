"""``reconciler apply`` (manifests or a saved plan, with ``--wait``) and ``reconciler wait``.

Both end in the same wait: exit 3 only for failures among the jobs a run is judged on, 4 when
the wait timed out.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from reconciler.cli import exitcodes as ec
from reconciler.cli.bounded import bound_options, final_code, make_budget, stop_line, wait_timeout
from reconciler.cli.common import fail, run, settings_of, style_of
from reconciler.cli.options import batch_option, confirm_yes, lock_timeout_option
from reconciler.cli.plan_cmd import is_plan_file, over_budget_option, show_load_warnings
from reconciler.cli.status_cmd import show_records
from reconciler.cli.ui import ProgressReporter, WaitReporter, make_console, print_apply_result
from reconciler.engine.apply import ApplyResult
from reconciler.engine.planfile import read_plan
from reconciler.engine.saved import check_saved_plan
from reconciler.engine.track import Key
from reconciler.engine.workflow import apply_manifests, apply_plan, wait_jobs
from reconciler.errors import ConfigError
from reconciler.manifest import load
from reconciler.model import DesiredState, StateLocation
from reconciler.plan.groups import batch_counts
from reconciler.plan.jobactions import JobActions, acting
from reconciler.plan.planner import Plan, PlanOptions
from reconciler.plan.render import render_text, summary_line
from reconciler.plan.select import select_batches


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Delete templates / cancel jobs left the manifests.")
@click.option("--retry-failed", is_flag=True, help="Re-submit jobs whose last run Failed.")
@click.option("--wait", "wait_", is_flag=True, help="Wait for the jobs to finish.")
@click.option("--timeout", default=3600.0, type=float, help="Seconds to wait at most.")
@over_budget_option
@batch_option
@lock_timeout_option
@bound_options
@click.pass_context
def apply(
    ctx: click.Context,
    paths: tuple[Path, ...],
    auto_approve: bool,
    prune: bool,
    retry_failed: bool,
    wait_: bool,
    timeout: float,
    allow_over_budget: bool,
    batches: tuple[str, ...],
    lock_timeout: float | None,
    limit: int | None,
    time_limit: float | None,
) -> None:
    """Apply manifests (plan, confirm, execute), or exactly a plan saved with plan --out."""
    started = time.monotonic()

    def action() -> int:
        settings = replace(settings_of(ctx), lock_timeout=lock_timeout)
        budget = make_budget(limit, time_limit, settings.submit_qps, started)
        console = make_console(ctx.obj.color)
        reporter = ProgressReporter(console, quiet=ctx.obj.verbosity < 0)

        def approve(the_plan: Plan) -> bool:
            if ctx.obj.verbosity >= 0:
                click.echo(render_text(the_plan, style=style_of(ctx)))
            elif not auto_approve:  # -q: nobody approves what they were not shown
                click.echo(summary_line(the_plan))
            return auto_approve or confirm_yes(
                "Do you want to perform these actions?", flag="--auto-approve"
            )

        if is_plan_file(paths):
            _refuse_with_plan_file(prune=prune, retry_failed=retry_failed, batch=batches)
            the_plan = read_plan(paths[0])
            check_saved_plan(the_plan, settings)
            if ctx.obj.verbosity >= 0:
                click.echo(render_text(the_plan, style=style_of(ctx)))
            result: ApplyResult | None = apply_plan(
                the_plan, settings, progress=reporter, budget=budget
            )
        else:
            options = PlanOptions(prune, retry_failed, allow_over_budget, batches)
            the_plan, result = apply_manifests(
                paths, settings, options, approve=approve, progress=reporter,
                loaded=show_load_warnings, budget=budget,
            )  # fmt: skip
        reporter.close()
        if result is not None:
            print_apply_result(console, result, ctx.obj.verbosity)
            stopped = stop_line(result, budget, saved_plan=is_plan_file(paths))
            if stopped:
                click.echo(stopped)
        elif the_plan.changes:
            fail("apply cancelled; nothing was changed")
            return ec.ERROR
        else:
            click.echo(summary_line(the_plan))
        code = ec.OK
        if result is not None and result.failures:
            fail(f"{len(result.failures)} action(s) of this apply failed (listed above); "
                 "apply again to retry them")  # fmt: skip
            code = ec.ERROR
        if wait_:
            waiting = wait_timeout(budget, timeout, time.monotonic())
            keys = result.submitted if result is not None and budget.bounded else None
            code = code or _wait_for_run(ctx, the_plan, waiting, lock_timeout, keys)
        return final_code(code, result)

    run(ctx, action)


def _wait_for_run(
    ctx: click.Context,
    the_plan: Plan,
    timeout: float,
    lock_timeout: float | None,
    keys: Collection[tuple[str, str]] | None = None,
) -> int:
    """``apply --wait``: wait for the plan's batches, judged only on the jobs it submitted
    (``keys``: a bounded run waits only for what it submitted)."""
    submitted: set[Key] = set()
    batches: set[str] = set()
    if isinstance(the_plan.jobs, JobActions):  # planned here: counted without building jobs
        batches = set(batch_counts(the_plan.jobs))
        submitted = {
            (a.batch, a.input_object) for a in acting(the_plan.jobs) if a.kind == "submit_job"
        }
    else:
        for a in the_plan.jobs:  # one pass: a saved plan's jobs are read from its file
            batches.add(a.batch)
            if a.kind == "submit_job":
                submitted.add((a.batch, a.input_object))
    return _wait(
        ctx, the_plan.targets, batches, timeout, the_plan.state_backend, submitted, lock_timeout,
        keys,
    )  # fmt: skip


def _refuse_with_plan_file(**given: object) -> None:
    """A saved plan already says what to do: an option that would change it is an error, not
    something to ignore silently."""
    for name, value in given.items():
        if value:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(
                f"{flag} cannot be used with a saved plan (it is applied exactly as saved); "
                f"make the plan again with {flag}"
            )


def _wait(
    ctx: click.Context,
    targets: Any,
    batches: set[str],
    timeout: float,
    state: StateLocation | None = None,
    judged: set[Key] | None = None,
    lock_timeout: float | None = None,
    keys: Collection[tuple[str, str]] | None = None,
) -> int:
    """Wait for the batches' jobs; exit 3 only for failures among ``judged`` (default: the
    jobs unfinished when the wait began), so an old failure does not fail every later run."""
    desired = DesiredState(targets={t.name: t for t in targets}, state=state)
    console = make_console(ctx.obj.color)
    quiet = ctx.obj.verbosity < 0
    reporter = WaitReporter(console, quiet=quiet)
    settings = replace(settings_of(ctx), lock_timeout=lock_timeout)
    try:
        outcome = wait_jobs(
            desired, batches, settings, timeout=timeout, on_counts=reporter, keys=keys
        )
    finally:
        reporter.close()
    show_records(ctx, outcome.records)
    if outcome.timed_out:
        fail(f"timed out after {timeout:g}s waiting for jobs")
        return ec.TIMED_OUT
    failed = outcome.failed_of(outcome.waited if judged is None else judged)
    if failed:
        fail(f"{len(failed)} job(s) of this run failed (reconciler status shows why)")
        return ec.JOBS_FAILED
    return ec.OK


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--timeout", default=3600.0, type=float, help="Seconds to wait at most.")
@batch_option
@lock_timeout_option
@click.pass_context
def wait(
    ctx: click.Context,
    paths: tuple[Path, ...],
    timeout: float,
    batches: tuple[str, ...],
    lock_timeout: float | None,
) -> None:
    """Wait until the manifests' jobs finish (exit 3: some of those it waited for Failed;
    4: timed out)."""

    def action() -> int:
        desired = select_batches(load(paths), batches)
        return _wait(
            ctx, desired.targets.values(), set(desired.batches), timeout, desired.state,
            lock_timeout=lock_timeout,
        )  # fmt: skip

    run(ctx, action)
