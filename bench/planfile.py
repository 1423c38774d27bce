"""Saved plans of 100,000 and 1,000,000 job actions: write, print, show, apply; wall and peak RSS.

Each step runs in its own child process, and its peak RSS is that child's alone (``os.wait4``).
The plan is 20 new templates and N new jobs over 20 batches. Its jobs are generated as they are
written (a lazy ``Plan.jobs``), so building it holds no more than writing it does:

* write:   ``write_plan`` (what ``plan --out`` does after planning), streamed to the file;
* --json:  the same lines streamed to /dev/null (what ``plan --json`` prints);
* show:    ``reconciler show FILE`` (checks the seal, renders text: counts and samples);
* apply:   ``reconciler -q apply FILE --limit 1`` on a served emulator with a new state: the
           seal, the staleness check (pins), the rescan, the 20 templates created, 1 job
           submitted and every other action read and left for later by the Applier;
* load whole (for comparison): ``list(read_plan(FILE).jobs)``, what holding every action costs.

Run:  .venv/bin/python bench/planfile.py [--jobs 100000 1000000] [--no-whole]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ENV, ROOT, emulator, machine, table  # noqa: E402

BATCHES = 20


def generated_plan(jobs: int, directory: Path) -> object:
    """A real plan of 20 templates and 40 jobs, its jobs stretched lazily to ``jobs``."""
    from bench.render import plans
    from reconciler.plan.actions import JobAction, SubmitJob
    from reconciler.plan.jobseq import JobSequence

    small = plans(directory, 2 * BATCHES)["all new"]
    protos = [a for a in small.jobs if isinstance(a, SubmitJob)]

    class Generated(JobSequence):
        def pinned(self) -> Iterator[tuple[JobAction, str | None]]:
            for i in range(jobs):
                proto = protos[i % len(protos)]
                key = f"in/video-{i:07d}.mp4"
                out = replace(
                    proto.request.output, object=f"{proto.batch}/{i:07d}/f-${{number}}.jpg"
                )
                request = replace(proto.request, input_object=key, output=out)
                yield replace(proto, input_object=key, request=request), ""

        def __len__(self) -> int:
            return jobs

        @property
        def acting(self) -> int:
            return jobs

    return replace(small, jobs=Generated(), state=replace(small.state, serial=0))


def child(step: str, jobs: int, path: Path) -> None:
    """One measured step, in this (child) process."""
    from reconciler.engine.planfile import plan_chunks, read_plan, write_plan

    if step == "write":
        write_plan(generated_plan(jobs, path.parent / "m"), path)  # type: ignore[arg-type]
    elif step == "json":
        with open(os.devnull, "w") as sink:
            for chunk in plan_chunks(generated_plan(jobs, path.parent / "m2")):  # type: ignore[arg-type]
                sink.write(chunk)
    elif step == "whole":
        held = list(read_plan(path).jobs)
        print(len(held))


def measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env or os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        err = proc.stderr.read().decode()
        proc.stderr.close()
        if code not in (0, 5):
            raise SystemExit(f"{argv} exited {code}: {err}")
    return wall, usage.ru_maxrss / 1024, code


def run(jobs: int, whole: bool) -> list[list[object]]:
    rows: list[list[object]] = []
    me = [sys.executable, str(Path(__file__).resolve())]
    cli = [sys.executable, "-m", "reconciler"]
    with tempfile.TemporaryDirectory(prefix="bench-planfile-") as tmp:
        path = Path(tmp) / "plan.jsonl"
        wall, rss, _ = measured([*me, "--child", "write", str(jobs), str(path)])
        size = path.stat().st_size
        rows.append([f"{jobs:,}", "write (plan --out)", wall, rss, f"{size / 1e6:,.0f} MB file"])
        wall, rss, _ = measured([*me, "--child", "json", str(jobs), str(path)])
        rows.append([f"{jobs:,}", "print (plan --json)", wall, rss, ""])
        wall, rss, _ = measured([*cli, "show", str(path)])
        rows.append([f"{jobs:,}", "show FILE", wall, rss, "text"])
        env = {**os.environ, **ENV}
        with emulator(job_seconds=600) as served:
            state = Path(tmp) / "state.json"
            argv = [*cli, "-q", "--endpoint", served.url, "--state", str(state), "--submit-qps",
                    "100", "apply", str(path), "--limit", "1"]  # fmt: skip
            wall, rss, code = measured(argv, env)
        rows.append([f"{jobs:,}", "apply FILE --limit 1", wall, rss, f"exit {code}"])
        if whole:
            wall, rss, _ = measured([*me, "--child", "whole", str(jobs), str(path)])
            rows.append([f"{jobs:,}", "load whole (comparison)", wall, rss, "every action held"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--no-whole", action="store_true", help="skip the load-whole comparison")
    parser.add_argument(
        "--child", nargs=3, metavar=("STEP", "JOBS", "PATH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        step, jobs, path = args.child
        child(step, int(jobs), Path(path))
        return
    print(machine())
    rows: list[list[object]] = []
    for jobs in args.jobs:
        rows += run(jobs, not args.no_whole)
    print("\n## Saved plans (JSON Lines): wall and peak RSS of each step's process")
    print(table(["jobs", "step", "seconds", "peak RSS MB", "note"], rows))


if __name__ == "__main__":
    main()
