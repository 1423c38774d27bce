"""Per-action pins: what a saved plan acted on, so it goes stale only when that moved.

A whole-state digest made almost every reviewed plan stale at merge time: ``wait`` records
jobs finishing, which moves the state but changes nothing a plan decided. A pin is the digest of
the *identity* of one record an action acts on (which job or template, with which settings):
job states, results and timestamps that a refresh writes are left out, so jobs finishing never
make a plan stale, while a concurrent apply that re-submitted a job or recreated a template does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from reconciler.model.records import INTENT_STATE, JobRecord, TemplateRecord
from reconciler.plan.actions import JobAction, TemplateAction
from reconciler.plan.jobactions import acting

ABSENT = ""  # the digest of "no record": the action expected none


@dataclass(frozen=True)
class RecordPin:
    """One record a saved plan acts on: ``kind`` "template" (key target, name) or "job" (key
    batch, input object), and the digest of its identity when the plan was made."""

    kind: str
    key: tuple[str, str]
    digest: str


def _digest(parts: Iterable[object]) -> str:
    return hashlib.sha256("\x1f".join(map(repr, parts)).encode()).hexdigest()[:16]


def template_digest(rec: TemplateRecord | None) -> str:
    if rec is None:
        return ABSENT
    return _digest((rec.target, rec.name, rec.template_id, rec.fingerprint))


def job_digest(rec: JobRecord | None) -> str:
    """Which submission the key holds; not its state (``Pending`` aside: resolving it moves
    the job ID), outputs or finish time, which refreshes write."""
    if rec is None:
        return ABSENT
    return _digest(
        (rec.target, rec.fingerprint, rec.marker, rec.job_id, rec.intent_time,
         rec.state == INTENT_STATE, rec.previous_job_ids)
    )  # fmt: skip


def record_pins(
    template_actions: Iterable[TemplateAction],
    job_actions: Iterable[JobAction],
    templates: Mapping[tuple[str, str], TemplateRecord],
    jobs: Mapping[tuple[str, str], JobRecord],
) -> tuple[RecordPin, ...]:
    """Pins for every template action and every job action that does something (kept jobs
    are not acted on, so they cannot make a plan stale)."""
    pins = [
        RecordPin(
            "template", (a.target, a.name), template_digest(templates.get((a.target, a.name)))
        )
        for a in template_actions
    ]
    pins += [
        RecordPin("job", key, job_digest(jobs.get(key)))
        for a in acting(job_actions)
        for key in [(a.batch, a.input_object)]
    ]
    return tuple(pins)


def moved_pins(
    pins: Iterable[RecordPin],
    templates: Mapping[tuple[str, str], TemplateRecord],
    jobs: Mapping[tuple[str, str], JobRecord],
) -> Iterator[RecordPin]:
    """The pins whose record is no longer what the plan saw, one at a time (a saved plan's
    pins are read from its file as they are checked)."""
    for pin in pins:
        if pin.kind == "template":
            now = template_digest(templates.get(pin.key))
        else:
            now = job_digest(jobs.get(pin.key))
        if now != pin.digest:
            yield pin
