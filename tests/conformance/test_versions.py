"""Lineage, serial, location and existence: the same rules for every backend."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from reconciler.state.document import parse_document
from reconciler.state.transfer import pull
from tests.helpers.conformance import Harness

from .records import job, key, template


def test_a_new_location_reads_empty_and_creates_nothing(harness: Harness) -> None:
    store = harness.store()
    assert not store.exists()
    snap = store.read()
    assert (snap.serial, len(snap.jobs), len(snap.templates), snap.pending_journal) == (0, 0, 0, 0)
    assert harness.storage() == [] and not store.exists()


def test_location_names_the_state_as_state_takes_it(harness: Harness) -> None:
    where = harness.store().location
    if harness.kind == "local":
        assert where.endswith("main/state.json") and "://" not in where
    else:
        assert where.startswith("cos://") and "states/main.json?region=" in where


def test_open_creates_serial_zero_with_a_lineage_that_stays(harness: Harness) -> None:
    store = harness.store()
    with store.open(command="apply") as w:
        assert w.snapshot.serial == 0
    assert store.exists() and harness.store().exists()
    first = store.read()
    uuid.UUID(first.lineage)
    assert first.serial == 0 and harness.store().read().lineage == first.lineage


def test_serial_moves_by_one_per_changed_version_only(harness: Harness) -> None:
    store = harness.store()
    with store.open(command="apply") as w:
        w.put_template(template())
        w.put_jobs([job(i) for i in range(5)])
        w.drop_job(*key(4))
        assert w.job(*key(0)) == job(0) and w.template("default", "thumbs") == template()
    first = store.read()
    assert first.serial == 1 and first.pending_journal == 0
    assert sorted(first.jobs) == [key(i) for i in range(4)]
    with store.open() as w:  # the same record again: nothing changed, no new serial
        w.put_job(job(1))
    assert store.read().serial == 1
    with store.open() as w:
        w.drop_template("default", "thumbs")
    second = harness.store().read()
    assert second.serial == 2 and not second.templates and second.lineage == first.lineage


def test_a_reader_sees_the_journal_of_a_running_writer(harness: Harness) -> None:
    store = harness.store()
    with store.open() as w:
        w.put_job(job(1))
        snap = harness.store().read()
        assert key(1) in snap.jobs and snap.pending_journal == 1
        assert snap.lineage == w.snapshot.lineage and snap.serial == w.snapshot.serial


def test_the_new_serial_is_rendered_not_patched_into_the_text(harness: Harness) -> None:
    """A record whose text looks like the serial field does not disturb the header."""
    store = harness.store()
    tricky = job(1, message='"serial": 0, "serial": 1,')
    with store.open() as w:
        w.put_job(tricky)
    doc = parse_document(pull(store), Path("pulled"))
    assert doc.serial == 1 and doc.jobs[key(1)] == tricky


def test_threads_writing_at_once_lose_nothing(harness: Harness) -> None:
    store = harness.store()
    with store.open() as w:
        threads = [
            threading.Thread(target=lambda t=t: [w.put_job(job(t * 100 + n)) for n in range(15)])
            for t in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    snap = harness.store().read()
    assert len(snap.jobs) == 90 and snap.serial == 1
