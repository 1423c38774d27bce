"""The console entry points exist and report their version and usage."""

import subprocess
import sys

from click.testing import CliRunner

from reconciler.cli.commands import cli


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "validate" in result.output
    assert "emulator" in result.output


def test_python_dash_m_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "0.1.0" in proc.stdout
