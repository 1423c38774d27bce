"""Job and template records for the local state tests."""

from __future__ import annotations

from reconciler.state import JobRecord, TemplateRecord

T0 = "2026-01-02T03:04:05Z"


def job(i: int, batch: str = "b", state: str = "Pending", **kw: object) -> JobRecord:
    """A job record for input ``in/<i>.mp4`` of ``batch``."""
    fields: dict[str, object] = {
        "batch": batch,
        "input_object": f"in/{i:05d}.mp4",
        "target": "default",
        "fingerprint": f"fp{i}",
        "marker": f"m-{batch}-{i}",
        "state": state,
        "intent_time": T0,
    }
    fields.update(kw)
    return JobRecord(**fields)  # type: ignore[arg-type]


def packable(i: int, **kw: object) -> JobRecord:
    """A record of the shape writers record: fingerprint and marker as the planner makes them,
    so a read-only snapshot packs it (see reconciler/state/packing.py) instead of keeping it
    whole."""
    digits = f"{i * 7919:048x}"
    fingerprint = ".".join(digits[j : j + 12] for j in range(0, 48, 12))
    return job(i, fingerprint=fingerprint, marker=f"rcn:{i:016x}", job_id=f"s{i:031x}", **kw)


def template(name: str = "thumbs", template_id: str = "t-1") -> TemplateRecord:
    return TemplateRecord("default", name, template_id, "fp-" + name, T0)
