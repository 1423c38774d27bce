"""Plans for the rendering goldens, built by the pure planner from plain data (no service).

``failures``: 1,000 recorded failures over 50 distinct error codes in one large batch, a batch
of 2 new jobs beside it (one explicit input missing from its listed prefix), a prefix that
matches nothing, a KeyFrame batch whose frames depend on video length, a template removed from
the manifests, and 60 jobs of a removed batch still running. ``cost``: a small priced plan.
"""

from __future__ import annotations

from reconciler.model import (
    BatchSpec,
    Budget,
    DesiredState,
    InputSelector,
    ObjectInfo,
    OutputSpec,
    Pricing,
    RemoteTemplate,
    SnapshotSettings,
    SpriteConfig,
    TargetSpec,
    TemplateSpec,
)
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.plan.expand import expand
from reconciler.plan.fingerprint import settings_fingerprint
from reconciler.plan.observed import Listing, Observed
from reconciler.plan.planner import Plan, PlanOptions, StateRef, build_plan, template_contents

STAMP = "2026-01-01T00:00:00Z"
TARGET = TargetSpec("media", "ap-chongqing", "media-1250000000", "embedded",
                    pricing=Pricing(0.1, "CNY"))  # fmt: skip
THUMBS = SnapshotSettings(
    count=12, mode="Interval", snapshot_out_mode="SnapshotAndSprite",
    sprite=SpriteConfig(color="White", columns=4, lines=3),
)  # fmt: skip
KEYFRAMES = SnapshotSettings(count=50, mode="KeyFrame")


def _batch(
    name: str, template: str, inputs: InputSelector, budget: Budget | None = None
) -> BatchSpec:
    output = OutputSpec("ap-chongqing", "out-1250000000", f"{name}/{{stem}}/f-${{number}}.jpg",
                        f"{name}/{{stem}}/sprite-${{number}}.jpg")  # fmt: skip
    return BatchSpec(name, "media", inputs, output, template=template, budget=budget)


def _desired(batches: list[BatchSpec], target: TargetSpec = TARGET) -> DesiredState:
    templates = {
        "thumbs": TemplateSpec("thumbs", "media", THUMBS),
        "keyframes": TemplateSpec("keyframes", "media", KEYFRAMES),
    }
    return DesiredState({"media": target}, templates, {b.name: b for b in batches})


def _objects(keys: list[str]) -> Listing:
    return Listing.of(ObjectInfo(k, f"etag-{i}", 1000) for i, k in enumerate(keys))


def _record(batch: str, key: str, fp: str, n: int, state: str, code: str = "") -> JobRecord:
    message = f"{code}: the service refused {key}" if code else ""
    return JobRecord(batch, key, "media", fp, "rcn:0", state, STAMP, f"j{n:031x}", STAMP,
                     STAMP if state != "Running" else None, code, message)  # fmt: skip


DEFAULT = PlanOptions()


def failures(options: PlanOptions = DEFAULT) -> Plan:
    archive = [f"videos/archive/clip-{i:04d}.mp4" for i in range(1000)]
    desired = _desired([
        _batch("archive", "thumbs", InputSelector(objects=tuple(archive))),
        _batch("promo", "thumbs", InputSelector(objects=("promo/b.mp4",), prefix="promo/")),
        _batch("empty", "thumbs", InputSelector(prefix="nothing/")),
        _batch("raw", "keyframes", InputSelector(prefix="raw/")),
    ])  # fmt: skip
    remote = (
        RemoteTemplate("t1thumbs", "thumbs", THUMBS),
        RemoteTemplate("t1keys", "keyframes", KEYFRAMES),
        RemoteTemplate("t1old", "old-thumbs", THUMBS),
    )  # fmt: skip
    listings = {
        "promo": _objects(["promo/a.mp4"]),
        "empty": Listing(),
        "raw": _objects([f"raw/take-{i}.mov" for i in range(5)]),
    }
    observed = Observed(templates={"media": remote}, listings=listings)
    fps = {
        j.key: j.fingerprint
        for j in expand(desired, listings, template_contents(desired, observed))
    }
    jobs = {
        ("archive", k): _record(
            "archive", k, fps[("archive", k)], i, "Failed", f"ErrorCode{i % 50:02d}"
        )
        for i, k in enumerate(archive)
    }
    for i in range(60):
        key = f"videos/gone/old-{i:03d}.mp4"
        jobs[("gone", key)] = _record("gone", key, "fp", 5000 + i, "Running")
    templates = {
        (t.target, t.name): t
        for t in (
            TemplateRecord("media", "thumbs", "t1thumbs", _fp(THUMBS), STAMP),
            TemplateRecord("media", "keyframes", "t1keys", _fp(KEYFRAMES), STAMP),
            TemplateRecord("media", "old-thumbs", "t1old", _fp(THUMBS), STAMP),
        )
    }
    return build_plan(desired, templates, jobs, observed, StateRef("lineage", 7, "digest"), options,
                      created_at=STAMP)  # fmt: skip


def _fp(settings: SnapshotSettings) -> str:
    return settings_fingerprint(settings)


def priced(budget: Budget | None = None, options: PlanOptions = DEFAULT) -> Plan:
    """Two batches: 40 sprite jobs (12 frames, 1 sheet each) and 3 KeyFrame jobs."""
    desired = _desired(
        [
            _batch("clips", "thumbs", InputSelector(prefix="clips/"), budget),
            _batch(
                "raw", "keyframes", InputSelector(objects=("raw/a.mov", "raw/b.mov", "raw/c.mov"))
            ),
        ]
    )
    observed = Observed(listings={"clips": _objects([f"clips/{i:02d}.mp4" for i in range(40)])})
    return build_plan(desired, {}, {}, observed, StateRef("lineage", 1, "digest"), options,
                      created_at=STAMP)  # fmt: skip
