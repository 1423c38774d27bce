"""A pull-request comment holds at most 65,536 characters: the Markdown plan of a very large
change must fit, and must start with the summary so the part a reviewer needs is never cut."""

from __future__ import annotations

from reconciler.model import JobOutput, JobRequest, SnapshotSettings
from reconciler.plan.actions import (
    CreateTemplate,
    FieldChange,
    ForgetJob,
    KeepJob,
    SubmitJob,
    UpdateTemplate,
)
from reconciler.plan.markdown import render_markdown
from reconciler.plan.planner import Plan, PlanOptions, StateRef

LIMIT = 65_536


def big_plan(jobs: int) -> Plan:
    settings = SnapshotSettings(count=12)
    output = JobOutput(region="ap-chongqing", bucket="thumbs-1250000000", object="f/${number}.jpg")
    actions = []
    for i in range(jobs):
        key = f"videos/2026/campaign-{i % 97:02d}/a-rather-long-file-name-number-{i:06d}.mp4"
        if i % 10 == 9:
            actions.append(KeepJob("archive", key, f"j{i}", "Success", "up to date"))
        elif i % 10 == 8:
            actions.append(ForgetJob("old-batch", key, f"j{i}"))
        else:
            reason = "new job" if i % 3 else "re-submit: template content changed"
            code = "new_job" if i % 3 else "resubmit_template"
            request = JobRequest(input_object=key, output=output, template_id="t1abc")
            actions.append(
                SubmitJob(
                    "archive", key, "media", "thumbs", request, "fp", reason, reason_code=code
                )
            )
    templates = (
        CreateTemplate("media", "thumbs", settings, "fp"),
        UpdateTemplate("media", "frames", "t1f", settings, "fp",
                       (FieldChange("count", 10, 12),), "settings changed"),
    )  # fmt: skip
    return Plan(PlanOptions(), StateRef("lineage", 7, "digest"), (), templates, tuple(actions))


def test_markdown_plan_of_100000_jobs_fits_a_comment_and_starts_with_the_summary() -> None:
    plan = big_plan(100_000)
    text = render_markdown(plan)
    assert len(text) < LIMIT
    lines = text.splitlines()
    assert lines[0] == "## reconciler plan"
    assert lines[2] == (
        "**Plan: 1 to create, 10000 to forget, 80000 to submit, 1 to update in place; "
        "10000 unchanged.**"
    )
    summary_rows = [line for line in lines if line.startswith("| submit |")]
    assert sorted(summary_rows) == [
        "| submit | new job | new_job | 53333 |",
        "| submit | re-submit: template content changed | resubmit_template | 26667 |",
    ]
    assert "count: 10 -> 12" in text  # the template diff survives
    assert "- ... and 53313 more" in text  # samples per group, not 80,000 lines


def test_100000_distinct_reasons_still_fit_and_keep_the_summary_line_first() -> None:
    """Actions without a reason code (older saved plans) group by their text, which may be
    unique per job: the worst case still fits, with the summary line first."""
    output = JobOutput(region="ap-chongqing", bucket="thumbs-1250000000", object="f.jpg")
    actions = tuple(
        SubmitJob(
            "archive",
            f"v/{i:06d}.mp4",
            "media",
            None,
            JobRequest(input_object=f"v/{i:06d}.mp4", output=output, template_id="t1abc"),
            "fp",
            f"retry: last run Failed (InputFileNotExist: object v/{i:06d}.mp4 is gone)",
        )  # fmt: skip
        for i in range(100_000)
    )
    plan = Plan(PlanOptions(retry_failed=True), StateRef("l", 1, "d"), (), (), actions)
    text = render_markdown(plan)
    assert len(text) < LIMIT
    assert text.startswith("## reconciler plan\n\n**Plan: 100000 to submit; 0 unchanged.**\n")
    assert "| submit | (other reasons) | | 99960 |" in text  # 40 rows, then the rest folded
    assert text.count("\n| submit | retry: ") == 40


def test_small_plan_is_complete() -> None:
    text = render_markdown(big_plan(20))
    assert "Details truncated" not in text
    assert text.count("a-rather-long-file-name") == 18  # every submit and forget is listed
