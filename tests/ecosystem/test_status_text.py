"""``status`` and the apply summary group failures: a few samples per group, not a line per job."""

from __future__ import annotations

import io

from rich.console import Console

from reconciler.cli.ui import print_apply_result, print_status
from reconciler.engine.apply import ApplyResult, Failure
from reconciler.model.records import JobRecord

STAMP = "2026-01-01T00:00:00Z"


def record(i: int, state: str, code: str = "") -> JobRecord:
    key = f"v/{i:04d}.mp4"
    return JobRecord("archive", key, "media", "fp", "rcn:0", state, STAMP, f"j{i:031x}", STAMP,
                     STAMP, code, f"{code} for {key}" if code else "")  # fmt: skip


def rendered(records: list[JobRecord], verbose: int) -> str:
    out = io.StringIO()
    print_status(Console(file=out, width=200), {r.key: r for r in records}, verbose)
    return out.getvalue()


def test_failures_fold_by_code_and_all_show_with_v() -> None:
    records = [record(i, "Failed", f"Code{i % 2}") for i in range(100)] + [record(100, "Success")]
    text = rendered(records, 0)
    assert text.count("  Failed v/") == 6  # 3 samples for each of the two codes
    assert "    ... and 47 more Failed with Code0 (reconciler status --failed --json" in text
    assert "    ... and 47 more Failed with Code1" in text
    assert rendered(records, 1).count("  Failed v/") == 100


def test_apply_summary_groups_120_jobs_behind_one_failed_template() -> None:
    message = "template thumbs was not applied, so its ID is unknown"
    result = ApplyResult(done={"create_template": 0}, failures=[
        Failure("template thumbs", "name is taken", "InvalidParameter", "rid-1"),
        *(Failure(f"job archive/v/{i:03d}.mp4", message) for i in range(120)),
    ])  # fmt: skip
    out = io.StringIO()
    print_apply_result(Console(file=out, width=300, no_color=True), result)
    lines = out.getvalue().splitlines()
    assert lines == [
        "Apply complete: nothing to do; 121 failed.",
        "  failed 120 jobs: " + message + "; archive/v/000.mp4, archive/v/001.mp4, "
        "archive/v/002.mp4 and 117 more",
        "  failed template thumbs [InvalidParameter]: name is taken (request id rid-1)",
    ]
