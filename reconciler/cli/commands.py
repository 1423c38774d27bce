"""Command line: parse, call the library, render, map errors to exit codes. No decisions here.

Expected failures (:class:`ReconcilerError`) become one line on stderr and exit 1; with
``--debug`` they re-raise so the traceback shows. Exit codes are the contract in design.md and
:mod:`reconciler.cli.exitcodes`: 0 ok / no changes, 1 error (usage errors included), 2 changes
present (``plan --detailed-exitcode``), 3 some jobs of this run Failed, 4 timed out waiting,
130 interrupted, 5 ``apply --limit/--time-limit`` stopped with work left.

The commands live one group per module (:mod:`.plan_cmd`, :mod:`.apply_cmd` with ``wait``,
:mod:`.status_cmd`, :mod:`.admin`, :mod:`.show`, :mod:`.doctor`); this module is the group with
its global options, ``validate``, and the entry point :func:`main`.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import click

from reconciler.cli import exitcodes as ec
from reconciler.cli.admin import emulator, force_unlock, state_group
from reconciler.cli.apply_cmd import apply, wait
from reconciler.cli.common import Globals, fail, run, show_warnings
from reconciler.cli.doctor import doctor
from reconciler.cli.duration import Duration
from reconciler.cli.oserrors import check_endpoint
from reconciler.cli.plan_cmd import plan
from reconciler.cli.show import show
from reconciler.cli.state_records import register_state_commands
from reconciler.cli.status_cmd import status
from reconciler.errors import ConfigError
from reconciler.manifest import load, summarize

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


def _terminate(signum: int, frame: object) -> None:
    """CI runners cancel with SIGTERM: stop like Ctrl-C, so in-flight work is recorded."""
    raise KeyboardInterrupt


cli.add_command(plan)
cli.add_command(apply)
cli.add_command(wait)
cli.add_command(status)
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
