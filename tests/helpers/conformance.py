"""The state-store harness the conformance suite runs against each backend."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.model import CosState
from reconciler.remote.client import CIClient
from reconciler.state.cos.objects import list_keys
from reconciler.state.cos.store import CosStateStore, CosStateWriter
from reconciler.state.local.store import LocalStateStore, LocalStateWriter
from reconciler.state.protocols import StateStore, StateWriter
from tests.helpers.clocks import ManualClock
from tests.helpers.cosstate import REGION, STATE_BUCKET

LEASE_SECONDS = 600.0  # far beyond any wait in these tests: only clock.advance expires it


@dataclass
class Harness:
    """A backend under test: ``store()`` is the state at the main location (a new object each
    call, as another process would have), ``store_at(name)`` another location of the same
    backend."""

    kind: str
    store_at: Callable[[str], StateStore]
    storage: Callable[[], list[str]]  # every file or object the backend has written
    crash: Callable[[StateWriter], None]
    plant: Callable[[bytes], None]  # make these bytes the main state's current version
    written: Callable[[], int]  # bytes of state files/objects written so far (see local_harness)
    overwrite: Callable[[str, bytes], None]  # replace a file or object ``storage()`` lists
    clock: ManualClock = field(default_factory=ManualClock)

    def store(self) -> StateStore:
        return self.store_at("main")

    def expire(self) -> None:
        """Let a dead holder's lock lapse: the COS lease expires; a local flock died with it."""
        if self.kind == "cos":
            self.clock.advance(LEASE_SECONDS + 1)


def local_harness(tmp_path: Path) -> Harness:
    def store_at(name: str) -> StateStore:
        return LocalStateStore(tmp_path / name / "state.json")

    def crash(writer: StateWriter) -> None:
        assert isinstance(writer, LocalStateWriter)
        writer._journal.close()  # the process is gone: its descriptor too
        lock = writer._lock._lock
        assert lock is not None
        lock.release()  # the kernel frees a dead process's flock; the lock record stays

    def storage() -> list[str]:
        return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))

    def plant(data: bytes) -> None:
        (tmp_path / "main").mkdir(exist_ok=True)
        (tmp_path / "main" / "state.json").write_bytes(data)

    seen: dict[Path, tuple[int, int]] = {}
    total = [0]

    def written() -> int:
        """Sizes of the files created or replaced since the last call (every state file is
        written once and replaced whole, never appended to, except the journal, which is
        deleted at close): a lower bound that counts every header, backup and segment."""
        for p in tmp_path.rglob("*"):
            if p.is_file():
                st = p.stat()
                if seen.get(p) != (st.st_ino, st.st_mtime_ns):
                    seen[p] = (st.st_ino, st.st_mtime_ns)
                    total[0] += st.st_size
        return total[0]

    def overwrite(name: str, data: bytes) -> None:
        (tmp_path / name).write_bytes(data)

    return Harness("local", store_at, storage, crash, plant, written, overwrite)


class CountingObjects:
    """The real client, counting the bytes of every object it creates (PUT bodies)."""

    def __init__(self, client: CIClient) -> None:
        self.client = client
        self.put_bytes = 0

    def create_object(self, key: str, data: bytes, content_type: str | None = None) -> str | None:
        self.put_bytes += len(data)
        return self.client.create_object(key, data, content_type)

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)


def cos_harness(real: CIClient) -> Harness:
    clock = ManualClock(yield_s=0.005)
    client = CountingObjects(real)

    def store_at(name: str) -> StateStore:
        where = CosState(STATE_BUCKET, REGION, f"states/{name}.json")
        return CosStateStore(
            client,  # type: ignore[arg-type]
            where.key,
            name=where.url,
            lease_seconds=LEASE_SECONDS,
            clock=clock,
        )

    def crash(writer: StateWriter) -> None:
        assert isinstance(writer, CosStateWriter)
        writer._holder._stop.set()  # no more renewals, no release, no compaction

    def storage() -> list[str]:
        return list_keys(real, "states/")

    def plant(data: bytes) -> None:
        serial = json.loads(data)["serial"]
        assert real.create_object(f"states/main.json.states/{serial:012d}", data) is not None

    def overwrite(key: str, data: bytes) -> None:
        real.put_object(key, data)

    return Harness(
        "cos", store_at, storage, crash, plant, lambda: client.put_bytes, overwrite, clock
    )
