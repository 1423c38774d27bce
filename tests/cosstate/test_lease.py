"""The lease's timing on an injected clock: expiry, renewal and giving up take no wall time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.errors import LockError, StateError
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport
from reconciler.state.cos.lease import LeaseChain, LeaseHolder
from tests.helpers.clocks import ManualClock
from tests.helpers.cosstate import REGION, STATE_BUCKET
from tests.helpers.identity import SECRET_ID, SECRET_KEY

DURATION = 60.0


@pytest.fixture
def chain() -> Iterator[LeaseChain]:
    app = create_app(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}))
    client = CIClient(
        STATE_BUCKET, REGION, Credentials(SECRET_ID, SECRET_KEY),
        endpoint="http://emulator.invalid", transport=wsgi_transport(app),
    )  # fmt: skip
    yield LeaseChain(client, "k/state.json", "cos://b/k/state.json")
    client.close()
    app.close()


def holder(chain: LeaseChain, clock: ManualClock) -> LeaseHolder:
    h = LeaseHolder(chain, duration=DURATION, command="apply", clock=clock)
    h._start_heartbeat = lambda: None  # type: ignore[method-assign]  # renewals by hand here
    return h


def test_a_lease_expires_only_when_its_duration_has_passed(chain: LeaseChain) -> None:
    clock = ManualClock(yield_s=0.005)
    first = holder(chain, clock)
    assert first.acquire(0) is None
    clock.advance(DURATION - 1)
    with pytest.raises(LockError, match=first.lock_id):
        holder(chain, clock).acquire(0)
    clock.advance(1)
    second = holder(chain, clock)
    dead = second.acquire(0)
    assert dead is not None and dead.lock_id == first.lock_id
    second.release()


def test_renewal_keeps_the_lease_and_its_absence_stops_writes(chain: LeaseChain) -> None:
    clock = ManualClock(yield_s=0.005)
    h = holder(chain, clock)
    h.acquire(0)
    clock.advance(DURATION * 0.8)
    h.check()  # still within 90% of the duration
    h.renew()
    clock.advance(DURATION * 0.8)
    h.check()  # renewed: a new 90% window
    with pytest.raises(LockError):
        holder(chain, clock).acquire(0)  # and others see it renewed
    clock.advance(DURATION * 0.2)
    with pytest.raises(StateError, match="could not be renewed in time"):
        h.check()


def test_a_holder_whose_lease_was_taken_over_knows_it(chain: LeaseChain) -> None:
    clock = ManualClock(yield_s=0.005)
    stale = holder(chain, clock)
    stale.acquire(0)
    clock.advance(DURATION + 1)
    fresh = holder(chain, clock)
    fresh.acquire(0)
    stale.renew()
    with pytest.raises(StateError, match="taken over"):
        stale.check()
    fresh.release()


def test_waiting_moves_the_clock_not_the_wall(chain: LeaseChain) -> None:
    clock = ManualClock(yield_s=0.005)
    holder(chain, clock).acquire(0)
    started, wall = clock.monotonic(), time.monotonic()
    with pytest.raises(LockError, match="after waiting 20s"):
        holder(chain, clock).acquire(20)
    assert clock.monotonic() - started >= 20
    assert time.monotonic() - wall < 10  # 40 polls of a few ms, never 20 s of sleep
