"""Golden renderings of large and awkward plans (text and Markdown), plus their size bounds.

The expected files live in tests/core/data/render_golden/. After an intended change to the
rendering, regenerate them and review the diff:

    RECONCILER_UPDATE_GOLDEN=1 .venv/bin/pytest tests/core/test_render_golden.py -p no:cacheprovider
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import PlanError
from reconciler.model import Budget, JobOutput, JobRequest, SnapshotSettings
from reconciler.plan.actions import FieldChange, SubmitJob, UpdateTemplate
from reconciler.plan.markdown import MARKDOWN_LIMIT, render_markdown
from reconciler.plan.planner import Plan, PlanOptions, StateRef
from reconciler.plan.render import render_text
from tests.core import render_scenarios as scenarios

GOLDEN = Path(__file__).parent / "data" / "render_golden"
TEXT_LINES = 60

RENDERINGS: dict[str, Callable[[], str]] = {
    "failures.txt": lambda: render_text(scenarios.failures()),
    "failures.md": lambda: render_markdown(scenarios.failures()),
    "retry_failed.txt": lambda: render_text(scenarios.failures(PlanOptions(retry_failed=True))),
    "retry_failed.md": lambda: render_markdown(scenarios.failures(PlanOptions(retry_failed=True))),
    "cost.txt": lambda: render_text(scenarios.priced()),
    "cost.md": lambda: render_markdown(scenarios.priced()),
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_golden(name: str) -> None:
    got = RENDERINGS[name]() + "\n"
    path = GOLDEN / name
    if os.environ.get("RECONCILER_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got)
    assert got == path.read_text(), f"{name} differs; see the module docstring to regenerate"


@pytest.mark.parametrize("retry", [False, True])
def test_1000_failures_with_50_codes_stay_bounded_and_show_everything_that_matters(
    retry: bool,
) -> None:
    plan = scenarios.failures(PlanOptions(retry_failed=retry))
    text, md = render_text(plan), render_markdown(plan)
    assert len(text.splitlines()) <= TEXT_LINES
    assert len(md) < MARKDOWN_LIMIT
    for rendering in (text, md):
        assert "promo" in rendering  # the batch of 2 beside the batch of 1,000
        assert "prefix 'nothing/' matches no objects" in rendering
        assert "old-thumbs" in rendering and "use --prune to delete" in rendering
        assert "forgetting 60 job(s) still running" in rendering
        assert "promo/b.mp4" in rendering  # explicit input missing from the listed prefix
    assert "archive  1000 " in text or "archive  " in text
    groups = [line for line in md.splitlines() if line.startswith(("| submit |", "| no change |"))]
    groups += [line for line in md.splitlines() if line.startswith("| forget |")]
    assert len(groups) == 41  # one row per group up to the cap of 40, then one folded row
    assert groups[-2].startswith(("| no change | (other reasons)", "| submit | (other reasons)"))
    assert sum("ErrorCode" in line for line in groups) == 38


def test_verbose_text_widens_but_stays_bounded() -> None:
    plan = scenarios.failures(PlanOptions(retry_failed=True))
    lines = render_text(plan, verbose=1).splitlines()
    assert TEXT_LINES < len(lines) < 400
    assert sum("ErrorCode" in line for line in lines) == 50  # every group shown


def test_samples_are_fair_across_batches() -> None:
    """A group spanning a batch of 1,000 and a batch of 2 samples both, round-robin."""
    plan = scenarios.failures(PlanOptions(retry_failed=True))
    text = render_text(plan)
    new_group = text.split("new job")[1].splitlines()[1:3]
    assert {line.strip().split("/")[0] for line in new_group} == {"promo", "raw"}


def test_cost_preview_states_frames_sheets_money_and_unbounded_jobs() -> None:
    text = render_text(scenarios.priced())
    assert (
        "Billable work: 43 job(s) to submit (43 new, 0 re-submitted); at most 480 frame(s) and "
        "40 sprite sheet(s); 3 job(s) depend on video length (mode KeyFrame)."
    ) in text
    assert (
        "Estimated cost: at most 0.05 CNY (from the manifests' pricing; 3 job(s) unpriced or "
        "unbounded not included)."
    ) in text
    md = render_markdown(scenarios.priced())
    top = md.split("| batch |")[0]
    assert "Billable work" in top and "Estimated cost" in top  # at the top of the comment


def test_budget_refusal_is_one_line_unless_allowed() -> None:
    with pytest.raises(PlanError) as caught:
        scenarios.priced(Budget(max_jobs=10))
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        "over budget: batch clips submits 40 jobs (budget maxJobs 10); "
        "use --allow-over-budget to proceed"
    )
    plan = scenarios.priced(Budget(max_jobs=10), PlanOptions(allow_over_budget=True))
    assert "Over budget (allowed by --allow-over-budget): batch clips submits 40 jobs" in (
        render_text(plan)
    )


def test_frames_budget_counts_upper_bound() -> None:
    assert scenarios.priced(Budget(max_frames=480)).cost.frames == 480
    with pytest.raises(PlanError, match="up to 480 frames"):
        scenarios.priced(Budget(max_frames=479))


def test_any_size_stays_bounded() -> None:
    """200 batches, 30 template changes with diffs, 20,000 distinct legacy reasons (no code),
    100 warnings: the text stays within TEXT_LINES and the Markdown under the limit."""
    output = JobOutput(region="ap-chongqing", bucket="out-1250000000", object="f.jpg")
    jobs = tuple(
        SubmitJob(
            f"batch-{i % 200:03d}",
            f"v/{i:06d}.mp4",
            "media",
            None,
            JobRequest(input_object=f"v/{i:06d}.mp4", output=output),
            "fp",
            f"legacy reason {i}",
        )  # fmt: skip
        for i in range(20_000)
    )
    changes = tuple(FieldChange(f"field{k}", k, k + 1) for k in range(8))
    templates = tuple(
        UpdateTemplate(
            "media",
            f"tpl-{i:02d}",
            f"t{i}",
            SnapshotSettings(count=1),
            "fp",
            changes,
            "manifest changed",
        )  # fmt: skip
        for i in range(30)
    )
    warnings = tuple(f"warning number {i} " + "x" * 300 for i in range(100))
    plan = Plan(PlanOptions(), StateRef("l", 1, "d"), (), templates, jobs, warnings=warnings)
    text = render_text(plan)
    assert len(text.splitlines()) <= TEXT_LINES
    assert "... and 190 more batch(es) with 19000 job(s)" in text
    assert "... and 29 more template change(s)" in text
    assert "Warning: ... and 94 more warning(s)" in text
    assert "Billable work: not recorded in this plan" in text  # built without a cost preview
    md = render_markdown(plan)
    assert len(md) < MARKDOWN_LIMIT
    assert "| (150 more batches) | 15000 | 15000 to submit |" in md
