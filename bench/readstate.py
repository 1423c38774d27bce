"""Read only: wall and peak RSS of ``LocalStateStore.read()`` at given sizes, and the cost of
walking the snapshot (``brief`` per key, all ``values()``).

The states are built once (bench/_state.py, as bench/scale.py does) under ``--dir`` and kept, so
the read can be measured again after a change without the minutes a million-job build takes.
Each read runs in a fresh child process: its peak RSS (``ru_maxrss``) is the read's alone.
Then, in the same child: a look-up per key (``brief`` when the snapshot has it, else ``get``),
one key-ordered walk (``briefs()``, else ``items()``) and a walk of ``values()``.

Run:  .venv/bin/python bench/readstate.py --sizes 100000,1000000 [--dir /tmp/bench-readstate]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, Timer, emulator, machine, peak_rss_mb, table  # noqa: E402


def child_read(state: Path) -> dict[str, Any]:
    from reconciler.state.local.store import LocalStateStore

    with Timer() as t:
        snap = LocalStateStore(state).read()
        jobs = snap.jobs
    out: dict[str, Any] = {"read": t.wall, "read_cpu": t.cpu, "jobs": len(jobs)}
    out["read_rss"] = peak_rss_mb()
    keys = list(jobs)
    with Timer() as t:  # the look-up a plan makes per desired job
        brief = getattr(jobs, "brief", None)
        if brief is not None:
            found = sum(1 for k in keys if brief(k) is not None)
        else:
            found = sum(1 for k in keys if jobs.get(k) is not None)
    out["lookups"], out["found"] = t.wall, found
    with Timer() as t:  # the same as one key-ordered walk (a merge join)
        briefs = getattr(jobs, "briefs", None)
        n = sum(1 for _ in briefs()) if briefs is not None else sum(1 for _ in jobs.items())
    out["walk_briefs"] = t.wall
    with Timer() as t:
        n = sum(1 for r in jobs.values() if r.state)
    out["walk_values"], out["walked"] = t.wall, n
    out["total_rss"] = peak_rss_mb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--dir", default="/tmp/bench-readstate")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_read(Path(args.child))))
        return
    print(machine())
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        work = Path(args.dir) / str(size)
        state = work / "state.json"
        if not state.exists():
            from bench._state import build

            work.mkdir(parents=True, exist_ok=True)
            with emulator(latency_ms=0, qps=0, job_seconds=1) as emu, Timer() as t:
                build(work, emu.url, size)
            print(f"built {size:,} in {t.wall:.0f} s", file=sys.stderr)
        cmd = [sys.executable, __file__, "--child", str(state)]
        r = json.loads(subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True).stdout)
        print(f"{size:,}: {r}", file=sys.stderr)
        rows.append([f"{size:,}", r["read"], r["read_cpu"], f"{r['read_rss']:.0f}", r["lookups"],
                     r["walk_briefs"], r["walk_values"], f"{r['total_rss']:.0f}"])  # fmt: skip
    heads = ["jobs", "read s", "read CPU s", "read RSS MB", "look-ups s", "briefs walk s",
             "values walk s", "total RSS MB"]  # fmt: skip
    print(table(heads, rows))


if __name__ == "__main__":
    main()
