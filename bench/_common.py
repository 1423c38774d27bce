"""Shared pieces of the benchmarks: a served emulator in its own process, manifests, tables.

The emulator runs as ``python -m reconciler emulator serve`` in a separate process so that the
CPU time measured in the bench process is the client's alone (the emulator's XML, SQLite and
signature checks are not ours to count). Figures are printed, never asserted.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SECRET_ID = "AKIDbenchIdentity000000000000000000"
SECRET_KEY = "benchSecretKeyNeverPrinted012345"
ENV = {"TENCENTCLOUD_SECRET_ID": SECRET_ID, "TENCENTCLOUD_SECRET_KEY": SECRET_KEY}
BUCKET = "bench-1250000000"
REGION = "ap-chongqing"
OUT_BUCKET = "out-1250000000"
ROOT = Path(__file__).resolve().parent.parent


class Emulator:
    """A served emulator process; ``stats()`` are its per-operation request counters."""

    def __init__(self, **options: float) -> None:
        args = [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0"]
        for name, value in options.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        env = {**os.environ, **ENV}
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True
        )  # its stderr only says "interrupted" when we stop it
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if "http://" not in line:
            self.stop()
            raise SystemExit(f"emulator did not start: {line!r}")
        self.url = line[line.index("http://") :]

    def _control(self, method: str, path: str) -> Any:
        req = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as reply:
            return json.loads(reply.read() or b"{}")

    def stats(self) -> dict[str, int]:
        return dict(self._control("GET", "/_emulator/stats"))

    def reset_stats(self) -> None:
        self._control("POST", "/_emulator/reset-stats")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextmanager
def emulator(**options: float) -> Iterator[Emulator]:
    running = Emulator(**options)
    try:
        yield running
    finally:
        running.stop()


def target_yaml() -> str:
    return f"""apiVersion: reconciler/v1
kind: Target
metadata: {{name: bench}}
spec: {{region: {REGION}, bucket: {BUCKET}}}
"""


def template_yaml(name: str, width: int) -> str:
    return f"""---
apiVersion: reconciler/v1
kind: SnapshotTemplate
metadata: {{name: {name}}}
spec: {{mode: Interval, timeInterval: 1, count: 3, width: {width}}}
"""


def _batch(name: str, template: str, inputs: str) -> str:
    """A batch manifest whose ``spec.inputs`` body is ``inputs`` (already indented)."""
    return f"""---
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {{name: {name}}}
spec:
  template: {template}
  inputs:
{inputs}
  output: {{region: {REGION}, bucket: {OUT_BUCKET}, object: "{name}/{{stem}}/f-${{number}}.jpg"}}
"""


def batch_yaml(name: str, template: str, objects: Sequence[str]) -> str:
    listed = "\n".join(f"      - {o}" for o in objects)
    return _batch(name, template, f"    objects:\n{listed}")


def keyfile_batch_yaml(name: str, template: str, keys_file: str) -> str:
    """A batch taking its inputs from a gzip key-list file beside the manifest."""
    return _batch(name, template, f"    keysFile: {keys_file}")


def write_manifests(
    directory: Path,
    jobs: int,
    *,
    templates: int = 1,
    per_batch: int = 10_000,
    tag: str = "b",
    key_files: bool = False,
) -> Path:
    """One target, ``templates`` templates and ``jobs`` jobs in batches of ``per_batch``
    (one file per batch: a manifest file is capped at 4 MB). With ``key_files`` each batch
    lists its inputs in a gzip key file (``keys/<batch>.txt.gz``) instead of in the YAML."""
    directory.mkdir(parents=True, exist_ok=True)
    names = [f"tpl-{i:02d}" for i in range(templates)]
    text = target_yaml() + "".join(template_yaml(n, 320 + 2 * i) for i, n in enumerate(names))
    (directory / "00-target.yaml").write_text(text)
    for b, start in enumerate(range(0, jobs, per_batch)):
        objects = [
            f"in/{tag}{b:03d}/video-{i:06d}.mp4" for i in range(start, min(jobs, start + per_batch))
        ]
        name = f"{tag}{b:03d}"
        if key_files:
            (directory / "keys").mkdir(exist_ok=True)
            text = "".join(f"{o}\n" for o in objects).encode()
            (directory / "keys" / f"{name}.txt.gz").write_bytes(gzip.compress(text, 3))
            yaml_text = keyfile_batch_yaml(name, names[b % templates], f"keys/{name}.txt.gz")
        else:
            yaml_text = batch_yaml(name, names[b % templates], objects)
        (directory / f"batch-{b:03d}.yaml").write_text(yaml_text)
    return directory


def peak_rss_mb() -> float:
    """Peak resident set of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    return f"# {when}  nproc={os.cpu_count()}  cpu={cpu}  python={platform.python_version()}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain Markdown table (pastes straight into bench/README.md)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class Timer:
    """Wall and process CPU seconds of a block."""

    def __enter__(self) -> Timer:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
