"""Read only, of a size-tiered state: wall and peak RSS of ``LocalStateStore.read()`` when the
state is a big base segment plus newer, geometrically smaller ones (issue 16).

Why: bench/scale.py and bench/readstate.py build their states in one writer session, so they
read one segment. A real state of a million jobs is built by many applies, and the tiered
merging (``segments.merge_start``) leaves a base of about two thirds of the rows plus newer
segments, several of them too big to be read as an overlay of whole records. This bench builds
such a state directly with ``put_jobs`` (no emulator): ``--base`` records in one session, then
30 % and 6 % of that in two more sessions, for keys interleaved with the base's (every segment
lands all over the key range, the costly case for a merge). Records have the shape a real apply
writes (fingerprints and markers that pack).

Each read runs in a fresh child process (its ``ru_maxrss`` is the read's alone); the child then
times one key-ordered ``briefs()`` walk (the plan's merge join), ``times()`` and
``unfinished()``. The state is built once under ``--dir`` and kept for the next run.

``--flat`` builds the same jobs in one session instead (one segment), for comparison.

Run:  .venv/bin/python bench/tiers.py [--base 1000000] [--flat] [--dir /tmp/bench-tiers]
      [--repeat 2] [--label NAME]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, Timer, machine, peak_rss_mb, table  # noqa: E402

#: Of every _SPREAD consecutive keys, the first _SHARES[0] go to the base session, the next
#: _SHARES[1] to the second and the rest to the third: 1,000,000 / 300,000 / 60,000.
_SHARES = (100, 30, 6)
_SPREAD = sum(_SHARES)
_CHUNK = 1000
_STAMP = "2026-01-01T00:00:00Z"


def _record(i: int) -> Any:
    from reconciler.model.records import JobRecord

    return JobRecord("bench", f"in/{i:08d}.mp4", "bench", ".".join([f"{i:012x}"] * 4),
                     f"rcn:{i:016x}", "Success", _STAMP, f"s{i:031x}", _STAMP, _STAMP,
                     outputs=(f"out/{i}/f-0.jpg",))  # fmt: skip


def _session(i: int) -> int:
    rest = i % _SPREAD
    return 0 if rest < _SHARES[0] else 1 if rest < _SHARES[0] + _SHARES[1] else 2


def build(state: Path, base: int, flat: bool) -> list[int]:
    """Three writer sessions, each closed (one segment each), or one holding the same keys
    (``flat``); the job counts written."""
    from reconciler.state.local.store import LocalStateStore

    total = base * _SPREAD // _SHARES[0]
    counts = []
    for session in range(1 if flat else len(_SHARES)):
        keys = [i for i in range(total) if flat or _session(i) == session]
        with LocalStateStore(state).open(command="bench") as writer:
            for start in range(0, len(keys), _CHUNK):
                writer.put_jobs([_record(i) for i in keys[start : start + _CHUNK]])
        counts.append(len(keys))
    return counts


def child_read(state: Path) -> dict[str, Any]:
    from reconciler.state.local.store import LocalStateStore

    with Timer() as t:  # len() too: every plan takes it (the state digest)
        jobs = LocalStateStore(state).read().jobs
        n = len(jobs)
    out: dict[str, Any] = {"read": t.wall, "read_cpu": t.cpu, "jobs": n}
    out["read_rss"] = peak_rss_mb()
    briefs = getattr(jobs, "briefs", None)
    with Timer() as t:
        walked = sum(1 for _ in (briefs() if briefs is not None else jobs.items()))
    out["walk"], out["walked"] = t.wall, walked
    with Timer() as t:
        times = getattr(jobs, "times", None)
        out["times_found"] = len(times()) if times is not None else -1
    out["times"] = t.wall
    with Timer() as t:
        unfinished = getattr(jobs, "unfinished", None)
        out["open"] = sum(1 for _ in unfinished()) if unfinished is not None else -1
    out["unfinished"] = t.wall
    out["total_rss"] = peak_rss_mb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/bench-tiers")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--flat", action="store_true", help="the same jobs in one segment")
    parser.add_argument("--label", default="", help="a name for this code (e.g. a commit)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_read(Path(args.child))))
        return
    if args.build:
        print(f"built {build(Path(args.build), args.base, args.flat)} jobs", file=sys.stderr)
        return
    print(machine())
    state = Path(args.dir) / f"{args.base}{'-flat' if args.flat else ''}" / "state.json"
    if not state.exists():  # in a child too: a fork+exec keeps the parent's peak RSS
        state.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, __file__, "--build", str(state), "--base", str(args.base)]
        cmd += ["--flat"] if args.flat else []
        with Timer() as t:
            subprocess.run(cmd, cwd=ROOT, check=True)
        print(f"built in {t.wall:.0f} s", file=sys.stderr)
    header = json.loads(state.read_bytes())
    segments = ", ".join(f"{s['jobs']:,}" for s in header["segments"])
    rows = []
    for _ in range(args.repeat):
        cmd = [sys.executable, __file__, "--child", str(state)]
        r = json.loads(subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True).stdout)
        print(r, file=sys.stderr)
        rows.append([args.label, segments, f"{r['jobs']:,}", r["read"], r["read_cpu"],
                     f"{r['read_rss']:.0f}", r["walk"], r["times"], r["unfinished"],
                     f"{r['total_rss']:.0f}"])  # fmt: skip
    heads = ["code", "segments (job lines)", "jobs", "read + len s", "read CPU s",
             "read RSS MB", "briefs walk s", "times() s", "unfinished() s",
             "total RSS MB"]  # fmt: skip
    print(table(heads, rows))


if __name__ == "__main__":
    main()
