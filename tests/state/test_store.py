"""Round trips, compaction, serial/lineage rules, the journal's torn tail, leftovers, modes."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest

from reconciler.errors import StateError
from reconciler.state import JobRecord, LocalStateStore, TemplateRecord

from .conftest import job, template


def test_record_dict_round_trip_keeps_every_field() -> None:
    rec = job(
        1,
        state="Success",
        job_id="j-1",
        submitted_at="2026-01-02T03:04:06Z",
        finished_at="2026-01-02T03:05:00+00:00",
        code="Success",
        message="ok",
        outputs=("out/1/0.jpg", "out/1/1.jpg"),
        sprites=("out/1/sprite.jpg",),
        previous_job_ids=("j-0",),
    )
    assert JobRecord.from_dict(json.loads(json.dumps(rec.to_dict()))) == rec
    tpl = template()
    assert TemplateRecord.from_dict(tpl.to_dict()) == tpl
    assert rec.key == ("b", "in/00001.mp4") and rec.finished


def test_missing_file_is_an_empty_state_and_nothing_is_created(store: LocalStateStore) -> None:
    snap = store.read()
    assert (snap.serial, len(snap.jobs), len(snap.templates), snap.pending_journal) == (0, 0, 0, 0)
    assert not store.path.parent.exists()


def test_writes_survive_reopen_and_serial_moves_only_on_change(store: LocalStateStore) -> None:
    with store.open(command="apply") as w:
        assert w.snapshot.serial == 0
        w.put_template(template())
        w.put_jobs([job(i) for i in range(5)])
        w.put_job(dataclasses.replace(job(0), state="Submitted", job_id="j0"))
        w.drop_job("b", "in/00004.mp4")
        assert w.job("b", "in/00000.mp4") == w.snapshot.jobs[("b", "in/00000.mp4")]
        assert w.snapshot.pending_journal == 8
    first = store.read()
    assert first.serial == 1 and first.pending_journal == 0
    assert first.jobs[("b", "in/00000.mp4")].job_id == "j0"
    assert sorted(first.jobs) == [("b", f"in/{i:05d}.mp4") for i in range(4)]
    assert first.templates[("default", "thumbs")] == template()

    with store.open() as w:  # same content written again: no new serial
        w.put_job(first.jobs[("b", "in/00001.mp4")])
    assert store.read().serial == 1
    with store.open() as w:
        w.drop_template("default", "thumbs")
    second = store.read()
    assert second.serial == 2 and not second.templates
    assert second.lineage == first.lineage


def test_compaction_keeps_previous_file_as_backup(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_job(job(1))
    before = store.path.read_bytes()
    with store.open() as w:
        w.put_job(job(2))
    assert store.backup_path.read_bytes() == before
    assert store.read().serial == 2


def test_file_is_sorted_one_record_per_line(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_jobs([job(3, batch="z"), job(2, batch="a"), job(1, batch="z")])
    text = store.path.read_text()
    job_lines = [line for line in text.splitlines() if '"batch"' in line]
    parsed = [json.loads(line.rstrip(",")) for line in job_lines]
    keys = [(rec["batch"], rec["input_object"]) for rec in parsed]
    assert keys == sorted(keys) and len(keys) == 3
    assert json.loads(text)["version"] == 1


def test_read_sees_journal_of_a_running_writer(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_job(job(1))
        snap = store.read()
        assert ("b", "in/00001.mp4") in snap.jobs and snap.pending_journal == 1
        assert snap.lineage == w.snapshot.lineage


def test_torn_last_journal_line_is_dropped_and_cleaned(store: LocalStateStore) -> None:
    w = store.open()
    w.put_jobs([job(1), job(2)])
    w.abandon()  # like a crash: journal kept, not compacted
    data = store.journal_path.read_bytes()
    lines = data.splitlines(keepends=True)
    store.journal_path.write_bytes(data + lines[-1][: len(lines[-1]) // 2])  # half a third entry
    snap = store.read()
    assert sorted(snap.jobs) == [("b", "in/00001.mp4"), ("b", "in/00002.mp4")]
    with store.open() as w2:
        assert w2.snapshot.pending_journal == 0  # recovered into the file at open
        w2.put_job(job(3))
    assert len(store.read().jobs) == 3 and not store.journal_path.exists()


def test_torn_line_cut_before_its_newline_is_dropped(store: LocalStateStore) -> None:
    w = store.open()
    w.put_jobs([job(1), job(2)])
    w.abandon()
    store.journal_path.write_bytes(store.journal_path.read_bytes()[:-2])
    assert sorted(store.read().jobs) == [("b", "in/00001.mp4")]


def test_leftover_tmp_files_are_ignored_then_removed(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_job(job(1))
    leftover = store.path.with_name("state.json.tmp.deadbeef")
    leftover.write_bytes(b'{"version": 1, "serial": 99')  # a crash in the middle of a write
    assert store.read().serial == 1
    with store.open():
        assert not leftover.exists()


def test_failed_compaction_leaves_file_and_journal_to_recover(
    store: LocalStateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.open() as w:
        w.put_job(job(1))
    before = store.path.read_bytes()
    w = store.open()
    w.put_job(job(2))

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        w.close()
    monkeypatch.undo()
    assert store.path.read_bytes() == before  # the old file is intact
    assert not list(store.path.parent.glob("*.tmp.*"))  # and the tmp file was removed
    snap = store.read()
    assert ("b", "in/00002.mp4") in snap.jobs and snap.pending_journal == 1
    with store.open() as w2:  # the lock was released despite the failure
        assert w2.snapshot.serial == 2


def test_closed_writer_refuses_writes(store: LocalStateStore) -> None:
    w = store.open()
    w.close()
    w.close()  # idempotent
    with pytest.raises(StateError, match="closed"):
        w.put_job(job(1))


def test_all_files_are_private(store: LocalStateStore, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with store.open(command="apply") as w:
            w.put_job(job(1))
            assert _mode(store.journal_path) == 0o600
            assert _mode(store.path.with_name("state.json.lock.info")) == 0o600
        with store.open() as w:
            w.put_job(job(2))
    finally:
        os.umask(old)
    for name in ("state.json", "state.json.backup", "state.json.lock"):
        assert _mode(store.path.with_name(name)) == 0o600, name
    assert _mode(store.path.parent) == 0o700


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
