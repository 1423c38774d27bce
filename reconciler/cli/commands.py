"""Command line: parse, call the library, render, map errors to exit codes. No decisions here.

Expected failures (:class:`ReconcilerError`) become one line on stderr and exit 1; with
``--debug`` they re-raise so the traceback shows. Exit codes are the contract in design.md and
:mod:`reconciler.cli.exitcodes`: 0 ok / no changes, 1 error (usage errors included), 2 changes
present (``plan --detailed-exitcode``), 3 some jobs of this run Failed, 4 timed out waiting,
130 interrupted,
5 ``apply --limit/--time-limit`` stopped with work left.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from reconciler.cli import exitcodes as ec
from reconciler.cli.admin import emulator, force_unlock, state_group
from reconciler.cli.bounded import bound_options, final_code, make_budget, stop_line, wait_timeout
from reconciler.cli.common import Globals, fail, run, settings_of, show_warnings, style_of
from reconciler.cli.doctor import doctor
from reconciler.cli.duration import Duration
from reconciler.cli.options import batch_option, confirm_yes, lock_timeout_option
from reconciler.cli.oserrors import check_endpoint, check_out_path
from reconciler.cli.show import show
from reconciler.cli.statecmds import register_state_commands
from reconciler.cli.ui import (
    ProgressReporter,
    WaitReporter,
    counts_line,
    make_console,
    print_apply_result,
    print_status,
)
from reconciler.engine.apply import ApplyResult
from reconciler.engine.planfile import read_plan, write_plan
from reconciler.engine.report import failed_document, status_document
from reconciler.engine.saved import check_saved_plan
from reconciler.engine.track import Key
from reconciler.engine.workflow import (
    apply_manifests,
    apply_plan,
    job_status,
    make_plan,
    wait_jobs,
)
from reconciler.errors import ConfigError
from reconciler.manifest import load, summarize
from reconciler.model import DesiredState, StateLocation
from reconciler.model.records import JobRecord
from reconciler.plan.document import plan_document
from reconciler.plan.markdown import render_markdown
from reconciler.plan.planner import Plan, PlanOptions
from reconciler.plan.render import render_text, summary_line
from reconciler.plan.select import select_batches

FAILED_COLUMNS = ("batch", "input_object", "job_id", "state", "code", "message")
OVER_BUDGET = click.option(
    "--allow-over-budget", is_flag=True, help="Plan/apply even when a declared budget is exceeded."
)

# The name on the package index (``reconciler`` there is an unrelated project); the command
# and the import package stay ``reconciler``.
DISTRIBUTION = "ci-snapshot-reconciler"


@click.group(cls=ec.ReconcilerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--endpoint", envvar="RECONCILER_ENDPOINT", help="Base URL overriding every target.")
@click.option(
    "--state",
    envvar="RECONCILER_STATE",
    help="State file (.reconciler/state.json, or file:///PATH), or cos://BUCKET/KEY?region=REGION.",
)
@click.option(
    "--submit-qps",
    envvar="RECONCILER_SUBMIT_QPS",
    default=10.0,
    type=click.FloatRange(min=0.1),
    show_default=True,
    help="Job submissions per second (the service's default limit is 10).",
)
@click.option(
    "--lookup-window",
    envvar="RECONCILER_LOOKUP_WINDOW",
    default="7d",
    show_default=True,
    help="How far back a new or empty state looks for jobs before submitting (7d, 12h, 90m).",
)
@click.option(
    "--request-timeout",
    envvar="RECONCILER_REQUEST_TIMEOUT",
    default="30s",
    type=Duration(),
    show_default=True,
    help="Deadline of one request (connect, headers, body); a call's retries stop after twice it.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and request logs (never secrets).")
@click.option("--no-color", is_flag=True, help="Plain output (also NO_COLOR).")
@click.option("-v", "--verbose", count=True, help="More detail; repeat for more.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final summary.")
@click.version_option(
    package_name=DISTRIBUTION, prog_name="reconciler", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(
    ctx: click.Context,
    endpoint: str | None,
    state: str | None,
    submit_qps: float,
    lookup_window: str,
    request_timeout: float,
    debug: bool,
    no_color: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Tencent Cloud CI snapshot templates and snapshot jobs as code."""
    try:
        check_endpoint(endpoint)
    except ConfigError as exc:
        fail(str(exc))
        ctx.exit(ec.ERROR)
    if debug:
        # Request lines from reconciler.remote (method, path, status, request id; never secrets).
        logging.basicConfig(level=logging.DEBUG, format="debug: %(name)s: %(message)s")
        for noisy in ("httpx", "httpcore", "filelock"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    color = not no_color and "NO_COLOR" not in os.environ
    ctx.color = None if color else False
    ctx.obj = Globals(endpoint, state, submit_qps, debug, color, -1 if quiet else verbose)
    ctx.obj.lookup_window = lookup_window
    ctx.obj.request_timeout = request_timeout


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings (ignored settings) as errors.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], strict: bool) -> None:
    """Check manifests (files or directories) without contacting the service."""

    def action() -> int:
        desired = load(paths, strict=strict)
        show_warnings(desired.warnings)
        click.echo(summarize(desired))
        return 0

    run(ctx, action)


def _is_plan_file(paths: tuple[Path, ...]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix not in (".yaml", ".yml")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as a JSON document.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (PR comments).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--prune", is_flag=True, help="Delete templates / cancel jobs left the manifests.")
@click.option("--retry-failed", is_flag=True, help="Re-submit jobs whose last run Failed.")
@OVER_BUDGET
@batch_option
@click.pass_context
def plan(
    ctx: click.Context,
    paths: tuple[Path, ...],
    out: Path | None,
    as_json: bool,
    markdown: bool,
    detailed_exitcode: bool,
    prune: bool,
    retry_failed: bool,
    allow_over_budget: bool,
    batches: tuple[str, ...],
) -> None:
    """Show what apply would do, without changing anything."""

    def action() -> int:
        if out is not None:
            check_out_path(out)
        options = PlanOptions(prune, retry_failed, allow_over_budget, batches)
        _, the_plan = make_plan(paths, settings_of(ctx), options, _show_load_warnings)
        if out is not None:
            write_plan(the_plan, out)
        if as_json:
            click.echo(json.dumps(plan_document(the_plan), indent=1, sort_keys=True))
        elif markdown:
            click.echo(render_markdown(the_plan))
        elif ctx.obj.verbosity < 0:
            click.echo(summary_line(the_plan))
        else:
            verbose = max(ctx.obj.verbosity, 0)
            click.echo(render_text(the_plan, style=style_of(ctx), verbose=verbose))
        if out is not None and not (as_json or markdown):
            click.echo(f"Saved the plan to {out}; apply it with: reconciler apply {out}")
        return ec.CHANGES if detailed_exitcode and the_plan.changes else ec.OK

    run(ctx, action)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Delete templates / cancel jobs left the manifests.")
@click.option("--retry-failed", is_flag=True, help="Re-submit jobs whose last run Failed.")
@click.option("--wait", "wait_", is_flag=True, help="Wait for the jobs to finish.")
@click.option("--timeout", default=3600.0, type=float, help="Seconds to wait at most.")
@OVER_BUDGET
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

        if _is_plan_file(paths):
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
                loaded=_show_load_warnings, budget=budget,
            )  # fmt: skip
        reporter.close()
        if result is not None:
            print_apply_result(console, result, ctx.obj.verbosity)
            stopped = stop_line(result, budget, saved_plan=_is_plan_file(paths))
            if stopped:
                click.echo(stopped)
        elif the_plan.changes:
            fail("apply cancelled; nothing was changed")
            return ec.ERROR
        else:
            click.echo(summary_line(the_plan))
        code = ec.ERROR if result is not None and result.failures else ec.OK
        if wait_:
            waiting = wait_timeout(budget, timeout, time.monotonic())
            keys = result.submitted if result is not None and budget.bounded else None
            code = code or _wait_for_run(ctx, the_plan, waiting, lock_timeout, keys)
        return final_code(code, result)

    run(ctx, action)


def _show_load_warnings(desired: DesiredState) -> None:
    show_warnings(desired.warnings)


def _wait_for_run(
    ctx: click.Context,
    the_plan: Plan,
    timeout: float,
    lock_timeout: float | None,
    keys: Collection[tuple[str, str]] | None = None,
) -> int:
    """``apply --wait``: wait for the plan's batches, judged only on the jobs it submitted
    (``keys``: a bounded run waits only for what it submitted)."""
    submitted = {(a.batch, a.input_object) for a in the_plan.jobs if a.kind == "submit_job"}
    batches = {a.batch for a in the_plan.jobs}
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
    _show_records(ctx, outcome.records)
    if outcome.timed_out:
        fail(f"timed out after {timeout:g}s waiting for jobs")
        return ec.TIMED_OUT
    failed = outcome.failed_of(outcome.waited if judged is None else judged)
    if failed:
        fail(f"{len(failed)} job(s) of this run failed (reconciler status shows why)")
        return ec.JOBS_FAILED
    return ec.OK


def _show_records(ctx: click.Context, records: dict[Key, JobRecord]) -> None:
    console = make_console(ctx.obj.color)
    if ctx.obj.verbosity < 0:
        console.print(counts_line(Counter(r.state for r in records.values())))
    else:
        print_status(console, records, ctx.obj.verbosity)


@cli.command()
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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Counts and grouped failures, as JSON.")
@click.option("--jobs", "with_jobs", is_flag=True, help="With --json: every job's record too.")
@click.option(
    "--failed",
    is_flag=True,
    help="Only the failed jobs, one row each (tab-separated; with --json: JSON).",
)
@batch_option
@click.pass_context
def status(
    ctx: click.Context,
    paths: tuple[Path, ...],
    as_json: bool,
    with_jobs: bool,
    failed: bool,
    batches: tuple[str, ...],
) -> None:
    """Per batch: job counts by state, failures grouped by code, outputs (-v)."""

    def action() -> int:
        _, records = job_status(paths, settings_of(ctx), batches)
        if as_json and failed:
            click.echo(json.dumps(failed_document(records.values()), indent=1, sort_keys=True))
        elif as_json:
            doc = status_document(records.values(), jobs=with_jobs)
            click.echo(json.dumps(doc, indent=1, sort_keys=True))
        elif failed:
            for row in failed_document(records.values())["failed"]:
                click.echo("\t".join(str(row[k] or "") for k in FAILED_COLUMNS))
        else:
            _show_records(ctx, records)
        return ec.OK

    run(ctx, action)


def _terminate(signum: int, frame: object) -> None:
    """CI runners cancel with SIGTERM: stop like Ctrl-C, so in-flight work is recorded."""
    raise KeyboardInterrupt


cli.add_command(force_unlock)
cli.add_command(state_group)
register_state_commands(state_group)
cli.add_command(emulator)
cli.add_command(show)
cli.add_command(doctor)


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="reconciler")
