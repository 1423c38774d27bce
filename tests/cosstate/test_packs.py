"""Pack sidecars on COS: written beside a big segment, read instead of it, pruned with it."""

from __future__ import annotations

from reconciler.remote.client import CIClient
from reconciler.state.cos.objects import list_keys
from reconciler.state.cos.store import KEEP_VERSIONS
from reconciler.state.packfile import PACK_MIN_JOBS, pack_name
from tests.helpers.cosstate import KEY, store
from tests.helpers.state_records import packable, template

SEGMENTS = f"{KEY}.segments/"


def _names(cos: CIClient) -> set[str]:
    return {k[len(SEGMENTS) :] for k in list_keys(cos, SEGMENTS)}


def test_a_big_segment_gets_a_pack_that_reads_use_and_pruning_removes(cos: CIClient) -> None:
    s = store(cos)
    with s.open(command="apply") as w:
        w.put_template(template())
        w.put_jobs([packable(i) for i in range(PACK_MIN_JOBS + 10)])
    [first] = [n for n in _names(cos) if not n.endswith(".pack")]
    assert _names(cos) == {first, pack_name(first)}
    with s.open() as w:
        expected, templates = dict(w.snapshot.jobs), dict(w.snapshot.templates)
    snap = s.read()
    assert dict(snap.jobs) == expected and dict(snap.templates) == templates

    segment = cos.read_object(SEGMENTS + first)
    assert segment is not None
    cos.delete_object(SEGMENTS + first)
    assert dict(s.read().jobs) == expected  # read from the pack alone
    cos.put_object(SEGMENTS + first, segment[0])

    with s.open() as w:  # every record changes: one new full segment and its pack
        w.put_jobs([packable(i, state="Failed") for i in range(PACK_MIN_JOBS + 10)])
    for i in range(KEEP_VERSIONS + 1):  # small versions until the first one is pruned
        with s.open() as w:
            w.put_jobs([packable(10**6 + i)])
    names = _names(cos)
    assert first not in names and pack_name(first) not in names
    packs = {n for n in names if n.endswith(".pack")}
    assert len(packs) == 1 and {n[: -len(".pack")] + ".jsonl.gz" for n in packs} <= names
    jobs = s.read().jobs
    assert len(jobs) == PACK_MIN_JOBS + 10 + KEEP_VERSIONS + 1
    assert all(jobs[packable(i).key].state == "Failed" for i in range(PACK_MIN_JOBS + 10))
