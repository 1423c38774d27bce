"""The CLI contract end to end on the served emulator: exit codes, saved plans, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import RunningServer, start_background
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from tests.helpers.identity import ENV, SECRET_ID, SECRET_KEY
from tests.helpers.manifests import BUCKET, write_manifests
from tests.helpers.planlines import header, jobs

pytestmark = pytest.mark.emulator(job_seconds=0.3, seed=3)


def run(server: RunningServer, state: Path, *args: str) -> Result:
    argv = ["--endpoint", server.url, "--state", str(state), "--submit-qps", "200", *args]
    return CliRunner().invoke(cli, argv, env={**ENV, "NO_COLOR": "1"})


def seed(server: RunningServer, keys: list[str]) -> None:
    with CIClient(
        BUCKET, "ap-chongqing", Credentials(SECRET_ID, SECRET_KEY), endpoint=server.url
    ) as c:
        for key in keys:
            c.put_object(key, b"video")


def test_detailed_exitcode_saved_plan_and_no_changes(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 5)
    state, planfile = tmp_path / "state.json", tmp_path / "plan.json"
    first = run(
        server, state, "plan", str(manifests), "--detailed-exitcode", "--out", str(planfile)
    )
    assert first.exit_code == 2, first.output
    assert "5 to submit" in first.output and "1 to create" in first.output
    applied = run(server, state, "apply", str(planfile))
    assert applied.exit_code == 0, applied.output
    assert "submit job 5" in applied.output
    again = run(server, state, "plan", str(manifests), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output
    reused = run(server, state, "apply", str(planfile))
    assert reused.exit_code == 1 and "stale" in reused.output


def test_saved_plan_refused_when_listing_changed(tmp_path: Path, server: RunningServer) -> None:
    manifests = tmp_path / "m"
    write_manifests(manifests, 1)
    text = (manifests / "load.yaml").read_text()
    text = text.replace("    objects:\n      - in/video-0000.mp4\n", "    prefix: up/\n")
    (manifests / "load.yaml").write_text(text)
    seed(server, ["up/a.mp4", "up/b.mp4"])
    state, planfile = tmp_path / "state.json", tmp_path / "plan.json"
    assert run(server, state, "plan", str(manifests), "--out", str(planfile)).exit_code == 0
    doc = header(planfile.read_text())
    pinned = doc["listings"][0]
    assert pinned["count"] == 2 and pinned["prefix"] == "up/" and len(pinned["sha256"]) == 64
    seed(server, ["up/c.mp4"])
    result = run(server, state, "apply", str(planfile))
    assert result.exit_code == 1
    assert "objects under 'up/' changed" in result.output


def test_json_and_markdown_documents(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 3)
    state = tmp_path / "state.json"
    text = run(server, state, "plan", str(manifests), "--json").output
    doc = header(text)
    assert doc["format_version"] == 3 and doc["job_count"] == 3
    assert doc["summary"] == {"create_template": 1, "submit_job": 3}
    assert {"lineage", "serial", "digest"} <= set(doc["state"])
    assert jobs(text)[0]["request"]["output"]["object"] == "out/video-0000/f-${number}.jpg"
    md = run(server, state, "plan", str(manifests), "--markdown").output
    assert md.startswith("## reconciler plan") and len(md) < 65_536


def test_wait_exit_codes_failed_and_timeout(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 2)
    seed(server, ["in/video-0000.mp4"])  # video-0001 is missing: its job Fails
    state = tmp_path / "state.json"
    applied = run(
        server, state, "apply", str(manifests), "--auto-approve", "--wait", "--timeout", "30"
    )
    assert applied.exit_code == 3, applied.output
    assert "Failed in/video-0001.mp4" in applied.output
    status = run(server, state, "status", str(manifests), "--json")
    counts = json.loads(status.output)["batches"]["load"]["counts"]
    assert counts == {"Success": 1, "Failed": 1}
    left = run(server, state, "plan", str(manifests))
    assert "use --retry-failed" in left.output


def test_wait_times_out_with_exit_4(tmp_path: Path) -> None:
    slow = start_background(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=600))
    try:
        manifests = write_manifests(tmp_path / "m", 1)
        state = tmp_path / "state.json"
        assert run(slow, state, "apply", str(manifests), "--auto-approve").exit_code == 0
        result = run(slow, state, "wait", str(manifests), "--timeout", "0.5")
        assert result.exit_code == 4, result.output
        assert "timed out" in result.output
    finally:
        slow.stop()


def test_partial_failure_keeps_successes(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 2)
    bad = (manifests / "load.yaml").read_text().replace("name: load}", "name: load}", 1)
    bad += """---
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {name: bad-queue}
spec:
  template: load-tpl
  queueId: p00000000000000000000000000000000
  inputs: {objects: [in/other.mp4]}
  output: {region: ap-chongqing, bucket: out-1250000000, object: "bad/{stem}/f-${number}.jpg"}
"""
    (manifests / "load.yaml").write_text(bad)
    state = tmp_path / "state.json"
    result = run(server, state, "apply", str(manifests), "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "failed job bad-queue/in/other.mp4 [QueueNotFound]" in result.output
    assert "request id" in result.output
    status = json.loads(run(server, state, "status", str(manifests), "--json").output)
    assert status["batches"]["load"]["total"] == 2
    assert "bad-queue" not in status["batches"]


def test_corrupt_state_is_refused_and_kept(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 1)
    state = tmp_path / "state.json"
    state.write_text('{"version": 1, "serial": ')
    before = state.read_bytes()
    for args in (["plan", str(manifests)], ["apply", str(manifests), "--auto-approve"]):
        result = run(server, state, *args)
        assert result.exit_code == 1
        assert str(state) in result.output and "Traceback" not in result.output
    assert state.read_bytes() == before
