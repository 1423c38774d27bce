"""The state-store harness the conformance suite runs against each backend."""

from __future__ import annotations

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

    return Harness("local", store_at, storage, crash)


def cos_harness(client: CIClient) -> Harness:
    clock = ManualClock(yield_s=0.005)

    def store_at(name: str) -> StateStore:
        where = CosState(STATE_BUCKET, REGION, f"states/{name}.json")
        return CosStateStore(
            client, where.key, name=where.url, lease_seconds=LEASE_SECONDS, clock=clock
        )

    def crash(writer: StateWriter) -> None:
        assert isinstance(writer, CosStateWriter)
        writer._holder._stop.set()  # no more renewals, no release, no compaction

    def storage() -> list[str]:
        return list_keys(client, "states/")

    return Harness("cos", store_at, storage, crash, clock)
