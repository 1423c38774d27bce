"""A separate process for the lock and crash tests (run as ``python child.py MODE STATE ...``).

hold STATE            open the state, print "LOCKED <pid> <lock id>", then sleep until killed
write STATE PREFIX    write job records from 4 threads forever, printing each key once put_job
                      returned (so it is durable); compacts, and closes and reopens, now and then
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time

from reconciler.errors import StateError
from reconciler.state import JobRecord, LocalStateStore, LocalStateWriter

T0 = "2026-01-02T03:04:05Z"
_print_lock = threading.Lock()


def _say(text: str) -> None:
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def hold(path: str) -> None:
    writer = LocalStateStore(path).open(command="hold")
    _say(f"LOCKED {os.getpid()} {writer.lock_id}")
    for warning in writer.warnings:
        _say(f"WARNING {warning}")
    while True:
        time.sleep(60)


def _writer_loop(
    get: list[LocalStateWriter], prefix: str, thread: int, swap: threading.Lock
) -> None:
    for i in itertools.count():
        rec = JobRecord(f"{prefix}-{thread}", f"in/{i}.mp4", "t", "fp", f"m{i}", "Pending", T0)
        while True:  # the main thread may have closed the writer under us: retry on the new one
            with swap:
                writer = get[0]
            try:
                writer.put_job(rec)
                break
            except StateError:
                time.sleep(0.001)
        _say(f"DURABLE {rec.batch} {rec.input_object}")


def write(path: str, prefix: str) -> None:
    store = LocalStateStore(path)
    current = [store.open(command="write")]
    swap = threading.Lock()
    for t in range(4):
        threading.Thread(target=_writer_loop, args=(current, prefix, t, swap), daemon=True).start()
    for round_ in itertools.count():
        time.sleep(0.02)
        if round_ % 5 == 4:  # close (compaction + lock release) and reopen under the threads
            with swap:
                current[0].close()
                current[0] = store.open(command="write")
        else:
            current[0].compact()


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    hold(*args) if mode == "hold" else write(*args)
