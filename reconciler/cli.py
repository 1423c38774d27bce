"""Command line: parse, call the library, render, map errors to exit codes. No decisions here.

Expected failures (:class:`ReconcilerError`) become one line on stderr and exit 1; with
``--debug`` they re-raise so the traceback shows. Exit codes are the contract in design.md:
0 ok / no changes, 1 error, 2 changes present (``plan --detailed-exitcode``), 3 some jobs
Failed, 4 timed out waiting.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.apply import ApplyResult
from reconciler.errors import ConfigError, ManifestError, ReconcilerError
from reconciler.manifest import load, summarize
from reconciler.model import DesiredState, StateBackendSpec
from reconciler.plan import Plan, PlanOptions
from reconciler.planfile import plan_document, read_plan, write_plan
from reconciler.render import render_markdown, render_text, summary_line
from reconciler.state.backends import is_state_url, parse_state_url
from reconciler.state.lock import break_lock
from reconciler.statecmd import force_unlock_cos, pull_state, push_state, write_local_state
from reconciler.ui import (
    ProgressReporter,
    WaitReporter,
    make_console,
    print_apply_result,
    print_status,
    status_document,
)
from reconciler.workflow import (
    Settings,
    apply_manifests,
    apply_plan,
    job_status,
    make_plan,
    wait_jobs,
)

F = TypeVar("F", bound=Callable[..., Any])
MAX_SHOWN_PROBLEMS = 200


@dataclass
class Globals:
    """Options shared by every command (``reconciler --debug plan ...``)."""

    endpoint: str | None
    state: str | None
    submit_qps: float
    debug: bool
    color: bool
    verbosity: int


def _fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)


def _run(ctx: click.Context, action: Callable[[], int]) -> None:
    """Run ``action`` and exit with its code; expected errors become one line and exit 1."""
    opts: Globals = ctx.obj
    try:
        code = action()
    except ManifestError as exc:
        if opts.debug:
            raise
        for problem in exc.problems[:MAX_SHOWN_PROBLEMS]:
            click.echo(str(problem), err=True)
        if len(exc.problems) > MAX_SHOWN_PROBLEMS:
            click.echo(f"... and {len(exc.problems) - MAX_SHOWN_PROBLEMS} more", err=True)
        _fail(f"{len(exc.problems)} problem(s) in manifests")
        code = 1
    except ReconcilerError as exc:
        if opts.debug:
            raise
        _fail(str(exc))
        code = 1
    except KeyboardInterrupt:
        _fail("interrupted")
        code = 130
    ctx.exit(code)


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

    _run(ctx, action)


def _settings(ctx: click.Context) -> Settings:
    """Only a state the user gave (--state, RECONCILER_STATE) is set here: without one, the
    flows take the manifests' ``state:`` (or a saved plan's), else the default file."""
    opts: Globals = ctx.obj
    remote = is_state_url(opts.state)
    return Settings(
        state_path=Path(opts.state) if opts.state and not remote else None,
        endpoint=opts.endpoint,
        submit_qps=opts.submit_qps,
        state_backend=parse_state_url(str(opts.state)) if remote else None,
    )


def _style(ctx: click.Context) -> Callable[[str, str | None], str]:
    color = ctx.obj.color

    def style(text: str, fg: str | None) -> str:
        return click.style(text, fg=fg) if color and fg else text

    return style


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
        _, the_plan = make_plan(paths, _settings(ctx), PlanOptions(prune, retry_failed))
        if out is not None:
            write_plan(the_plan, out)
        if as_json:
            click.echo(json.dumps(plan_document(the_plan), indent=1, sort_keys=True))
        elif markdown:
            click.echo(render_markdown(the_plan))
        else:
            sample = 5 + 20 * max(ctx.obj.verbosity, 0)
            click.echo(render_text(the_plan, style=_style(ctx), sample=sample))
            if out is not None:
                click.echo(f"Saved the plan to {out}; apply it with: reconciler apply {out}")
        return 2 if detailed_exitcode and the_plan.changes else 0

    _run(ctx, action)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Delete templates / cancel jobs left the manifests.")
@click.option("--retry-failed", is_flag=True, help="Re-submit jobs whose last run Failed.")
@click.option("--wait", "wait_", is_flag=True, help="Wait for the jobs to finish.")
@click.option("--timeout", default=3600.0, type=float, help="Seconds to wait at most.")
@click.pass_context
def apply(
    ctx: click.Context,
    paths: tuple[Path, ...],
    auto_approve: bool,
    prune: bool,
    retry_failed: bool,
    wait_: bool,
    timeout: float,
) -> None:
    """Apply manifests (plan, confirm, execute), or exactly a plan saved with plan --out."""

    def action() -> int:
        settings = _settings(ctx)
        console = make_console(ctx.obj.color)
        reporter = ProgressReporter(console, quiet=ctx.obj.verbosity < 0)

        def approve(the_plan: Plan) -> bool:
            if ctx.obj.verbosity >= 0:
                click.echo(render_text(the_plan, style=_style(ctx)))
            return auto_approve or _confirm()

        if _is_plan_file(paths):
            the_plan = read_plan(paths[0])
            if ctx.obj.verbosity >= 0:
                click.echo(render_text(the_plan, style=_style(ctx)))
            result: ApplyResult | None = apply_plan(the_plan, settings, progress=reporter)
        else:
            options = PlanOptions(prune, retry_failed)
            the_plan, result = apply_manifests(
                paths, settings, options, approve=approve, progress=reporter
            )
        reporter.close()
        code = 0
        if result is not None:
            print_apply_result(console, result)
            code = 1 if result.failures else 0
        elif the_plan.changes:
            _fail("apply cancelled")
            return 1
        else:
            click.echo(summary_line(the_plan))
        if wait_:
            batches = _plan_batches(the_plan)
            code = code or _wait(ctx, the_plan.targets, batches, timeout, the_plan.state_backend)
        return code

    _run(ctx, action)


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
) -> int:
    desired = DesiredState(targets={t.name: t for t in targets}, state=state)
    console = make_console(ctx.obj.color)
    reporter = WaitReporter(console, quiet=ctx.obj.verbosity < 0)
    try:
        outcome = wait_jobs(desired, batches, _settings(ctx), timeout=timeout, on_counts=reporter)
    finally:
        reporter.close()
    print_status(console, outcome.records, ctx.obj.verbosity)
    if outcome.timed_out:
        _fail(f"timed out after {timeout:g}s waiting for jobs")
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

    _run(ctx, action)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Everything, as JSON.")
@click.pass_context
def status(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Per batch: job counts by state, failures with their code, outputs (-v)."""

    def action() -> int:
        _, records = job_status(paths, _settings(ctx))
        if as_json:
            click.echo(json.dumps(status_document(records), indent=1, sort_keys=True))
        else:
            print_status(make_console(ctx.obj.color), records, ctx.obj.verbosity)
        return 0

    _run(ctx, action)


@cli.command("force-unlock")
@click.argument("lock_id")
@click.pass_context
def force_unlock(ctx: click.Context, lock_id: str) -> None:
    """Remove the state lock left by a holder that died (LOCK_ID from the error message)."""

    def action() -> int:
        settings = _settings(ctx)
        if settings.state_backend is not None:
            held = force_unlock_cos(settings, lock_id)
            click.echo(f"Lock {lock_id} of {held} released.")
            return 0
        break_lock(settings.local_state, lock_id)
        click.echo(f"Lock {lock_id} removed.")
        return 0

    _run(ctx, action)


@cli.group("state")
def state_group() -> None:
    """Move the state between a local file and COS (--state cos://...)."""


@state_group.command("pull")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.pass_context
def state_pull(ctx: click.Context, out: Path | None) -> None:
    """Copy the COS state to a local file (stdout without --out)."""

    def action() -> int:
        data = pull_state(_settings(ctx))
        if out is None:
            click.echo(data.decode(), nl=False)
        else:
            write_local_state(out, data)
            click.echo(f"Wrote the state to {out}.", err=True)
        return 0

    _run(ctx, action)


@state_group.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a state of another lineage or newer serial.")
@click.pass_context
def state_push(ctx: click.Context, file: Path, force: bool) -> None:
    """Make a local state file the COS state (under the lease)."""

    def action() -> int:
        click.echo(push_state(_settings(ctx), file, force=force))
        return 0

    _run(ctx, action)


@cli.group()
def emulator() -> None:
    """The local CI emulator."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9000, show_default=True, type=int)
@click.option("--data", "data_dir", type=click.Path(file_okay=False), help="Persist data here.")
@click.option("--latency-ms", default=0.0, type=float, help="Added latency per request.")
@click.option("--qps", default=0.0, type=float, help="Above this rate: SlowDown (0: no limit).")
@click.option("--fail-rate", default=0.0, type=float, help="Share of requests failing with 5xx.")
@click.option("--slowdown-rate", default=0.0, type=float, help="Share answered SlowDown.")
@click.option(
    "--drop-after-commit-rate",
    default=0.0,
    type=float,
    help="Share of job submits cut after commit.",
)
@click.option("--job-seconds", default=2.0, type=float, help="Submitted to finished, in seconds.")
@click.option("--seed", default=None, type=int, help="Seed for the fault dice.")
@click.pass_context
def serve(ctx: click.Context, /, host: str, port: int, data_dir: str | None, **faults: Any) -> None:
    """Serve the emulator on HOST:PORT until interrupted."""

    def action() -> int:
        from reconciler.emulator.server import run_server

        run_server(host, port, data_dir=data_dir, **faults)
        return 0

    _run(ctx, action)


def _terminate(signum: int, frame: object) -> None:
    """CI runners cancel with SIGTERM: stop like Ctrl-C, so in-flight work is recorded."""
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="reconciler")
