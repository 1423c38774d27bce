"""Helpers for CLI tests: the real CLI against the emulator served on a loopback port, in
process (click's CliRunner), in a subprocess, or in a subprocess on a pseudo-terminal (to test
what only happens on a terminal: prompts, colours)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.emulator.server import RunningServer
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from tests.helpers.identity import ENV, SECRET_ID, SECRET_KEY
from tests.helpers.manifests import BUCKET

PYTHON = [sys.executable, "-m", "reconciler"]


def cli_args(server: RunningServer, state: Path, *args: str) -> list[str]:
    return ["--endpoint", server.url, "--state", str(state), "--submit-qps", "200", *args]


def run(server: RunningServer, state: Path, *args: str, env: Mapping[str, str] = {}) -> Result:
    return CliRunner().invoke(
        cli, cli_args(server, state, *args), env={**ENV, "NO_COLOR": "1", **env}
    )


def invoke(*args: str, env: Mapping[str, str] = {}) -> Result:
    return CliRunner().invoke(cli, list(args), env={**ENV, "NO_COLOR": "1", **env})


def client(server: RunningServer) -> CIClient:
    return CIClient(BUCKET, "ap-chongqing", Credentials(SECRET_ID, SECRET_KEY), endpoint=server.url)


def seed(server: RunningServer, keys: Sequence[str]) -> None:
    with client(server) as c:
        for key in keys:
            c.put_object(key, b"video")


def job_count(server: RunningServer) -> int:
    from tests.helpers.checks import list_all_jobs

    with client(server) as c:
        return len(list_all_jobs(c))


def write_batches(directory: Path, batches: Mapping[str, int], count: int = 3) -> Path:
    """A target, a template and one batch per name with ``n`` objects each (in/<name>-i.mp4)."""
    directory.mkdir(parents=True, exist_ok=True)
    docs = [
        f"apiVersion: reconciler/v1\nkind: Target\nmetadata: {{name: load}}\n"
        f"spec: {{region: ap-chongqing, bucket: {BUCKET}}}\n",
        "apiVersion: reconciler/v1\nkind: SnapshotTemplate\nmetadata: {name: load-tpl}\n"
        f"spec: {{mode: Interval, timeInterval: 1, count: {count}, width: 320}}\n",
    ]
    for name, n in batches.items():
        objects = "".join(f"      - in/{name}-{i:04d}.mp4\n" for i in range(n))
        docs.append(
            f"apiVersion: reconciler/v1\nkind: SnapshotJobBatch\nmetadata: {{name: {name}}}\n"
            f"spec:\n  target: load\n  template: load-tpl\n  inputs:\n    objects:\n{objects}"
            "  output: {region: ap-chongqing, bucket: out-1250000000, "
            f'object: "out/{name}/{{stem}}/f-${{number}}.jpg"}}\n'
        )
    (directory / "load.yaml").write_text("---\n".join(docs))
    return directory


def subprocess_env(extra: Mapping[str, str] = {}) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, **ENV, **extra}


def default_sigint() -> None:
    """A child started from a background job inherits SIGINT ignored: give it the default, so
    Python turns SIGINT into KeyboardInterrupt as it does in a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_in_pty(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    answer: bytes | None = None,
    timeout: float = 60.0,
    preexec: Callable[[], None] | None = None,
) -> tuple[int, str]:
    """Run ``argv`` with stdin, stdout and stderr on a pseudo-terminal; type ``answer`` once the
    program is waiting for input. Returns the exit code and everything it wrote."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        list(argv), stdin=slave, stdout=slave, stderr=slave, env=dict(env), cwd=cwd,
        preexec_fn=preexec,
    )  # fmt: skip
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
                if answer is not None and b"approve" in out:
                    os.write(master, answer)
                    answer = None
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return code, out.decode(errors="replace")
