"""The emulator killed and restarted (same port, same ``--data``) in the middle of an apply."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.helpers.checks import assert_exactly_once
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import ServedEmulator, cli_argv, cli_env, run_cli


def test_emulator_restarted_mid_apply_then_apply_recovers(tmp_path: Path) -> None:
    emulator = ServedEmulator(tmp_path / "data", **{"latency-ms": 3, "drop-after-commit-rate": 0.1})
    try:
        manifests = write_manifests(tmp_path / "m", 150)
        state = tmp_path / "state.json"
        first = subprocess.Popen(
            cli_argv(state, emulator.url, "apply", str(manifests), "--auto-approve", qps=60),
            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(1.2)
        assert first.poll() is None, "the apply must still be running when the emulator dies"
        emulator.kill()  # kill -9, mid-apply: some submits are cut, some committed unanswered
        time.sleep(0.5)
        emulator.start()
        out, err = first.communicate(timeout=180)
        assert first.returncode in (0, 1) and "Traceback" not in err, err
        print(f"\nfirst apply: exit {first.returncode}: {out.strip()[-400:]}")
        second = run_cli(state, emulator.url, "apply", str(manifests), "--auto-approve")
        assert second.returncode == 0, second.stderr
        assert_exactly_once(emulator.url, state, 150)
    finally:
        emulator.stop()
    assert "Traceback" not in emulator.stderr, emulator.stderr
