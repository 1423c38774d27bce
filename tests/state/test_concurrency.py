"""Threads share fsyncs; processes exclude each other; kill -9 at any instant loses nothing."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reconciler.errors import LockError, StateError
from reconciler.state import LocalStateStore, break_lock
from tests.helpers.state_records import job

CHILD = Path(__file__).with_name("child.py")


def test_threads_share_fsyncs_and_lose_nothing(store: LocalStateStore) -> None:
    threads, per_thread = 8, 1250
    with store.open() as w:

        def work(t: int) -> None:
            for i in range(per_thread):
                w.put_job(job(i, batch=f"b{t}"))

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(w.snapshot.jobs) == threads * per_thread
        assert w.fsyncs <= threads * per_thread // 3, f"{w.fsyncs} fsyncs: no group commit"
    assert len(store.read().jobs) == threads * per_thread


def test_put_jobs_is_one_fsync(store: LocalStateStore) -> None:
    with store.open() as w:
        w.put_jobs(job(i) for i in range(500))
        assert w.fsyncs == 1


class Child:
    """A child process whose stdout goes to a file we can poll."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.out = tmp / f"child-{time.monotonic_ns()}.out"
        with self.out.open("wb") as sink:
            self.proc = subprocess.Popen([sys.executable, str(CHILD), *args], stdout=sink)

    def lines(self) -> list[str]:
        text = self.out.read_text()
        return text.split("\n")[:-1]  # only complete lines

    def wait_for(self, prefix: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if line.startswith(prefix):
                    return line
            assert self.proc.poll() is None, f"child exited with {self.proc.returncode}"
            time.sleep(0.01)
        raise AssertionError(f"child never printed {prefix!r}")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def test_lock_across_processes_names_holder_and_survives_kill9(
    store: LocalStateStore, tmp_path: Path
) -> None:
    child = Child(tmp_path, "hold", str(store.path))
    try:
        _, pid, lock_id = child.wait_for("LOCKED").split()
        err = pytest.raises(LockError, store.open).value
        assert f"pid {pid} on {socket.gethostname()}" in str(err) and lock_id in str(err)
        started = time.monotonic()
        with pytest.raises(LockError, match="after waiting 0.3s"):
            store.open(wait_seconds=0.3)
        assert time.monotonic() - started >= 0.3
        with pytest.raises(LockError, match="still running"):
            break_lock(store.path, lock_id)  # refused: the holder is alive
    finally:
        child.kill9()
    with pytest.raises(StateError, match="does not match"):
        break_lock(store.path, "not-the-id")
    with store.open(command="apply") as w:
        assert len(w.warnings) == 1
        assert f"previous holder pid {pid} on {socket.gethostname()}" in w.warnings[0]
        assert "died" in w.warnings[0] and lock_id in w.warnings[0]


def test_waiting_writer_gets_the_lock_when_the_holder_dies(
    store: LocalStateStore, tmp_path: Path
) -> None:
    child = Child(tmp_path, "hold", str(store.path))
    child.wait_for("LOCKED")
    killer = threading.Timer(0.3, child.kill9)
    killer.start()
    try:
        with store.open(wait_seconds=20) as w:
            assert w.warnings
    finally:
        killer.join()


def test_break_lock_clears_the_record_of_a_dead_holder(
    store: LocalStateStore, tmp_path: Path
) -> None:
    child = Child(tmp_path, "hold", str(store.path))
    _, _, lock_id = child.wait_for("LOCKED").split()
    child.kill9()
    break_lock(store.path, lock_id)
    assert not store.path.with_name("state.json.lock.info").exists()
    with store.open() as w:
        assert w.warnings == ()
    with pytest.raises(StateError, match="not locked"):
        break_lock(store.path, lock_id)


def test_kill9_at_random_instants_never_loses_a_durable_record(
    store: LocalStateStore, tmp_path: Path
) -> None:
    rng = random.Random(os.getpid())
    last_serial, durable = 0, set()
    for run in range(10):
        child = Child(tmp_path, "write", str(store.path), f"r{run}")
        try:
            child.wait_for("DURABLE")
            time.sleep(rng.uniform(0.0, 0.25))
        finally:
            child.kill9()
        for line in child.lines():
            _, batch, key = line.split()
            durable.add((batch, key))
        snap = store.read()  # always loads
        missing = durable - set(snap.jobs)
        assert not missing, f"run {run}: {len(missing)} durable records lost, e.g. {min(missing)}"
        assert snap.serial >= last_serial, "serial went backwards"
        last_serial = snap.serial
    with store.open() as w:  # and a writer can take over
        assert len(w.snapshot.jobs) >= len(durable) > 100
    assert store.read().serial >= last_serial


def test_unlocked_reads_during_compactions_always_load_and_never_go_back(
    store: LocalStateStore,
) -> None:
    stop = threading.Event()
    with store.open() as w:

        def churn() -> None:
            for i in range(200):
                w.put_job(job(i))
                if i % 5 == 4:
                    w.compact()
            stop.set()

        writer = threading.Thread(target=churn)
        writer.start()
        seen = serial = 0
        while not stop.is_set():
            snap = store.read()
            assert len(snap.jobs) >= seen and snap.serial >= serial
            seen, serial = len(snap.jobs), snap.serial
            time.sleep(0.001)
        writer.join()
    final = store.read()
    assert len(final.jobs) == 200 and final.serial == 40 >= serial
