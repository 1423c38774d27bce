"""Helpers for the recipe tests: find every ``reconciler ...`` command line in shell text and
parse it with the real click CLI, so a recipe can never use a command or option that does not
exist."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.cli.commands import cli

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples" / "ci" / "github" / ".github" / "workflows" / "reconciler.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
SHELL_OPERATORS = {">", ">>", "<", "|", "||", "&&", ";", "2>&1", ")"}
_COMMAND = re.compile(r"(?:^|[;&|(]\s*|\bthen\s+|\bdo\s+)(reconciler\s[^\n]*)")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def commands(shell: str) -> Iterator[str]:
    """Each ``reconciler ...`` invocation in a shell script, from the word to the end of line."""
    for line in shell.splitlines():
        for match in _COMMAND.finditer(line.strip()):
            yield match.group(1)


def argv(command: str, variables: Mapping[str, str]) -> list[str]:
    """The command's arguments after the program name, variables expanded, redirections and
    following commands cut off."""
    expanded = _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), command)
    words = shlex.split(expanded)[1:]
    for i, word in enumerate(words):
        if word in SHELL_OPERATORS or word.startswith((">", "|")):
            return words[:i]
    return words


def _remaining(ctx: click.Context) -> list[str]:
    """A group's unparsed words: the subcommand name and its arguments (click 8.1 and 8.2+)."""
    protected = getattr(ctx, "_protected_args", None)
    if protected is None:
        protected = ctx.protected_args
    return [*protected, *ctx.args]


def parse(args: list[str]) -> click.Context:
    """Parse like ``reconciler ARGS`` would, down to the subcommand; raises click's usage errors."""
    ctx = cli.make_context("reconciler", list(args), resilient_parsing=False)
    ctx.obj = None
    name, sub, rest = cli.resolve_command(ctx, _remaining(ctx))
    assert sub is not None and name is not None
    while isinstance(sub, click.Group):
        parent = sub.make_context(name, rest, parent=ctx)
        name, sub, rest = sub.resolve_command(parent, _remaining(parent))
        assert sub is not None and name is not None
        ctx = parent
    return sub.make_context(name, rest, parent=ctx)


def github() -> dict[Any, Any]:
    doc = yaml.safe_load(GITHUB.read_text())
    doc["on"] = doc.pop(True)  # YAML 1.1 reads the bare key `on` as a boolean
    return dict(doc)


def gitlab() -> dict[str, Any]:
    return dict(yaml.safe_load(GITLAB.read_text()))


def github_scripts() -> list[str]:
    return [s["run"] for job in github()["jobs"].values() for s in job["steps"] if "run" in s]


def gitlab_scripts() -> list[str]:
    out = []
    for job in gitlab().values():
        if isinstance(job, dict):
            for part in ("before_script", "script", "after_script"):
                out += job.get(part, [])
    return out


def _tool(name: str) -> str:
    path = shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), "."]))
    if path is None:
        pytest.skip(f"{name} is not installed (pip install {name})")
    return path
