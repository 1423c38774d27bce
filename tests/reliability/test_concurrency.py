"""Three applies at once on one state; a lock left by a killed apply is detected and broken."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from reconciler.state.local.store import LocalStateStore
from tests.helpers.checks import assert_exactly_once
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import cli_argv, cli_env, run_cli

pytestmark = pytest.mark.emulator(latency_ms=10)


def start_apply(state: Path, url: str, manifests: Path, qps: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_argv(state, url, "apply", str(manifests), "--auto-approve", qps=qps),
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.005)


def test_three_applies_at_once_one_proceeds_others_name_it(
    tmp_path: Path, server: RunningServer
) -> None:
    manifests = write_manifests(tmp_path / "m", 100)
    state = tmp_path / "state.json"
    procs = [start_apply(state, server.url, manifests, qps=25) for _ in range(3)]
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        outcomes.append((p.pid, p.returncode, out, err))
    winners = [o for o in outcomes if o[1] == 0]
    losers = [o for o in outcomes if o[1] != 0]
    assert len(winners) >= 1, outcomes
    pids = {o[0] for o in outcomes}
    for pid, code, _, err in losers:
        assert code == 1 and "Traceback" not in err, err
        assert "is held by" in err, err
        holder = re.search(r"\(pid (\d+) on ", err)
        assert holder is not None, f"the message must name the holder: {err}"
        assert int(holder.group(1)) in pids - {pid}, err
    assert_exactly_once(server.url, state, 100)
    assert not (tmp_path / "state.json.lock.info").exists()


def test_lock_of_a_killed_apply_is_detected_and_broken(
    tmp_path: Path, server: RunningServer
) -> None:
    manifests = write_manifests(tmp_path / "m", 60)
    state = tmp_path / "state.json"
    info = tmp_path / "state.json.lock.info"
    holder = start_apply(state, server.url, manifests, qps=20)
    wait_for(info)
    record = json.loads(info.read_text())
    assert record["pid"] == holder.pid and record["command"] == "apply"

    live = run_cli(state, server.url, "force-unlock", record["lock_id"], "--force")
    assert live.returncode == 1 and "still running" in live.stderr, live.stderr
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    with pytest.raises(ProcessLookupError):
        os.kill(record["pid"], 0)
    assert json.loads(info.read_text()) == record, "kill -9 leaves the owner record behind"

    wrong = run_cli(state, server.url, "force-unlock", "not-the-id", "--force")
    assert wrong.returncode == 1 and "does not match" in wrong.stderr and info.exists()
    broken = run_cli(state, server.url, "force-unlock", record["lock_id"], "--force")
    assert broken.returncode == 0, broken.stderr
    assert f"Lock {record['lock_id']} removed." in broken.stdout and not info.exists()
    LocalStateStore(state).read()  # nothing corrupted: the state and its journal load

    done = run_cli(state, server.url, "apply", str(manifests), "--auto-approve")
    assert done.returncode == 0, done.stderr
    assert_exactly_once(server.url, state, 60)


def test_dead_holder_is_reported_by_the_next_apply(tmp_path: Path, server: RunningServer) -> None:
    manifests = write_manifests(tmp_path / "m", 60)
    state = tmp_path / "state.json"
    info = tmp_path / "state.json.lock.info"
    holder = start_apply(state, server.url, manifests, qps=20)
    wait_for(info)
    time.sleep(0.5)
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    record = json.loads(info.read_text())
    done = run_cli(state, server.url, "apply", str(manifests), "--auto-approve")
    assert done.returncode == 0, done.stderr
    assert f"previous holder pid {holder.pid}" in done.stderr, done.stderr
    assert f"died holding the state lock (lock id {record['lock_id']})" in done.stderr
    assert not info.exists()
    assert_exactly_once(server.url, state, 60)
