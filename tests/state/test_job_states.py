"""A job state the service invents never makes the state file unreadable (issue 14).

Reproduction: a ``Queued`` (or empty) state was saved as-is, and the next run refused the file
with "field 'state' has unknown value 'Queued'" until someone edited it by hand.
"""

from __future__ import annotations

import json

import pytest

from reconciler.model import UNKNOWN_STATE
from reconciler.model.records import INTENT_STATE, JobRecord
from reconciler.state import LocalStateStore as StateStore
from tests.helpers.state_records import T0, job

ODD_STATES = ["Queued", "", UNKNOWN_STATE, "Pending", "Pause", "排队中"]


@pytest.mark.parametrize("state", ODD_STATES)
def test_any_service_state_survives_the_journal_and_compaction(
    store: StateStore, state: str
) -> None:
    rec = job(1, state=state, job_id="j1", submitted_at=T0)
    with store.open(command="apply") as w:
        w.put_job(rec)
    with store.open(command="apply") as w:  # replayed from the file after compaction
        assert w.job("b", "in/00001.mp4") == rec
    again = store.read().jobs[("b", "in/00001.mp4")]
    assert again.state == state and not again.finished and not again.is_intent


def test_service_pending_is_not_our_intent() -> None:
    intent = job(1, state=INTENT_STATE)
    service = job(1, state="Pending", job_id="j1")
    assert intent.is_intent and not service.is_intent
    assert not intent.finished and not service.finished


def test_a_version_1_file_with_every_known_state_still_loads(store: StateStore) -> None:
    states = ["Pending", "Submitted", "Running", "Success", "Failed", "Pause", "Cancel"]
    records = [
        job(i, state=s, job_id=None if s == "Pending" else f"j{i}").to_dict()
        for i, s in enumerate(states)
    ]
    doc = {
        "version": 1,
        "serial": 2,
        "lineage": "0b4a4c39-5d41-4f0e-8a7e-3f3f8f6f2f11",
        "templates": [],
        "jobs": records,
    }
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps(doc))
    snap = store.read()
    assert [snap.jobs[("b", f"in/{i:05d}.mp4")].state for i in range(len(states))] == states
    assert [r.is_intent for r in snap.jobs.values()] == [True] + [False] * (len(states) - 1)


def test_record_from_dict_keeps_the_state_verbatim() -> None:
    raw = job(1, state="Queued", job_id="j1").to_dict()
    assert JobRecord.from_dict(raw).state == "Queued"


def test_status_table_counts_every_state_it_meets() -> None:
    from rich.console import Console

    from reconciler.cli.ui import print_status

    console = Console(record=True, width=200, color_system=None)
    records = {r.key: r for r in (job(1, state="Queued", job_id="j1"), job(2, state="Running"))}
    print_status(console, records, 0)
    text = console.export_text()
    assert "Queued" in text and "Running" in text
