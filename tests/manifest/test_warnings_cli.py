"""Warnings on the command line: located lines on stderr, before the plan, whatever -q says.

``validate`` exits 0 with warnings and 1 with ``--strict``; ``plan`` and ``apply`` show them
first and go on. The manifests are the CI page's Request 2 (data/seed/request2), the service a
served emulator on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.emulator.server import RunningServer
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from tests.helpers.identity import ENV, SECRET_ID, SECRET_KEY
from tests.helpers.manifest_files import DATA, REQUEST2_WARNINGS

WHERE = DATA / "seed" / "request2"
LINES = [
    f"{WHERE / 'batch.yaml'}:{line}:{col}: warning: {field}: {message}"
    for line, col, field, message in REQUEST2_WARNINGS
]


pytestmark = pytest.mark.emulator(job_seconds=2.0, seed=None)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={**ENV, "NO_COLOR": "1"})


@pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["default", "quiet"])
def test_validate_prints_warnings_and_exits_0(quiet: list[str]) -> None:
    result = invoke(*quiet, "validate", str(WHERE))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == LINES
    assert result.stdout.strip() == "ok: 1 target, 0 templates, 1 batch, 1 job; 2 warnings"


def test_validate_strict_makes_warnings_errors() -> None:
    result = invoke("validate", "--strict", str(WHERE))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        *(line.replace(" warning:", "") for line in LINES),
        "Error: 2 problem(s) in manifests",
    ]


def test_errors_are_shown_with_the_warnings_beside_them(tmp_path: Path) -> None:
    broken = tmp_path / "batch.yaml"
    text = (WHERE / "batch.yaml").read_text().replace("snapshot-${number}.jpg", "snapshot.jpg")
    broken.write_text(text)
    result = invoke("validate", str(WHERE / "target.yaml"), str(broken))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{broken}:9:5: warning: spec.snapshot.blackLevel: is ignored without isCheckBlack: true",
        f"{broken}:14:5: warning: spec.snapshot.pixelBlackThreshold: is ignored without "
        "isCheckBlack: true",
        f"{broken}:27:5: spec.output.object: must contain ${{number}}: count is 10",
        "Error: 1 problem(s) in manifests",
    ]


@pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["default", "quiet"])
def test_plan_and_apply_show_warnings_first(
    tmp_path: Path, server: RunningServer, quiet: list[str]
) -> None:
    common = [*quiet, "--endpoint", server.url, "--state", str(tmp_path / "state.json")]
    planned = invoke(*common, "plan", str(WHERE))
    assert planned.exit_code == 0, planned.output
    assert planned.output.splitlines()[:2] == LINES
    assert "1 to submit" in planned.stdout
    applied = invoke(*common, "apply", "--auto-approve", str(WHERE))
    assert applied.exit_code == 0, applied.output
    assert applied.output.splitlines()[:2] == LINES
    assert applied.stderr.splitlines()[:2] == LINES


PREFIX_BATCH = """\
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {name: b}
spec:
  snapshot: {count: 1}
  inputs: {prefix: PREFIX, include: ['*.mp4']}
  output: {region: ap-chongqing, bucket: test-123456789, object: "f/{stem}.jpg"}
"""


def test_plan_warns_about_a_prefix_that_matches_nothing(
    tmp_path: Path, server: RunningServer
) -> None:
    """Accepted, and does nothing: a plan-time warning (the listing is only known then)."""
    common = ["--endpoint", server.url, "--state", str(tmp_path / "state.json")]
    batch = tmp_path / "batch.yaml"
    batch.write_text(PREFIX_BATCH.replace("PREFIX", "nothing/"))
    planned = invoke(*common, "plan", str(WHERE / "target.yaml"), str(batch))
    assert planned.exit_code == 0, planned.output
    warning = (
        f"Warning: {batch}:1: batch b: prefix 'nothing/' matches no objects in test-1234567890"
    )
    assert f"{warning}\n" in planned.stdout
    assert "Warning" not in planned.stderr  # no manifest warning: the manifest is fine
    credentials = Credentials(SECRET_ID, SECRET_KEY)
    with CIClient("test-1234567890", "ap-chongqing", credentials, endpoint=server.url) as c:
        c.put_object("videos/a.mp4", b"video")
    batch.write_text(PREFIX_BATCH.replace("PREFIX", "videos/"))
    matching = invoke(*common, "plan", str(WHERE / "target.yaml"), str(batch))
    assert matching.exit_code == 0, matching.output
    assert "matches no objects" not in matching.output and "1 to submit" in matching.output
