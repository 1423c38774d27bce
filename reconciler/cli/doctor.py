"""``reconciler doctor PATH...``: print the preflight checklist; exit 1 when a check fails."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import run, settings_of
from reconciler.engine.doctor import Check, run_doctor

_COLOR: dict[str, tuple[str, str | None]] = {
    "ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red"), "skip": ("-", None),
}  # fmt: skip
_PLAIN: dict[str, tuple[str, str | None]] = {
    "ok": ("[ok]", None), "warn": ("[warn]", None), "fail": ("[FAIL]", None),
    "skip": ("[skip]", None),
}  # fmt: skip


def line(check: Check, color: bool) -> str:
    mark, fg = (_COLOR if color else _PLAIN)[check.status]
    head = click.style(mark, fg=fg) if color and fg else mark
    text = f"{head} {check.name}: {check.detail}"
    if check.fix and check.status in ("fail", "warn"):
        pad = " " * (len(mark) + 1)
        text += f"\n{pad}fix: {check.fix}"
    return text


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def doctor(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check an account before the first run: credentials, clock, buckets, CI, state (read-only)."""

    def action() -> int:
        report = run_doctor(paths, settings_of(ctx))
        for check in report.checks:
            click.echo(line(check, ctx.obj.color), color=ctx.obj.color)
        failed = report.failed
        verdict = f"{len(failed)} check(s) failed" if failed else "all checks passed"
        click.echo(f"\n{len(report.checks)} checks: {verdict}")
        return 1 if failed else 0

    run(ctx, action)
