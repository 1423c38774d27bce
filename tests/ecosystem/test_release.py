"""A name and a release that are ours: the distribution name, the locks, the release workflow,
the recipes' install steps, and a real wheel installed into a clean virtual environment."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli.commands import DISTRIBUTION, cli
from tests.ecosystem.recipes import (
    GITHUB,
    GITLAB,
    ROOT,
    _tool,
    argv,
    commands,
    github_scripts,
    gitlab_scripts,
    parse,
)

RELEASE = ROOT / ".github" / "workflows" / "release.yml"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec)
    assert match, spec
    return canonical(match.group(0))


def locked(path: Path) -> dict[str, str]:
    """Name -> pinned version; every pin must carry at least one hash."""
    text = path.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    pins = {}
    for block in blocks:
        match = _PIN.match(block.strip())
        if match:
            assert "--hash=sha256:" in block, f"{path.name}: {match.group(1)} has no hash"
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def test_the_distribution_name_is_ours_and_the_command_is_reconciler() -> None:
    project = pyproject()["project"]
    assert project["name"] == DISTRIBUTION == "ci-snapshot-reconciler"
    assert project["scripts"] == {"reconciler": "reconciler.cli.commands:main"}
    assert "version" in project["dynamic"]  # one place: reconciler.__version__
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output == f"reconciler {__version__}\n"


def test_the_locks_cover_every_dependency_with_hashes() -> None:
    project = pyproject()
    runtime = {requirement_name(d) for d in project["project"]["dependencies"]}
    test = {requirement_name(d) for d in project["project"]["optional-dependencies"]["test"]}
    build = {requirement_name(d) for d in project["build-system"]["requires"]}
    dev, run_only = locked(DEV_LOCK), locked(RUNTIME_LOCK)
    assert runtime | test | build <= set(dev), sorted((runtime | test | build) - set(dev))
    assert runtime <= set(run_only) and not test & set(run_only) - runtime
    for name, version in run_only.items():  # the release installs what CI tested
        assert dev.get(name) == version, name
    assert "Python 3.11" in DEV_LOCK.read_text().splitlines()[1]


def test_release_workflow_builds_installs_and_runs_the_demo() -> None:
    doc = yaml.safe_load(RELEASE.read_text())
    doc["on"] = doc.pop(True)
    assert doc["on"]["push"]["tags"] == ["v*"] and doc["permissions"] == {"contents": "read"}
    steps = doc["jobs"]["build"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps)
    assert "python -m build --no-isolation" in script and "--require-hashes" in script
    clean = next(s["run"] for s in steps if "clean venv" in s.get("name", ""))
    assert "python -m venv /tmp/clean" in clean and "--no-deps dist/*.whl" in clean
    lines = list(commands(clean))
    assert lines[0] == "reconciler --version"
    assert "python examples/seed_demo.py" in clean
    assert any(c.startswith("reconciler apply examples/ --auto-approve --wait") for c in lines)
    for line in lines[1:]:
        parse(argv(line, {}))
    assert doc["jobs"]["publish"]["permissions"] == {"contents": "write"}
    out = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(RELEASE)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("source", ["github", "gitlab"])
def test_recipes_install_the_release_checked_against_its_sums(source: str) -> None:
    scripts = github_scripts() if source == "github" else gitlab_scripts()
    text = "\n".join(scripts)
    assert "sha256sum -c -" in text
    assert "--require-hashes -r requirements-runtime.txt" in text
    assert '--no-deps "$wheel"' in text
    assert "ci_snapshot_reconciler-${RECONCILER_VERSION}-py3-none-any.whl" in text
    assert not re.search(r"pip install[^\n]*\breconciler\b(?![-_])", text)
    recipe = (GITHUB if source == "github" else GITLAB).read_text()
    assert "RECONCILER_WHEEL_SHA256" in recipe and "RECONCILER_LOCK_SHA256" in recipe


@pytest.mark.timeout(90)  # about 30 s with a warm pip cache; a cold one downloads the locks
def test_wheel_installs_into_a_clean_venv(tmp_path: Path) -> None:
    """Build the sdist and wheel with the locked tools, install the wheel with only the locked
    runtime dependencies into a new venv, run it. Reuses pip's cache (about 20 s warm)."""
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    wheel = dist / f"ci_snapshot_reconciler-{__version__}-py3-none-any.whl"
    assert wheel.exists() and (dist / f"ci_snapshot_reconciler-{__version__}.tar.gz").exists()
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    for args in (["--require-hashes", "-r", str(RUNTIME_LOCK)], ["--no-deps", str(wheel)]):
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *args],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert pip.returncode == 0, pip.stderr[-3000:]
    tool = env_dir / "bin" / "reconciler"
    version = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0 and version.stdout == f"reconciler {__version__}\n"
    validated = subprocess.run(
        [str(tool), "validate", str(ROOT / "examples")], capture_output=True, text=True,
        check=False, cwd=tmp_path,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith("ok: ")
