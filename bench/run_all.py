"""Run every benchmark of issue 5 one after the other (never in parallel: they share 2 cores).

Each bench starts its own emulator process(es) on loopback and prints Markdown tables; this
script only runs them in sequence and tees the output. Takes about 8 minutes on 2 cores
(the 150 ms throughput run alone is ~100 s at the 10 QPS cap plus the SDK loop).

Run:  .venv/bin/python bench/run_all.py [--out bench/results.md] [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL = [
    ["throughput.py"],
    ["throughput.py", "--sdk-jobs", "0", "--cpu-jobs", "1000", "--burst", "1"],
    ["noop_plan.py"],
    ["refresh.py"],
    ["scale.py"],
    ["render.py"],
    ["lookup.py"],
    ["inputs.py"],
]
QUICK = [
    ["throughput.py", "--jobs", "100", "--sdk-jobs", "30", "--cpu-jobs", "500"],
    ["noop_plan.py", "--jobs", "2000"],
    ["refresh.py", "--jobs", "1000"],
    ["scale.py", "--sizes", "1000,10000"],
    ["render.py", "--jobs", "10000"],
    ["lookup.py", "--jobs", "1000", "--latencies", "0"],
    ["inputs.py", "--sizes", "10000,100000"],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="Also write the output here.")
    parser.add_argument("--quick", action="store_true", help="Small sizes (about a minute).")
    args = parser.parse_args()
    chunks: list[str] = []
    for bench in QUICK if args.quick else FULL:
        command = [sys.executable, str(HERE / bench[0]), *bench[1:]]
        header = f"\n\n# $ .venv/bin/python bench/{' '.join(bench)}\n"
        print(header, flush=True)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        text = done.stdout + (
            f"\n(exit {done.returncode})\n{done.stderr}" if done.returncode else ""
        )
        text += f"\n(bench took {time.perf_counter() - start:.0f} s)\n"
        print(text, flush=True)
        chunks.append(header + text)
    if args.out is not None:
        args.out.write_text("".join(chunks))


if __name__ == "__main__":
    main()
