"""A COS writer that dies at every object write of a v2 compaction (commit chunk, segment,
header version, chunk deletes, pruning and segment garbage collection). The process "dies"
by an exception that nothing in the writer catches, right before the Nth PUT or DELETE: no
later request is sent and the lease is not released, as after ``kill -9``. After each death
the state must read whole, and the next holder (once the lease expired) must recover it."""

from __future__ import annotations

import json

import pytest

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport
from reconciler.state import layout
from reconciler.state.cos.objects import list_keys
from reconciler.state.cos.store import KEEP_VERSIONS, CosStateStore, CosStateWriter
from reconciler.state.packfile import pack_name
from tests.conformance.records import job
from tests.helpers.clocks import ManualClock
from tests.helpers.cosstate import REGION, STATE_BUCKET
from tests.helpers.identity import SECRET_ID, SECRET_KEY

LEASE = 600.0


class Died(BaseException):
    """The process ends here: not an Exception, so no handler in the writer runs."""


class Dying:
    """The real client; once armed, the Nth object write raises :class:`Died` instead."""

    def __init__(self, client: CIClient) -> None:
        self.client = client
        self.left = -1

    def _step(self) -> None:
        if self.left > 0:
            self.left -= 1
            if self.left == 0:
                raise Died

    def create_object(self, key: str, data: bytes, content_type: str | None = None) -> str | None:
        self._step()
        return self.client.create_object(key, data, content_type)

    def delete_object(self, key: str) -> None:
        self._step()
        self.client.delete_object(key)

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)


def _expected(snap_jobs: dict[tuple[str, str], object]) -> dict[tuple[str, str], object]:
    jobs = dict(snap_jobs)
    jobs.update((r.key, r) for r in (job(900), job(901), job(1, state="Failed")))
    jobs.pop(("b", "in/00002.mp4"))
    return jobs


@pytest.mark.parametrize(
    ("runs", "packs"),
    [(0, False), (KEEP_VERSIONS + 3, False), (KEEP_VERSIONS + 3, True)],
)  # + 3: the close prunes and collects; packs: every segment gets its pack sidecar
def test_death_at_every_object_write_of_a_compaction(
    runs: int, packs: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if packs:
        monkeypatch.setattr(layout, "PACK_MIN_JOBS", 1)
    landed = 0
    for n in range(1, 60):
        app = create_app(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}))
        creds = Credentials(SECRET_ID, SECRET_KEY)
        tp = wsgi_transport(app)
        real = CIClient(STATE_BUCKET, REGION, creds, endpoint="http://e.invalid", transport=tp)
        clock = ManualClock()
        dying = Dying(real)
        store = CosStateStore(dying, "s/state.json", name="s", lease_seconds=LEASE, clock=clock)  # type: ignore[arg-type]
        try:
            with store.open() as w:
                w.put_jobs([job(i) for i in range(40)])
            for run in range(runs):
                with store.open() as w:
                    w.put_jobs([job(100 + run * 5 + i) for i in range(1 + run % 3)])
            before = store.read()
            expected = _expected(dict(before.jobs))
            writer = store.open()
            writer.put_jobs([job(900), job(901), job(1, state="Failed")])
            writer.drop_job("b", "in/00002.mp4")
            dying.left = n
            try:
                writer.close()
            except Died:
                assert isinstance(writer, CosStateWriter)
                writer._holder._stop.set()  # a dead process renews nothing
                landed += 1
            else:
                assert n > 4, n
                break
            finally:
                dying.left = -1
            assert dict(store.read().jobs) == expected  # whole, before any recovery
            clock.advance(LEASE + 1)
            with store.open() as w:
                assert dict(w.snapshot.jobs) == expected
            after = store.read()
            assert dict(after.jobs) == expected and after.serial == before.serial + 1
            _no_missing_segments(real, packs)
        finally:
            real.close()
            app.close()
    assert landed >= (4 if runs == 0 else 8), landed


def _no_missing_segments(client: CIClient, packs: bool) -> None:
    """Every kept version names only segments that exist (GC never deleted a live one); with
    packs, every pack left belongs to a kept segment, and the newest segments have theirs."""
    prefix = "s/state.json.segments/"
    stored = {k[len(prefix) :] for k in list_keys(client, prefix)}
    named = set()
    for key in list_keys(client, "s/state.json.states/"):
        found = client.read_object(key)
        assert found is not None
        named |= {seg["name"] for seg in json.loads(found[0])["segments"]}
    assert named <= stored
    assert {n for n in stored if n.endswith(".pack")} <= {pack_name(n) for n in named}
    if packs:
        assert {pack_name(n) for n in named} & stored
