"""What a person sees: colors on a terminal unless --no-color/NO_COLOR, a progress bar on a
terminal and plain lines in logs, and -q. Runs the real CLI in a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLOR = re.compile(r"\x1b\[[0-9;]*3[0-7]m|\x1b\[[0-9;]*38;")  # a foreground colour


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("ci"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    subprocess.run(
        [sys.executable, "examples/seed_demo.py"], cwd=tmp_path, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    return tmp_path


def run_tty(args: list[str], cwd: Path, **env: str) -> tuple[int, str]:
    """Run ``reconciler ARGS`` with stdout and stderr on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    full.update({"TERM": "xterm-256color", "COLUMNS": "100"}, **env)
    full = {k: v for k, v in full.items() if not k.startswith("TENCENTCLOUD_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args], cwd=cwd, env=full,
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    return proc.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def test_plan_is_colored_on_a_terminal_and_plain_with_no_color(project: Path) -> None:
    code, colored = run_tty(["plan", "examples/"], project)
    assert code == 0 and COLOR.search(colored), colored
    for args, env in (
        (["--no-color", "plan", "examples/"], {}),
        (["plan", "examples/"], {"NO_COLOR": "1"}),
    ):
        code, plain = run_tty(args, project, **env)
        assert code == 0 and "Plan: 2 to create, 4 to submit" in plain
        assert not COLOR.search(plain), plain


def test_apply_shows_a_bar_on_a_terminal_and_lines_in_logs(project: Path) -> None:
    code, tty = run_tty(["apply", "examples/", "--auto-approve"], project)
    assert code == 0, tty
    assert "━" in tty and "4/4" in tty  # rich's bar and its M/N column
    logs = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "examples/"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "\x1b[" not in logs.stdout


def test_quiet_apply_prints_only_the_summary(project: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reconciler", "-q", "apply", "examples/", "--auto-approve"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["Apply complete: create template 2, submit job 4; 0 failed."]
