"""A thread-safe token bucket that keeps job submission under the service's QPS limit.

CI limits snapshot-job submission to 10 QPS by default (ci-api.md 5.3); going over earns
``SlowDown`` replies, which cost a round trip each. Pacing on our side is cheaper. The bucket
reserves a slot under a lock and sleeps outside it, so concurrent callers queue fairly and
never sleep while holding the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_SUBMIT_QPS = 10.0


class RateLimiter:
    """``rate`` tokens per second, at most ``burst`` saved up (default: one second's worth)."""

    def __init__(
        self,
        rate: float = DEFAULT_SUBMIT_QPS,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1, int(rate)))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is due; return the seconds waited."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def _reserve(self) -> float:
        """Refill, take a token (possibly going into debt) and say how long the debt lasts."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            self._updated = now
            self._tokens -= 1.0
            # Float drift can leave a debt of 1e-15 tokens; that is not worth a sleep.
            return 0.0 if self._tokens > -1e-9 else -self._tokens / self.rate
