"""The local file's own rules: backup, layout, a torn line, leftovers, failed writes, modes.

What every backend shares (serial, lineage, journal replay, locking) is in tests/conformance.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
from pathlib import Path

import pytest

from reconciler.state import JobRecord, LocalStateStore, TemplateRecord
from tests.helpers.state_records import job, template


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


def test_compaction_keeps_previous_file_as_backup(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_job(job(1))
    before = store.path.read_bytes()
    with store.open() as w:
        w.put_job(job(2))
    assert store.backup_path.read_bytes() == before
    assert store.read().serial == 2


def test_segment_is_sorted_one_record_per_line(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_jobs([job(3, batch="z"), job(2, batch="a"), job(1, batch="z")])
    header = json.loads(store.path.read_text())
    assert header["version"] == 2 and [s["jobs"] for s in header["segments"]] == [3]
    text = gzip.decompress((store.segments_dir / header["segments"][0]["name"]).read_bytes())
    parsed = [json.loads(line)["job"] for line in text.decode().splitlines()]
    keys = [(rec["batch"], rec["input_object"]) for rec in parsed]
    assert keys == sorted(keys) and len(keys) == 3


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
