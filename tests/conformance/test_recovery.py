"""A writer that dies without closing loses nothing it acknowledged; the next writer recovers."""

from __future__ import annotations

import pytest

from reconciler.errors import LockError
from reconciler.state.local.store import LocalStateStore
from tests.helpers.conformance import Harness

from .records import job, key, template


def test_the_next_writer_replays_the_journal_of_a_dead_one(harness: Harness) -> None:
    store = harness.store()
    with store.open() as w:
        w.put_job(job(0))
    dead = store.open(command="apply")
    dead.put_jobs([job(1), job(2)])
    dead.put_template(template())
    dead.drop_job(*key(0))
    harness.crash(dead)
    mid = harness.store().read()  # readers see the acknowledged writes before any recovery
    assert sorted(mid.jobs) == [key(1), key(2)] and mid.pending_journal == 4
    harness.expire()
    with harness.store().open(command="apply") as w:
        assert len(w.warnings) == 1 and dead.lock_id in w.warnings[0]
        assert "recovered" in w.warnings[0]
        snap = w.snapshot
        assert sorted(snap.jobs) == [key(1), key(2)] and ("default", "thumbs") in snap.templates
        assert snap.serial == 2 and snap.pending_journal == 0  # folded in at open
    after = harness.store().read()
    assert after.serial == 2 and after.pending_journal == 0 and len(after.jobs) == 2


def test_a_dead_holder_blocks_until_its_lock_lapses(harness: Harness) -> None:
    dead = harness.store().open(command="apply")
    dead.put_job(job(1))
    harness.crash(dead)
    if harness.kind == "cos":  # a lease outlives its holder until it expires
        with pytest.raises(LockError, match=dead.lock_id):
            harness.store().open()
    harness.expire()
    with harness.store().open() as w:
        assert w.job(*key(1)) == job(1)


def test_a_torn_journal_tail_is_dropped(harness: Harness) -> None:
    """Only a file can be torn: a COS chunk object exists whole or not at all, and a damaged
    one is refused (tests/cosstate); so this case is the local backend's."""
    if harness.kind != "local":
        pytest.skip("COS journal chunks are written whole, never torn")
    store = harness.store()
    assert isinstance(store, LocalStateStore)
    dead = store.open()
    dead.put_jobs([job(1), job(2)])
    harness.crash(dead)
    data = store.journal_path.read_bytes()
    store.journal_path.write_bytes(data + data.splitlines(keepends=True)[-1][:40])
    assert sorted(store.read().jobs) == [key(1), key(2)]
    with harness.store().open() as w:
        assert w.snapshot.pending_journal == 0 and len(w.snapshot.jobs) == 2
        w.put_job(job(3))
    assert len(store.read().jobs) == 3 and not store.journal_path.exists()
