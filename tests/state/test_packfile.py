"""Pack sidecars: a pack holds exactly what its segment holds, is used only when it is the
segment's own and intact, and lives and dies with its segment."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import StateError
from reconciler.model.records import TemplateRecord
from reconciler.state import LocalStateStore
from reconciler.state import layout as layout_module
from reconciler.state.packed import PackedJobs
from reconciler.state.packfile import PACK_MIN_JOBS, PackBuilder, decode_pack, pack_name
from reconciler.state.packing import Layer, Pools
from reconciler.state.segments import (
    SegmentBuilder,
    SegmentInfo,
    apply_lines,
    apply_segment,
    segment_name,
)
from tests.helpers.state_records import packable, template
from tests.state.test_packed import _key, _line

_Key = tuple[str, str]
_template_line = st.sampled_from(["a", "b", "c"]).flatmap(
    lambda name: st.sampled_from(
        [{"template": template(name, f"t-{name}").to_dict()}, {"drop_template": ["default", name]}]
    )
)


def _segment(lines: list[dict[str, Any]]) -> tuple[bytes, SegmentInfo]:
    builder = SegmentBuilder(segment_name(7))
    body = b"".join(builder.add(json.dumps(x).encode() + b"\n") for x in lines)
    return body + builder.finish(), builder.info()


def _from_segment(data: bytes, info: SegmentInfo) -> tuple[PackedJobs, dict[_Key, TemplateRecord]]:
    layer, templates = Layer(Pools()), {}
    apply_segment(data, info, "test", templates, layer)
    return PackedJobs((layer.seal(),)), templates


def _from_pack(
    pack: bytes, info: SegmentInfo
) -> tuple[PackedJobs, dict[_Key, TemplateRecord]] | None:
    decoded = decode_pack(pack, info)
    if decoded is None:
        return None
    layer, lines = decoded
    templates: dict[_Key, TemplateRecord] = {}
    apply_lines(lines, "test", templates, layer)
    return PackedJobs((layer,)), templates


def _pack(lines: list[dict[str, Any]], info: SegmentInfo) -> bytes:
    builder = PackBuilder()
    for raw in lines:
        builder.take(raw)
    return builder.encode(info)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    templates=st.lists(_template_line, max_size=3),
    jobs=st.lists(_line, max_size=40),
    in_order=st.booleans(),
)
def test_a_pack_holds_what_its_segment_holds(
    templates: list[dict[str, Any]], jobs: list[dict[str, Any]], in_order: bool
) -> None:
    """Random lines (records of odd shapes, tombstones, unsorted and repeated keys): the
    snapshot read through the pack equals the one read from the segment, accessor by accessor."""
    if in_order:  # as a writer renders them: one line per key, sorted
        last = {_key(x): x for x in jobs}
        jobs = [last[k] for k in sorted(last)]
    lines = templates + jobs
    data, info = _segment(lines)
    expected, expected_templates = _from_segment(data, info)
    found = _from_pack(_pack(lines, info), info)
    assert found is not None
    got, got_templates = found
    assert got_templates == expected_templates
    assert len(got) == len(expected) and list(got.items()) == list(expected.items())
    assert list(got.briefs()) == list(expected.briefs())
    assert list(got.briefs(job_ids=False)) == list(expected.briefs(job_ids=False))
    assert got.times() == expected.times()
    by_key = sorted(expected.unfinished(), key=lambda r: r.key)  # (in no promised order)
    assert sorted(got.unfinished(), key=lambda r: r.key) == by_key
    for line in jobs:
        assert got.get(_key(line)) == expected.get(_key(line))
        assert got.brief(_key(line)) == expected.brief(_key(line))
    for batches in ({"b0"}, {"b1", "bé"}):
        assert list(got.only(batches).items()) == list(expected.only(batches).items())


def _resigned(pack: bytes, **meta_changes: Any) -> bytes:
    """``pack`` with its metadata changed and its digest made right again (a well-formed pack
    that does not fit)."""
    end = pack.index(b"\n", pack.index(b"\n") + 1)
    head, rest = pack[: pack.index(b"\n") + 1], pack[end + 1 : -32]
    meta = json.loads(pack[len(head) : end])
    meta.update(meta_changes)
    body = head + json.dumps(meta).encode() + b"\n" + rest
    return body + hashlib.sha256(body).digest()


def test_a_pack_that_is_not_exactly_the_segments_is_not_used() -> None:
    lines = [{"job": packable(i).to_dict()} for i in range(300)]
    data, info = _segment(lines)
    pack = _pack(lines, info)
    assert _from_pack(pack, info) is not None
    assert _resigned(pack) != pack and _from_pack(_resigned(pack), info) is not None
    flipped = bytearray(pack)
    flipped[len(pack) // 2] ^= 1
    meta = json.loads(pack.split(b"\n")[1])
    foreign = "big" if meta["byteorder"] == "little" else "little"
    refused = {
        "a flipped byte": bytes(flipped),
        "torn": pack[:-100],
        "another format": b"reconciler-pack 9" + pack[17:],
        "another segment": _resigned(pack, sha256="0" * 64),
        "another machine": _resigned(pack, byteorder=foreign),
        "fewer rows than columns": _resigned(pack, rows=meta["rows"] - 1),
        "a pool short of its codes": _resigned(pack, words=meta["words"][:-1]),
        "a time that is not one": _resigned(pack, times=["yesterday"]),
        "a column size off": _resigned(pack, columns=[[a, b + 1] for a, b in meta["columns"]]),
        "empty": b"",
    }  # fmt: skip
    for why, bad in refused.items():
        assert _from_pack(bad, info) is None, why
    other = SegmentInfo(info.name, info.templates, info.jobs, info.size + 1, info.sha256)
    assert _from_pack(pack, other) is None


def _big(store: LocalStateStore, start: int = 0, **kw: object) -> None:
    with store.open() as w:
        w.put_template(template())
        w.put_jobs([packable(i, **kw) for i in range(start, start + PACK_MIN_JOBS + 100)])


def _files(store: LocalStateStore) -> set[str]:
    return {p.name for p in store.segments_dir.iterdir()}


def test_a_big_segment_gets_a_pack_that_reads_use(store: LocalStateStore) -> None:
    _big(store)
    with store.open() as w:  # a small segment on top: no pack of its own
        w.put_jobs([packable(i, state="Failed") for i in range(3)])
        w.drop_job("b", "in/00010.mp4")
    header = json.loads(store.path.read_text())
    big, small = (s["name"] for s in header["segments"])
    assert _files(store) == {big, small, pack_name(big)}
    with store.open() as w:
        expected, expected_templates = dict(w.snapshot.jobs), dict(w.snapshot.templates)
    snap = store.read()
    assert dict(snap.jobs) == expected and dict(snap.templates) == expected_templates
    assert list(snap.jobs) == sorted(expected)

    segment = store.segments_dir / big
    intact = segment.read_bytes()
    segment.write_bytes(intact[:1000] + bytes(len(intact) - 2000) + intact[-1000:])
    assert dict(store.read().jobs) == expected  # the pack stands in for the damaged segment
    pack = store.segments_dir / pack_name(big)
    good = pack.read_bytes()
    pack.unlink()
    with pytest.raises(StateError, match="does not match the size and SHA-256"):
        store.read()  # without it the segment is read, and refused
    segment.write_bytes(intact)
    pack.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    assert dict(store.read().jobs) == expected  # a damaged pack: the segment is read


def test_packs_are_collected_with_their_segments(store: LocalStateStore) -> None:
    _big(store)
    first = json.loads(store.path.read_text())["segments"][0]["name"]
    _big(store, state="Failed")  # changes every record: one new full segment
    _big(store, state="Success")  # again: the first is named by neither header nor backup
    header = json.loads(store.path.read_text())
    backup = json.loads(store.backup_path.read_text())
    names = {s["name"] for h in (header, backup) for s in h["segments"]}
    assert first not in names
    assert _files(store) == names | {pack_name(n) for n in names}
    assert all(s.state == "Success" for s in store.read().jobs.values())


def test_a_state_without_packs_reads_the_same(
    store: LocalStateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packs are a cache: the state written without them (as before packs) reads equal."""
    _big(store)
    with_packs = dict(store.read().jobs)
    for pack in store.segments_dir.glob("*.pack"):
        pack.unlink()
    assert dict(store.read().jobs) == with_packs
    monkeypatch.setattr(layout_module, "PACK_MIN_JOBS", 10**9)
    other = LocalStateStore(store.path.with_name(f"{uuid.uuid4().hex}.json"))
    _big(other)
    assert not list(other.segments_dir.glob("*.pack"))
    assert dict(other.read().jobs) == with_packs


def test_two_big_layers_both_from_their_packs(store: LocalStateStore) -> None:
    """A base and a big newer segment (not merged: the base is more than twice its size), each
    read from its own pack with pools of its own, then a small segment and a journal on top."""
    changed = range(0, 2 * PACK_MIN_JOBS, 2)  # every other key of the base's first part
    base = 2 * (len(changed) + 101) + 100
    with store.open() as w:
        w.put_jobs([packable(i, state="Success") for i in range(base)])
    with store.open() as w:
        w.put_jobs([packable(i, state="Failed", code="E1") for i in changed])
        w.put_jobs([packable(i, state="Running") for i in range(base, base + 100)])
        w.drop_job("b", "in/00001.mp4")
    with store.open() as w:
        w.put_jobs([packable(3, state="Running")])
    header = json.loads(store.path.read_text())
    assert [s["jobs"] for s in header["segments"]] == [base, len(changed) + 101, 1]
    for info in header["segments"][:2]:  # both big segments damaged: only their packs remain
        segment = store.segments_dir / info["name"]
        segment.write_bytes(bytes(segment.stat().st_size))
    jobs = store.read().jobs
    assert len(jobs) == base + 100 - 1
    assert jobs[packable(0).key].state == "Failed" and jobs[packable(5).key].state == "Success"
    assert packable(1).key not in jobs
    assert sorted(r.key for r in jobs.unfinished()) == [
        packable(i).key for i in (3, *range(base, base + 100))
    ]
    assert list(jobs) == sorted(jobs) and len(list(jobs.briefs())) == len(jobs)
