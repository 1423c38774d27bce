"""The COS state store and its lease against the served emulator, in one process."""

from __future__ import annotations

import threading

import pytest

from reconciler.errors import LockError, StateError
from reconciler.model.records import JobRecord, TemplateRecord
from reconciler.remote.client import CIClient
from reconciler.state.cos.lease import LeaseHolder, force_unlock
from reconciler.state.cos.objects import list_keys
from tests.helpers.clocks import ManualClock
from tests.helpers.cosstate import KEY, store


def job(i: int, state: str = "Pending") -> JobRecord:
    return JobRecord(
        batch="b", input_object=f"in/{i}.mp4", target="t", fingerprint="f", marker=f"m{i}",
        state=state, intent_time="2026-01-01T00:00:00Z",
    )  # fmt: skip


def test_forbid_overwrite_lets_exactly_one_creator_win(cos: CIClient) -> None:
    assert cos.create_object("race/x", b"first") is not None
    assert cos.create_object("race/x", b"second") is None
    assert cos.read_object("race/x") == (b"first", cos.read_object("race/x")[1])  # type: ignore[index]
    cos.put_object("race/x", b"plain put still overwrites")
    assert cos.get_object("race/x") == b"plain put still overwrites"


def test_round_trip_and_compaction(cos: CIClient) -> None:
    s = store(cos)
    assert s.read().serial == 0
    with s.open(command="apply") as w:
        w.put_jobs([job(1), job(2)])
        w.put_template(TemplateRecord("t", "tpl", "t1abc", "fp", "2026-01-01T00:00:00Z"))
        mid = s.read()  # an unlocked reader sees journal entries before compaction
        assert set(mid.jobs) == {("b", "in/1.mp4"), ("b", "in/2.mp4")}
        assert mid.pending_journal == 3
        w.drop_job("b", "in/2.mp4")
    snap = s.read()
    assert snap.serial == 1 and snap.pending_journal == 0
    assert list(snap.jobs) == [("b", "in/1.mp4")]
    assert ("t", "tpl") in snap.templates
    journal = [k for k in list_keys(cos, f"{KEY}.journal/") if not k.endswith("00000001")]
    assert journal == [], "folded chunks are deleted after compaction (seals stay)"


def test_crashed_writer_is_recovered_after_expiry(cos: CIClient) -> None:
    clock = ManualClock(yield_s=0.005)
    s = store(cos, lease=30, clock=clock)
    w = s.open(command="apply")
    w.put_jobs([job(1), job(2)])
    w._holder._stop.set()  # simulate a dead process: no heartbeat, no release, no compaction
    with pytest.raises(LockError):
        store(cos, lease=30, clock=clock).open(command="apply")  # not expired yet
    clock.advance(30.5)
    with store(cos, lease=30, clock=clock).open(command="apply") as w2:
        assert w2.warnings and "took over the expired state lease" in w2.warnings[0]
        assert w2.job("b", "in/1.mp4") is not None and w2.job("b", "in/2.mp4") is not None
    # The old holder still thinks it may write: its next chunk is fenced by the seal.
    w._holder._valid_until = clock.monotonic() + 60
    with pytest.raises(StateError):
        w.put_job(job(3))
    assert ("b", "in/3.mp4") not in s.read().jobs


def test_force_unlock_releases_and_fences(cos: CIClient) -> None:
    s = store(cos)
    w = s.open(command="apply")
    with pytest.raises(StateError, match="does not match"):
        force_unlock(s.chain(), "not-the-id")
    held = force_unlock(s.chain(), w.lock_id)
    assert held.lock_id == w.lock_id
    with store(cos).open(command="apply") as w2:
        w2.put_job(job(7))
    with pytest.raises(StateError):
        w.put_job(job(8))
    w.abandon()
    assert set(s.read().jobs) == {("b", "in/7.mp4")}


def test_racing_acquirers_exactly_one_wins(cos: CIClient) -> None:
    winners: list[LeaseHolder] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        holder = LeaseHolder(store(cos).chain(), duration=30)
        barrier.wait()
        try:
            holder.acquire(0)
            winners.append(holder)
        except LockError:
            pass

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    winners[0].release()
