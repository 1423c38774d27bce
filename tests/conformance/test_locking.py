"""One writer at a time: refusals name the holder, waiting works, force-unlock is checked."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from reconciler.errors import LockError, StateError
from tests.helpers.conformance import Harness

from .records import job, key


def test_a_second_writer_is_refused_naming_the_holder(harness: Harness) -> None:
    with harness.store().open(command="apply") as w:
        with pytest.raises(LockError) as refused:
            harness.store().open(command="wait")
        message = str(refused.value)
        assert w.lock_id and w.lock_id in message
        assert f"pid {os.getpid()} on {socket.gethostname()}" in message
        assert "'apply'" in message and "\n" not in message
    with harness.store().open() as again:  # released on close
        assert again.lock_id != w.lock_id


def test_a_waiting_writer_gets_the_state_when_the_holder_closes(harness: Harness) -> None:
    first = harness.store().open(command="apply")
    first.put_job(job(1))
    closer = threading.Timer(0.2, first.close)
    closer.start()
    try:
        with harness.store().open(command="wait", wait_seconds=60) as second:
            assert second.job(*key(1)) == job(1)
            assert second.warnings == ()  # a release, not a takeover
    finally:
        closer.join()


def test_waiting_gives_up_after_wait_seconds(harness: Harness) -> None:
    with harness.store().open(command="apply"):
        started = harness.clock.monotonic() if harness.kind == "cos" else time.monotonic()
        with pytest.raises(LockError, match="after waiting 0.3s"):
            harness.store().open(wait_seconds=0.3)
        ended = harness.clock.monotonic() if harness.kind == "cos" else time.monotonic()
        assert ended - started >= 0.3 - 1e-6


def test_a_closed_writer_refuses_writes(harness: Harness) -> None:
    w = harness.store().open()
    w.close()
    w.close()  # idempotent
    with pytest.raises(StateError, match="closed"):
        w.put_job(job(1))


def test_force_unlock_checks_the_lock_id_and_frees_a_dead_holders_lock(harness: Harness) -> None:
    store = harness.store()
    w = store.open(command="apply")
    w.put_job(job(1))
    harness.crash(w)  # not expired: only force-unlock frees a COS lease now
    with pytest.raises(StateError, match="does not match"):
        store.force_unlock("not-the-id")
    said = store.force_unlock(w.lock_id)
    assert w.lock_id in said and "\n" not in said
    with pytest.raises(StateError):
        store.force_unlock(w.lock_id)  # nothing left to unlock
    with harness.store().open() as again:
        assert again.job(*key(1)) == job(1)  # its journal was still recovered
