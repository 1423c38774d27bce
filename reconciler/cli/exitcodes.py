"""Exit codes (the contract in design.md and the README) and the group that keeps them.

click exits 2 on a usage error, the very code ``plan --detailed-exitcode`` uses for "changes
present": a CI step could not tell a typo from a plan with changes. :class:`ReconcilerGroup`
runs click in non-standalone mode and maps every click error to :data:`ERROR`.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Sequence
from typing import Any

import click

OK = 0
ERROR = 1  # any error, usage errors included
CHANGES = 2  # plan --detailed-exitcode: changes present
JOBS_FAILED = 3  # apply --wait / wait: some jobs of this run (or that wait waited for) Failed
TIMED_OUT = 4  # waiting for jobs timed out
# Ctrl-C / SIGTERM: 128 + SIGINT, as shells report it, so a wrapper script can tell "stopped by
# the user or the runner" from "failed"; what was done is recorded and a re-run continues.
INTERRUPTED = 130


class ReconcilerGroup(click.Group):
    """A click group whose usage errors and aborts exit 1 (never 2)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            exc.show()
            code = ERROR
        except click.Abort as exc:
            interrupted = isinstance(exc.__context__, KeyboardInterrupt)
            click.echo("Interrupted; nothing was changed." if interrupted else "Aborted.", err=True)
            code = INTERRUPTED if interrupted else ERROR
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            code = ERROR  # stdout closed early (| head): nothing more to say
        code = code if isinstance(code, int) else OK
        if not standalone_mode:
            return code
        sys.exit(code)
