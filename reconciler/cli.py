"""Command line: parse, call the library, render, map errors to exit codes. No decisions here.

Expected failures (:class:`ReconcilerError`) become one line on stderr and exit 1; with
``--debug`` they re-raise so the traceback shows. Exit codes are the contract in design.md:
0 ok / no changes, 1 error, 2 changes present (``plan --detailed-exitcode``), 3 some jobs
Failed, 4 timed out waiting.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.errors import ManifestError, ReconcilerError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Globals:
    """Options shared by every command (``reconciler --debug plan ...``)."""

    endpoint: str | None
    state: str | None
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
        for problem in exc.problems:
            click.echo(str(problem), err=True)
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
@click.option("--state", envvar="RECONCILER_STATE", help="State file (.reconciler/state.json).")
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
    debug: bool,
    no_color: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Tencent Cloud CI snapshot templates and snapshot jobs as code."""
    color = not no_color and "NO_COLOR" not in os.environ
    ctx.color = color if color else False
    ctx.obj = Globals(endpoint, state, debug, color, -1 if quiet else verbose)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check manifests (files or directories) without contacting the service."""

    def action() -> int:
        from reconciler.manifest import load, summarize

        desired = load(paths)
        click.echo(summarize(desired))
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="reconciler")
