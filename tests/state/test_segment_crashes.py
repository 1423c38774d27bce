"""``kill -9`` at every file-system write of a v2 compaction: segment write and rename, backup
link, header write, journal truncation, segment garbage collection; on a plain append, a merge
of tiers and a v1 migration. After each kill the state must read whole (every acknowledged
change in it, nothing lost), and the next writer must recover it and leave no litter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.state import LocalStateStore, layout
from reconciler.state.document import parse_document
from reconciler.state.packfile import pack_name
from tests.helpers.state_records import job

CHILD = Path(__file__).with_name("segchild.py")
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "state-v1.json"


def _base(path: Path, scenario: str) -> None:
    if scenario == "migrate":
        path.parent.mkdir(parents=True)
        shutil.copy(FIXTURE, path)
        return
    store = LocalStateStore(path)
    with store.open() as w:
        w.put_jobs([job(i) for i in range(60)])
    runs = 5 if scenario in ("merge", "packs") else 0  # 5: the close also deletes replaced segments
    for run in range(runs):
        with store.open() as w:
            w.put_jobs([job(100 + run * 5 + i) for i in range(2)])


def _expected(path: Path) -> dict[tuple[str, str], object]:
    snap = LocalStateStore(path).read()
    jobs: dict[tuple[str, str], object] = dict(snap.jobs)
    jobs.update((r.key, r) for r in (job(900), job(901), job(902), job(1, state="Failed")))
    jobs.pop(("b", "in/00002.mp4"), None)  # (not in the v1 fixture: a no-op drop there)
    return jobs


def _check_recovered(path: Path, expected: dict[tuple[str, str], object], serial: int) -> None:
    store = LocalStateStore(path)
    assert dict(store.read().jobs) == expected  # readable as left, before any recovery
    with store.open() as w:
        assert dict(w.snapshot.jobs) == expected
    after = store.read()
    assert dict(after.jobs) == expected and after.serial == serial + 1 and after.version == 2
    header = json.loads(path.read_text())
    backup = path.with_name(path.name + ".backup")
    names = {s["name"] for s in header["segments"]}
    if backup.exists() and b'"segments"' in backup.read_bytes():
        names |= {s["name"] for s in json.loads(backup.read_text())["segments"]}
    files = {p.name for p in store.segments_dir.iterdir()}
    assert names <= files <= names | {pack_name(n) for n in names}  # no orphans, no tmp
    assert not [p for p in path.parent.iterdir() if ".tmp." in p.name]


@pytest.mark.parametrize("scenario", ["append", "merge", "migrate", "packs"])
def test_kill_at_every_write_of_a_compaction(
    tmp_path: Path, scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``packs``: as ``merge``, every segment with its pack sidecar (here and in the child)."""
    if scenario == "packs":
        monkeypatch.setattr(layout, "PACK_MIN_JOBS", 1)
    landed = 0
    for n in range(1, 200):
        path = tmp_path / str(n) / "state.json"
        _base(path, scenario)
        serial = parse_document(FIXTURE.read_bytes(), FIXTURE).serial if scenario == "migrate" \
            else LocalStateStore(path).read().serial  # fmt: skip
        expected = _expected(path)
        done = subprocess.run(
            [sys.executable, str(CHILD), str(path), str(n), *(["packs"] * (scenario == "packs"))],
            capture_output=True,
            text=True,
        )
        assert "DURABLE" in done.stdout, done.stderr
        if "CLOSED" in done.stdout:
            assert n > 8  # the close has at least that many write points
            _check_recovered(path, expected, serial)
            break
        assert done.returncode == -9, done.stderr
        landed += 1
        _check_recovered(path, expected, serial)
        shutil.rmtree(path.parent)
    assert landed >= 8
