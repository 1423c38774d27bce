"""Refresh of N running jobs: the requests used and the wall time.

N real jobs are submitted with a real apply to an emulator at --latency-ms 0 --qps 0 whose jobs
run for an hour (--job-seconds 3600), persisting its data to a directory. The emulator is then
restarted on that data at each measured latency, and two refreshes are timed:

* ``status`` (workflow.job_status: track.refresh, IDs batched per describe call);
* ``plan`` (workflow.make_plan: observe's describes run concurrently, plus the template list).

Target: requests <= N / IDs-per-call + list pages.
Run:  .venv/bin/python bench/refresh.py [--jobs 10000] [--latencies 0,150]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ENV, Emulator, Timer, emulator, machine, table, write_manifests  # noqa: E402
from bench._state import submit_for_real  # noqa: E402
from reconciler.engine.observe import DESCRIBE_BATCH, TEMPLATE_PAGE  # noqa: E402
from reconciler.engine.workflow import Settings, job_status, make_plan  # noqa: E402
from reconciler.plan.planner import PlanOptions  # noqa: E402

HOUR = 3600


def measure(emu: Emulator, manifests: Path, state: Path) -> dict[str, Any]:
    settings = Settings(state_path=state, endpoint=emu.url, env=ENV)
    out: dict[str, Any] = {}
    emu.reset_stats()
    with Timer() as t:
        _, records = job_status([manifests], settings)
    out["status"] = (t.wall, emu.stats(), sum(1 for r in records.values() if not r.finished))
    emu.reset_stats()
    with Timer() as t:
        _, plan = make_plan([manifests], settings, PlanOptions())
    out["plan"] = (t.wall, emu.stats(), len(plan.refreshed))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--latencies", default="0,150")
    args = parser.parse_args()
    print(machine())
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        manifests = write_manifests(Path(tmp) / "m", args.jobs, per_batch=args.jobs)
        state = Path(tmp) / "state.json"
        with Timer() as t:
            submitted = submit_for_real(Path(tmp) / "data", manifests, state, job_seconds=HOUR)
        print(f"submitted {submitted:,} jobs in {t.wall:.1f} s (setup, not measured)")
        for latency in (float(x) for x in args.latencies.split(",")):
            opts = {
                "latency_ms": latency,
                "qps": 0,
                "job_seconds": HOUR,
                "data": str(Path(tmp) / "data"),
            }
            with emulator(**opts) as emu:  # type: ignore[arg-type]
                m = measure(emu, manifests, state)
            for flow, (wall, stats, seen) in m.items():
                ops = ", ".join(f"{k}: {v}" for k, v in sorted(stats.items()) if k != "total")
                rows.append([f"{latency:g}", flow, stats.get("total", 0), ops, wall, seen])
    budget = math.ceil(args.jobs / DESCRIBE_BATCH) + math.ceil(1 / TEMPLATE_PAGE)
    print(f"\n## Refresh of {args.jobs:,} running jobs ({DESCRIBE_BATCH} IDs per call; target "
          f"requests <= {budget} = {args.jobs:,}/{DESCRIBE_BATCH} + 1 list page)")  # fmt: skip
    print(
        table(
            [
                "latency ms",
                "flow",
                "requests",
                "by operation",
                "wall s",
                "unfinished (status) / refreshed (plan)",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
