"""Plan rendering at 100,000 jobs: time and size of text, JSON and Markdown.

Pure (no emulator): the plans are built by ``build_plan`` from manifests of N jobs over 20
templates, once with an empty state (every job and template is new: the largest plan) and once
with every job recorded as finished (nothing to do). JSON Lines is what ``plan --json`` streams and
``plan --out`` saves; "read back" is ``read_plan`` (what ``apply PLANFILE`` does first: it checks
the file's seal and leaves the jobs in the file; bench/planfile.py reads them).

Target: Markdown under 65,536 characters (a pull-request comment).
Run:  .venv/bin/python bench/render.py [--jobs 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Timer, machine, peak_rss_mb, table, write_manifests  # noqa: E402
from bench._state import STAMP  # noqa: E402
from reconciler import manifest  # noqa: E402
from reconciler.engine.planfile import plan_chunks, read_plan, write_plan  # noqa: E402
from reconciler.model.records import JobRecord  # noqa: E402
from reconciler.plan.expand import expand  # noqa: E402
from reconciler.plan.markdown import MARKDOWN_LIMIT, render_markdown  # noqa: E402
from reconciler.plan.observed import Observed  # noqa: E402
from reconciler.plan.planner import Plan, StateRef, build_plan, template_contents  # noqa: E402
from reconciler.plan.render import render_text  # noqa: E402


def plans(directory: Path, jobs: int) -> dict[str, Plan]:
    manifests = write_manifests(directory / "m", jobs, templates=20, per_batch=-(-jobs // 20))
    desired = manifest.load([manifests])
    ref = StateRef("bench", 1, "0" * 16)
    new = build_plan(desired, {}, {}, Observed(), ref)
    wanted = expand(desired, {}, template_contents(desired, Observed()))
    records = {
        j.key: JobRecord(
            j.batch,
            j.input_object,
            j.target,
            j.fingerprint,
            "rcn:x",
            "Success",
            STAMP,
            job_id=f"s{i:031x}",
            submitted_at=STAMP,
            finished_at=STAMP,
        )  # fmt: skip
        for i, j in enumerate(wanted)
    }
    noop = build_plan(desired, {}, records, Observed(), ref)
    return {"all new": new, "nothing to do": noop}


def measure(name: str, plan: Plan, directory: Path) -> list[list[object]]:
    rows: list[list[object]] = []
    with Timer() as t:
        text = render_text(plan)
    rows.append([name, "text", t.wall, len(text)])
    with Timer() as t:
        size = sum(len(chunk) for chunk in plan_chunks(plan))
    rows.append([name, "JSON Lines (plan --json)", t.wall, size])
    path = directory / f"{name.replace(' ', '-')}.plan.json"
    with Timer() as t:
        write_plan(plan, path)
    rows.append([name, "JSON Lines saved (plan --out)", t.wall, path.stat().st_size])
    with Timer() as t:
        read_plan(path)
    rows.append([name, "read back (apply PLANFILE)", t.wall, ""])
    with Timer() as t:
        md = render_markdown(plan)
    limit = "under" if len(md) < MARKDOWN_LIMIT else "OVER"
    rows.append([name, f"Markdown ({limit} {MARKDOWN_LIMIT:,})", t.wall, len(md)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    print(machine())
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        with Timer() as t:
            built = plans(Path(tmp), args.jobs)
        for name, plan in built.items():
            rows += measure(name, plan, Path(tmp))
    print(f"\n## Rendering plans of {args.jobs:,} jobs (building both plans took {t.wall:.1f} s)")
    print(table(["plan", "format", "seconds", "characters / bytes"], rows))
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
