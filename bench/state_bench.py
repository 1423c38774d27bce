"""Measure the durable state store: records/s, fsyncs and CPU per record under threads.

Apply records two durable entries per job (intent, then result) from many threads; the budget
is 2 ms of client CPU per job including those writes. Run:

    .venv/bin/python bench/state_bench.py [--threads 8] [--jobs 5000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from reconciler.state import JobRecord, LocalStateStore, utc_now


def _worker(put: Callable[[JobRecord], None], thread: int, jobs: int) -> None:
    for i in range(jobs):
        rec = JobRecord(
            batch=f"batch-{thread}",
            input_object=f"videos/{thread}/{i:06d}.mp4",
            target="default",
            fingerprint="f" * 64,
            marker=f"rcl-{thread}-{i}",
            state="Pending",
            intent_time=utc_now(),
        )
        put(rec)  # intent
        done = dataclasses.replace(rec, state="Submitted", job_id=f"j{thread}x{i}")
        put(done)  # result


def run(directory: Path, threads: int, jobs: int) -> None:
    store = LocalStateStore(directory / "state.json")
    with store.open(command="bench") as writer:
        workers = [
            threading.Thread(target=_worker, args=(writer.put_job, t, jobs)) for t in range(threads)
        ]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        records = threads * jobs * 2
        fsyncs = writer.fsyncs
        c0 = time.perf_counter()
    compact = time.perf_counter() - c0
    total_jobs = threads * jobs
    print(f"threads={threads} jobs={total_jobs} records={records}")
    print(f"records/s={records / wall:,.0f}  fsyncs={fsyncs}  records/fsync={records / fsyncs:.1f}")
    print(f"wall µs/record={wall / records * 1e6:.1f}  CPU µs/record={cpu / records * 1e6:.1f}")
    print(f"CPU ms/job (2 records)={cpu / total_jobs * 1e3:.3f}  (budget 2 ms)")
    print(f"close (compaction of {total_jobs} jobs)={compact * 1e3:.0f} ms")
    print(f"state file {len(store.path.read_bytes()):,} bytes, serial {store.read().serial}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=5000, help="jobs in total")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    per_thread = max(1, args.jobs // args.threads)
    if args.dir is not None:
        run(args.dir, args.threads, per_thread)
        return
    with tempfile.TemporaryDirectory(prefix="state-bench-") as tmp:
        run(Path(tmp), args.threads, per_thread)


if __name__ == "__main__":
    main()
