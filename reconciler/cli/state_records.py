"""``reconciler state rebuild|list|show|rm``: look at and repair the state, as Terraform has
``state list``, ``state show`` and ``state rm``. Registered on the ``state`` group of
:mod:`reconciler.cli.admin`.

Keys are ``job/<batch>/<input object>`` and ``template/<target>/<name>``: batch, target and
template names never contain ``/``, so the input object (which may) is everything after the
batch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import run, settings_of
from reconciler.engine.rebuild import rebuild_state
from reconciler.errors import ConfigError
from reconciler.model.records import JobRecord, StateSnapshot, TemplateRecord

Key = tuple[str, str, str]  # ("job", batch, input) or ("template", target, name)


def state_keys(snapshot: StateSnapshot) -> list[str]:
    """Every record's address, templates first, each sorted."""
    keys = [f"template/{t}/{n}" for t, n in sorted(snapshot.templates)]
    return keys + [f"job/{b}/{i}" for b, i in sorted(snapshot.jobs)]


def parse_key(text: str) -> Key:
    """``job/BATCH/INPUT`` or ``template/TARGET/NAME`` -> its parts; ConfigError otherwise."""
    kind, _, rest = text.partition("/")
    first, _, second = rest.partition("/")
    if kind not in ("job", "template") or not first or not second:
        raise ConfigError(
            f"state key {text!r} must look like job/BATCH/INPUT or template/TARGET/NAME "
            "(see: reconciler state list)"
        )
    return kind, first, second


def find_record(snapshot: StateSnapshot, text: str) -> JobRecord | TemplateRecord:
    kind, first, second = parse_key(text)
    records: Any = snapshot.jobs if kind == "job" else snapshot.templates
    record = records.get((first, second))
    if record is None:
        raise ConfigError(f"no record {text!r} in the state (see: reconciler state list)")
    assert isinstance(record, JobRecord | TemplateRecord)
    return record


def register_state_commands(group: click.Group) -> None:
    """Add rebuild, list, show and rm to the ``state`` group."""
    for command in (state_rebuild, state_list, state_show, state_rm):
        group.add_command(command)


@click.command("rebuild")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a state that already records something.")
@click.pass_context
def state_rebuild(ctx: click.Context, paths: tuple[Path, ...], force: bool) -> None:
    """Reconstruct a lost state from the service for every key of the manifests.

    Templates are found by exact name, jobs by the marker in their UserData among the jobs
    created within --lookup-window. Nothing on the service changes.
    """

    def action() -> int:
        report = rebuild_state(paths, settings_of(ctx), force=force)
        click.echo("\n".join(report.lines()))
        return 0

    run(ctx, action)


@click.command("list")
@click.pass_context
def state_list(ctx: click.Context) -> None:
    """List the recorded keys, one per line (template/TARGET/NAME, job/BATCH/INPUT)."""

    def action() -> int:
        with settings_of(ctx).state() as store:
            for key in state_keys(store.read()):
                click.echo(key)
        return 0

    run(ctx, action)


@click.command("show")
@click.argument("key")
@click.pass_context
def state_show(ctx: click.Context, key: str) -> None:
    """Show one record's fields (KEY as state list prints it)."""

    def action() -> int:
        with settings_of(ctx).state() as store:
            record = find_record(store.read(), key)
        for name, value in record.to_dict().items():
            shown = json.dumps(value) if isinstance(value, list) else value
            click.echo(f"{name:<17} = {'' if shown is None else shown}")
        return 0

    run(ctx, action)


@click.command("rm")
@click.argument("keys", nargs=-1, required=True)
@click.pass_context
def state_rm(ctx: click.Context, keys: tuple[str, ...]) -> None:
    """Forget records without touching the service (under the state lock).

    A forgotten job is looked up again by the next plan: adopted when it was created after
    the state's last write (or within --lookup-window for an empty state), else submitted.
    """

    def action() -> int:
        with settings_of(ctx).state() as store, store.open(command="state rm") as writer:
            for key in keys:
                find_record(writer.snapshot, key)  # all must exist before any is removed
            for key in keys:
                kind, first, second = parse_key(key)
                if kind == "job":
                    writer.drop_job(first, second)
                else:
                    writer.drop_template(first, second)
        click.echo(f"Removed {len(keys)} record(s); the service was not changed.")
        return 0

    run(ctx, action)
