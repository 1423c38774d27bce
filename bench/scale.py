"""Scale: a state of N finished jobs, local and on COS (emulator): read, no-op plan and apply,
and a run that records 1,000 new jobs; wall, peak RSS and bytes written.

Each size is built in one child process (bench/_state.py, then ``state push`` of that file to
COS) and each measurement runs in a fresh one, so the peak RSS reported
(``getrusage(RUSAGE_SELF).ru_maxrss``) is that of the measured work alone:

* read:  a child that only reads the state (``StateStore.read()``: header, segments, journal);
  its peak RSS is the state's own cost ("read RSS");
* plan:  ``make_plan`` with nothing to do (manifest load + read + observe + build_plan);
* apply: ``apply_manifests`` with nothing to do (lock, load, plan, close);
* run:   open the writer, record 1,000 new jobs (``put_jobs`` in groups of 100, as apply's
  workers do), close. "run bytes" = what that run wrote: locally the journal at its peak plus
  every file created or replaced (segment, header, backup link); on COS every PUT body (journal
  chunks, segment, header, lease generations), counted on the client.

Targets (issue 16): at 1,000,000 jobs the no-op plan <= 15 s and <= 400 MB; the run writes in
proportion to its 1,000 jobs; the time ratio 1M/100k <= 11.
Inputs: each of the 20 batches lists its keys in a gzip key file (``--inputs keys``, the way
docs/inputs.md recommends for large batches) or in the YAML itself (``--inputs yaml``, what
this bench measured before key files existed; a million keys in YAML take longer to parse than
the whole no-op plan's budget).
The plan is measured ``--repeat`` times per size and backend, in rounds over all of them (this
VM's CPU speed drifts by 15-30 % within minutes): the tables show the median and the highest
peak RSS, and a last table every wall.
Run:  .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--backends local,cos]
      [--inputs keys|yaml] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    BUCKET,
    ENV,
    REGION,
    ROOT,
    Timer,
    emulator,
    machine,
    peak_rss_mb,
    table,
)

STEPS = ("read", "plan", "apply", "run")
NEW_JOBS = 1000


def _settings(workdir: Path, url: str, backend: str) -> Any:
    from reconciler.engine.workflow import Settings
    from reconciler.model.location import CosState

    if backend == "local":
        return Settings(state_path=workdir / "state.json", endpoint=url, env=ENV)
    where = CosState(BUCKET, REGION, f"bench/{workdir.name}/state.json", url)
    return Settings(state_backend=where, endpoint=url, env=ENV)


def child_build(workdir: Path, url: str, jobs: int, inputs: str) -> None:
    from bench._state import build
    from reconciler.state.transfer import push

    build(workdir, url, jobs, key_files=inputs == "keys")
    with _settings(workdir, url, "cos").state() as store:
        push(store, workdir / "state.json")


def child_read(workdir: Path, url: str, backend: str) -> dict[str, Any]:
    with _settings(workdir, url, backend).state() as store:
        with Timer() as t:
            jobs = len(store.read().jobs)
    return {"read": t.wall, "jobs": jobs, "read_rss": peak_rss_mb()}


class _Counting:
    """The COS client, counting the bytes of every object it creates."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.put_bytes = 0

    def create_object(self, key: str, data: bytes, content_type: str | None = None) -> Any:
        self.put_bytes += len(data)
        return self.client.create_object(key, data, content_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def _files(directory: Path) -> dict[Path, tuple[int, int, int]]:
    return {
        p: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in directory.rglob("*") if p.is_file()
    }  # fmt: skip


def _new_records(start: int) -> list[Any]:
    from reconciler.model.records import JobRecord

    stamp = "2026-01-01T00:00:00Z"
    return [
        JobRecord("extra", f"in/extra/{i:07d}.mp4", "bench", f"{i:064x}", f"rcn-{i:024x}",
                  "Success", stamp, f"e{i:031x}", stamp, stamp, outputs=(f"extra/{i}/f-0.jpg",))
        for i in range(start, start + NEW_JOBS)
    ]  # fmt: skip


def _run(store: Any) -> None:
    records = _new_records(0)
    with store.open(command="bench") as writer:
        for start in range(0, NEW_JOBS, 100):
            writer.put_jobs(records[start : start + 100])
        journal = getattr(store, "journal_path", None)
        _run.journal = journal.stat().st_size if journal else 0  # type: ignore[attr-defined]


def run_new_jobs(workdir: Path, url: str, backend: str) -> int:
    """Record 1,000 new jobs in one writer session; returns the bytes it wrote."""
    if backend == "local":
        from reconciler.state.local.store import LocalStateStore

        before = _files(workdir)
        _run(LocalStateStore(workdir / "state.json"))
        after = _files(workdir)
        changed = sum(v[2] for p, v in after.items() if before.get(p, v[:2]) != v)
        return changed + _run.journal  # type: ignore[attr-defined,no-any-return]
    from reconciler.state.cos.store import CosStateStore

    with _settings(workdir, url, backend).state() as store:
        assert isinstance(store, CosStateStore)
        counting = _Counting(store.objects)
        _run(CosStateStore(counting, store.key, name=store.name, lease_seconds=60))  # type: ignore[arg-type]
        return counting.put_bytes


def child_plan(workdir: Path, url: str, backend: str) -> dict[str, Any]:
    """The no-op plan alone, so its peak RSS is its own (the issue's 400 MB target)."""
    from reconciler.engine.workflow import make_plan
    from reconciler.plan.planner import PlanOptions

    settings = _settings(workdir, url, backend)
    with Timer() as t:
        _, plan = make_plan([workdir / "m"], settings, PlanOptions())
    return {"plan": t.wall, "plan_cpu": t.cpu, "changes": plan.changes, "plan_rss": peak_rss_mb()}


def child_measure(workdir: Path, url: str, backend: str) -> dict[str, Any]:
    """The no-op apply (lock, writer, plan, close), then the 1,000-job run."""
    from reconciler.engine.workflow import apply_manifests
    from reconciler.plan.planner import PlanOptions

    settings = _settings(workdir, url, backend)
    out: dict[str, Any] = {}
    with Timer() as t:
        apply_manifests([workdir / "m"], settings, PlanOptions(), approve=lambda p: True)
    out["apply"] = t.wall
    out["rss_mb"] = peak_rss_mb()
    with Timer() as t:
        out["run_bytes"] = run_new_jobs(workdir, url, backend)
    out["run"] = t.wall
    return out


def run_child(*args: str) -> str:
    cmd = [sys.executable, __file__, *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def _state_bytes(workdir: Path) -> int:
    return sum(p.stat().st_size for p in workdir.glob("state.json*") if p.is_file()) + sum(
        p.stat().st_size for p in (workdir / "state.json.d").glob("*")
    )


def measure_all(
    sizes: list[int], backends: list[str], inputs: str, repeat: int = 1
) -> dict[tuple[int, str], dict[str, Any]]:
    """Build every size, then plan ``repeat`` times in rounds over every size and backend (so
    a drift of the machine's speed hits each alike), then read, apply and run once each."""
    results: dict[tuple[int, str], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        with emulator(latency_ms=0, qps=0, job_seconds=1) as emu:
            works = {size: Path(tmp) / str(size) for size in sizes}
            for size, work in works.items():
                work.mkdir()
                with Timer() as t:
                    run_child(
                        "--child", "build", str(work), emu.url, "--jobs", str(size),
                        "--inputs", inputs,
                    )  # fmt: skip
                print(f"built {size:,} in {t.wall:.0f} s", file=sys.stderr)
            plans: dict[tuple[int, str], list[dict[str, Any]]] = {}
            for _ in range(repeat):
                for size, work in works.items():
                    for backend in backends:
                        out = run_child("--child", "plan", str(work), emu.url, backend)
                        plans.setdefault((size, backend), []).append(json.loads(out))
            for size, work in works.items():
                for backend in backends:
                    r = json.loads(run_child("--child", "read", str(work), emu.url, backend))
                    r.update(_summary(plans[(size, backend)]))
                    r.update(
                        json.loads(run_child("--child", "measure", str(work), emu.url, backend))
                    )
                    r["bytes"] = _state_bytes(work)
                    results[(size, backend)] = r
                    print(f"{size:,} {backend}: {r}", file=sys.stderr)
    return results


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median plan (wall and CPU), the highest peak RSS, and every wall."""
    walls = sorted(r["plan"] for r in runs)
    return {
        "plan": statistics.median(walls),
        "plan_cpu": statistics.median(r["plan_cpu"] for r in runs),
        "plan_rss": max(r["plan_rss"] for r in runs),
        "changes": max(r["changes"] for r in runs),
        "plans": walls,
    }


def report(results: dict[tuple[int, str], dict[str, Any]]) -> None:
    rows = [
        [f"{size:,}", backend, f"{r['bytes'] / 1e6:.1f}", *(r[s] for s in STEPS), r["plan_cpu"],
         f"{r['read_rss']:.0f}", f"{r['plan_rss']:.0f}", f"{r['rss_mb']:.0f}",
         f"{r['run_bytes'] / 1e3:.0f}", r["changes"]]
        for (size, backend), r in results.items()
    ]  # fmt: skip
    print("\n## Scale: read, no-op plan, no-op apply, 1,000-job run (s); peak RSS; bytes")
    heads = ["jobs", "backend", "local state MB", *STEPS, "plan CPU", "read RSS MB",
             "plan RSS MB", "apply+run RSS MB"]  # fmt: skip
    print(table([*heads, "run kB written", "changes"], rows))
    sizes = sorted({s for s, _ in results})
    for backend in sorted({b for _, b in results}):
        if len(sizes) >= 2:
            small, big = results[(sizes[-2], backend)], results[(sizes[-1], backend)]
            ratios = [[s, big[s] / small[s]] for s in STEPS]
            print(f"\n## {backend}: time ratio {sizes[-1]:,}/{sizes[-2]:,}")
            print(table(["step", "ratio"], ratios))
    if any(len(r["plans"]) > 1 for r in results.values()):
        print("\n## Every no-op plan (s, sorted; the tables show the median, RSS the highest)")
        rows = [[f"{size:,}", backend, ", ".join(f"{w:.2f}" for w in r["plans"])]
                for (size, backend), r in results.items()]  # fmt: skip
        print(table(["jobs", "backend", "plan walls"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="local,cos")
    parser.add_argument(
        "--inputs",
        choices=("keys", "yaml"),
        default="keys",
        help="batches list their inputs in gzip key files (default) or in the YAML itself",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="no-op plans per size and backend (median shown)"
    )
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DIR", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("backend", nargs="?", default="local", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, directory, url = args.child
        if mode == "build":
            child_build(Path(directory), url, args.jobs, args.inputs)
        elif mode == "read":
            print(json.dumps(child_read(Path(directory), url, args.backend)))
        elif mode == "plan":
            print(json.dumps(child_plan(Path(directory), url, args.backend)))
        else:
            print(json.dumps(child_measure(Path(directory), url, args.backend)))
        return
    print(machine(), f"pid {os.getpid()}", f"inputs: {args.inputs}")
    sizes = [int(s) for s in args.sizes.split(",")]
    report(measure_all(sizes, args.backends.split(","), args.inputs, args.repeat))


if __name__ == "__main__":
    main()
