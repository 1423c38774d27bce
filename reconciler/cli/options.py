"""Options several commands share (``--batch``, ``--lock-timeout``) and the confirmation prompt.

Terraform's habits, because the people running this in CI already have them: target a part with
a repeatable flag, wait for a busy lock for a while instead of failing, and approve only by
typing ``yes`` (a stray Enter or "y" must not apply a plan to a production bucket).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


class Duration(click.ParamType[float]):
    """Seconds from ``30``, ``30s``, ``2m``, ``1h``, ``1m30s``."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip()
        if text.replace(".", "", 1).isdigit():
            return float(text)
        match = _DURATION.fullmatch(text)
        if not text or match is None:
            self.fail(f"{value!r} is not a duration (e.g. 30s, 2m, 1h, 1m30s)", param, ctx)
        hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds


def batch_option(func: F) -> F:
    """``--batch NAME``, repeatable: only these batches (and the templates they use)."""
    return click.option(
        "--batch",
        "batches",
        multiple=True,
        metavar="NAME",
        help="Only this batch (repeatable); other batches are neither changed nor forgotten.",
    )(func)


def lock_timeout_option(func: F) -> F:
    """``--lock-timeout DURATION``: how long to wait for a state lock another run holds."""
    return click.option(
        "--lock-timeout",
        type=Duration(),
        default=None,
        metavar="DURATION",
        help="Wait this long for a state lock another run holds (e.g. 30s, 2m); apply: 0.",
    )(func)


def confirm_yes(question: str, *, flag: str) -> bool:
    """Ask ``question``; only the word ``yes`` approves. Without a terminal there is nobody to
    ask: refuse, naming ``flag``, instead of hanging a CI job or reading a pipe as consent."""
    if not sys.stdin.isatty():
        raise ConfigError(f"refusing without confirmation: stdin is not a terminal (use {flag})")
    click.echo(question)
    answer = click.prompt(
        "  Only 'yes' will be accepted to approve", default="", show_default=False
    )
    return str(answer).strip() == "yes"
