"""The scheduled-pipeline recipes: bounded applies repeated until one exits 0.

Checked like the merge recipes (tests/ecosystem/test_ci_recipes.py): what they promise
(a schedule, one apply at a time in the same group as the merge applies, --time-limit under the
job's timeout, exit 5 treated as success and exit 0 as the end), every ``reconciler ...`` line
parsed by the real CLI, and the official GitHub-workflow and GitLab-CI schemas.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.engine.bounds import margin_for, parse_duration
from tests.ecosystem.recipes import ROOT, _tool, argv, commands, github, gitlab, parse

GITHUB_SCHEDULED = ROOT / "examples/ci/github/.github/workflows/reconciler-scheduled.yml"
GITLAB_SCHEDULED = ROOT / "examples/ci/gitlab/.gitlab-ci-scheduled.yml"
VARIABLES = {"MANIFESTS": "manifests/"}


def scheduled_github() -> dict[Any, Any]:
    doc = yaml.safe_load(GITHUB_SCHEDULED.read_text())
    doc["on"] = doc.pop(True)  # YAML 1.1 reads the bare key `on` as a boolean
    return dict(doc)


def scheduled_gitlab() -> dict[str, Any]:
    return dict(yaml.safe_load(GITLAB_SCHEDULED.read_text()))


def scripts(steps: list[str]) -> str:
    return "\n".join(steps)


def bounded_applies(text: str, variables: dict[str, str]) -> list[list[str]]:
    return [argv(c, variables) for c in commands(text) if argv(c, variables)[0] == "apply"]


def test_github_schedule_runs_one_bounded_apply_at_a_time() -> None:
    doc = scheduled_github()
    assert doc["on"]["schedule"][0]["cron"] and "workflow_dispatch" in doc["on"]
    job = doc["jobs"]["apply"]
    merge_apply = github()["jobs"]["apply"]
    assert job["concurrency"] == merge_apply["concurrency"]  # never beside a merge's apply
    assert job["concurrency"]["cancel-in-progress"] is False
    limit = parse_duration(doc["env"]["RECONCILER_TIME_LIMIT"])
    assert limit < job["timeout-minutes"] * 60
    text = scripts([s["run"] for s in job["steps"] if "run" in s])
    variables = {**VARIABLES, "RECONCILER_TIME_LIMIT": doc["env"]["RECONCILER_TIME_LIMIT"]}
    (apply,) = bounded_applies(text, variables)
    assert "--time-limit" in apply and "--auto-approve" in apply
    assert '5) echo "more=true"' in text and '0) echo "more=false"' in text
    assert '*) exit "$code"' in text  # any other code fails the run
    follow = [s for s in job["steps"] if s.get("if") == "steps.apply.outputs.more == 'true'"]
    assert follow and "gh workflow run reconciler-scheduled.yml" in follow[0]["run"]
    assert job["permissions"]["actions"] == "write"


def test_gitlab_schedule_runs_one_bounded_apply_at_a_time() -> None:
    doc = scheduled_gitlab()
    job = doc["reconciler-scheduled-apply"]
    assert '$CI_PIPELINE_SOURCE == "schedule"' in job["rules"][0]["if"]
    merge = gitlab()
    assert job["resource_group"] == merge["apply"]["resource_group"]
    assert job["stage"] in merge["stages"]
    timeout = parse_duration(job["timeout"].replace(" ", ""))
    limit = parse_duration(job["variables"]["RECONCILER_TIME_LIMIT"])
    assert limit + margin_for(limit) <= timeout  # room left for the install
    text = scripts(job["script"])
    (apply,) = bounded_applies(text, {**VARIABLES, **job["variables"]})
    assert "--time-limit" in apply
    assert "5) echo" in text and "0) echo" in text and '*) exit "$code"' in text


def shell_and_variables(path: Path) -> tuple[str, dict[str, str]]:
    """Every shell line of a recipe, and its variables (workflow env, job variables)."""
    doc = yaml.safe_load(path.read_text())
    variables = {**VARIABLES, **{k: str(v) for k, v in doc.get("env", {}).items()}}
    lines: list[str] = []
    for job in (*doc.get("jobs", {}).values(), *(v for v in doc.values() if isinstance(v, dict))):
        if not isinstance(job, dict):
            continue
        variables.update({k: str(v) for k, v in job.get("variables", {}).items()})
        lines += [s["run"] for s in job.get("steps", []) if "run" in s]
        for part in ("before_script", "script", "after_script"):
            lines += job.get(part, [])
    return "\n".join(lines), variables


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout as the recipes see it: the example manifests in manifests/."""
    shutil.copytree(ROOT / "examples", tmp_path / "manifests", ignore=shutil.ignore_patterns("ci"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("path", [GITHUB_SCHEDULED, GITLAB_SCHEDULED])
def test_every_reconciler_command_parses(path: Path, checkout: None) -> None:
    text, variables = shell_and_variables(path)
    lines = list(commands(text))
    assert len(lines) >= 3
    for line in lines:
        try:
            parse(argv(line, variables))
        except click.ClickException as exc:
            pytest.fail(f"{path.name}: `{line}` does not parse: {exc.format_message()}")


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-workflows", GITHUB_SCHEDULED), ("vendor.gitlab-ci", GITLAB_SCHEDULED)],
)
def test_scheduled_recipes_match_the_official_schemas(schema: str, path: Path) -> None:
    tool = _tool("check-jsonschema")
    out = subprocess.run(
        [tool, "--builtin-schema", schema, str(path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
