"""Damaged, foreign and newer state files through the CLI: plan, apply and status all refuse
with one clear line naming the file, and leave every byte as it was. Each successful write keeps
the previous state file as ``.backup``. (The store itself is tested in ``tests/state``.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.emulator.server import RunningServer
from tests.helpers.identity import ENV
from tests.helpers.manifests import write_manifests
from tests.state.test_refusals import CASES, JOURNALS, VALID

COMMANDS = (["plan"], ["apply", "--auto-approve"], ["status"])


pytestmark = pytest.mark.emulator()


def run(server: RunningServer, state: Path, *args: str) -> Result:
    argv = ["--endpoint", server.url, "--state", str(state), "--submit-qps", "200", *args]
    return CliRunner().invoke(cli, argv, env={**ENV, "NO_COLOR": "1"})


def files(directory: Path) -> dict[str, bytes]:
    found = {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}
    found.pop("state.json.lock", None)  # the empty flock file may be created by a refused apply
    return found


def assert_refused_everywhere(server: RunningServer, tmp_path: Path, message: str) -> None:
    state = tmp_path / "s" / "state.json"
    manifests = write_manifests(tmp_path / "m", 2)
    before = files(state.parent)
    for command in COMMANDS:
        result = run(server, state, *command[:1], str(manifests), *command[1:])
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.stderr
        assert str(state) in errors[0] and message in errors[0], (command, errors[0])
        assert files(state.parent) == before, f"{command[0]} changed the state files"


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_state_file_refused_by_every_command(
    server: RunningServer, tmp_path: Path, case: str
) -> None:
    data, message = CASES[case]
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "state.json").write_bytes(data)
    assert_refused_everywhere(server, tmp_path, message)


@pytest.mark.parametrize("case", sorted(JOURNALS))
def test_bad_journal_refused_by_every_command(
    server: RunningServer, tmp_path: Path, case: str
) -> None:
    make, message = JOURNALS[case]
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "state.json").write_bytes(VALID)
    (tmp_path / "s" / "state.json.journal").write_bytes(b"".join(make()))
    assert_refused_everywhere(server, tmp_path, message)


def test_each_write_keeps_the_previous_state_as_backup(
    server: RunningServer, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    backup = tmp_path / "state.json.backup"
    previous = b""
    for n in (2, 4, 6):
        manifests = write_manifests(tmp_path / f"m{n}", n)
        before = state.read_bytes() if state.exists() else None
        result = run(server, state, "apply", str(manifests), "--auto-approve")
        assert result.exit_code == 0, result.output
        assert state.read_bytes() != before
        if before is not None:
            assert backup.read_bytes() == before, "the backup is the state before this write"
        previous = state.read_bytes()
        assert oct(state.stat().st_mode & 0o777) == oct(0o600)
    assert previous == state.read_bytes()
