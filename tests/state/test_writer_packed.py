"""A writer over packed records answers as a plain dict of its records would.

A writer holds the records it loaded packed (several layers, read from packs: every segment
gets one here) with its own puts and drops on top. Random puts, drops, compactions, closes
and reopens are checked against a dict: ``job()``, every accessor of the snapshot, snapshots
taken earlier (they must not change), and the state read back once closed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.model.records import JobRecord
from reconciler.state import LocalStateStore, layout
from reconciler.state.layout import full_compaction
from reconciler.state.overlaid import Overlaid
from reconciler.state.packed import PackedJobs
from reconciler.state.packfile import PackBuilder
from reconciler.state.segments import SegmentBuilder
from reconciler.state.view import RecordView
from tests.state.test_packed import _assert_same

Key = tuple[str, str]
KEYS: list[Key] = [(b, f"in/{i:03d}.mp4") for b in ("b0", "b1") for i in range(20)]
#: The base: (first key, end, version) per segment, each newer one overwriting some keys of
#: the one before and less than half its size (so no compaction merges them).
BASE = ((0, 24, 0), (20, 28, 1), (27, 30, 2))
_key = st.sampled_from(KEYS)


def _record(key: Key, version: int, odd: bool) -> JobRecord:
    """A record of the packed shape (or, ``odd``, one kept whole: a foreign fingerprint)."""
    digits = f"{KEYS.index(key):06x}{version:06x}"
    return JobRecord(
        batch=key[0],
        input_object=key[1],
        target="default",
        fingerprint="fp-odd" if odd else ".".join([digits] * 4),
        marker=f"rcn:{digits}{digits[:4]}",
        state=("Success", "Submitted", "Failed")[version % 3],
        intent_time="2026-01-01T00:00:00Z",
        job_id=None if version % 2 else f"j-{version}",
        submitted_at=None if version % 2 else "2026-01-01T00:00:01Z",
        finished_at="2026-01-01T00:00:02Z" if version % 3 != 1 else None,
    )


_op = st.one_of(
    st.tuples(st.just("put"), st.lists(_key, min_size=1, max_size=6), st.booleans()),
    st.tuples(st.just("drop"), _key),
    st.tuples(st.sampled_from(["compact", "reopen", "snapshot"])),
)


def _check(writer: RecordView, model: dict[Key, JobRecord]) -> None:
    for key in KEYS:
        assert writer.job(*key) == model.get(key)
    jobs = writer.snapshot.jobs
    if isinstance(jobs, PackedJobs):
        _assert_same(jobs, model, KEYS)
    else:  # a dict base: a new state, before its first reopen
        assert isinstance(jobs, Overlaid)
        assert list(jobs.items()) == sorted(model.items()) and len(jobs) == len(model)
        assert all(jobs.get(k) == model.get(k) and (k in jobs) == (k in model) for k in KEYS)


def _base(store: LocalStateStore) -> dict[Key, JobRecord]:
    """Write the segments of ``BASE``, each with its pack; the records they hold."""
    model: dict[Key, JobRecord] = {}
    with store.open() as writer:
        for start, end, version in BASE:
            recs = [_record(k, version, False) for k in KEYS[start:end]]
            writer.put_jobs(recs)
            model.update((r.key, r) for r in recs)
            _check(writer, model)  # over a dict: a new state's (empty) base
            writer.compact()
    return model


def _run(path: Path, ops: list[tuple[Any, ...]]) -> None:
    store = LocalStateStore(path)
    model = _base(store)
    version = len(BASE)
    taken: list[tuple[Any, dict[Key, JobRecord]]] = []
    writer = store.open()
    try:
        for op in ops:
            if op[0] == "put":
                version += 1
                recs = [_record(k, version, op[2]) for k in op[1]]
                writer.put_jobs(recs)
                model.update((r.key, r) for r in recs)
            elif op[0] == "drop":
                writer.drop_job(*op[1])
                model.pop(op[1], None)
            elif op[0] == "compact":
                writer.compact()
            elif op[0] == "reopen":
                writer.close()
                writer = store.open()
            else:
                taken.append((writer.snapshot.jobs, dict(model)))
            _check(writer, model)
    finally:
        writer.close()
    for jobs, then in taken:  # later writes never show in a snapshot taken before them
        _assert_same(jobs, then, KEYS)
    read = store.read().jobs
    assert dict(read.items()) == model and list(read) == sorted(model)


# The monkeypatch is the same for every input: sharing it between them is what is wanted.
_SLOW_SHARED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@settings(max_examples=60, deadline=None, suppress_health_check=_SLOW_SHARED)
@given(ops=st.lists(_op, max_size=25))
def test_writer_over_packed_records_is_a_dict(
    ops: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Packs for every segment, and every segment of more than one job in a layer of its own.
    monkeypatch.setattr(layout, "PACK_MIN_JOBS", 1)
    monkeypatch.setitem(layout.load_state.__kwdefaults__, "small_segment", 1)
    with tempfile.TemporaryDirectory() as tmp:
        _run(Path(tmp) / "state.json", ops)


def test_writer_loads_packed_layers_from_packs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base really is packed in several layers, read from packs (not the segments)."""
    monkeypatch.setattr(layout, "PACK_MIN_JOBS", 1)
    monkeypatch.setitem(layout.load_state.__kwdefaults__, "small_segment", 1)
    store = LocalStateStore(tmp_path / "state.json")
    model = _base(store)
    read_packs: list[str] = []
    real = store.read_pack
    monkeypatch.setattr(store, "read_pack", lambda name: read_packs.append(name) or real(name))
    with store.open() as writer:
        jobs = writer.snapshot.jobs
        assert isinstance(jobs, PackedJobs) and len(jobs._layers) == len(BASE)
        assert len(read_packs) == len(BASE) and dict(jobs.items()) == model
        writer.drop_job(*KEYS[0])
        assert len(writer.snapshot.jobs) == len(model) - 1 and len(jobs) == len(model)


def _segment(records: Mapping[Key, JobRecord]) -> tuple[bytes, bytes]:
    """The bytes of the segment (and of its pack) a full compaction of ``records`` writes."""
    comp = replace(full_compaction(7, "lineage", {}, records), name="fixed")
    builder, pack = SegmentBuilder(comp.name), PackBuilder()
    body = b"".join(builder.add(line) for line in comp.lines(pack)) + builder.finish()
    return body, pack.encode(builder.info())


def test_full_compaction_of_packed_records_writes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records streamed off packed layers with changes on top make the very segment and pack
    a dict of the same records makes."""
    monkeypatch.setattr(layout, "PACK_MIN_JOBS", 1)
    monkeypatch.setitem(layout.load_state.__kwdefaults__, "small_segment", 1)
    store = LocalStateStore(tmp_path / "state.json")
    model = _base(store)
    jobs = store.read().jobs
    assert isinstance(jobs, PackedJobs)
    changes: dict[Key, JobRecord | None] = {KEYS[0]: None, KEYS[25]: None}
    changes |= {k: _record(k, 9, i % 2 == 0) for i, k in enumerate(KEYS[3:40:4])}
    expected = {k: r for k, r in (model | changes).items() if r is not None}
    for records in (jobs, Overlaid(jobs, changes)):
        want = expected if records is not jobs else model
        assert _segment(records) == _segment(dict(sorted(want.items())))
