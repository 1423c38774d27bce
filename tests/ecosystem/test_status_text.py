"""``status`` text groups failures by error code: a few sample jobs per code, not one line each."""

from __future__ import annotations

import io

from rich.console import Console

from reconciler.cli.ui import print_status
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
