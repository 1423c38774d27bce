"""Fault injection and throttling: one seeded RNG for every dice roll, one token bucket.

The QPS limit applies to job submission (POST /jobs) only: that is the one documented CI limit
(10 QPS for snapshot jobs, ci-api.md §5.3); no figure exists for the other calls.
"""

from __future__ import annotations

import random
import threading

from .config import EmulatorConfig


class Faults:
    def __init__(self, config: EmulatorConfig):
        self._config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._tokens = max(1.0, config.qps)
        self._last: float | None = None

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``; the RNG is not touched when the rate is 0."""
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def admit_submission(self) -> bool:
        """Token bucket of ``qps`` tokens per second, burst max(1, qps); 0 = unlimited."""
        qps = self._config.qps
        if qps <= 0:
            return True
        with self._lock:
            now = self._config.clock()
            if self._last is not None:
                elapsed = max(0.0, now - self._last)
                self._tokens = min(max(1.0, qps), self._tokens + elapsed * qps)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False
