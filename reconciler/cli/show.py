"""``reconciler show PLANFILE``: render a saved plan exactly as ``plan`` showed it.

Reads only the file (no manifests, no service, no state), so a reviewer can look at the plan a
CI job saved. Text by default; ``--json`` prints its JSON Lines as saved, ``--markdown`` the
PR comment.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import run, style_of
from reconciler.cli.plan_cmd import echo_lines
from reconciler.engine.planfile import read_plan
from reconciler.plan.markdown import render_markdown
from reconciler.plan.render import render_text


@click.command()
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the plan's JSON Lines as saved.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (PR comments).")
@click.pass_context
def show(ctx: click.Context, planfile: Path, as_json: bool, markdown: bool) -> None:
    """Show a plan saved with plan --out, without contacting the service."""

    def action() -> int:
        the_plan = read_plan(planfile)
        if as_json:
            echo_lines(the_plan)
        elif markdown:
            click.echo(render_markdown(the_plan))
        else:
            verbose = max(ctx.obj.verbosity, 0)
            click.echo(render_text(the_plan, style=style_of(ctx), verbose=verbose))
        return 0

    run(ctx, action)
