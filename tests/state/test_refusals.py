"""Damaged, foreign or newer state is refused with a clear message and never overwritten."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import LockError, StateError
from reconciler.state import LocalStateStore
from reconciler.state import entries as journal
from tests.helpers.state_records import job

LINEAGE = "0b4a4c39-5d41-4f0e-8a7e-3f3f8f6f2f11"


def _doc(**over: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "version": 1,
        "serial": 3,
        "lineage": LINEAGE,
        "templates": [],
        "jobs": [job(1).to_dict()],
    }
    doc.update(over)
    return doc


def _bytes(**over: object) -> bytes:
    return json.dumps(_doc(**over), indent=1).encode()


def _job(**over: object) -> dict[str, object]:
    raw = job(1).to_dict()
    raw.update(over)
    return raw


VALID = _bytes()
CASES: dict[str, tuple[bytes, str]] = {
    "garbage": (b"\x00\xffnot a state file", "not UTF-8"),
    "not json": (b"{version: 1}", "not valid JSON"),
    "truncated": (VALID[: len(VALID) // 2], "truncated"),
    "empty": (b"", "truncated"),
    "top level list": (b"[]", "not a JSON object"),
    "serial as text": (_bytes(serial="3"), "'serial' must be a non-negative integer"),
    "serial as bool": (_bytes(serial=True), "'serial'"),
    "negative serial": (_bytes(serial=-1), "'serial'"),
    "bad lineage": (_bytes(lineage="abc"), "not a UUID"),
    "jobs not a list": (_bytes(jobs={}), "'jobs' must be a list"),
    "job id a number": (_bytes(jobs=[_job(job_id=5)]), "jobs[0]: field 'job_id' must be a string"),
    "outputs not strings": (_bytes(jobs=[_job(outputs=[1])]), "list of strings"),
    # Any *text* state loads (the service may invent new ones: test_job_states.py); a number not.
    "state not text": (_bytes(jobs=[_job(state=5)]), "field 'state' must be a string"),
    "bad time": (_bytes(jobs=[_job(intent_time="yesterday")]), "ISO-8601"),
    "unknown record field": (_bytes(jobs=[_job(secret="x")]), "unknown field 'secret'"),
    "missing record field": (_bytes(jobs=[{"batch": "b"}]), "missing field"),
    "unknown top key": (_bytes(extra=1), "unknown key 'extra'"),
    "missing top key": (json.dumps({"version": 1, "serial": 1}).encode(), "missing key"),
    "duplicate record": (_bytes(jobs=[_job(), _job(fingerprint="x")]), "a second record"),
    "duplicate top key": (VALID.replace(b'"serial": 3', b'"serial": 3, "serial": 4'), "duplicate"),
    "duplicate record key": (
        VALID.replace(b'"state": "Pending"', b'"state": "Pending", "state": "Success"'),
        "duplicate key 'state'",
    ),
    "NaN": (VALID.replace(b'"serial": 3', b'"serial": NaN'), "NaN"),
    "older version": (_bytes(version=0), "unsupported version 0"),
    "newer version": (_bytes(version=3), "written by a newer reconciler"),
}


def _snapshot_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _assert_refused(store: LocalStateStore, message: str) -> None:
    before = _snapshot_files(store.path.parent)
    for attempt in (store.read, lambda: store.open(command="apply")):
        with pytest.raises(StateError) as info:
            attempt()
        assert not isinstance(info.value, LockError)
        assert message in str(info.value), str(info.value)
        assert "\n" not in str(info.value)
    after = _snapshot_files(store.path.parent)
    after.pop("state.json.lock", None)  # the (empty) flock file may be created by open()
    assert after == before, "a refused state must be left exactly as it was"
    assert not store.backup_path.exists() or "state.json.backup" in before


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_state_file_is_refused_and_kept(store: LocalStateStore, case: str) -> None:
    data, message = CASES[case]
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(data)
    _assert_refused(store, message)
    assert str(store.path) in str(pytest.raises(StateError, store.read).value)


def test_newer_version_message_names_the_way_out(store: LocalStateStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(_bytes(version=7))
    err = pytest.raises(StateError, store.read).value
    assert "version 7" in str(err) and "upgrade reconciler" in str(err)


def test_refusal_suggests_the_backup(store: LocalStateStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"{")
    assert "state.json.backup" in str(pytest.raises(StateError, store.read).value)


def _with_journal(store: LocalStateStore, lines: list[bytes]) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(VALID)
    store.journal_path.write_bytes(b"".join(lines))


def _line(i: int, lineage: str = LINEAGE) -> bytes:
    return journal.encode(lineage, journal.PUT_JOB, job(i))


JOURNALS: dict[str, tuple[Callable[[], list[bytes]], str]] = {
    "other lineage": (lambda: [_line(1), _line(2, str(uuid.uuid4()))], "belongs to another state"),
    "damaged middle line": (
        lambda: [_line(1), _line(2).replace(b"in/", b"IN/"), _line(3)],
        "line 2 is damaged",
    ),
    "valid checksum, bad entry": (
        lambda: [journal.HEAD + b"%08x" % 0 + journal.MID + b"}\n", _line(1)],
        "line 1 is not a valid journal entry",
    ),
}


@pytest.mark.parametrize("case", sorted(JOURNALS))
def test_bad_journal_is_refused_and_kept(store: LocalStateStore, case: str) -> None:
    make, message = JOURNALS[case]
    _with_journal(store, make())
    _assert_refused(store, message)


def test_journal_without_its_state_file_is_refused(store: LocalStateStore) -> None:
    _with_journal(store, [_line(1)])
    store.path.unlink()
    _assert_refused(store, "is missing but its journal")


def test_valid_journal_over_valid_state_replays(store: LocalStateStore) -> None:
    _with_journal(store, [_line(2), _line(3)])
    snap = store.read()
    assert len(snap.jobs) == 3 and snap.serial == 3 and snap.pending_journal == 2
