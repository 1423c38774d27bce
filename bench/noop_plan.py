"""A plan with nothing to do: N jobs recorded as finished, 20 templates, all up to date.

The state is built by bench/_state.py (templates by a real apply, job records by the planner's
own expansion written through LocalStateWriter.put_jobs). Then, against the served emulator
(--latency-ms 0 by default):

* ``make_plan`` in this process (manifest load + unlocked state read + observe + build_plan),
  wall time and the HTTP requests the emulator counted, with a per-phase breakdown;
* ``reconciler plan`` as a separate process (what a user waits for, Python start-up included).

Target: requests <= template list pages + 1, wall <= 2 s for 10,000 jobs.

Run:  .venv/bin/python bench/noop_plan.py [--jobs 10000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ENV, ROOT, Emulator, Timer, emulator, machine, table  # noqa: E402
from bench._state import build  # noqa: E402
from reconciler import manifest  # noqa: E402
from reconciler.engine.observe import TEMPLATE_PAGE, observe  # noqa: E402
from reconciler.engine.spool import spool_directory  # noqa: E402
from reconciler.engine.workflow import Settings, make_plan, open_connections, state_ref  # noqa: E402
from reconciler.plan.planner import PlanOptions, build_plan  # noqa: E402
from reconciler.state.local.store import LocalStateStore  # noqa: E402

TEMPLATES = 20


def phases(manifests: Path, state: Path, settings: Settings) -> dict[str, float]:
    """The same work as make_plan, timed step by step."""
    out: dict[str, float] = {}
    with Timer() as t:
        desired = manifest.load([manifests])
    out["manifest load"] = t.wall
    with Timer() as t:
        snapshot = LocalStateStore(state).read()
    out["state read"] = t.wall
    with open_connections(desired, settings) as conns, spool_directory() as spool:
        with Timer() as t:
            observed = observe(desired, snapshot.jobs.values(), conns.clients, spool=spool)
        out["observe (HTTP)"] = t.wall
        with Timer() as t:
            ref = state_ref(snapshot)
        out["state digest"] = t.wall
        with Timer() as t:
            build_plan(desired, snapshot.templates, snapshot.jobs, observed, ref, PlanOptions())
        out["build_plan"] = t.wall
    return out


def measure(emu: Emulator, manifests: Path, state: Path) -> dict[str, Any]:
    settings = Settings(state_path=state, endpoint=emu.url, env=ENV)
    make_plan([manifests], settings, PlanOptions())  # warm imports and caches once
    emu.reset_stats()
    with Timer() as t:
        _, plan = make_plan([manifests], settings, PlanOptions())
    stats = emu.stats()
    cli = [
        sys.executable, "-m", "reconciler", "--endpoint", emu.url, "--state", str(state),
        "-q", "plan", str(manifests),
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(cli, env={**ENV, "PATH": ""}, cwd=ROOT, capture_output=True, check=False)
    cli_wall = time.perf_counter() - start
    return {
        "wall": t.wall,
        "cpu": t.cpu,
        "cli_wall": cli_wall,
        "cli_exit": done.returncode,
        "changes": plan.changes,
        "jobs": len(plan.jobs),
        "requests": stats.get("total", 0),
        "stats": {k: v for k, v in stats.items() if k != "total"},
        "phases": phases(manifests, state, settings),
    }


def report(jobs: int, m: dict[str, Any]) -> None:
    pages = max(1, math.ceil(TEMPLATES / TEMPLATE_PAGE))
    print(f"\n## No-op plan: {jobs:,} finished jobs, {TEMPLATES} templates")
    rows: list[list[object]] = [
        ["jobs in plan / changes", f"{m['jobs']:,} / {m['changes']}"],
        ["HTTP requests", m["requests"]],
        ["  by operation", ", ".join(f"{k}: {v}" for k, v in sorted(m["stats"].items()))],
        [f"target: template list pages ({pages}) + 1", pages + 1],
        ["make_plan wall (s, target <= 2)", m["wall"]],
        ["make_plan CPU (s)", m["cpu"]],
        [f"`reconciler plan` process wall (s; exit {m['cli_exit']})", m["cli_wall"]],
    ]
    rows += [[f"  phase: {k} (s)", v] for k, v in m["phases"].items()]
    print(table(["figure", "value"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-noop-") as tmp:
        with emulator(latency_ms=args.latency_ms, qps=0, job_seconds=1) as emu:
            manifests = build(Path(tmp), emu.url, args.jobs, TEMPLATES)
            report(args.jobs, measure(emu, manifests, Path(tmp) / "state.json"))


if __name__ == "__main__":
    main()
