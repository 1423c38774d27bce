"""Inputs that scale: loading a key-list file and listing a prefix, at 100,000 and 1,000,000 keys.

Each measurement runs in a fresh child process, so its peak RSS (``VmHWM``) is that of the
measured work alone; the RSS after imports (before the work) is printed beside it.

* ``keys``: ``manifest.load`` of one batch whose ``inputs.keysFile`` holds N keys (plain and gzip):
  streaming, checking every key, the digest.
* ``listing``: ``engine.spool.list_prefix`` of N objects served by the emulator (1,000 per
  page), spooled to a temporary file as the pages arrive; then the same followed by the
  planner's walk over it (``plan.expand.batch_inputs``, streamed); and, for comparison, a
  listing held in memory (a tuple of ``ObjectInfo``, one per object). The objects are
  inserted straight into the emulator's SQLite file before it is served: a million PUTs over HTTP
  would take the better part of an hour and measure the emulator.

Printed, never asserted. Run (about 5 minutes on 2 cores):
    .venv/bin/python bench/inputs.py [--sizes 100000,1000000] [--only keys|listing]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    BUCKET,
    ENV,
    OUT_BUCKET,
    REGION,
    ROOT,
    Timer,
    emulator,
    machine,
    table,
    target_yaml,
)

PREFIX = "library/"


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc (Linux).

    Not ``getrusage``: Linux carries ``ru_maxrss`` across ``exec``, so a child would report its
    parent's peak when that is higher. ``VmHWM`` belongs to the process image and starts afresh.
    """
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def key_of(i: int) -> str:
    return f"{PREFIX}{i % 997:03d}/season-{i % 13:02d}/episode-{i:07d}.mp4"


def write_key_batch(directory: Path, size: int, gz: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    name = "keys.txt.gz" if gz else "keys.txt"
    opener = gzip.open if gz else open
    with opener(
        directory / name, "wt", encoding="utf-8"
    ) as out:  # streamed: the parent stays small
        for i in range(size):
            out.write(key_of(i) + "\n")
    (directory / "m.yaml").write_text(
        target_yaml()
        + f"""---
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {{name: bulk}}
spec:
  snapshot: {{count: 1}}
  inputs: {{keysFile: {name}}}
  output: {{region: {REGION}, bucket: {OUT_BUCKET}, object: "f/{{path}}.jpg"}}
"""
    )
    return directory / "m.yaml"


def seed_objects(data_dir: Path, size: int) -> None:
    """``size`` objects under PREFIX in the emulator's data file (its own table layout)."""
    from reconciler.emulator.store import Store

    Store(str(data_dir))  # creates the file with the emulator's schema
    db = sqlite3.connect(data_dir / "emulator.sqlite3")
    now = time.time()
    rows = (
        (BUCKET, key_of(i), b"", hashlib.md5(str(i).encode()).hexdigest(), "video/mp4", now, "[]")
        for i in range(size)
    )
    with db:
        db.executemany("INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.close()


def child_keys(manifest: str) -> dict[str, Any]:
    from reconciler import manifest as manifests

    base = memory_mb()[0]
    with Timer() as t:
        desired = manifests.load([manifest])
    keys = len(desired.batches["bulk"].inputs.file_keys)
    return {"keys": keys, "wall": t.wall, "cpu": t.cpu, "base_mb": base, "rss_mb": memory_mb()[1]}


def child_listing(url: str, mode: str) -> dict[str, Any]:
    from reconciler.engine.spool import list_prefix, spool_directory
    from reconciler.model import BatchSpec, InputSelector, ObjectInfo, OutputSpec
    from reconciler.plan.expand import batch_inputs
    from reconciler.remote.client import CIClient
    from reconciler.remote.credentials import Credentials

    creds = Credentials(ENV["TENCENTCLOUD_SECRET_ID"], ENV["TENCENTCLOUD_SECRET_KEY"])
    batch = BatchSpec(
        "bulk", "t", InputSelector(prefix=PREFIX), OutputSpec(REGION, OUT_BUCKET, "f/{path}")
    )
    with CIClient(BUCKET, REGION, creds, endpoint=url) as client, spool_directory() as spool:
        base = memory_mb()[0]
        with Timer() as t:
            if mode == "spooled":
                held: Any = list_prefix(client, PREFIX, spool)
            elif mode == "inputs":  # spooled, then walked by the planner's batch_inputs
                listed = list_prefix(client, PREFIX, spool)
                held = range(sum(1 for _ in batch_inputs(batch, listed)))
            else:  # as long ago: every ObjectInfo of every page kept in one tuple
                found: list[ObjectInfo] = []
                marker = ""
                while True:
                    page = client.list_objects(prefix=PREFIX, marker=marker)
                    found.extend(page.objects)
                    if not page.is_truncated:
                        break
                    marker = page.next_marker or page.objects[-1].key
                held = tuple(found)
    return {
        "keys": len(held),
        "wall": t.wall,
        "cpu": t.cpu,
        "base_mb": base,
        "rss_mb": memory_mb()[1],
    }


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def row(label: str, size: int, r: dict[str, Any]) -> list[object]:
    return [label, f"{size:,}", r["keys"], r["wall"], r["cpu"], f"{r['base_mb']:.0f}",
            f"{r['rss_mb']:.0f}", f"{r['rss_mb'] - r['base_mb']:.0f}"]  # fmt: skip


HEADERS = [
    "what",
    "size",
    "keys",
    "wall s",
    "cpu s",
    "RSS after imports MB",
    "peak RSS MB",
    "delta MB",
]


def bench_keys(sizes: list[int], tmp: Path) -> dict[tuple[str, int], dict[str, Any]]:
    out = {}
    for size in sizes:
        for gz in (False, True):
            label = "keysFile .gz" if gz else "keysFile"
            manifest = write_key_batch(tmp / f"keys-{size}-{gz}", size, gz)
            out[(label, size)] = run_child("keys", str(manifest))
    return out


MODES = {
    "spooled": "listing (spooled to a file)",
    "inputs": "listing + batch_inputs",
    "objectinfo": "listing (ObjectInfo in memory)",
}


def bench_listing(sizes: list[int], tmp: Path) -> dict[tuple[str, int], dict[str, Any]]:
    out = {}
    for size in sizes:
        data = tmp / f"emulator-{size}"
        seed_objects(data, size)
        with emulator(latency_ms=0, qps=0, data=str(data)) as emu:  # type: ignore[arg-type]
            for mode, label in MODES.items():
                out[(label, size)] = run_child("listing", emu.url, mode)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--only", choices=("keys", "listing"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, *rest = args.child
        result = child_keys(rest[0]) if what == "keys" else child_listing(rest[0], rest[1])
        print(json.dumps(result))
        return
    print(machine())
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-inputs-") as tmp:
        if args.only in (None, "keys"):
            results.update(bench_keys(sizes, Path(tmp)))
        if args.only in (None, "listing"):
            results.update(bench_listing(sizes, Path(tmp)))
    print("\n## Inputs: load a key file / list a prefix (each in a fresh process)")
    print(table(HEADERS, [row(label, size, r) for (label, size), r in results.items()]))
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        labels = dict.fromkeys(label for label, _ in results)
        ratios = [
            [label, results[(label, big)]["wall"] / results[(label, small)]["wall"],
             (results[(label, big)]["rss_mb"] - results[(label, big)]["base_mb"])
             / max(1.0, results[(label, small)]["rss_mb"] - results[(label, small)]["base_mb"])]
            for label in labels
        ]  # fmt: skip
        print(f"\n## Ratio {big:,}/{small:,}")
        print(table(["what", "time ratio", "memory (delta) ratio"], ratios))


if __name__ == "__main__":
    main()
