"""Group commit: concurrent writers share one durable write (an fsync locally, a PUT on COS).

Both journals need the same protocol and differ only in how a batch of lines is made durable,
so the protocol lives here once and each journal passes its ``flush``. Whoever queues lines and
finds no flush in progress becomes the leader: it hands every line queued so far to ``flush`` in
one call, outside the lock, while the others wait on a condition variable; lines that arrive
during that flush go out with the next leader. An append returns only once a flush that held
its lines succeeded. A failed flush refuses every later append: what reached the journal is then
unknown, and the next line must not follow a torn one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from reconciler.errors import StateError


class GroupCommit:
    """Thread-safe durable appends; ``flush(lines)`` runs once per group, never concurrently.

    ``name`` says what failed (``writing <name> failed: ...``); ``closed_message`` is the error
    for appends after :meth:`seal`; only exceptions of the ``catch`` types from ``flush`` are
    remembered as a failure of the journal (others propagate from the leader's append only).
    """

    def __init__(
        self,
        flush: Callable[[list[bytes]], None],
        *,
        name: str,
        closed_message: str,
        catch: tuple[type[Exception], ...],
        commit_delay: float = 0.0,
    ) -> None:
        mutex = threading.Lock()
        self._cond = threading.Condition(mutex)
        self._gathering = threading.Condition(mutex)  # where a leader waits for company
        self._flush = flush
        self._name = name
        self._closed_message = closed_message
        self._catch = catch
        self._commit_delay = commit_delay
        self._last_group = 1  # tickets in the previous flush: how many writers to expect
        self._queue: list[bytes] = []
        self._queued = 0  # tickets handed out
        self._durable = 0  # every ticket <= this is durable
        self._flushing = False
        self._failure: str | None = None
        self._sealed = False
        self.entries = 0  # lines appended since the owner last reset it (at compaction)

    @property
    def lock(self) -> threading.Condition:
        """The lock that orders appends; hold it to read the in-memory view."""
        return self._cond

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def append(self, lines: list[bytes], apply: Callable[[], None]) -> None:
        """Queue ``lines``, run ``apply`` in journal order, return once the lines are durable.

        ``apply`` updates the in-memory view under the same lock that orders the journal, so
        the view and the journal agree on the order of writes to one key.
        """
        with self._cond:
            self._check()
            apply()
            self._queue.extend(lines)
            self.entries += len(lines)
            self._queued += 1
            ticket = self._queued
            self._gathering.notify()
            while self._durable < ticket:
                self._check()
                if self._flushing:
                    self._cond.wait()
                else:
                    self._lead()

    def _lead(self) -> None:
        """Flush everything queued so far; called and returns with the lock held."""
        self._flushing = True
        self._gather()
        batch, self._queue = self._queue, []
        target = self._queued
        self._last_group = target - self._durable
        self._cond.release()
        error: Exception | None = None
        try:
            self._flush(batch)
        except self._catch as exc:  # remembered and re-raised for every waiter
            error = exc
        finally:
            self._cond.acquire()
            self._flushing = False
            self._cond.notify_all()
        if error is not None:
            self._failure = f"writing {self._name} failed: {error}"
            raise StateError(self._failure) from error
        self._durable = target

    def _gather(self) -> None:
        """Wait briefly for as many writers as joined the previous flush (commit delay).

        Threads woken by a flush need a moment to come back with their next entry; without
        this wait the first one back would flush alone. The wait ends as soon as the expected
        number of writers queued, and never lasts more than ``commit_delay``; a lone writer
        (previous group of one) never waits, nor does anyone when the delay is 0.
        """
        if self._last_group <= 1 or self._commit_delay <= 0:
            return
        deadline = time.monotonic() + self._commit_delay
        while self._queued - self._durable < self._last_group:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._gathering.wait(remaining)

    def _check(self) -> None:
        if self._sealed:
            raise StateError(self._closed_message)
        if self._failure is not None:
            raise StateError(self._failure + "; later writes are refused, rerun the command")

    @contextmanager
    def quiesced(self) -> Iterator[None]:
        """Hold the lock with no flush in flight and nothing queued (for compaction).

        After a failed flush the queue is never drained; the caller then proceeds anyway.
        """
        with self._cond:
            while (self._flushing or self._queue) and self._failure is None:
                self._cond.wait()
            yield

    def seal(self) -> None:
        """Refuse appends from now on; every append accepted before is flushed first."""
        with self.quiesced():
            self._sealed = True
