"""Scale: load, no-op plan and save of a state with 10,000 and 100,000 jobs; wall and peak RSS.

Each size is built in one child process (bench/_state.py) and measured in a fresh one, so the
peak RSS reported (``getrusage(RUSAGE_SELF).ru_maxrss``) is that of the measured work alone.
Steps measured, in order, in the measuring process:

* load:  ``LocalStateStore.read()`` (unlocked read: parse + validate every record);
* plan:  ``make_plan`` with nothing to do (manifest load + read + observe + build_plan);
* apply: ``apply_manifests`` with nothing to do (lock, load, plan, close: what ``apply`` costs
  when the answer is "No changes");
* save:  open the writer, change one record, close (the compaction rewrites the whole file).

Target: peak RSS <= 300 MB at 100,000 jobs; time ratio 100k/10k <= 12 (linear).
Run (takes about two minutes; the 100k build is most of it):
    .venv/bin/python bench/scale.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ENV, ROOT, Timer, emulator, machine, peak_rss_mb, table  # noqa: E402

STEPS = ("load", "plan", "apply", "save")


def child_build(workdir: Path, url: str, jobs: int) -> None:
    from bench._state import build

    build(workdir, url, jobs)


def child_measure(workdir: Path, url: str) -> dict[str, Any]:
    from reconciler.engine.workflow import Settings, apply_manifests, make_plan
    from reconciler.plan.planner import PlanOptions
    from reconciler.state.local.store import LocalStateStore

    settings = Settings(state_path=workdir / "state.json", endpoint=url, env=ENV)
    store = LocalStateStore(workdir / "state.json")
    out: dict[str, Any] = {"bytes": store.path.stat().st_size}
    with Timer() as t:
        jobs = len(store.read().jobs)
    out["load"], out["jobs"] = t.wall, jobs
    with Timer() as t:
        _, plan = make_plan([workdir / "m"], settings, PlanOptions())
    out["plan"], out["changes"] = t.wall, plan.changes
    del plan
    with Timer() as t:
        apply_manifests([workdir / "m"], settings, PlanOptions(), approve=lambda p: True)
    out["apply"] = t.wall
    with Timer() as t:
        with store.open(command="bench") as writer:
            key = next(iter(writer.snapshot.jobs))
            rec = writer.job(*key)
            assert rec is not None
            writer.put_job(dataclasses.replace(rec, message="touched"))
    out["save"] = t.wall
    out["rss_mb"] = peak_rss_mb()
    return out


def run_child(*args: str) -> str:
    cmd = [sys.executable, __file__, *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DIR", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, directory, url = args.child
        if mode == "build":
            child_build(Path(directory), url, args.jobs)
        else:
            print(json.dumps(child_measure(Path(directory), url)))
        return
    print(machine())
    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        with emulator(latency_ms=0, qps=0, job_seconds=1) as emu:
            for size in (int(s) for s in args.sizes.split(",")):
                work = Path(tmp) / str(size)
                work.mkdir()
                run_child("--child", "build", str(work), emu.url, "--jobs", str(size))
                results[size] = json.loads(run_child("--child", "measure", str(work), emu.url))
    rows = []
    for size, r in results.items():
        total = sum(r[s] for s in STEPS)
        rows.append([
            f"{size:,}", f"{r['bytes'] / 1e6:.1f}", *(r[s] for s in STEPS), total,
            r["changes"], f"{r['rss_mb']:.0f}",
        ])  # fmt: skip
    print("\n## Scale: load, no-op plan, no-op apply, save (s); peak RSS of the measuring process")
    print(table(["jobs", "state MB", *STEPS, "total", "changes", "peak RSS MB"], rows))
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, big = results[sizes[0]], results[sizes[-1]]
        ratios = [[s, big[s] / small[s]] for s in (*STEPS,)]
        ratios.append(["total", sum(big[s] for s in STEPS) / sum(small[s] for s in STEPS)])
        print(f"\n## Time ratio {sizes[-1]:,}/{sizes[0]:,} (target <= 12)")
        print(table(["step", "ratio"], ratios))


if __name__ == "__main__":
    main()
