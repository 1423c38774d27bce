"""Look before the first submit: what the look-up costs in requests and wall time.

Against the served emulator (its own process), with N real jobs submitted by a real apply
(setup, not measured) to an emulator persisting to a directory, then restarted on that data at
each measured latency:

* (a) an intact state recording the N jobs, all finished, nothing to do: ``make_plan`` must not
  list jobs at all (1-2 requests, as before the look-up existed);
* (b) a new state (another directory) over the bucket holding the N recent marked jobs: one
  ``GET /jobs`` page of 100 per 100 jobs, every job adopted, none submitted;
* (c) a new state over an empty bucket (a fresh emulator): one empty ``GET /jobs`` page.

Run:  .venv/bin/python bench/lookup.py [--jobs 10000] [--latencies 0,150]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ENV, Emulator, Timer, emulator, machine, table, write_manifests  # noqa: E402
from bench._state import submit_for_real  # noqa: E402
from reconciler.engine.workflow import Settings, make_plan  # noqa: E402
from reconciler.plan.jobactions import kind_counts  # noqa: E402
from reconciler.plan.planner import PlanOptions  # noqa: E402


def measure(emu: Emulator, manifests: Path, state: Path) -> list[Any]:
    """Requests (total and GET /jobs), wall, and what the plan decided."""
    settings = Settings(state_path=state, endpoint=emu.url, env=ENV)
    emu.reset_stats()
    with Timer() as t:
        _, plan = make_plan([manifests], settings, PlanOptions())
    stats = emu.stats()
    kinds = kind_counts(plan.jobs)
    decided = ", ".join(f"{k}: {v:,}" for k, v in sorted(kinds.items()))
    return [stats.get("total", 0), stats.get("GET /jobs", 0), t.wall, t.cpu, decided]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--latencies", default="0,150")
    args = parser.parse_args()
    print(machine())
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-lookup-") as tmp:
        work = Path(tmp)
        manifests = write_manifests(work / "m", args.jobs, per_batch=args.jobs)
        with Timer() as t:
            submitted = submit_for_real(
                work / "data", manifests, work / "intact.json", job_seconds=1
            )
        print(f"submitted {submitted:,} jobs in {t.wall:.1f} s (setup, not measured)")
        for n, latency in enumerate(float(x) for x in args.latencies.split(",")):
            opts = {"latency_ms": latency, "qps": 0, "job_seconds": 1}
            with emulator(**opts, data=str(work / "data")) as emu:  # type: ignore[arg-type]
                case_a = measure(emu, manifests, work / "intact.json")
                case_b = measure(emu, manifests, work / f"new-{n}" / "state.json")
            with emulator(**opts) as empty:  # type: ignore[arg-type]
                case_c = measure(empty, manifests, work / f"empty-{n}" / "state.json")
            rows.append([f"{latency:g}", "(a) intact state, all finished", *case_a])
            rows.append([f"{latency:g}", f"(b) new state, {args.jobs:,} marked jobs", *case_b])
            rows.append([f"{latency:g}", "(c) new state, empty bucket", *case_c])
    print(f"\n## Look-up before submitting: {args.jobs:,} jobs in the manifests (make_plan)")
    headers = ["latency ms", "case", "requests", "of them GET /jobs", "wall s", "client CPU s",
               "plan"]  # fmt: skip
    print(table(headers, rows))


if __name__ == "__main__":
    main()
