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


def template(name: str = "thumbs", template_id: str = "t-1") -> TemplateRecord:
    return TemplateRecord("default", name, template_id, "fp-" + name, T0)
