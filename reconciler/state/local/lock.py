"""The state lock: kernel-enforced mutual exclusion plus a record of who holds it.

Exclusion comes from ``flock`` on ``state.json.lock`` (through ``filelock``), which the kernel
releases when the holder dies, even under ``kill -9``, so a crash can never leave the state
locked forever. ``flock`` cannot say *who* holds it, so the holder also writes
``state.json.lock.info`` (lock id, user, pid, host, time, command) right after acquiring and
removes it on release. A record found while the lock is free was left by a holder that died:
the new holder takes over and reports it. The record must not contain secrets, so callers pass
a command name, never a full command line.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import filelock

from reconciler.errors import LockError, StateError
from reconciler.model.times import utc_now
from reconciler.state.identity import current_user
from reconciler.state.local.fileio import (
    FILE_MODE,
    atomic_write,
    ensure_dir,
    fsync_dir,
    read_or_none,
)

log = logging.getLogger(__name__)
_COMMAND_LIMIT = 200
_RECORD_POLLS = 20  # x 50 ms: how long a refused writer waits for the holder's record


@dataclass(frozen=True)
class LockInfo:
    """Who holds (or held) the state lock."""

    lock_id: str
    owner: str
    pid: int
    host: str
    created: str
    command: str

    def describe(self) -> str:
        command = f", running {self.command!r}" if self.command else ""
        return f"{self.owner} (pid {self.pid} on {self.host}) since {self.created}{command}"

    @classmethod
    def parse(cls, data: bytes) -> LockInfo | None:
        """The record in ``data``, or None when it is not one (e.g. damaged by hand)."""
        try:
            raw: Any = json.loads(data)
            return cls(
                lock_id=str(raw["lock_id"]),
                owner=str(raw["owner"]),
                pid=int(raw["pid"]),
                host=str(raw["host"]),
                created=str(raw["created"]),
                command=str(raw.get("command", "")),
            )
        except (ValueError, TypeError, KeyError):
            return None


def lock_paths(state_path: Path) -> tuple[Path, Path]:
    """(flock file, owner record) for a state file."""
    return (
        state_path.with_name(state_path.name + ".lock"),
        state_path.with_name(state_path.name + ".lock.info"),
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _flock(path: Path, wait_seconds: float) -> filelock.BaseFileLock:
    return filelock.UnixFileLock(
        str(path), timeout=wait_seconds, mode=FILE_MODE, thread_local=False
    )


class StateLock:
    """One acquisition of the state lock by this process."""

    def __init__(self, state_path: Path) -> None:
        self.lock_path, self.info_path = lock_paths(state_path)
        self.info: LockInfo | None = None
        self._lock: filelock.BaseFileLock | None = None

    def acquire(self, command: str, wait_seconds: float) -> LockInfo | None:
        """Take the lock or raise ``LockError`` naming the holder.

        Returns the record of a previous holder that died while holding the lock, if any.
        """
        ensure_dir(self.lock_path.parent)
        lock = _flock(self.lock_path, max(wait_seconds, 0.0))
        try:
            lock.acquire()
        except filelock.Timeout:
            raise self._held_error(wait_seconds) from None
        self._lock = lock
        try:
            previous = read_or_none(self.info_path)
            self.info = LockInfo(
                lock_id=str(uuid.uuid4()),
                owner=current_user(),
                pid=os.getpid(),
                host=socket.gethostname(),
                created=utc_now(),
                command=command[:_COMMAND_LIMIT],
            )
            atomic_write(self.info_path, json.dumps(asdict(self.info), indent=2).encode())
        except BaseException:
            lock.release()
            self._lock = None
            raise
        if previous is None:
            return None
        dead = LockInfo.parse(previous)
        return dead or LockInfo("?", "unknown", 0, "unknown host", "unknown time", "")

    def _held_error(self, wait_seconds: float) -> LockError:
        waited = f" after waiting {wait_seconds:g}s" if wait_seconds > 0 else ""
        info = self._live_holder()
        if info is None:
            holder = "another process that has not recorded itself yet"
        else:
            holder = f"{info.describe()}, lock id {info.lock_id}"
        return LockError(
            f"state lock {self.lock_path} is held by {holder}{waited}; wait for that command "
            "to finish (or stop it) and retry"
        )

    def _live_holder(self) -> LockInfo | None:
        """The holder's record, waiting briefly for it: a holder that has just taken the flock
        writes its record a moment later (seen when three applies start together)."""
        here = socket.gethostname()
        for _ in range(_RECORD_POLLS):
            data = read_or_none(self.info_path)
            info = LockInfo.parse(data) if data is not None else None
            if info is not None and (info.host != here or _pid_alive(info.pid)):
                return info
            time.sleep(0.05)
        return None

    def release(self) -> None:
        """Remove the owner record, then let go of the flock; idempotent."""
        if self._lock is None:
            return
        try:
            self.info_path.unlink(missing_ok=True)
            fsync_dir(self.info_path.parent)
        finally:
            self._lock.release()
            self._lock = None


def current_holder(state_path: Path) -> LockInfo | None:
    """Who holds the lock, read without taking it (``doctor`` stays read-only); None when free.

    A record left behind by a process of this host that is gone does not count: the next run
    takes the lock and reports it as a dead holder.
    """
    data = read_or_none(lock_paths(state_path)[1])
    info = LockInfo.parse(data) if data is not None else None
    if info is None or (info.host == socket.gethostname() and not _pid_alive(info.pid)):
        return None
    return info


def break_lock(path: str | os.PathLike[str], lock_id: str) -> None:
    """Remove the owner record of a dead holder (``reconciler force-unlock LOCK_ID``).

    The kernel already frees the lock of a dead process, so this only clears the record it
    left; it refuses when ``lock_id`` is not the recorded one or the lock is really held.
    """
    lock_path, info_path = lock_paths(Path(path))
    data = read_or_none(info_path)
    if data is None:
        raise StateError(f"no lock record at {info_path}: the state is not locked")
    info = LockInfo.parse(data)
    if info is not None and info.lock_id != lock_id:
        raise StateError(
            f"lock id {lock_id} does not match the record at {info_path} "
            f"(held by {info.describe()}, lock id {info.lock_id}); nothing was changed"
        )
    lock = _flock(lock_path, 0.0)
    try:
        lock.acquire()
    except filelock.Timeout:
        who = info.describe() if info is not None else "a live process"
        raise LockError(
            f"state lock {lock_path} is held by {who}, which is still running; refusing to "
            "break it. Stop that process first"
        ) from None
    try:
        info_path.unlink(missing_ok=True)
        fsync_dir(info_path.parent)
        log.warning("removed the lock record %s of %s", info_path, info.describe() if info else "?")
    finally:
        lock.release()
