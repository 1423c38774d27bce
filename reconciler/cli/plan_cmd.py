"""``reconciler plan``: show what apply would do (text, JSON or Markdown), optionally saved.

Also the pieces ``apply`` shares with it: the over-budget flag, telling a saved plan file from
manifests, and showing the manifests' load warnings.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import exitcodes as ec
from reconciler.cli.common import run, settings_of, show_warnings, style_of
from reconciler.cli.options import batch_option
from reconciler.cli.oserrors import check_out_path
from reconciler.engine.planfile import plan_chunks, write_plan
from reconciler.engine.workflow import make_plan
from reconciler.model import DesiredState
from reconciler.plan.markdown import render_markdown
from reconciler.plan.planner import Plan, PlanOptions
from reconciler.plan.render import render_text, summary_line

over_budget_option = click.option(
    "--allow-over-budget", is_flag=True, help="Plan/apply even when a declared budget is exceeded."
)


def is_plan_file(paths: tuple[Path, ...]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix not in (".yaml", ".yml")


def echo_lines(the_plan: Plan) -> None:
    """The plan's JSON Lines on stdout, streamed (docs/plan-format.md)."""
    for chunk in plan_chunks(the_plan):
        click.echo(chunk, nl=False)


def show_load_warnings(desired: DesiredState) -> None:
    show_warnings(desired.warnings)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON Lines.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (PR comments).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--prune", is_flag=True, help="Delete templates / cancel jobs left the manifests.")
@click.option("--retry-failed", is_flag=True, help="Re-submit jobs whose last run Failed.")
@over_budget_option
@batch_option
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
    allow_over_budget: bool,
    batches: tuple[str, ...],
) -> None:
    """Show what apply would do, without changing anything."""

    def action() -> int:
        if out is not None:
            check_out_path(out)
        options = PlanOptions(prune, retry_failed, allow_over_budget, batches)
        _, the_plan = make_plan(paths, settings_of(ctx), options, show_load_warnings)
        if out is not None:
            write_plan(the_plan, out)
        if as_json:
            echo_lines(the_plan)
        elif markdown:
            click.echo(render_markdown(the_plan))
        elif ctx.obj.verbosity < 0:
            click.echo(summary_line(the_plan))
        else:
            verbose = max(ctx.obj.verbosity, 0)
            click.echo(render_text(the_plan, style=style_of(ctx), verbose=verbose))
        if out is not None and not (as_json or markdown):
            click.echo(f"Saved the plan to {out}; apply it with: reconciler apply {out}")
        return ec.CHANGES if detailed_exitcode and the_plan.changes else ec.OK

    run(ctx, action)
