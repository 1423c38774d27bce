"""State format v2 on every backend: migration from v1, writes in proportion to the changes,
tiered merging, garbage collection, and readers racing compactions."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from reconciler.model.records import JobRecord
from reconciler.state.document import Document, parse_document
from reconciler.state.segments import MAX_SEGMENTS
from reconciler.state.transfer import pull
from tests.helpers.conformance import Harness

from .records import job, key, template

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "state-v1.json"


def _segments(harness: Harness) -> list[str]:
    return [n for n in harness.storage() if n.endswith(".jsonl.gz")]


def test_a_real_v1_state_loads_and_is_migrated_on_the_first_write(harness: Harness) -> None:
    v1 = parse_document(FIXTURE.read_bytes(), FIXTURE)
    assert v1.version == 1 and v1.written_at == ""
    harness.plant(FIXTURE.read_bytes())
    snap = harness.store().read()
    assert (snap.version, snap.serial, snap.lineage) == (1, v1.serial, v1.lineage)
    assert dict(snap.jobs) == v1.jobs and dict(snap.templates) == v1.templates
    assert any(r.is_intent for r in snap.jobs.values())
    with harness.store().open() as w:  # nothing written: still the v1 version, as it was
        assert w.job("videos", "in/clip-00 é.mp4") == v1.jobs[("videos", "in/clip-00 é.mp4")]
    assert harness.store().read().version == 1 and _segments(harness) == []
    with harness.store().open() as w:
        w.put_job(job(1))
    after = harness.store().read()
    assert (after.version, after.serial, after.lineage) == (2, v1.serial + 1, v1.lineage)
    assert dict(after.jobs) == {**v1.jobs, key(1): job(1)} and dict(after.templates) == v1.templates
    datetime.fromisoformat(after.written_at)
    assert len(_segments(harness)) == 1  # every record, in one segment
    copy = parse_document(pull(harness.store()), Path("pulled"))
    assert copy.version == 2 and copy.jobs == dict(after.jobs) and copy.serial == after.serial


def _many(n: int, start: int = 0) -> list[JobRecord]:
    """Finished jobs with hash-like IDs (as real ones are: they do not compress away)."""
    return [
        job(i, state="Success", job_id="j" + _hex(i, 31), fingerprint=_hex(-i, 64))
        for i in range(start, start + n)
    ]


def _hex(seed: int, width: int) -> str:
    return hashlib.sha256(str(seed).encode()).hexdigest()[:width]


def test_a_run_writes_in_proportion_to_what_it_changed(harness: Harness) -> None:
    """1,000 new jobs over a state of 100,000: the run writes about 1,000 records' worth, not
    the state (one segment of 100,000 records). Counted: locally the files left (segment,
    header, backup; the journal is deleted at close), on COS every PUT (journal chunks too)."""
    with harness.store().open() as w:
        records = {r.key: r for r in _many(100_000)}
        w.replace_all(Document(2, 1, w.snapshot.lineage, {}, records))
    base = harness.written()
    assert base > 5_000_000
    with harness.store().open(command="apply") as w:
        w.put_jobs(_many(1000, start=100_000))
        w.put_job(replace(job(5), state="Failed"))  # one change to an old record
    run = harness.written() - base
    assert 10_000 < run < min(2_000_000, base / 5), (run, base)
    snap = harness.store().read()
    assert len(snap.jobs) == 101_000 and snap.jobs[key(5)].state == "Failed"
    with harness.store().open() as w:  # nothing changed: nothing but the lock is written
        w.put_job(job(7, state="Success", job_id=f"j{7:031x}"))
    assert harness.written() - base - run < 10_000


def test_segments_merge_in_tiers_and_reads_stay_exact(harness: Harness) -> None:
    model: dict[tuple[str, str], JobRecord] = {}
    counts = []
    for run in range(40):
        with harness.store().open() as w:
            if run % 7 == 3:
                w.put_template(template(name=f"t{run}"))
            recs = [job(run * 10 + i, fingerprint=f"r{run}") for i in range(1 + run % 5)]
            recs += [job(i, fingerprint=f"again{run}") for i in range(0, run, 9)]  # overwrites
            w.put_jobs(recs)
            model.update((r.key, r) for r in recs)
            fresh = {r.key for r in recs}
            old = [k for k in sorted(model) if k not in fresh]
            for gone in old[run % 3 :: 17][:2]:
                w.drop_job(*gone)
                del model[gone]
        snap = harness.store().read()
        assert dict(snap.jobs) == model and snap.serial == run + 1
        header = json.loads(pull_header(harness))
        counts.append(len(header["segments"]))
    assert max(counts) <= 8 < MAX_SEGMENTS  # O(log N) segments ...
    assert sum(c > 1 for c in counts) > len(counts) // 2  # ... in tiers, not rewritten whole
    assert len(harness.store().read().templates) == 6


def pull_header(harness: Harness) -> bytes:
    store = harness.store()
    if harness.kind == "local":
        return Path(store.location).read_bytes()
    from reconciler.state.cos.objects import read_newest
    from reconciler.state.cos.store import CosStateStore

    assert isinstance(store, CosStateStore)
    found = read_newest(store.objects, store.states_prefix, "gone")
    assert found is not None
    return found[1]


def test_replaced_segments_are_deleted(harness: Harness) -> None:
    for run in range(14):
        with harness.store().open() as w:
            w.put_jobs([job(run * 100 + i) for i in range(run + 1)])
    named = {s["name"] for s in json.loads(pull_header(harness))["segments"]}
    stored = {n.rsplit("/", 1)[1] for n in _segments(harness)}
    assert named <= stored
    # Locally the previous header's segments stay (state.json.backup); on COS those of the
    # versions kept (KEEP_VERSIONS): never all 14.
    assert len(stored) < 14


def test_readers_racing_compactions_always_see_a_whole_state(harness: Harness) -> None:
    errors: list[BaseException] = []
    done = threading.Event()

    def read_forever() -> None:
        while not done.is_set():
            try:
                snap = harness.store().read()
                assert len(snap.jobs) == max(0, snap.serial) * 3 or snap.pending_journal
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    reader = threading.Thread(target=read_forever)
    reader.start()
    try:
        for run in range(25):
            with harness.store().open() as w:
                w.put_jobs([job(run * 3 + i) for i in range(3)])
    finally:
        done.set()
        reader.join()
    assert not errors, errors[0]
