"""Operating-system errors are one line naming the path and the fix, exit 1, no traceback, and
nothing is changed on the service or in the state."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.cli.oserrors import describe
from reconciler.emulator.server import RunningServer
from tests.core.clikit import PYTHON, cli_args, job_count, run, subprocess_env
from tests.helpers.manifests import write_manifests

pytestmark = pytest.mark.emulator(job_seconds=2.0, seed=None)


def unprivileged(argv: list[str]) -> list[str]:
    """Root ignores file modes: run without the capabilities that bypass them, so a read-only
    directory is read-only (as it is for everyone else)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--", *argv]


def one_error_line(output: str) -> str:
    assert "Traceback" not in output, output
    lines = [line for line in output.strip().splitlines() if line.startswith("Error")]
    assert len(lines) == 1, output
    return lines[0]


def test_read_only_state_directory_on_apply(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 2)
    readonly = tmp_path / "ro"
    readonly.mkdir(mode=0o555)
    readonly.chmod(0o555)
    state = readonly / "state.json"
    argv = [*PYTHON, *cli_args(server, state, "apply", str(manifests), "--auto-approve")]
    out = subprocess.run(
        unprivileged(argv), capture_output=True, text=True,
        env=subprocess_env({"NO_COLOR": "1"}), cwd=tmp_path, check=False,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    line = one_error_line(out.stderr)
    assert str(readonly) in line and "Permission denied" in line and "permissions" in line
    assert job_count(server) == 0 and list(readonly.iterdir()) == []


def test_state_naming_a_directory(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    (tmp_path / "dir").mkdir()
    result = run(server, tmp_path / "dir", "plan", str(manifests))
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert line == (
        f"Error: --state {tmp_path / 'dir'} is a directory; give a file path, "
        f"e.g. {tmp_path / 'dir' / 'state.json'}"
    )


@pytest.mark.parametrize("command", ["plan", "apply", "status", "wait"])
def test_state_under_a_regular_file(tmp_path: Path, server: RunningServer, command: str) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    (tmp_path / "file").write_text("not a directory")
    extra = ["--auto-approve"] if command == "apply" else []
    result = run(server, tmp_path / "file" / "state.json", command, str(manifests), *extra)
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert f"{tmp_path / 'file'} is a file, not a directory" in line
    assert job_count(server) == 0


def test_out_into_a_missing_directory_is_refused_before_planning(
    tmp_path: Path, server: RunningServer
) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    out = tmp_path / "missing" / "plan.json"
    result = run(server, tmp_path / "state.json", "plan", str(manifests), "--out", str(out))
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert f"directory {tmp_path / 'missing'} does not exist" in line and "mkdir -p" in line
    assert not (tmp_path / "missing").exists()


def test_out_naming_a_directory(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    result = run(server, tmp_path / "s.json", "plan", str(manifests), "--out", str(tmp_path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is a directory" in result.output


def test_unreadable_manifest(tmp_path: Path) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    (manifests / "load.yaml").chmod(0o000)
    out = subprocess.run(
        unprivileged([*PYTHON, "validate", str(manifests)]), capture_output=True, text=True,
        env=subprocess_env(), cwd=tmp_path, check=False,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert "load.yaml" in out.stderr and "ermission denied" in out.stderr


def test_manifest_path_that_does_not_exist(tmp_path: Path) -> None:
    out = subprocess.run(
        [*PYTHON, "validate", str(tmp_path / "nope")], capture_output=True, text=True,
        env=subprocess_env(), check=False,
    )  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "does not exist" in out.stderr


def test_describe_names_the_path_and_the_fix() -> None:
    denied = PermissionError(errno.EACCES, "Permission denied", "/srv/state.json.lock")
    assert describe(denied) == (
        "/srv/state.json.lock: Permission denied; check its permissions (or use another path)"
    )
    full = OSError(errno.ENOSPC, "No space left on device")
    assert describe(full) == "No space left on device; the disk is full: free some space and re-run"
    odd = OSError(errno.EIO, "Input/output error", "/dev/sdz")
    assert describe(odd) == "/dev/sdz: Input/output error"
