"""Administrative commands: lock recovery, moving state, and serving the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import run, settings_of
from reconciler.cli.statecmd import force_unlock_cos, pull_state, push_state, write_local_state
from reconciler.state.local.lock import break_lock


@click.command("force-unlock")
@click.argument("lock_id")
@click.pass_context
def force_unlock(ctx: click.Context, lock_id: str) -> None:
    """Remove the state lock left by a holder that died (LOCK_ID from the error message)."""

    def action() -> int:
        settings = settings_of(ctx)
        if settings.state_backend is not None:
            held = force_unlock_cos(settings, lock_id)
            click.echo(f"Lock {lock_id} of {held} released.")
            return 0
        break_lock(settings.local_state, lock_id)
        click.echo(f"Lock {lock_id} removed.")
        return 0

    run(ctx, action)


@click.group("state")
def state_group() -> None:
    """Inspect, repair and rebuild the state; move it between a file and COS (cos://)."""


@state_group.command("pull")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.pass_context
def state_pull(ctx: click.Context, out: Path | None) -> None:
    """Copy the COS state to a local file (stdout without --out)."""

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
@click.option("--force", is_flag=True, help="Replace a state of another lineage or newer serial.")
@click.pass_context
def state_push(ctx: click.Context, file: Path, force: bool) -> None:
    """Make a local state file the COS state (under the lease)."""

    def action() -> int:
        click.echo(push_state(settings_of(ctx), file, force=force))
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
@click.pass_context
def serve(ctx: click.Context, /, host: str, port: int, data_dir: str | None, **faults: Any) -> None:
    """Serve the emulator on HOST:PORT until interrupted."""

    def action() -> int:
        from reconciler.emulator.server import run_server

        run_server(host, port, data_dir=data_dir, **faults)
        return 0

    run(ctx, action)
