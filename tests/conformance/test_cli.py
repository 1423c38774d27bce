"""The state commands at the command line: one-line errors with exit 1, and both backends
reached by ``--state`` alone (COS on a served emulator, over a loopback socket)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.emulator.server import RunningServer
from reconciler.state.document import parse_document
from reconciler.state.local.store import LocalStateStore
from tests.helpers.cosstate import REGION, STATE_BUCKET
from tests.helpers.identity import ENV
from tests.helpers.manifests import EXAMPLES

from .records import job


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", **ENV})


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize("url", ["s3://x/y", "gs://bucket/state.json", "http://h/state.json"])
@pytest.mark.parametrize(
    "command", [["state", "pull"], ["force-unlock", "id"], ["plan", str(EXAMPLES)]]
)
def test_an_unknown_scheme_stops_every_command(
    url: str, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_line_error(run("--state", url, *command))
    assert "unknown scheme" in line and "cos://BUCKET/KEY?region=REGION" in line
    assert list(tmp_path.iterdir()) == []  # no local file named after the URL


def test_pull_and_push_a_local_state_by_file_url(tmp_path: Path) -> None:
    state = tmp_path / "s" / "state.json"
    url = f"file://{state}"
    assert "does not exist" in one_line_error(run("--state", url, "state", "pull"))
    with LocalStateStore(state).open() as w:
        w.put_job(job(1))
    pulled = run("--state", url, "state", "pull", "--out", str(tmp_path / "copy.json"))
    assert pulled.exit_code == 0, pulled.output
    copy = parse_document((tmp_path / "copy.json").read_bytes(), tmp_path / "copy.json")
    assert copy.serial == 1 and len(copy.jobs) == 1
    with LocalStateStore(state).open() as w:
        w.put_job(job(2))
    refused = one_line_error(run("--state", url, "state", "push", str(tmp_path / "copy.json")))
    assert "newer than" in refused and "--force" in refused
    forced = run("--state", url, "state", "push", "--force", str(tmp_path / "copy.json"))
    assert forced.exit_code == 0 and "renumbered from 1" in forced.output, forced.output
    assert len(LocalStateStore(state).read().jobs) == 1


def test_push_then_pull_through_cos(served: RunningServer, tmp_path: Path) -> None:  # noqa: F811
    url = f"cos://{STATE_BUCKET}/cli/state.json?region={REGION}&endpoint={served.url}"
    assert "does not exist" in one_line_error(run("--state", url, "state", "pull"))
    local = tmp_path / "state.json"
    with LocalStateStore(local).open() as w:
        w.put_job(job(1))
    pushed = run("--state", url, "state", "push", str(local))
    assert pushed.exit_code == 0 and "serial 1" in pushed.output, pushed.output
    pulled = run("--state", url, "state", "pull")
    assert pulled.exit_code == 0
    copy = parse_document(pulled.output.encode(), Path("pulled"))
    mine = LocalStateStore(local).read()
    assert (copy.lineage, copy.serial, copy.jobs) == (mine.lineage, mine.serial, dict(mine.jobs))
    assert copy.version == 2 and copy.written_at  # the COS header's time of the push
    wrong = one_line_error(run("--state", url, "force-unlock", "--force", "no-such-lock"))
    assert "not locked" in wrong


def test_help_texts_say_what_push_refuses() -> None:
    push = run("state", "push", "--help").output
    assert "lineage" in push and "--force" in push
    assert "does not exist is an error" in " ".join(run("state", "pull", "--help").output.split())
