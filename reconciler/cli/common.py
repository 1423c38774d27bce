"""What every command shares: global options, settings from them, and the error boundary.

Expected failures (:class:`ReconcilerError`) and operating-system errors (a read-only state
directory, a path under a file) become one line on stderr and exit 1; with ``--debug`` they
re-raise so the traceback shows. Ctrl-C exits 130 after saying how far an apply got.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.cli.exitcodes import ERROR, INTERRUPTED
from reconciler.cli.oserrors import check_state_path, describe
from reconciler.engine.apply import ApplyInterrupted
from reconciler.engine.lookup import parse_window
from reconciler.engine.workflow import Settings
from reconciler.errors import ManifestError, Problem, ReconcilerError
from reconciler.model import LocalState
from reconciler.state.registry import parse_location

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
    lookup_window: str = "7d"
    request_timeout: float = 30.0


def fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)


def show_warnings(warnings: Sequence[Problem]) -> None:
    """Manifest warnings on stderr, one located line each, whatever the verbosity: like a
    compiler's, they are about the user's input, and ``-q`` only quiets progress and detail
    (``validate --strict`` is the way to act on them)."""
    _show_problems(warnings, " warnings")


def _show_manifest_error(exc: ManifestError) -> None:
    """Errors and the warnings found beside them, in file order; the count is of errors."""
    shown = sorted([*exc.problems, *exc.warnings], key=lambda p: (p.file, p.line, p.column))
    _show_problems(shown)
    fail(f"{len(exc.problems)} problem(s) in manifests")


def _show_problems(problems: Sequence[Problem], what: str = "") -> None:
    """One located line each on stderr, the first MAX_SHOWN_PROBLEMS, then how many more."""
    for problem in problems[:MAX_SHOWN_PROBLEMS]:
        click.echo(str(problem), err=True)
    if len(problems) > MAX_SHOWN_PROBLEMS:
        click.echo(f"... and {len(problems) - MAX_SHOWN_PROBLEMS} more{what}", err=True)


def run(ctx: click.Context, action: Callable[[], int]) -> None:
    """Run ``action`` and exit with its code; expected errors become one line and exit 1."""
    opts: Globals = ctx.obj
    try:
        code = action()
    except ManifestError as exc:
        if opts.debug:
            raise
        _show_manifest_error(exc)
        code = ERROR
    except ReconcilerError as exc:
        if opts.debug:
            raise
        fail(str(exc))
        code = ERROR
    except OSError as exc:
        if opts.debug or exc.errno == errno.EPIPE:  # stdout closed (| head): the group's exit
            raise
        fail(describe(exc))
        code = ERROR
    except ApplyInterrupted as stop:
        fail(
            f"interrupted: {stop.submitted} job(s) submitted, {stop.left} left; everything done "
            "is recorded in the state: re-run to continue"
        )
        code = INTERRUPTED
    except KeyboardInterrupt:
        fail("interrupted; what was done is recorded in the state: re-run to continue")
        code = INTERRUPTED
    ctx.exit(code)


def settings_of(ctx: click.Context) -> Settings:
    """Only a state the user gave (--state, RECONCILER_STATE) is set here: without one, the
    flows take the manifests' ``state:`` (or a saved plan's), else the default file."""
    opts: Globals = ctx.obj
    location = parse_location(opts.state) if opts.state else None
    if isinstance(location, LocalState):
        check_state_path(Path(location.path))
    return Settings(
        endpoint=opts.endpoint,
        submit_qps=opts.submit_qps,
        state_backend=location,
        lookup_window=parse_window(opts.lookup_window),
        request_timeout=opts.request_timeout,
    )


def style_of(ctx: click.Context) -> Callable[[str, str | None], str]:
    color = ctx.obj.color

    def style(text: str, fg: str | None) -> str:
        return click.style(text, fg=fg) if color and fg else text

    return style
