"""The Applier's decision table against a scripted writer and a real local state file.

One row per case: the service's scripted answers, the calls the Applier makes (in order), the
records the state holds afterwards and the failure reported, if any. Sleeps are recorded only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.apply import Applier, ApplyResult
from reconciler.engine.submit import SubmitPolicy
from reconciler.errors import ApiError, NoReplyError
from reconciler.model import (
    JobDetail,
    JobOutput,
    JobPage,
    JobRequest,
    RemoteTemplate,
    SnapshotSettings,
)
from reconciler.model.records import JobRecord, StateSnapshot
from reconciler.plan.actions import (
    Action,
    CreateTemplate,
    RecreateTemplate,
    SubmitJob,
    UpdateTemplate,
)
from reconciler.plan.expand import marker_for, with_marker
from reconciler.plan.planner import Plan, PlanOptions, StateRef
from reconciler.state.local.store import LocalStateStore
from tests.helpers.scripted import NO_JOBS, ScriptedWriter, templates_page

TARGET, NAME = "media", "thumbs"
WANTED = SnapshotSettings(count=3, mode="Interval", width=320)
OTHER = SnapshotSettings(count=9)
MINE = RemoteTemplate("t-new", NAME, WANTED)
FOUND_SAME = RemoteTemplate("t-found", NAME, WANTED)
FOUND_OTHER = RemoteTemplate("t-found", NAME, OTHER)
UPDATED = RemoteTemplate("t-found", NAME, WANTED)
NEIGHBOUR = RemoteTemplate("t-n", NAME + "-2", WANTED)  # the name filter matches prefixes

DUPLICATE = ApiError(400, "TemplateNameDuplicate", "name taken", "rid-dup")
NOT_FOUND = ApiError(404, "TemplateNotFound", "gone", "rid-404")
E500 = ApiError(500, "InternalError", "boom", "rid-500")
LOST = NoReplyError("reply lost")

BATCH, KEY, FP = "b", "in/a.mp4", "fp-1"
MARKER = marker_for(BATCH, KEY, FP)
REQUEST = JobRequest(KEY, JobOutput("ap-chongqing", "out-1250000000", "o/${number}.jpg"),
                     template_id="t-1", user_data=with_marker(None, MARKER))  # fmt: skip
SUBMIT = SubmitJob(BATCH, KEY, TARGET, None, REQUEST, FP, reason="new input")
EARLIER = JobDetail("j-earlier", "Submitted", KEY, "2026-11-29T09:00:00Z", user_data=MARKER)
REFUSED = ApiError(400, "InvalidArgument", "bad output", "rid-400")
PROXY_4XX = ApiError(403, "Forbidden", "<html>", from_service=False)

CREATE = CreateTemplate(TARGET, NAME, WANTED, "fp-t")
UPDATE = UpdateTemplate(TARGET, NAME, "t-old", WANTED, "fp-t", changes=(), reason="changed")
RECREATE = RecreateTemplate(TARGET, NAME, "t-old", WANTED, "fp-t")


@dataclass
class Row:
    action: Action
    script: dict[str, list[Any]]
    calls: list[str]
    template_id: str | None = None  # the template recorded afterwards (None: none)
    job: tuple[str, str | None] | None = None  # (state, job_id) recorded afterwards
    failure: str = ""  # the code of the reported failure


ROWS = {
    "create: created": Row(CREATE, {"create_template": [MINE]}, ["create_template"], "t-new"),
    "create: name taken, ours by exact name, other settings: adopted and updated": Row(
        CREATE,
        {
            "create_template": [DUPLICATE],
            "list_templates": [templates_page(NEIGHBOUR, FOUND_OTHER)],
            "update_template": [UPDATED],
        },  # fmt: skip
        ["create_template", "list_templates", "update_template"],
        "t-found",
    ),
    "create: name taken, same settings: adopted without an update": Row(
        CREATE,
        {"create_template": [DUPLICATE], "list_templates": [templates_page(FOUND_SAME)]},
        ["create_template", "list_templates"],
        "t-found",
    ),
    "create: name taken, only a longer name listed: failure, nothing recorded": Row(
        CREATE,
        {"create_template": [DUPLICATE], "list_templates": [templates_page(NEIGHBOUR)]},
        ["create_template", "list_templates"],
        failure="TemplateNameDuplicate",
    ),
    "create: reply lost, found by name: adopted": Row(
        CREATE,
        {"create_template": [LOST], "list_templates": [templates_page(FOUND_SAME)]},
        ["create_template", "list_templates"],
        "t-found",
    ),
    "create: reply lost, absent: created again": Row(
        CREATE,
        {"create_template": [LOST, MINE], "list_templates": [templates_page()]},
        ["create_template", "list_templates", "create_template"],
        "t-new",
    ),
    "create: 5xx, absent: created again": Row(
        CREATE,
        {"create_template": [E500, MINE], "list_templates": [templates_page()]},
        ["create_template", "list_templates", "create_template"],
        "t-new",
    ),
    "create: refused by the service: failure, no lookup": Row(
        CREATE, {"create_template": [REFUSED]}, ["create_template"], failure="InvalidArgument"
    ),
    "update: updated": Row(UPDATE, {"update_template": [UPDATED]}, ["update_template"], "t-found"),
    "update: TemplateNotFound: created again": Row(
        UPDATE,
        {"update_template": [NOT_FOUND], "create_template": [MINE]},
        ["update_template", "create_template"],
        "t-new",
    ),
    "update: 5xx: failure, nothing recorded": Row(
        UPDATE, {"update_template": [E500]}, ["update_template"], failure="InternalError"
    ),
    "recreate: created under the same name": Row(
        RECREATE, {"create_template": [MINE]}, ["create_template"], "t-new"
    ),
    "submit: reply lost, found: the found job recorded": Row(
        SUBMIT,
        {"submit_job": [LOST], "list_jobs": [JobPage((EARLIER,), "")]},
        ["submit_job", "list_jobs"],
        job=("Submitted", "j-earlier"),
    ),
    "submit: 4xx with a service body: intent withdrawn": Row(
        SUBMIT, {"submit_job": [REFUSED]}, ["submit_job"], failure="InvalidArgument"
    ),
    "submit: 4xx without a service body: intent kept": Row(
        SUBMIT,
        {"submit_job": [PROXY_4XX, PROXY_4XX], "list_jobs": [NO_JOBS] * 4},
        ["submit_job", "list_jobs", "list_jobs"] * 2,
        job=("Pending", None),
        failure="Forbidden",
    ),
}


def apply(
    tmp_path: Path, action: Action, writer: ScriptedWriter
) -> tuple[ApplyResult, StateSnapshot]:
    templates = () if isinstance(action, SubmitJob) else (action,)
    jobs = (action,) if isinstance(action, SubmitJob) else ()
    plan = Plan(PlanOptions(), StateRef("", 0, ""), (), templates, jobs)  # type: ignore[arg-type]
    store = LocalStateStore(tmp_path / "state.json")
    sleeps: list[float] = []
    with store.open(command="apply") as state:
        policy = SubmitPolicy(attempts=2, sleep=sleeps.append)
        result = Applier(plan, {TARGET: writer}, state, workers=1, policy=policy).run()
    return result, store.read()


@pytest.mark.parametrize("case", list(ROWS))
def test_apply_decision_table(tmp_path: Path, case: str) -> None:
    row = ROWS[case]
    writer = ScriptedWriter(**row.script)
    result, state = apply(tmp_path, row.action, writer)
    assert writer.calls == row.calls, case
    assert writer.unused() == {}
    assert [f.code for f in result.failures] == ([row.failure] if row.failure else [])
    recorded = state.templates.get((TARGET, NAME))
    assert (recorded.template_id if recorded else None) == row.template_id
    job = state.jobs.get((BATCH, KEY))
    assert ((job.state, job.job_id) if job else None) == row.job
    if job is not None:
        assert job.marker == MARKER


def test_a_refusal_puts_back_the_record_it_superseded(tmp_path: Path) -> None:
    """Withdrawing a new intent for a key with an earlier job restores that job's record."""
    store = LocalStateStore(tmp_path / "state.json")
    earlier = JobRecord(batch=BATCH, input_object=KEY, target=TARGET, fingerprint="fp-0",
                        marker=marker_for(BATCH, KEY, "fp-0"), state="Success",
                        intent_time="2026-11-28T09:00:00Z", job_id="j-0")  # fmt: skip
    with store.open(command="seed") as state:
        state.put_job(earlier)
    result, snapshot = apply(tmp_path, SUBMIT, ScriptedWriter(submit_job=[REFUSED]))
    assert [f.code for f in result.failures] == ["InvalidArgument"]
    assert snapshot.jobs[(BATCH, KEY)] == earlier
