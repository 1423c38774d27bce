"""Command line: parse, call the library, render, map errors to exit codes. No decisions here.

Expected failures (:class:`ReconcilerError`) become one line on stderr and exit 1; with
``--debug`` they re-raise so the traceback shows. Exit codes are the contract in design.md:
0 ok / no changes, 1 error, 2 changes present (``plan --detailed-exitcode``), 3 some jobs
Failed, 4 timed out waiting, 5 ``apply --limit/--time-limit`` stopped with work left.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

import click

from reconciler.cli.admin import emulator, force_unlock, state_group
from reconciler.cli.bounded import bound_options, final_code, make_budget, stop_line, wait_timeout
from reconciler.cli.common import Globals, fail, run, settings_of, style_of
from reconciler.cli.ui import (
    ProgressReporter,
    WaitReporter,
    make_console,
    print_apply_result,
    print_status,
    status_document,
)
from reconciler.engine.apply import ApplyResult
from reconciler.engine.planfile import read_plan, write_plan
from reconciler.engine.workflow import (
    apply_manifests,
    apply_plan,
    job_status,
    make_plan,
    wait_jobs,
)
from reconciler.errors import ConfigError
from reconciler.manifest import load, summarize
from reconciler.model import DesiredState, StateBackendSpec
from reconciler.plan.document import plan_document
from reconciler.plan.planner import Plan, PlanOptions
from reconciler.plan.render import render_markdown, render_text, summary_line


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--endpoint", envvar="RECONCILER_ENDPOINT", help="Base URL overriding every target.")
@click.option(
    "--state",
    envvar="RECONCILER_STATE",
    help="State file (.reconciler/state.json), or cos://BUCKET/KEY?region=REGION for COS.",
)
@click.option(
    "--submit-qps",
    envvar="RECONCILER_SUBMIT_QPS",
    default=10.0,
    type=click.FloatRange(min=0.1),
    show_default=True,
    help="Job submissions per second (the service's default limit is 10).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and request logs (never secrets).")
@click.option("--no-color", is_flag=True, help="Plain output (also NO_COLOR).")
@click.option("-v", "--verbose", count=True, help="More detail; repeat for more.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final summary.")
@click.version_option(package_name="reconciler")
@click.pass_context
def cli(
    ctx: click.Context,
    endpoint: str | None,
    state: str | None,
    submit_qps: float,
    debug: bool,
    no_color: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Tencent Cloud CI snapshot templates and snapshot jobs as code."""
    if debug:
        # Request lines from reconciler.remote (method, path, status, request id; never secrets).
        logging.basicConfig(level=logging.DEBUG, format="debug: %(name)s: %(message)s")
        for noisy in ("httpx", "httpcore", "filelock"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    color = not no_color and "NO_COLOR" not in os.environ
    ctx.color = None if color else False
    ctx.obj = Globals(endpoint, state, submit_qps, debug, color, -1 if quiet else verbose)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check manifests (files or directories) without contacting the service."""

    def action() -> int:
        desired = load(paths)
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
) -> None:
    """Show what apply would do, without changing anything."""

    def action() -> int:
        _, the_plan = make_plan(paths, settings_of(ctx), PlanOptions(prune, retry_failed))
        if out is not None:
            write_plan(the_plan, out)
        if as_json:
            click.echo(json.dumps(plan_document(the_plan), indent=1, sort_keys=True))
        elif markdown:
            click.echo(render_markdown(the_plan))
        else:
            sample = 5 + 20 * max(ctx.obj.verbosity, 0)
            click.echo(render_text(the_plan, style=style_of(ctx), sample=sample))
            if out is not None:
                click.echo(f"Saved the plan to {out}; apply it with: reconciler apply {out}")
        return 2 if detailed_exitcode and the_plan.changes else 0

    run(ctx, action)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Delete templates / cancel jobs left the manifests.")
@click.option("--retry-failed", is_flag=True, help="Re-submit jobs whose last run Failed.")
@click.option("--wait", "wait_", is_flag=True, help="Wait for the jobs to finish.")
@click.option("--timeout", default=3600.0, type=float, help="Seconds to wait at most.")
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
    limit: int | None,
    time_limit: float | None,
) -> None:
    """Apply manifests (plan, confirm, execute), or exactly a plan saved with plan --out."""
    started = time.monotonic()

    def action() -> int:
        settings = settings_of(ctx)
        budget = make_budget(limit, time_limit, settings.submit_qps, started)
        console = make_console(ctx.obj.color)
        reporter = ProgressReporter(console, quiet=ctx.obj.verbosity < 0)

        def approve(the_plan: Plan) -> bool:
            if ctx.obj.verbosity >= 0:
                click.echo(render_text(the_plan, style=style_of(ctx)))
            return auto_approve or _confirm()

        if _is_plan_file(paths):
            the_plan = read_plan(paths[0])
            if ctx.obj.verbosity >= 0:
                click.echo(render_text(the_plan, style=style_of(ctx)))
            result: ApplyResult | None = apply_plan(
                the_plan, settings, progress=reporter, budget=budget
            )
        else:
            options = PlanOptions(prune, retry_failed)
            the_plan, result = apply_manifests(
                paths, settings, options, approve=approve, progress=reporter, budget=budget
            )
        reporter.close()
        code = 0
        if result is not None:
            print_apply_result(console, result)
            code = 1 if result.failures else 0
            stopped = stop_line(result, budget, saved_plan=_is_plan_file(paths))
            if stopped:
                click.echo(stopped)
        elif the_plan.changes:
            fail("apply cancelled")
            return 1
        else:
            click.echo(summary_line(the_plan))
        if wait_:
            batches = _plan_batches(the_plan)
            keys = result.submitted if result is not None and budget.bounded else None
            waiting = wait_timeout(budget, timeout, time.monotonic())
            code = code or _wait(
                ctx, the_plan.targets, batches, waiting, the_plan.state_backend, keys
            )
        return final_code(code, result)

    run(ctx, action)


def _confirm() -> bool:
    if not sys.stdin.isatty():
        raise ConfigError(
            "refusing to apply without confirmation: stdin is not a terminal (use --auto-approve)"
        )
    return click.confirm("Apply these changes?", default=False)


def _plan_batches(the_plan: Plan) -> set[str]:
    return {a.batch for a in the_plan.jobs}


def _wait(
    ctx: click.Context,
    targets: Any,
    batches: set[str],
    timeout: float,
    state: StateBackendSpec | None = None,
    keys: Collection[tuple[str, str]] | None = None,
) -> int:
    desired = DesiredState(targets={t.name: t for t in targets}, state=state)
    console = make_console(ctx.obj.color)
    reporter = WaitReporter(console, quiet=ctx.obj.verbosity < 0)
    try:
        outcome = wait_jobs(
            desired, batches, settings_of(ctx), timeout=timeout, on_counts=reporter, keys=keys
        )
    finally:
        reporter.close()
    print_status(console, outcome.records, ctx.obj.verbosity)
    if outcome.timed_out:
        fail(f"timed out after {timeout:g}s waiting for jobs")
        return 4
    return 3 if outcome.failed else 0


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--timeout", default=3600.0, type=float, help="Seconds to wait at most.")
@click.pass_context
def wait(ctx: click.Context, paths: tuple[Path, ...], timeout: float) -> None:
    """Wait until the manifests' jobs finish (exit 3: some Failed; 4: timed out)."""

    def action() -> int:
        desired = load(paths)
        return _wait(ctx, desired.targets.values(), set(desired.batches), timeout, desired.state)

    run(ctx, action)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Everything, as JSON.")
@click.pass_context
def status(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Per batch: job counts by state, failures with their code, outputs (-v)."""

    def action() -> int:
        _, records = job_status(paths, settings_of(ctx))
        if as_json:
            click.echo(json.dumps(status_document(records), indent=1, sort_keys=True))
        else:
            print_status(make_console(ctx.obj.color), records, ctx.obj.verbosity)
        return 0

    run(ctx, action)


def _terminate(signum: int, frame: object) -> None:
    """CI runners cancel with SIGTERM: stop like Ctrl-C, so in-flight work is recorded."""
    raise KeyboardInterrupt


cli.add_command(force_unlock)
cli.add_command(state_group)
cli.add_command(emulator)


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="reconciler")
