"""The CI recipes and the pre-commit hooks are valid files that use only real commands.

Three layers: a YAML load plus a structural check of our own (what the recipes promise: plan on
pull requests, apply the saved plan on main, one apply at a time, credentials from secrets);
the vendored GitHub-workflow and GitLab-CI JSON Schemas of check-jsonschema when it is installed;
and every ``reconciler ...`` command line parsed by the real click CLI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from reconciler.cli.plan_cmd import is_plan_file
from tests.ecosystem.recipes import (
    GITHUB,
    GITLAB,
    HOOKS,
    ROOT,
    _tool,
    argv,
    commands,
    github,
    github_scripts,
    gitlab,
    gitlab_scripts,
    parse,
)

EXAMPLES = ROOT / "examples"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A checkout as the recipes see it: manifests/ and a saved plan in out/."""
    shutil.copytree(EXAMPLES, tmp_path / "manifests", ignore=shutil.ignore_patterns("ci"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "plan.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    return {"MANIFESTS": "manifests/"}


def test_github_workflow_structure() -> None:
    doc = github()
    assert set(doc["on"]) >= {"pull_request", "push"}
    assert doc["on"]["push"]["branches"] == ["main"]
    plan, apply = doc["jobs"]["plan"], doc["jobs"]["apply"]
    for job in (plan, apply):
        assert job["runs-on"]
        assert job["steps"] and all(("uses" in s) != ("run" in s) for s in job["steps"])
        assert job["env"]["TENCENTCLOUD_SECRET_ID"] == "${{ secrets.TENCENTCLOUD_SECRET_ID }}"
        assert job["env"]["TENCENTCLOUD_SECRET_KEY"] == "${{ secrets.TENCENTCLOUD_SECRET_KEY }}"
    assert "pull_request" in plan["if"] and "push" in apply["if"]
    assert apply["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    assert plan["concurrency"]["cancel-in-progress"] is True
    uses = [s.get("uses", "") for s in plan["steps"]]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("actions/github-script@") for u in uses)
    assert plan["permissions"]["pull-requests"] == "write"
    assert doc["permissions"] == {"contents": "read"}


def test_gitlab_pipeline_structure() -> None:
    doc = gitlab()
    stages = doc["stages"]
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    assert set(jobs) == {"validate", "plan", "apply", "replan-apply"}
    for name, job in jobs.items():
        assert job["stage"] in stages, name
        assert job["rules"], name
        assert all(isinstance(line, str) for line in job["script"]), name
    assert jobs["plan"]["artifacts"]["paths"] == ["out/"]
    assert jobs["apply"]["resource_group"] == jobs["replan-apply"]["resource_group"]
    assert "merge_request_event" in jobs["plan"]["rules"][0]["if"]


def test_apply_steps_apply_the_saved_plan_with_documented_exit_codes(
    workdir: dict[str, str],
) -> None:
    for scripts in (github_scripts(), gitlab_scripts()):
        text = "\n".join(scripts)
        applies = [argv(c, workdir) for c in commands(text) if argv(c, workdir)[0] == "apply"]
        saved = [a for a in applies if a[1] == "out/plan.json"]
        assert saved, "the merge must apply the saved plan"
        for args in saved:
            assert is_plan_file((Path(args[1]),))
        plans = [argv(c, workdir) for c in commands(text) if argv(c, workdir)[0] == "plan"]
        assert plans == [
            ["plan", "manifests/", "--out", "out/plan.json", "--markdown", "--detailed-exitcode"]
        ]
        assert "2" in text and "plan-exitcode" in text  # exit 2 of --detailed-exitcode is handled


@pytest.mark.parametrize("source", ["github", "gitlab", "hooks"])
def test_every_reconciler_command_parses(source: str, workdir: dict[str, str]) -> None:
    if source == "hooks":
        hooks = yaml.safe_load(HOOKS.read_text())
        lines = [" ".join([h["entry"], *h.get("args", ["manifests/"])]) for h in hooks]
    else:
        lines = [c for s in (github_scripts() if source == "github" else gitlab_scripts())
                 for c in commands(s)]  # fmt: skip
    assert len(lines) >= 2
    for line in lines:
        args = argv(line, workdir)
        try:
            parse(args)
        except click.exceptions.Exit as done:  # --version prints and exits before a command
            assert args == ["--version"] and done.exit_code == 0
        except click.ClickException as exc:
            pytest.fail(f"{source}: `{line}` does not parse: {exc.format_message()}")


def test_a_command_that_does_not_exist_is_caught(workdir: dict[str, str]) -> None:
    with pytest.raises(click.UsageError):
        parse(argv('reconciler plan "$MANIFESTS" --no-such-flag', workdir))
    with pytest.raises(click.UsageError):
        parse(argv("reconciler deploy manifests/", workdir))


def test_pre_commit_hooks_manifest() -> None:
    hooks = yaml.safe_load(HOOKS.read_text())
    by_id = {h["id"]: h for h in hooks}
    main = by_id["reconciler-validate"]
    assert main["language"] == "python" and main["entry"] == "reconciler validate"
    assert main["files"] == r"\.(ya?ml)$"
    assert by_id["reconciler-validate-files"]["pass_filenames"] is True
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)


def test_pre_commit_hook_runs_on_a_manifest_directory(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "manifests", ignore=shutil.ignore_patterns("ci"))
    hook = yaml.safe_load(HOOKS.read_text())[0]
    cmd = [sys.executable, "-m", "reconciler", *hook["entry"].split()[1:], *hook["args"]]
    ok = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "manifests" / "templates.yaml"
    broken.write_text(broken.read_text().replace("count: 24", "count: -1"))
    bad = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "templates.yaml" in bad.stderr


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", GITLAB)],
)
def test_recipes_match_the_official_schemas(schema: str, path: Path) -> None:
    tool = _tool("check-jsonschema")
    out = subprocess.run(
        [tool, "--builtin-schema", schema, str(path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_pre_commit_accepts_the_hooks_manifest() -> None:
    tool = _tool("pre-commit")
    out = subprocess.run(
        [tool, "validate-manifest", str(HOOKS)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_examples_still_validate_with_the_recipes_inside() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(EXAMPLES)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
