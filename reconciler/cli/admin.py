"""Administrative commands: lock recovery, moving state, and serving the emulator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import fail, run, settings_of
from reconciler.cli.exitcodes import ERROR
from reconciler.cli.options import confirm_yes, lock_timeout_option
from reconciler.cli.state_transfer import (
    force_unlock_state,
    pull_state,
    push_state,
    write_local_state,
)


@click.command("force-unlock")
@click.argument("lock_id")
@click.option("--force", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def force_unlock(ctx: click.Context, lock_id: str, force: bool) -> None:
    """Remove the state lock left by a holder that died (LOCK_ID from the error message)."""

    def action() -> int:
        settings = settings_of(ctx)
        question = (
            f"Remove the state lock {lock_id}? Do this only when its holder is gone: two runs "
            "writing the state at once can submit jobs twice."
        )
        if not force and not confirm_yes(question, flag="--force"):
            fail("force-unlock cancelled; the lock was left as it was")
            return ERROR
        click.echo(force_unlock_state(settings, lock_id))
        return 0

    run(ctx, action)


@click.group("state")
def state_group() -> None:
    """Inspect, repair and rebuild the state; move it between a file and COS (cos://)."""


@state_group.command("pull")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.pass_context
def state_pull(ctx: click.Context, out: Path | None) -> None:
    """Copy the state (journal included) to a local file (stdout without --out).

    A state that does not exist is an error (exit 1), not an empty file.
    """

    def action() -> int:
        data = pull_state(settings_of(ctx))
        if out is None:
            click.echo(data.decode(), nl=False)
        else:
            write_local_state(out, data)
            click.echo(f"Wrote the state to {out}.", err=True)
        return 0

    run(ctx, action)


@state_group.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Push even over another lineage, a newer serial, or the same serial with other records.",
)
@lock_timeout_option
@click.pass_context
def state_push(ctx: click.Context, file: Path, force: bool, lock_timeout: float | None) -> None:
    """Make a local state file the state (under its lock), keeping its lineage and serial.

    Refused unless --force when the state has another lineage, a newer serial, or the same
    serial with other records: any of these could forget jobs and submit them again. An empty
    or new state accepts any file.
    """

    def action() -> int:
        settings = replace(settings_of(ctx), lock_timeout=lock_timeout)
        click.echo(push_state(settings, file, force=force))
        return 0

    run(ctx, action)


@click.group()
def emulator() -> None:
    """The local CI emulator."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9000, show_default=True, type=int)
@click.option("--data", "data_dir", type=click.Path(file_okay=False), help="Persist data here.")
@click.option("--latency-ms", default=0.0, type=float, help="Added latency per request.")
@click.option("--qps", default=0.0, type=float, help="Above this rate: SlowDown (0: no limit).")
@click.option("--fail-rate", default=0.0, type=float, help="Share of requests failing with 5xx.")
@click.option("--slowdown-rate", default=0.0, type=float, help="Share answered SlowDown.")
@click.option(
    "--drop-after-commit-rate",
    default=0.0,
    type=float,
    help="Share of job submits cut after commit.",
)
@click.option("--job-seconds", default=2.0, type=float, help="Submitted to finished, in seconds.")
@click.option("--seed", default=None, type=int, help="Seed for the fault dice.")
@click.option("--bucket", default=None, help="Default bucket (for a bare host:port).")
@click.option("--region", default=None, help="Region of the default bucket.")
@click.option(
    "--reply-variants",
    default=None,
    type=int,
    metavar="SEED",
    help="Send documented but unusual reply shapes at random (seeded).",
)
@click.option(
    "--list-requires-queue-id", is_flag=True, help="Refuse GET /jobs without queueId (400)."
)
@click.pass_context
def serve(ctx: click.Context, /, host: str, port: int, data_dir: str | None, **faults: Any) -> None:
    """Serve the emulator on HOST:PORT until interrupted."""

    def action() -> int:
        from reconciler.emulator.server import run_server

        run_server(host, port, data_dir=data_dir, **faults)
        return 0

    run(ctx, action)
