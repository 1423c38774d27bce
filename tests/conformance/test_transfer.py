"""``state pull`` and ``state push`` with Terraform's rules, against every backend."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.errors import StateError
from reconciler.state.document import Document, parse_document, render_document
from reconciler.state.protocols import StateStore
from reconciler.state.transfer import pull, push
from tests.helpers.conformance import Harness

from .records import job, key


def _write(path: Path, doc: Document) -> Path:
    path.write_bytes(render_document(doc.serial, doc.lineage, doc.templates, doc.jobs))
    return path


def _with_jobs(store: StateStore, *numbers: int) -> Document:
    """Write ``numbers`` in one version; returns the state as pulled."""
    with store.open() as w:
        w.put_jobs([job(i) for i in numbers])
    return parse_document(pull(store), Path("pulled"))


def _unchanged(store: StateStore, before: bytes) -> None:
    assert pull(store) == before


def test_pull_of_a_state_that_does_not_exist_is_an_error(harness: Harness) -> None:
    store = harness.store()
    with pytest.raises(StateError, match="does not exist") as err:
        pull(store)
    assert store.location in str(err.value) and not store.exists()


def test_push_keeps_the_files_lineage_and_serial(harness: Harness, tmp_path: Path) -> None:
    store = harness.store()
    pulled = _with_jobs(store, 1)
    edited = replace(pulled, serial=pulled.serial + 5, jobs={**pulled.jobs, key(2): job(2)})
    said = push(store, _write(tmp_path / "edited.json", edited))
    snap = harness.store().read()
    assert (snap.lineage, snap.serial) == (pulled.lineage, pulled.serial + 5)
    assert sorted(snap.jobs) == [key(1), key(2)] and f"serial {edited.serial}" in said
    with harness.store().open() as w:  # the next version follows on from the pushed serial
        w.put_job(job(3))
    assert harness.store().read().serial == pulled.serial + 6


def test_a_copy_moves_to_a_new_location_as_the_same_state(harness: Harness, tmp_path: Path) -> None:
    source = _with_jobs(harness.store(), 1, 2)
    target = harness.store_at("copy")
    push(target, _write(tmp_path / "pulled.json", source))
    assert parse_document(pull(target), Path("copy")) == source


def test_push_of_the_same_version_again_changes_nothing(harness: Harness, tmp_path: Path) -> None:
    store = harness.store()
    pulled = _with_jobs(store, 1)
    before = pull(store)
    said = push(store, _write(tmp_path / "same.json", pulled))
    assert "nothing to do" in said
    _unchanged(store, before)


@pytest.mark.parametrize(
    "change, reason",
    [
        ("older", "newer than"),
        ("lineage", "different states"),
        ("same serial", "both at serial"),
    ],
)
def test_push_refuses_what_could_forget_records_unless_forced(
    harness: Harness, tmp_path: Path, change: str, reason: str
) -> None:
    store = harness.store()
    old = _with_jobs(store, 1)
    now = _with_jobs(store, 2)  # serial 2, two jobs
    pushed = {
        "older": old,
        "lineage": replace(now, lineage="0b4a4c39-5d41-4f0e-8a7e-3f3f8f6f2f11", serial=9),
        "same serial": replace(now, jobs={key(3): job(3)}),
    }[change]
    file = _write(tmp_path / "pushed.json", pushed)
    before = pull(store)
    with pytest.raises(StateError) as refused:
        push(store, file)
    message = str(refused.value)
    assert reason in message and "--force" in message and "\n" not in message
    _unchanged(store, before)
    said = push(store, file, force=True)
    snap = harness.store().read()
    assert snap.lineage == pushed.lineage and dict(snap.jobs) == pushed.jobs
    assert snap.serial == max(pushed.serial, now.serial + 1), said


def test_an_empty_state_accepts_any_file(harness: Harness, tmp_path: Path) -> None:
    other = _with_jobs(harness.store_at("elsewhere"), 1)
    store = harness.store()
    with store.open():
        pass  # exists, serial 0, no records, its own lineage
    push(store, _write(tmp_path / "other.json", other))
    snap = store.read()
    assert (snap.lineage, snap.serial, list(snap.jobs)) == (other.lineage, 1, [key(1)])
