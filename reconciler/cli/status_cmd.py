"""``reconciler status``: per batch, job counts by state and failures grouped by code.

The ``--json`` document is built by :mod:`reconciler.engine.report`, shared with the library.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from reconciler.cli import exitcodes as ec
from reconciler.cli.common import run, settings_of
from reconciler.cli.options import batch_option
from reconciler.cli.ui import counts_line, make_console, print_status
from reconciler.engine.report import failed_document, status_document
from reconciler.engine.track import Key
from reconciler.engine.workflow import job_status
from reconciler.model.records import JobRecord

FAILED_COLUMNS = ("batch", "input_object", "job_id", "state", "code", "message")
# The name on the package index (``reconciler`` there is an unrelated project); the command
# and the import package stay ``reconciler``.


def show_records(ctx: click.Context, records: dict[Key, JobRecord]) -> None:
    console = make_console(ctx.obj.color)
    if ctx.obj.verbosity < 0:
        console.print(counts_line(Counter(r.state for r in records.values())))
    else:
        print_status(console, records, ctx.obj.verbosity)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Counts and grouped failures, as JSON.")
@click.option("--jobs", "with_jobs", is_flag=True, help="With --json: every job's record too.")
@click.option(
    "--failed",
    is_flag=True,
    help="Only the failed jobs, one row each (tab-separated; with --json: JSON).",
)
@batch_option
@click.pass_context
def status(
    ctx: click.Context,
    paths: tuple[Path, ...],
    as_json: bool,
    with_jobs: bool,
    failed: bool,
    batches: tuple[str, ...],
) -> None:
    """Per batch: job counts by state, failures grouped by code, outputs (-v)."""

    def action() -> int:
        _, records = job_status(paths, settings_of(ctx), batches)
        if as_json and failed:
            click.echo(json.dumps(failed_document(records.values()), indent=1, sort_keys=True))
        elif as_json:
            doc = status_document(records.values(), jobs=with_jobs)
            click.echo(json.dumps(doc, indent=1, sort_keys=True))
        elif failed:
            for row in failed_document(records.values())["failed"]:
                click.echo("\t".join(str(row[k] or "") for k in FAILED_COLUMNS))
        else:
            show_records(ctx, records)
        return ec.OK

    run(ctx, action)
