"""A batch fed by a key-list file, end to end: plan, a saved plan pinned to the file's digest,
a bounded apply that continues, and the service holding exactly one job per key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from tests.helpers.checks import assert_exactly_once
from tests.helpers.manifests import write_manifests
from tests.helpers.planlines import header
from tests.helpers.processes import run_cli

pytestmark = pytest.mark.emulator(job_seconds=1, seed=3)


def key_file_manifests(directory: Path, n: int) -> Path:
    """The load manifests of the exactly-once tests, with the keys moved to keys/load.txt.gz."""
    manifests = write_manifests(directory, n)
    text = (manifests / "load.yaml").read_text()
    head, _, rest = text.partition("    objects:\n")
    keys = [line.strip().removeprefix("- ") for line in rest.splitlines()[:n]]
    tail = "\n".join(rest.splitlines()[n:])
    (manifests / "load.yaml").write_text(f"{head}    keysFile: keys/load.txt\n{tail}\n")
    (manifests / "keys").mkdir()
    (manifests / "keys" / "load.txt").write_text("# generated\n" + "\n".join(keys) + "\n")
    return manifests


def test_saved_plan_is_stale_once_the_key_file_changes(
    tmp_path: Path,
    server: RunningServer,  # noqa: F811
) -> None:
    manifests, state = key_file_manifests(tmp_path / "m", 20), tmp_path / "state.json"
    assert "20 jobs" in run_cli(state, server.url, "validate", str(manifests)).stdout
    plan = tmp_path / "plan.json"
    made = run_cli(state, server.url, "plan", str(manifests), "--out", str(plan))
    assert made.returncode == 0, made.stderr
    (pin,) = header(plan.read_text())["key_files"]
    assert pin["batch"] == "load" and pin["path"].endswith("keys/load.txt")
    keys = manifests / "keys" / "load.txt"
    keys.write_text(keys.read_text() + "in/video-0020.mp4\n")
    stale = run_cli(state, server.url, "apply", str(plan))
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "key file" in stale.stderr and "changed" in stale.stderr
    first = run_cli(state, server.url, "apply", str(manifests), "--auto-approve", "--limit", "15")
    assert first.returncode == 5, first.stdout + first.stderr
    assert run_cli(state, server.url, "plan", str(manifests), "--out", str(plan)).returncode == 0
    rest = run_cli(state, server.url, "apply", str(plan))
    assert rest.returncode == 0, rest.stdout + rest.stderr
    assert_exactly_once(server.url, state, 21)


def test_a_bad_key_is_one_located_line(tmp_path: Path, server: RunningServer) -> None:  # noqa: F811
    manifests, state = key_file_manifests(tmp_path / "m", 3), tmp_path / "state.json"
    keys = manifests / "keys" / "load.txt"
    keys.write_text(keys.read_text() + "/absolute.mp4\n")
    out = run_cli(state, server.url, "plan", str(manifests))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    (line,) = [x for x in out.stderr.splitlines() if "keysFile" in x]
    assert line.startswith(str(manifests / "load.yaml") + ":")
    assert line.endswith("keys/load.txt:5: object key must not start with '/'")
