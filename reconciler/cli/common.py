"""What every command shares: global options, settings from them, and the error boundary.

Expected failures (:class:`ReconcilerError`) become one line on stderr and exit 1; with
``--debug`` they re-raise so the traceback shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.engine.workflow import Settings
from reconciler.errors import ManifestError, ReconcilerError
from reconciler.state.backends import is_state_url, parse_state_url

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
    request_timeout: float = 30.0


def fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)


def run(ctx: click.Context, action: Callable[[], int]) -> None:
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
        fail(f"{len(exc.problems)} problem(s) in manifests")
        code = 1
    except ReconcilerError as exc:
        if opts.debug:
            raise
        fail(str(exc))
        code = 1
    except KeyboardInterrupt:
        fail("interrupted")
        code = 130
    ctx.exit(code)


def settings_of(ctx: click.Context) -> Settings:
    """Only a state the user gave (--state, RECONCILER_STATE) is set here: without one, the
    flows take the manifests' ``state:`` (or a saved plan's), else the default file."""
    opts: Globals = ctx.obj
    remote = is_state_url(opts.state)
    return Settings(
        state_path=Path(opts.state) if opts.state and not remote else None,
        endpoint=opts.endpoint,
        submit_qps=opts.submit_qps,
        request_timeout=opts.request_timeout,
        state_backend=parse_state_url(str(opts.state)) if remote else None,
    )


def style_of(ctx: click.Context) -> Callable[[str, str | None], str]:
    color = ctx.obj.color

    def style(text: str, fg: str | None) -> str:
        return click.style(text, fg=fg) if color and fg else text

    return style
