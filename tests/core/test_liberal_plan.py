"""Replies the planner must take in its stride (issue 14), fed through the real codec.

* Drift that is not drift: a template echoed with documented defaults spelled out, empty
  leaves and ``640.0`` plans as unchanged, and so do its jobs.
* One odd template or job never fails the plan: it is left alone and named in a warning.
* A job state the service invents is shown as it is and treated as unfinished.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.engine.observe import Observed
from reconciler.errors import PlanError
from reconciler.model import (
    UNKNOWN_STATE,
    BatchSpec,
    DesiredState,
    InputSelector,
    OutputSpec,
    RemoteTemplate,
    SnapshotSettings,
    SpriteConfig,
    TargetSpec,
    TemplateSpec,
)
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.plan.actions import AdoptTemplate, KeepTemplate, UpdateTemplate
from reconciler.plan.diff import settings_changes
from reconciler.plan.fingerprint import settings_fingerprint
from reconciler.plan.planner import PlanOptions, StateRef, build_plan, plan_removed_job
from reconciler.plan.templates import plan_desired_template
from reconciler.remote import codec

T0 = "2026-01-01T00:00:00Z"
SPEC = TemplateSpec(
    name="thumbs",
    target="media",
    snapshot=SnapshotSettings(
        count=12,
        time_interval=2.5,
        width=640,
        snapshot_out_mode="SnapshotAndSprite",
        sprite=SpriteConfig(color="Black", columns=4, lines=3, cell_width=160, cell_height=90),
    ),
)
# What a service may echo for SPEC: every default spelled out, empty leaves for what is not
# set, numbers formatted its own way, unknown elements at every level.
ECHO = b"""<Response><TotalCount>1</TotalCount><TemplateList>
  <TemplateId>t1aaaa</TemplateId><Name>thumbs</Name><Tag>Snapshot</Tag><State>Active</State>
  <Snapshot>
    <Mode>Interval</Mode><Start>0.000</Start><TimeInterval>2.500</TimeInterval>
    <Count>12.0</Count><Width>640.0</Width><Height></Height><CIParam></CIParam>
    <IsCheckCount>false</IsCheckCount><IsCheckBlack>False</IsCheckBlack>
    <BlackLevel></BlackLevel><PixelBlackThreshold/><FrameType>Whatever</FrameType>
    <SnapshotOutMode>SnapshotAndSprite</SnapshotOutMode>
    <SpriteSnapshotConfig>
      <CellWidth> 160 </CellWidth><CellHeight>90.0</CellHeight><Padding>0</Padding>
      <Margin>0.0</Margin><Color>Black</Color><Columns>4</Columns><Lines>3</Lines>
      <ScaleMethod>DirectScale</ScaleMethod><Future/>
    </SpriteSnapshotConfig>
  </Snapshot>
</TemplateList></Response>"""


def _echoed(body: bytes = ECHO) -> tuple[RemoteTemplate, ...]:
    return codec.template_page(body, "list_templates").templates


def _record(fingerprint: str | None = None) -> TemplateRecord:
    fp = fingerprint or settings_fingerprint(SPEC.snapshot)
    return TemplateRecord("media", "thumbs", "t1aaaa", fp, T0)


def test_an_echo_restating_defaults_is_not_drift() -> None:
    remote = _echoed()
    assert remote[0].snapshot is not None
    assert settings_changes(remote[0].snapshot, SPEC.snapshot) == ()
    assert settings_fingerprint(remote[0].snapshot) == settings_fingerprint(SPEC.snapshot)
    action = plan_desired_template(SPEC, _record(), remote)
    assert action == KeepTemplate("media", "thumbs", "t1aaaa", "up to date", "up_to_date")
    adopted = plan_desired_template(SPEC, None, remote)
    assert isinstance(adopted, AdoptTemplate) and adopted.changes == ()


def test_a_real_change_in_the_echo_is_still_drift() -> None:
    remote = _echoed(ECHO.replace(b"<Width>640.0</Width>", b"<Width>320.0</Width>"))
    action = plan_desired_template(SPEC, _record(), remote)
    assert isinstance(action, UpdateTemplate)
    assert action.reason == "changed on the service (drift)"
    assert [(c.path, c.old, c.new) for c in action.changes] == [("width", 320, 640)]


def test_an_empty_sprite_echo_is_no_sprite() -> None:
    spec = replace(SPEC, snapshot=SnapshotSettings(count=12, time_interval=2.5, width=640))
    body = ECHO.replace(b"SnapshotAndSprite", b"OnlySnapshot")
    start, end = body.index(b"<SpriteSnapshotConfig>"), body.index(b"</SpriteSnapshotConfig>")
    inner = b"<CellWidth></CellWidth><Color></Color><Columns/><Lines></Lines>"
    body = body[:start] + b"<SpriteSnapshotConfig>" + inner + body[end:]
    remote = _echoed(body)
    action = plan_desired_template(spec, _record(settings_fingerprint(spec.snapshot)), remote)
    assert action == KeepTemplate("media", "thumbs", "t1aaaa", "up to date", "up_to_date")


# ------------------------------------------------------------------ one odd item


def _desired(template_id: str | None = None) -> DesiredState:
    batch = BatchSpec(
        name="trailers",
        target="media",
        inputs=InputSelector(objects=("v/a.mp4", "v/b.mp4")),
        output=OutputSpec(region="r", bucket="out-1250000000", object="f/{stem}-${number}.jpg"),
        template=None if template_id else "thumbs",
        template_id=template_id,
    )
    return DesiredState(
        targets={"media": TargetSpec("media", "ap-chongqing", "media-1250000000")},
        templates={} if template_id else {"thumbs": SPEC},
        batches={"trailers": batch},
    )


UNREADABLE = (
    b"<Response><TotalCount>2</TotalCount>"
    b"<TemplateList><TemplateId>t1aaaa</TemplateId><Name>thumbs</Name>"
    b"<Snapshot><Width>1280</Width><Height></Height><Start>0</Start>"
    b"<TimeInterval></TimeInterval><Count></Count></Snapshot></TemplateList>"
    b"<TemplateList><TemplateId>t1other</TemplateId><Name>other</Name>"
    b"<Snapshot><Count>1</Count></Snapshot></TemplateList></Response>"
)


@pytest.mark.parametrize("recorded", [True, False])
def test_an_unreadable_template_is_left_alone_and_named(recorded: bool) -> None:
    page = codec.template_page(UNREADABLE, "list_templates")
    observed = Observed(templates={"media": page.templates}, problems=page.problems)
    records = {("media", "thumbs"): _record()} if recorded else {}
    plan = build_plan(_desired(), records, {}, observed, StateRef("l", 1, "d"), PlanOptions())
    (action,) = plan.templates
    assert isinstance(action, KeepTemplate) and action.template_id == "t1aaaa"
    assert "could not be read" in action.reason
    assert any("t1aaaa (thumbs)" in w and "<Count>" in w for w in plan.warnings)
    assert len(plan.jobs) == 2  # the rest of the plan is made as usual


def test_a_manifest_change_still_updates_an_unreadable_template() -> None:
    page = codec.template_page(UNREADABLE, "list_templates")
    observed = Observed(templates={"media": page.templates}, problems=page.problems)
    plan = build_plan(
        _desired(), {("media", "thumbs"): _record("old")}, {}, observed, StateRef("l", 1, "d")
    )
    (action,) = plan.templates
    assert isinstance(action, UpdateTemplate) and action.changes == ()
    assert action.reason.startswith("manifest changed")


def test_an_odd_job_in_a_describe_batch_is_left_as_recorded_and_named() -> None:
    desired = _desired()
    base = build_plan(desired, {}, {}, Observed(), StateRef("l", 1, "d"))
    fps = {(j.batch, j.input_object): j.fingerprint for j in base.jobs}  # type: ignore[attr-defined]
    records = {
        key: JobRecord(
            batch=key[0],
            input_object=key[1],
            target="media",
            fingerprint=fp,
            marker="m",
            state="Running",
            intent_time=T0,
            job_id=f"j{n}",
        )  # fmt: skip
        for n, (key, fp) in enumerate(sorted(fps.items()))
    }
    described = codec.describe_reply(
        b"<Response><JobsDetail><JobId>j0</JobId><State>Queued</State></JobsDetail>"
        b"<JobsDetail><State>Success</State><Input><Object>v/b.mp4</Object></Input></JobsDetail>"
        b"</Response>",
        "describe_jobs",
    )
    observed = Observed(
        templates={"media": _echoed()},
        jobs={j.job_id: j for j in described.jobs},
        problems=described.problems,
    )
    tpl = {("media", "thumbs"): _record()}
    plan = build_plan(desired, tpl, records, observed, StateRef("l", 1, "d"))
    assert [(a.kind, a.reason) for a in plan.jobs] == [
        ("keep_job", "submitted, Queued"),
        ("keep_job", "submitted, Running"),  # the unreadable entry: left as recorded
    ]
    assert [(s.input_object, s.state) for s in plan.refreshed] == [("v/a.mp4", "Queued")]
    assert plan.warnings == (
        "part of a reply could not be read: describe_jobs: a <JobsDetail> (input v/b.mp4) "
        "has no <JobId>",
    )


@pytest.mark.parametrize("state", ["Queued", UNKNOWN_STATE, "Pending", "Pause"])
def test_a_removed_job_in_any_unfinished_state_is_cancelled_with_prune(state: str) -> None:
    rec = JobRecord(
        batch="b", input_object="v.mp4", target="media", fingerprint="f", marker="m",
        state=state, intent_time=T0, job_id="j1",
    )  # fmt: skip
    assert plan_removed_job(rec, None, PlanOptions(prune=True)).kind == "cancel_job"
    assert plan_removed_job(replace(rec, state="Success"), None, PlanOptions(prune=True)).kind == (
        "forget_job"
    )


def test_the_normal_form_leaves_the_hashes_of_valid_manifests_alone() -> None:
    """State files store these hashes: a normal-form change that moved them would re-submit
    every recorded job. The two values were computed before empty text became "absent"."""
    full = SnapshotSettings(
        count=12, mode="Average", start=1.5, time_interval=2.5, width=640, height=360,
        ci_param="imageMogr2/format/png", is_check_count=True, is_check_black=True,
        black_level=50, pixel_black_threshold=30, snapshot_out_mode="SnapshotAndSprite",
        sprite=SpriteConfig(
            color="Black", columns=4, lines=3, cell_width=160, cell_height=90, padding=2,
            margin=4, scale_method="MaxWHScale",
        ),
    )  # fmt: skip
    assert settings_fingerprint(SnapshotSettings(count=12)) == "f782e6caec53"
    assert settings_fingerprint(full) == "bfd69685c53c"


def test_empty_text_is_the_same_as_absent() -> None:
    bare = SnapshotSettings(count=3, sprite=SpriteConfig(color="Black", columns=1, lines=1))
    echoed = replace(
        bare,
        ci_param="",
        mode="",
        sprite=SpriteConfig(color="Black", columns=1, lines=1, scale_method=""),
    )
    assert settings_changes(echoed, bare) == ()
    assert settings_fingerprint(echoed) == settings_fingerprint(bare)


def test_a_batch_on_an_unreadable_external_template_names_it() -> None:
    page = codec.template_page(UNREADABLE, "get_templates")
    observed = Observed(external_templates={t.template_id: t for t in page.templates})
    with pytest.raises(PlanError, match=r"batch trailers: template t1aaaa \(thumbs\): .*<Count>"):
        build_plan(_desired("t1aaaa"), {}, {}, observed, StateRef("l", 1, "d"))
