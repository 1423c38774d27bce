"""Loader for the golden planner cases in data/plan_cases/*.json.

A case is ``{desired, recorded, observed, options} -> expect``. Recorded job fingerprints may be
written as ``"$current"`` (what the planner computes for that job now) or ``"$current~COMPONENT"``
(the same with one component changed: request, template, output or input), so cases state their
intent ("this job is up to date", "its template content changed") instead of opaque hashes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.model import (
    BatchSpec,
    DesiredState,
    JobDetail,
    ObjectInfo,
    RemoteTemplate,
    TargetSpec,
    TemplateSpec,
)
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.plan.document import from_data
from reconciler.plan.expand import expand
from reconciler.plan.fingerprint import COMPONENTS
from reconciler.plan.observed import Listing, Observed
from reconciler.plan.planner import PlanOptions, StateRef, template_contents

CASES = Path(__file__).parent / "data" / "plan_cases"


def load_desired(raw: dict[str, Any]) -> DesiredState:
    targets = [from_data(TargetSpec, t) for t in raw.get("targets", [])]
    templates = [from_data(TemplateSpec, t) for t in raw.get("templates", [])]
    batches = [from_data(BatchSpec, b) for b in raw.get("batches", [])]
    return DesiredState(
        targets={t.name: t for t in targets},
        templates={t.name: t for t in templates},
        batches={b.name: b for b in batches},
    )


def load_observed(raw: dict[str, Any]) -> Observed:
    return Observed(
        templates={
            t: tuple(from_data(RemoteTemplate, x) for x in items)
            for t, items in raw.get("templates", {}).items()
        },
        external_templates={
            x["template_id"]: from_data(RemoteTemplate, x) for x in raw.get("external", [])
        },
        jobs={j["job_id"]: from_data(JobDetail, j) for j in raw.get("jobs", [])},
        missing_job_ids=frozenset(raw.get("missing", [])),
        listings={
            b: Listing.of(from_data(ObjectInfo, o) for o in objs)
            for b, objs in raw.get("listings", {}).items()
        },
    )


def _alter(fingerprint: str, component: str) -> str:
    parts = fingerprint.split(".")
    index = COMPONENTS.index(component)
    parts[index] = "0" * len(parts[index])
    return ".".join(parts)


def resolve_fingerprints(
    jobs: list[dict[str, Any]], desired: DesiredState, observed: Observed
) -> list[JobRecord]:
    current = {
        j.key: j.fingerprint
        for j in expand(desired, observed.listings, template_contents(desired, observed))
    }
    out = []
    for raw in jobs:
        rec = JobRecord.from_dict({"marker": "rcn:0", "intent_time": "2026-01-01T00:00:00Z", **raw})
        fp = rec.fingerprint
        if fp.startswith("$current"):
            base = current[rec.key]
            fp = _alter(base, fp.split("~", 1)[1]) if "~" in fp else base
            rec = replace(rec, fingerprint=fp)
        out.append(rec)
    return out


def load_case(path: Path) -> dict[str, Any]:
    raw = json.loads(path.read_text())
    desired = load_desired(raw["desired"])
    observed = load_observed(raw.get("observed", {}))
    recorded = raw.get("recorded", {})
    templates = [
        TemplateRecord.from_dict({"updated_at": "2026-01-01T00:00:00Z", **t})
        for t in recorded.get("templates", [])
    ]
    if any(t.fingerprint == "$current" for t in templates):
        from reconciler.plan.fingerprint import settings_fingerprint

        templates = [
            replace(t, fingerprint=settings_fingerprint(desired.templates[t.name].snapshot))
            if t.fingerprint == "$current"
            else t
            for t in templates
        ]
    jobs = resolve_fingerprints(recorded.get("jobs", []), desired, observed)
    return {
        "desired": desired,
        "observed": observed,
        "templates": {t.key: t for t in templates},
        "jobs": {j.key: j for j in jobs},
        "options": from_data(PlanOptions, raw.get("options", {})),
        "state": StateRef("lineage-1", 3, "digest"),
        "expect": raw["expect"],
    }
