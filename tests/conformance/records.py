"""Records with readable defaults for the conformance tests."""

from __future__ import annotations

from reconciler.model.records import JobRecord, TemplateRecord

T0 = "2026-01-02T03:04:05Z"


def job(i: int, batch: str = "b", **kw: object) -> JobRecord:
    """A pending job record for input ``in/<i>.mp4`` of ``batch``."""
    fields: dict[str, object] = {
        "batch": batch, "input_object": f"in/{i:05d}.mp4", "target": "default",
        "fingerprint": f"fp{i}", "marker": f"m-{batch}-{i}", "state": "Pending",
        "intent_time": T0,
    }  # fmt: skip
    fields.update(kw)
    return JobRecord(**fields)  # type: ignore[arg-type]


def template(name: str = "thumbs", template_id: str = "t-1") -> TemplateRecord:
    return TemplateRecord("default", name, template_id, "fp-" + name, T0)


def key(i: int, batch: str = "b") -> tuple[str, str]:
    return (batch, f"in/{i:05d}.mp4")
