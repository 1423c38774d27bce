"""The packed jobs of a read-only snapshot equal the dict of records read the old way.

Random records (odd shapes included), random stacks of segments (lines sorted as writers write
them, or shuffled with duplicates), tombstones and a journal: the packed Mapping must hold the
same keys in sorted order and records ``==`` to ``JobRecord.from_dict`` of each line.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.errors import StateError
from reconciler.model.records import JobRecord
from reconciler.state import LocalStateStore
from reconciler.state.entries import DROP_JOB, PUT_JOB, Entry
from reconciler.state.layers import CHUNK, SPARSE, shadow
from reconciler.state.layout import load_state
from reconciler.state.packed import PackedJobs, replay_onto
from reconciler.state.packing import Layer, Pools
from reconciler.state.segments import Header, SegmentBuilder, render_header, segment_name
from reconciler.state.view import read_snapshot, replay, snapshot_of
from tests.helpers.state_records import T0, job, packable

Key = tuple[str, str]
HEX = "0123456789abcdef"
_hex = st.text(HEX, min_size=12, max_size=12)
_word = st.sampled_from(["", "Success", "Failed", "Unknown", "ÄÖ", "b0", "2026-01-01T00:00:00Z"])
_time = st.sampled_from(
    ["2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-11-29T09:00:00+08:00"]
)
_key_text = st.sampled_from(["a", "b", "in/v-1.mp4", "in/v-2.mp4", "é", "\x00z", "日本"])
_short = st.text(st.characters(codec="utf-8"), max_size=6)
#: Values that do not fit the packed shape, per field: the record is then kept whole.
_ODD: dict[str, st.SearchStrategy[Any]] = {
    "fingerprint": st.sampled_from(
        [
            "0" * 64,
            "fp1",
            "",
            "ABCDEF012345.d0b31e34fd53.7a91a90ff64e.b152f97cd3e9",
            "8fbedc0cef8c.d0b31e34fd53.7a91a90ff64e.b152f97cd3e",
            "8fbedc0cef8c d0b31e34fd53",
        ]
    ),  # fmt: skip
    "marker": st.sampled_from(
        ["", "m-1", "rcn:ABCDEF0123456789", "rcn:0123", "xyz:0123456789abcdef"]
    ),
    "job_id": st.sampled_from(["a\x00b", "\ud800"]),
    "outputs": st.sampled_from([["x"] * 1030, ["\x00"], ["a", "\udcff"]]),
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A job line's value as a writer renders it (every field present); now and then one
    field has a value the packed table does not take."""
    digits = draw(st.tuples(_hex, _hex, _hex, _hex))
    value = {
        "batch": draw(st.sampled_from(["b0", "b1", "bé"])),
        "input_object": draw(_key_text),
        "target": draw(_word.filter(bool) | st.sampled_from(["t", "b0", "b1"])),
        "fingerprint": ".".join(digits),
        "marker": "rcn:" + draw(st.text(HEX, min_size=16, max_size=16)),
        "state": draw(_word | st.text(max_size=5)),  # states we do not know included
        "intent_time": draw(_time),
        "job_id": draw(st.none() | _short | st.just("s" + "0" * 31)),
        "submitted_at": draw(st.none() | _time),
        "finished_at": draw(st.none() | _time),
        "code": draw(_word),
        "message": draw(_word | st.text(max_size=10)),
        "outputs": draw(st.lists(_short, max_size=4)),
        "sprites": draw(st.lists(_short, max_size=2)),
        "previous_job_ids": draw(st.lists(_short, max_size=2)),
    }
    odd = draw(st.sampled_from([None, None, None, *_ODD]))
    if odd is not None:
        value[odd] = draw(_ODD[odd])
    return value


_line = st.one_of(
    records().map(lambda r: {"job": r}),
    st.tuples(st.sampled_from(["b0", "b1"]), _key_text).map(lambda k: {"drop_job": list(k)}),
)
_segment = st.tuples(st.lists(_line, max_size=12), st.booleans())  # (lines, sorted as written)


def _key(line: dict[str, Any]) -> tuple[str, str]:
    value = line.get("job")
    return (value["batch"], value["input_object"]) if value else tuple(line["drop_job"])  # type: ignore[return-value]


def _write_state(directory: Path, segments: list[tuple[list[dict[str, Any]], bool]]) -> bytes:
    """Segment files in ``directory`` and the header naming them (oldest first)."""
    infos = []
    for serial, (lines, in_order) in enumerate(segments, 1):
        if in_order:  # as encode_lines writes: one line per key, sorted
            lines = [dict({_key(x): x for x in lines})[k] for k in sorted({_key(x) for x in lines})]
        name = segment_name(serial)
        builder = SegmentBuilder(name)
        body = b"".join(builder.add(json.dumps(x).encode() + b"\n") for x in lines)
        (directory / name).write_bytes(body + builder.finish())
        infos.append(builder.info())
    header = Header(len(segments), str(uuid.uuid4()), "2026-01-01T00:00:00Z", tuple(infos))
    return render_header(header)


def _journal(draw_lines: list[dict[str, Any]]) -> list[Entry]:
    entries: list[Entry] = []
    for line in draw_lines:
        if "job" in line:
            entries.append((PUT_JOB, JobRecord.from_dict(line["job"])))
        else:
            entries.append((DROP_JOB, tuple(line["drop_job"])))
    return entries


def _briefed(rec: JobRecord) -> tuple[str, str, str | None]:
    return rec.fingerprint, rec.state, rec.job_id


def _times(recs: Iterable[JobRecord]) -> set[str]:
    return {t for r in recs for t in (r.intent_time, r.submitted_at, r.finished_at) if t}


def _assert_same(jobs: PackedJobs, expected: Mapping[Key, JobRecord], probes: list[Key]) -> None:
    """Every accessor of ``jobs`` answers as the dict ``expected`` does (``probes``: keys to
    look up, present or not)."""
    ordered = sorted(expected)
    assert len(jobs) == len(expected)
    assert list(jobs) == ordered
    assert list(jobs.items()) == [(k, expected[k]) for k in ordered]
    assert list(jobs.pairs()) == [(k, expected[k]) for k in ordered]
    assert list(jobs.values()) == [expected[k] for k in ordered]
    assert list(jobs.briefs()) == [(k, _briefed(expected[k])) for k in ordered]
    without = list(jobs.briefs(job_ids=False))  # a packed row's job ID is left out (None)
    assert [k for k, _ in without] == ordered
    for key, (fingerprint, state, job_id) in without:
        assert (fingerprint, state) == _briefed(expected[key])[:2]
        assert job_id in (None, expected[key].job_id)
    assert jobs == expected
    for key in [*probes, ("b0", "never"), ("b9", "a")]:
        rec = expected.get(key)
        assert (key in jobs) == (rec is not None)
        assert jobs.get(key) == rec and jobs.get(key, "none") == (rec or "none")
        assert jobs.brief(key) == (None if rec is None else _briefed(rec))
    assert jobs.times() == _times(expected.values())
    unfinished = list(jobs.unfinished())
    assert sorted(r.key for r in unfinished) == sorted(
        k for k, r in expected.items() if r.job_id and not r.finished
    )
    assert all(r == expected[r.key] for r in unfinished)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(_segment, max_size=5),
    journal=st.lists(_line, max_size=5),
    small=st.sampled_from([0, 2, 1000]),
)
def test_packed_snapshot_equals_the_dict_read(
    tmp_path_factory: pytest.TempPathFactory,
    segments: list[tuple[list[dict[str, Any]], bool]],
    journal: list[dict[str, Any]],
    small: int,
) -> None:
    """``small`` 0 gives every segment a layer of its own: several big layers read as one."""
    directory = tmp_path_factory.mktemp("seg")
    header = _write_state(directory, segments)
    path = directory / "state.json"

    def read(name: str) -> bytes | None:
        return (directory / name).read_bytes()

    entries = _journal(journal)
    old = load_state(header, path, read)
    replay(old.doc, entries)
    expected = snapshot_of(old.doc, len(entries)).jobs
    loaded = load_state(header, path, read, packed=True, small_segment=small)
    assert loaded.packed is not None
    event(f"{len(loaded.packed)} layer(s)")
    jobs = read_snapshot(loaded, entries).jobs
    assert isinstance(jobs, PackedJobs)
    probes = [_key(line) for line in [x for seg, _ in segments for x in seg] + journal]
    _assert_same(jobs, expected, probes)
    for batches in ({"b0"}, {"b1", "bé"}, set()):
        wanted = {k: r for k, r in expected.items() if k[0] in batches}
        _assert_same(jobs.only(batches), wanted, probes)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(_segment, min_size=1, max_size=5),
    journal=st.lists(_line, max_size=5),
    chunk=st.sampled_from([1, 2, CHUNK]),
    sparse=st.sampled_from([0, 1, SPARSE, 10**9]),
)
def test_layers_with_pools_of_their_own_read_as_one(
    segments: list[tuple[list[dict[str, Any]], bool]],
    journal: list[dict[str, Any]],
    chunk: int,
    sparse: int,
) -> None:
    """A layer per segment, each with its own pools (codes differ between tables), names
    matched a block at a time or looked up one by one (``chunk``, ``sparse``)."""
    expected: dict[Key, JobRecord] = {}
    layers = []
    for lines, in_order in segments:
        if in_order:  # as encode_lines writes: one line per key, sorted
            lines = [dict({_key(x): x for x in lines})[k] for k in sorted({_key(x) for x in lines})]
        layer = Layer(Pools())
        for line in lines:
            key = _key(line)
            if "job" in line:
                layer.job(line["job"])
                expected[key] = JobRecord.from_dict(line["job"])
            else:
                layer.drop(key)
                expected.pop(key, None)
        layers.append(layer.seal())
    entries = _journal(journal)
    replay_onto(layers[-1], entries)
    for op, value in entries:
        if op == PUT_JOB:
            expected[value.key] = value
        else:
            expected.pop(value, None)
    jobs = PackedJobs(layers, shadow(layers, chunk, sparse))
    probes = [_key(line) for line in [x for seg, _ in segments for x in seg] + journal]
    _assert_same(jobs, expected, probes)
    for batches in ({"b0"}, {"b1", "bé"}):
        wanted = {k: r for k, r in expected.items() if k[0] in batches}
        _assert_same(jobs.only(batches), wanted, probes)


def test_big_layers_are_read_as_one_without_packing_again(tmp_path: Path) -> None:
    """A base, a big newer segment over keys all along it (updates and tombstones included)
    and a few keys on top: two layers (the few keys in the second's overlay), the base
    partly hidden by both: matched in bulk (the second's table) and one by one (its overlay,
    few next to the base)."""
    old = "2020-01-01T00:00:00Z"
    base = [packable(i, intent_time=old if i % 7 == 0 else T0) for i in range(0, 800, 2)]
    second = [packable(i, state="Running") for i in range(1, 800, 8)]  # new keys
    second += [packable(i, state="Failed") for i in range(0, 800, 14)]  # updates
    third = [packable(i, state="Success", finished_at="2026-05-05T00:00:00Z") for i in (3, 4, 5)]
    lines = [[{"job": r.to_dict()} for r in recs] for recs in (base, second, third)]
    lines[1] += [{"drop_job": ["b", f"in/{i:05d}.mp4"]} for i in range(2, 800, 70)]
    lines[2] += [{"drop_job": ["b", "in/00006.mp4"]}, {"drop_job": ["b", "in/00009.mp4"]}]
    header = _write_state(tmp_path, [(x, True) for x in lines])
    read = lambda n: (tmp_path / n).read_bytes()  # noqa: E731
    loaded = load_state(header, tmp_path / "s.json", read, packed=True, small_segment=0)
    assert loaded.packed is not None and len(loaded.packed) == 2
    expected = load_state(header, tmp_path / "s.json", read).doc.jobs
    jobs = read_snapshot(loaded, []).jobs
    assert isinstance(jobs, PackedJobs)
    _assert_same(jobs, expected, [(k[0], k[1]) for k in expected] + [("b", "in/00006.mp4")])
    # the base, new keys, base keys dropped; on top two new keys, two keys dropped
    assert len(jobs) == 400 + 100 - 12 + 2 - 2
    assert old in {r.intent_time for r in base} and old not in jobs.times()  # all replaced
    assert jobs.brief(("b", "in/00004.mp4")) == _briefed(third[1])


def test_a_read_of_a_real_store_is_packed_and_equal(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_jobs([packable(i, outputs=("a", "b")) for i in range(50)])
        w.put_jobs([packable(i, outputs=(f"o{i}",)) for i in range(70, 75)])  # the common shape
        w.put_jobs([job(i, batch="odd") for i in range(3)])  # fingerprints of another shape
    with store.open() as w:  # a second, small segment on top
        w.put_jobs([packable(i, state="Failed") for i in range(10, 15)])
        w.drop_job("b", "in/00003.mp4")
    writer = store.open()  # a journal left behind: the read replays it
    try:
        writer.put_jobs([packable(60), packable(11, state="Success")])
        writer.drop_job("b", "in/00004.mp4")
        expected = writer.snapshot.jobs
        snap = store.read()
    finally:
        writer.abandon()
    jobs = snap.jobs
    assert isinstance(jobs, PackedJobs) and snap.pending_journal == 3
    assert dict(jobs) == dict(expected) and list(jobs) == sorted(expected)
    assert len(jobs) == 50 + 5 + 3 - 2 + 1
    assert jobs[("b", "in/00071.mp4")].outputs == ("o71",)
    assert jobs[("b", "in/00011.mp4")].state == "Success"
    assert ("b", "in/00003.mp4") not in jobs and jobs.get(("b", "in/00004.mp4")) is None
    assert jobs.brief(("b", "in/00020.mp4")) == (
        packable(20).fingerprint,
        "Pending",
        f"s{20:031x}",
    )
    with pytest.raises(KeyError):
        jobs[("nope", "nope")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.dictionaries(
        st.sampled_from(["b0", "b1", "é"]),
        st.sets(
            st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1),
            min_size=10,
            max_size=60,
        ),
        min_size=1,
    ),
    probes=st.lists(st.text(max_size=4), max_size=20),
)
def test_lookups_across_many_blocks(
    tmp_path_factory: pytest.TempPathFactory, names: dict[str, set[str]], probes: list[str]
) -> None:
    """Every present key is found, and no absent neighbour is (blocks of input objects)."""
    directory = tmp_path_factory.mktemp("blocks")
    recs = [packable(i, batch=b, input_object=n) for i, (b, n) in enumerate(
        (b, n) for b in names for n in names[b]
    )]  # fmt: skip
    lines = [{"job": r.to_dict()} for r in recs]
    header = _write_state(directory, [(lines, True)])
    loaded = load_state(
        header, directory / "s", lambda n: (directory / n).read_bytes(), packed=True
    )
    jobs = read_snapshot(loaded, []).jobs
    assert isinstance(jobs, PackedJobs)
    expected = {r.key: r for r in recs}
    assert list(jobs) == sorted(expected) and len(jobs) == len(expected)
    for key, rec in expected.items():
        assert jobs[key] == rec and jobs.brief(key) == (rec.fingerprint, rec.state, rec.job_id)
    for batch in ["b0", "b1", "é", "zz"]:
        for name in [*probes, *(n + "\x01" for n in names.get(batch, ())), ""]:
            assert jobs.get((batch, name)) == expected.get((batch, name))


def test_times_leave_out_what_the_journal_replaced(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_jobs([packable(i) for i in range(40)])
        w.put_jobs([packable(7, intent_time="2026-03-03T00:00:00Z")])
    writer = store.open()
    try:
        writer.put_jobs([packable(7, intent_time="2026-04-04T00:00:00Z", finished_at=None)])
        jobs = store.read().jobs
    finally:
        writer.abandon()
    assert isinstance(jobs, PackedJobs)
    assert jobs.times() == {"2026-01-02T03:04:05Z", "2026-04-04T00:00:00Z"}
    assert jobs.only({"b"}).times() == jobs.times() and not jobs.only({"x"}).times()


def test_a_value_shared_by_several_fields_of_the_first_record(tmp_path: Path) -> None:
    """One string first seen in several pooled fields of one record is pooled once."""
    rec = packable(1, batch="x", target="x", state="x", code="x", message="x").to_dict()
    rec["submitted_at"] = rec["finished_at"] = rec["intent_time"]
    lines = [{"job": rec}, {"job": {**rec, "input_object": "in/2"}}]
    header = _write_state(tmp_path, [(lines, True)])
    loaded = load_state(
        header, tmp_path / "s.json", lambda n: (tmp_path / n).read_bytes(), packed=True
    )
    jobs = read_snapshot(loaded, []).jobs
    assert isinstance(jobs, PackedJobs) and not loaded.packed[-1].overlay  # type: ignore[index]
    assert list(jobs) == [("x", "in/00001.mp4"), ("x", "in/2")]
    assert list(jobs.values()) == [JobRecord.from_dict(x["job"]) for x in lines]


def test_a_damaged_line_is_one_line_naming_the_segment(tmp_path: Path) -> None:
    lines: list[dict[str, Any]] = [{"job": {"batch": "b", "input_object": "x", "state": 3}}]
    header = _write_state(tmp_path, [(lines, False)])
    with pytest.raises(StateError, match=r"segment .* line 1: ") as info:
        load_state(header, tmp_path / "s.json", lambda n: (tmp_path / n).read_bytes(), packed=True)
    assert "\n" not in str(info.value)
