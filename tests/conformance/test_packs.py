"""Pack sidecars on every backend: a read takes a big segment's pack, ``verify`` still checks
the segment itself (what the next writer will read), and ``doctor`` reports through it."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.state.packfile import PACK_MIN_JOBS
from tests.helpers.conformance import Harness
from tests.helpers.state_records import packable


def test_a_pack_stands_in_for_reads_and_verify_checks_the_segment(harness: Harness) -> None:
    store = harness.store()
    assert store.verify() == 0  # nothing yet
    with store.open() as w:
        w.put_jobs([packable(i) for i in range(PACK_MIN_JOBS + 5)])
    expected = dict(store.read().jobs)
    assert store.verify() == 1
    [segment] = [n for n in harness.storage() if n.endswith(".jsonl.gz")]
    assert [n for n in harness.storage() if n.endswith(".pack")]
    harness.overwrite(segment, b"not the segment any more")
    assert dict(harness.store().read().jobs) == expected  # the pack is read, not the segment
    with pytest.raises(StateError, match=r"does not match the size and SHA-256"):
        harness.store().verify()
    with pytest.raises(StateError, match=r"does not match the size and SHA-256"):
        harness.store().open()  # a writer reads the segment itself, and refuses it
