"""Machine-readable output on the served emulator: ``plan --json`` and ``status --json`` (and
``status --failed --json``) validate against schemas/plan.schema.json and status.schema.json;
``show PLANFILE`` renders a saved plan exactly as ``plan`` did; budgets refuse in one line;
apply's failures are grouped."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from reconciler import Reconciler
from reconciler.cli.commands import cli
from reconciler.emulator.server import RunningServer
from reconciler.engine.planfile import plan_lines
from reconciler.plan.planner import PlanOptions
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from tests.core import render_scenarios
from tests.helpers.identity import ENV, SECRET_ID, SECRET_KEY
from tests.helpers.manifests import BUCKET, write_manifests
from tests.helpers.planlines import header, lines_of

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
EMPTY_BATCH = """---
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {name: empty}
spec:
  template: load-tpl
  inputs: {prefix: nothing/}
  output: {region: ap-chongqing, bucket: out-1250000000, object: "empty/{stem}/f-${number}.jpg"}
"""


pytestmark = pytest.mark.emulator(job_seconds=0.2, seed=5)


def run(server: RunningServer, state: Path, *args: str) -> Result:
    argv = ["--endpoint", server.url, "--state", str(state), "--submit-qps", "200", *args]
    return CliRunner().invoke(cli, argv, env={**ENV, "NO_COLOR": "1"})


def validate(doc: Any, schema: str) -> None:
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / schema).read_text())).validate(doc)


def validate_plan(text: str) -> dict[str, Any]:
    """Every line of a plan's JSON Lines parses on its own and matches the schema: a header,
    its job lines, an end line that counts them. Returns the header."""
    lines = lines_of(text)
    for line in lines:
        validate(line, "plan.schema.json")
    assert [ln["line"] for ln in lines] == ["header", *["job"] * (len(lines) - 2), "end"]
    assert lines[0]["job_count"] == lines[-1]["jobs"] == len(lines) - 2
    return lines[0]


def manifests(tmp: Path, n: int, target_extra: str = "") -> Path:
    directory = write_manifests(tmp / "m", n)
    path = directory / "load.yaml"
    text = path.read_text().replace(f"bucket: {BUCKET}}}", f"bucket: {BUCKET}{target_extra}}}")
    path.write_text(text + EMPTY_BATCH)
    return directory


def seed(server: RunningServer, keys: list[str]) -> None:
    creds = Credentials(SECRET_ID, SECRET_KEY)
    with CIClient(BUCKET, "ap-chongqing", creds, endpoint=server.url) as client:
        for key in keys:
            client.put_object(key, b"video")


def test_plan_and_status_documents_match_their_schemas(
    tmp_path: Path, server: RunningServer
) -> None:
    m = manifests(tmp_path, 3, ", pricing: {perThousandFrames: 0.5, currency: CNY}")
    seed(server, ["in/video-0000.mp4"])  # the other two jobs Fail
    state = tmp_path / "state.json"
    plan = validate_plan(run(server, state, "plan", str(m), "--json").stdout)
    assert plan["cost"]["totals"]["frames_at_most"] == 9
    assert plan["cost"]["totals"]["money_at_most"] == {"CNY": 0.0045}
    assert any("prefix 'nothing/' matches no objects" in w for w in plan["warnings"])
    assert plan["listings"] == [
        {"batch": "empty", "target": "load", "prefix": "nothing/", "count": 0,
         "sha256": hashlib.sha256(b"").hexdigest()}
    ]  # fmt: skip
    assert [g["reason_code"] for g in plan["groups"]] == ["new_job"]

    run(server, state, "apply", str(m), "--auto-approve", "--wait", "--timeout", "30")
    status = json.loads(run(server, state, "status", str(m), "--json").stdout)
    validate(status, "status.schema.json")
    load = status["batches"]["load"]
    assert load["counts"] == {"Failed": 2, "Success": 1} and "jobs" not in load
    assert [(f["code"], f["count"]) for f in load["failures"]] == [("ResourceNotFound", 2)]
    full = json.loads(run(server, state, "status", str(m), "--json", "--jobs").stdout)
    validate(full, "status.schema.json")
    assert len(full["batches"]["load"]["jobs"]) == 3
    failed = json.loads(run(server, state, "status", str(m), "--failed", "--json").stdout)
    validate(failed, "status.schema.json")
    assert [r["input_object"] for r in failed["failed"]] == [
        "in/video-0001.mp4",
        "in/video-0002.mp4",
    ]
    assert all(r["job_id"] and r["code"] == "ResourceNotFound" for r in failed["failed"])
    rows = run(server, state, "status", str(m), "--failed").stdout.splitlines()
    assert [row.split("\t")[:2] for row in rows] == [
        ["load", "in/video-0001.mp4"],
        ["load", "in/video-0002.mp4"],
    ]

    api = Reconciler(state_path=state, endpoint=server.url, env=ENV)
    assert api.status([m]).to_dict() == status  # one builder for the CLI and the API
    assert api.status([m]).failed_dict() == failed

    retry = validate_plan(run(server, state, "plan", str(m), "--retry-failed", "--json").stdout)
    groups = [(g["reason_code"], g["params"].get("code"), g["count"]) for g in retry["groups"]]
    assert ("retry_failed", "ResourceNotFound", 2) in groups


def test_show_renders_a_saved_plan_as_plan_did(tmp_path: Path, server: RunningServer) -> None:
    m = manifests(tmp_path, 4)
    state, planfile = tmp_path / "state.json", tmp_path / "saved.plan"
    planned = run(server, state, "plan", str(m), "--out", str(planfile))
    assert planned.exit_code == 0, planned.output
    shown = run(server, state, "show", str(planfile))
    assert shown.exit_code == 0, shown.output
    assert planned.stdout == shown.stdout + f"Saved the plan to {planfile}; apply it with: " + (
        f"reconciler apply {planfile}\n"
    )
    assert run(server, state, "show", str(planfile), "--json").stdout == planfile.read_text()
    assert header(planfile.read_text())["summary"] == {"create_template": 1, "submit_job": 4}
    md = run(server, state, "plan", str(m), "--markdown").stdout
    assert run(server, state, "show", str(planfile), "--markdown").stdout == md
    assert "prefix 'nothing/' matches no objects" in shown.stdout


def test_over_budget_is_refused_in_one_line_unless_allowed(
    tmp_path: Path, server: RunningServer
) -> None:
    m = manifests(tmp_path, 3, ", budget: {maxJobs: 2}")
    state = tmp_path / "state.json"
    for args in (["plan", str(m)], ["apply", str(m), "--auto-approve"]):
        refused = run(server, state, *args)
        assert refused.exit_code == 1, refused.output
        assert refused.stdout == ""
        assert refused.stderr == (
            "Error: over budget: target load submits 3 jobs (budget maxJobs 2); "
            "use --allow-over-budget to proceed\n"
        )
    allowed = run(server, state, "plan", str(m), "--allow-over-budget")
    assert allowed.exit_code == 0, allowed.output
    assert "Over budget (allowed by --allow-over-budget): target load submits 3 jobs" in (
        allowed.stdout
    )


def test_apply_failures_are_grouped_by_error(tmp_path: Path, server: RunningServer) -> None:
    m = write_manifests(tmp_path / "m", 30)
    path = m / "load.yaml"
    path.write_text(
        path.read_text().replace("  template: load-tpl\n", "  template: load-tpl\n  queueId: p0\n")
    )
    result = run(server, tmp_path / "state.json", "apply", str(m), "--auto-approve")
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stdout.splitlines() if "failed" in line and "[" in line]
    assert len(failed) == 1, result.stdout
    assert failed[0].startswith("  failed 30 jobs [QueueNotFound]: ")
    assert (
        "in/video-0000.mp4, load/in/video-0001.mp4, load/in/video-0002.mp4 and 27 more"
        in (failed[0])
    )


@pytest.mark.parametrize("retry", [False, True])
def test_every_action_kind_of_the_golden_plans_matches_the_schema(retry: bool) -> None:
    """Kinds the emulator run does not reach (keep_failed, forget_running, a removed template,
    KeyFrame costs) are in the golden scenario; its document must validate too."""
    plan = render_scenarios.failures(PlanOptions(retry_failed=retry))
    doc = validate_plan(b"".join(plan_lines(plan)).decode())
    codes = {g["reason_code"] for g in doc["groups"]}
    assert {"forget_running", "new_job", "retry_failed" if retry else "keep_failed"} <= codes
    validate_plan(b"".join(plan_lines(render_scenarios.priced())).decode())
