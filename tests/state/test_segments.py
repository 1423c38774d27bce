"""The v2 segment files themselves: damage is refused in one line, tiers stay logarithmic."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import StateError
from reconciler.state import LocalStateStore
from reconciler.state.segments import MAX_SEGMENTS, merge_start
from tests.helpers.state_records import job


def _one_segment(store: LocalStateStore) -> str:
    with store.open() as w:
        w.put_jobs([job(i) for i in range(20)])
    return str(json.loads(store.path.read_text())["segments"][0]["name"])


def test_a_damaged_segment_is_refused_and_left_alone(store: LocalStateStore) -> None:
    seg = store.segments_dir / _one_segment(store)
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 0xFF
    seg.write_bytes(bytes(data))
    for attempt in (store.read, store.open):
        with pytest.raises(StateError, match="does not match the size and SHA-256") as info:
            attempt()
        assert seg.name in str(info.value) and "\n" not in str(info.value)
    assert seg.read_bytes() == bytes(data)


def test_a_missing_segment_is_refused_naming_it(store: LocalStateStore) -> None:
    seg = store.segments_dir / _one_segment(store)
    seg.unlink()
    with pytest.raises(StateError, match=f"segment {seg.name} named by its header is missing"):
        store.read()


def test_a_header_naming_a_foreign_file_is_refused(store: LocalStateStore) -> None:
    _one_segment(store)
    header = json.loads(store.path.read_text())
    header["segments"][0]["name"] = "../../etc/passwd"
    store.path.write_text(json.dumps(header))
    with pytest.raises(StateError, match="bad segment name"):
        store.read()


def test_tiers_keep_few_segments_and_amortised_writes() -> None:
    """10,000 runs of 100 changes over 1,000,000 records: O(log N) segments at any time, and
    each changed line rewritten only a few times by merges (amortised O(changes x log N))."""
    counts = [1_000_000]
    written = 0
    most = 0
    for _ in range(10_000):
        counts.append(100)
        start = merge_start(counts)
        merged = sum(counts[start:])
        written += merged
        counts[start:] = [merged]
        most = max(most, len(counts))
    assert most <= MAX_SEGMENTS
    assert written / (10_000 * 100) < 12  # each line written about log2(1,000,000 / 100) times


@pytest.mark.parametrize(
    "change",
    [{}, {"job_id": "j1", "submitted_at": "2026-01-02T03:04:06Z", "outputs": ["a", "b"]},
     {"state": "Failed", "code": "X", "message": "m", "previous_job_ids": ["p"]}],
)  # fmt: skip
def test_the_fast_record_path_builds_what_from_dict_builds(change: dict[str, object]) -> None:
    from reconciler.model.records import JobRecord

    raw = {**job(3).to_dict(), **change}
    assert JobRecord.from_full_dict(raw) == JobRecord.from_dict(raw)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"outputs": ["a", 1]}, "list of strings"), ({"batch": ""}, "must not be empty"),
     ({"intent_time": "yesterday"}, "ISO-8601"), ({"job_id": 5}, "must be a string"),
     ({"extra": "x"}, "unknown field")],
)  # fmt: skip
def test_the_fast_record_path_refuses_as_from_dict_does(
    change: dict[str, object], message: str
) -> None:
    from reconciler.model.records import JobRecord, RecordError

    with pytest.raises(RecordError, match=message):
        JobRecord.from_full_dict({**job(3).to_dict(), **change})
