"""A writer that ``kill -9``s itself at its Nth file-system write while closing (compaction).

Run as ``python segchild.py STATE N [packs]``: opens the state, records the changes of
:func:`changes` (durable when the puts return), prints DURABLE, then counts every write,
rename, link, unlink, truncate and fsync; the Nth one is replaced by SIGKILL to this process.
Prints CLOSED if the close finished first (N is beyond the last write point). ``packs``:
every segment written gets its pack sidecar (as a segment of thousands of jobs does).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from reconciler.state import LocalStateStore, layout  # noqa: E402
from reconciler.state.local.store import LocalStateWriter  # noqa: E402
from tests.helpers.state_records import job  # noqa: E402

WRITE_POINTS = ("write", "replace", "link", "unlink", "ftruncate", "fsync", "fdatasync")


def changes(writer: LocalStateWriter) -> None:
    """Three new jobs, one changed, one dropped: what every crash point must keep."""
    writer.put_jobs([job(900), job(901), job(902), job(1, state="Failed")])
    writer.drop_job("b", "in/00002.mp4")


def arm(n: int) -> None:
    count = [0]

    def wrap(name: str) -> None:
        real = getattr(os, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            count[0] += 1
            if count[0] == n:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        setattr(os, name, counted)

    for name in WRITE_POINTS:
        wrap(name)


def main() -> None:
    path, n = sys.argv[1], int(sys.argv[2])
    if sys.argv[3:] == ["packs"]:
        layout.PACK_MIN_JOBS = 1  # type: ignore[misc]
    writer = LocalStateStore(path).open(command="die")
    changes(writer)
    print("DURABLE", flush=True)
    arm(n)
    writer.close()
    print("CLOSED", flush=True)


if __name__ == "__main__":
    main()
