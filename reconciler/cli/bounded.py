"""``apply --limit N`` and ``--time-limit DURATION``: the options, the report and exit code 5.

A bounded run that stops with submissions left says how many, and exits 5 ("stopped at its
limit; more to do") so that a scheduled pipeline can run it again until it exits 0. Exit codes
that say something went wrong win over 5: 1 (an action failed), 4 (a wait timed out), 3 (a job
Failed). The decisions live in :mod:`reconciler.engine.bounds`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.engine.apply import ApplyResult
from reconciler.engine.bounds import Budget, format_duration, parse_duration
from reconciler.errors import ConfigError

EXIT_MORE_TO_DO = 5
F = TypeVar("F", bound=Callable[..., Any])


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``45m``, ``5h30m``, ``90s`` or plain seconds, as float seconds."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def bound_options(command: F) -> F:
    """The two options, in the order ``--help`` shows them."""
    command = click.option(
        "--time-limit",
        metavar="DURATION",
        callback=_duration,
        help="Stop starting submissions in time to end cleanly before this wall time "
        "(e.g. 45m, 5h30m, 90s; counted from the start; 10% margin, at most 5 min); exit 5 "
        "when work is left.",
    )(command)
    return click.option(
        "--limit",
        type=click.IntRange(min=1),
        metavar="N",
        help="Submit at most N jobs this run (re-submits count; templates and look-ups do "
        "not); exit 5 when work is left.",
    )(command)


def make_budget(limit: int | None, time_limit: float | None, qps: float, started: float) -> Budget:
    return Budget(limit, time_limit, qps=qps, started=started)


def stop_line(result: ApplyResult, budget: Budget, *, saved_plan: bool) -> str | None:
    """``stopped at --limit: 1,000 submitted, 8,000 left; run again to continue`` (None when
    nothing was left)."""
    if not result.left:
        return None
    what = budget.stopped_by or "--limit"
    if what == "--time-limit" and budget.time_limit is not None:
        what += f" {format_duration(budget.time_limit)}"
    again = (
        "make a new plan and apply it to continue (a partly applied saved plan is stale)"
        if saved_plan
        else "run again to continue"
    )
    return f"stopped at {what}: {budget.taken:,} submitted, {result.left:,} left; {again}"


def wait_timeout(budget: Budget, timeout: float, now: float) -> float:
    """``--timeout``, shortened to end at the time limit's cut-off."""
    if budget.cutoff is None:
        return timeout
    return max(0.0, min(timeout, budget.cutoff - now))


def final_code(code: int, result: ApplyResult | None) -> int:
    """Errors first; then 5 when this run left submissions for the next one."""
    if code == 0 and result is not None and result.left:
        return EXIT_MORE_TO_DO
    return code
