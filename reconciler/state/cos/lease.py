"""The state lease on COS: a chain of immutable lease objects, one per generation.

COS cannot compare-and-swap an object (see :mod:`.objects`), so the lease is not one object
rewritten in place but ``<key>.lock/<generation>``, each created with forbid-overwrite. The
newest generation says who holds the state and until when. Taking the lease, renewing it and
releasing it all mean creating generation ``newest + 1``: of two runners racing for the same
generation exactly one PUT creates it, and a holder whose renewal loses that race knows it lost
the lease. An expired lease (its holder died or stalled past ``expires_at``) can be taken over
by anyone; expiry compares wall clocks, so hosts need roughly synchronised clocks (NTP), and the
holder renews every third of the duration to keep a wide margin.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import LockError, RemoteError, StateError
from reconciler.model.times import iso
from reconciler.state.clock import SYSTEM_CLOCK, Clock
from reconciler.state.cos.objects import ObjectStore, create_exactly, list_keys, read_newest
from reconciler.state.identity import current_user

log = logging.getLogger(__name__)
DEFAULT_LEASE_SECONDS = 60.0
_KEEP_GENERATIONS = 8


def lease_seconds(env: Mapping[str, str] | None = None) -> float:
    """``RECONCILER_LEASE_SECONDS`` (tests use a few seconds) or the default of 60."""
    raw = (os.environ if env is None else env).get("RECONCILER_LEASE_SECONDS", "")
    try:
        value = float(raw) if raw else DEFAULT_LEASE_SECONDS
    except ValueError:
        raise StateError(f"RECONCILER_LEASE_SECONDS must be a number, not {raw!r}") from None
    return max(value, 1.0)


def ci_job_url(env: Mapping[str, str] | None = None) -> str:
    """The CI job running us, so a held lease points at the pipeline to look at."""
    env = os.environ if env is None else env
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL", "")


def _iso(epoch: float) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


@dataclass(frozen=True)
class Lease:
    """One lease generation as stored; ``nonce`` makes every body unique to one PUT."""

    lock_id: str
    generation: int
    owner: str
    pid: int
    host: str
    ci_url: str
    command: str
    created: str
    expires_at: float
    released: bool
    nonce: str

    def body(self) -> bytes:
        return json.dumps({**asdict(self), "expires": _iso(self.expires_at)}, indent=1).encode()

    @classmethod
    def parse(cls, data: bytes) -> Lease:
        try:
            raw: Any = json.loads(data)
            raw.pop("expires", None)
            return cls(**raw)
        except (ValueError, TypeError, AttributeError):
            raise StateError("a state lease object is damaged (not a lease record)") from None

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def describe(self) -> str:
        ci = f", CI job {self.ci_url}" if self.ci_url else ""
        cmd = f", running {self.command!r}" if self.command else ""
        return (
            f"{self.owner} (pid {self.pid} on {self.host}{ci}) since {self.created}{cmd}, "
            f"lease expires {_iso(self.expires_at)}"
        )


def _generation_key(prefix: str, generation: int) -> str:
    return f"{prefix}{generation:012d}"


class LeaseChain:
    """Reads and extends the lease generations under ``<key>.lock/``."""

    def __init__(self, store: ObjectStore, key: str, name: str) -> None:
        self.store = store
        self.prefix = key + ".lock/"
        self.name = name  # for messages: cos://bucket/key?region=...

    def newest(self) -> Lease | None:
        """The newest lease generation, or None when the state was never locked."""
        gone = f"state lease of {self.name} keeps disappearing while being read"
        found = read_newest(self.store, self.prefix, gone)
        return None if found is None else Lease.parse(found[1])

    def extend(self, lease: Lease) -> bool:
        """Create ``lease`` as its generation; True only if it is ours and still the newest."""
        if not create_exactly(
            self.store, _generation_key(self.prefix, lease.generation), lease.body()
        ):
            return False
        newest = self.newest()
        return newest is not None and newest.generation == lease.generation

    def prune(self, newest: int) -> None:
        """Delete generations well behind ``newest`` (the newest is never deleted)."""
        for key in list_keys(self.store, self.prefix):
            if int(key.rsplit("/", 1)[1]) < newest - _KEEP_GENERATIONS:
                self.store.delete_object(key)


class LeaseHolder:
    """This process's hold on the lease: acquire, renew in a heartbeat thread, release."""

    def __init__(
        self, chain: LeaseChain, *, duration: float, command: str = "", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.chain = chain
        self.clock = clock
        self.duration = duration
        self.command = command[:200]
        self.lease: Lease | None = None
        self.lost: str | None = None  # why we no longer hold the lease
        self._valid_until = 0.0  # monotonic: our lease surely has not expired before this
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    @property
    def lock_id(self) -> str:
        return self.lease.lock_id if self.lease else ""

    def _fresh(self, generation: int, lock_id: str, released: bool = False) -> Lease:
        return Lease(
            lock_id=lock_id, generation=generation, owner=current_user(), pid=os.getpid(),
            host=socket.gethostname(), ci_url=ci_job_url(), command=self.command,
            created=_iso(self.clock.time()) if self.lease is None else self.lease.created,
            expires_at=self.clock.time() + self.duration, released=released, nonce=uuid.uuid4().hex,
        )  # fmt: skip

    def acquire(self, wait_seconds: float) -> Lease | None:
        """Take the lease or raise ``LockError`` naming the holder; returns a dead holder's
        lease when this took over an expired one."""
        deadline = self.clock.monotonic() + max(wait_seconds, 0.0)
        while True:
            current = self.chain.newest()
            if current is None or current.released or current.expired(self.clock.time()):
                started = self.clock.monotonic()
                mine = self._fresh((current.generation if current else 0) + 1, str(uuid.uuid4()))
                if self.chain.extend(mine):
                    self.lease, self._valid_until = mine, started + self.duration * 0.9
                    self._start_heartbeat()
                    return None if current is None or current.released else current
                continue  # another runner created that generation first: look again
            if self.clock.monotonic() >= deadline:
                waited = f" after waiting {wait_seconds:g}s" if wait_seconds > 0 else ""
                raise LockError(
                    f"state {self.chain.name} is locked by {current.describe()}, lock id "
                    f"{current.lock_id}{waited}; wait for that run to finish, or once it is "
                    f"surely dead run: reconciler --state '{self.chain.name}' force-unlock "
                    f"{current.lock_id}"
                )
            self.clock.sleep(min(0.5, max(deadline - self.clock.monotonic(), 0.05)))

    def renew(self) -> None:
        """Extend the lease by one generation; a lost race means someone took it over."""
        with self._mutex:
            if self.lease is None or self.lost:
                return
            started = self.clock.monotonic()
            nxt = replace(
                self.lease, generation=self.lease.generation + 1,
                expires_at=self.clock.time() + self.duration, nonce=uuid.uuid4().hex,
            )  # fmt: skip
            if self.chain.extend(nxt):
                self.lease, self._valid_until = nxt, started + self.duration * 0.9
            else:
                newest = self.chain.newest()
                who = newest.describe() if newest else "someone"
                self.lost = f"the state lease was taken over by {who} (lock id {self.lock_id})"
                log.error("%s", self.lost)

    def check(self) -> None:
        """Raise ``StateError`` unless we still hold an unexpired lease (before every write)."""
        if self.lost:
            raise StateError(f"state {self.chain.name}: {self.lost}; rerun the command")
        if self.clock.monotonic() >= self._valid_until:
            raise StateError(
                f"state {self.chain.name}: the lease could not be renewed in time (lock id "
                f"{self.lock_id}); writes stop so another runner can take over safely"
            )

    def _start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="state-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.duration / 3):
            try:
                self.renew()
            except (RemoteError, StateError) as exc:
                log.warning("renewing the state lease failed (will retry): %s", exc)

    def release(self) -> None:
        """Stop renewing and publish a released generation; idempotent, never raises on the
        network (an unreleased lease simply expires)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._mutex:
            lease, self.lease = self.lease, None
            if lease is None or self.lost:
                return
            done = replace(lease, generation=lease.generation + 1, released=True)
            try:
                if self.chain.extend(replace(done, nonce=uuid.uuid4().hex)):
                    self.chain.prune(done.generation)
            except (RemoteError, StateError) as exc:
                log.warning("releasing the state lease failed (it will expire): %s", exc)


def force_unlock(chain: LeaseChain, lock_id: str) -> Lease:
    """``reconciler force-unlock LOCK_ID`` for a COS state: publish a released generation.

    Refuses when ``lock_id`` is not the newest lease's. A holder that is in fact alive loses its
    next renewal and stops writing, and its journal writes are fenced by the next writer's seal.
    """
    current = chain.newest()
    if current is None or current.released:
        raise StateError(f"state {chain.name} is not locked; nothing was changed")
    if current.lock_id != lock_id:
        raise StateError(
            f"lock id {lock_id} does not match the lease of {chain.name} (held by "
            f"{current.describe()}, lock id {current.lock_id}); nothing was changed"
        )
    broken = replace(
        current, generation=current.generation + 1, released=True, command="force-unlock",
        nonce=uuid.uuid4().hex,
    )  # fmt: skip
    if not chain.extend(broken):
        raise LockError(f"the lease of {chain.name} changed while unlocking; look again")
    return current
