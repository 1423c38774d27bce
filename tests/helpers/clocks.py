"""Clocks that tests move by hand, so time-driven behaviour is tested without sleeping.

``ManualClock`` starts at a fixed instant; ``OffsetClock`` is real time plus an offset, for an
emulator whose requests are signed with the real time (a fixed clock would reject them as skewed).
"""

from __future__ import annotations

import threading
import time


class ManualClock:
    """Wall and monotonic time that move only on ``advance`` (or ``sleep``, when
    ``sleep_advances``). Callable, so it also serves as a ``Callable[[], float]`` clock; ``sleeps``
    records every requested sleep. ``yield_s`` lets other threads run on each sleep."""

    def __init__(
        self,
        start: float = 1_790_000_000.0,
        *,
        mono: float = 1000.0,
        sleep_advances: bool = True,
        yield_s: float = 0.0,
    ) -> None:
        self.now = start
        self.mono = mono
        self.sleeps: list[float] = []
        self.sleep_advances = sleep_advances
        self.yield_s = yield_s
        self._mutex = threading.Lock()

    def __call__(self) -> float:
        return self.time()

    def time(self) -> float:
        with self._mutex:
            return self.now

    def monotonic(self) -> float:
        with self._mutex:
            return self.mono

    def advance(self, seconds: float) -> None:
        with self._mutex:
            self.now += seconds
            self.mono += seconds

    def sleep(self, seconds: float) -> None:
        with self._mutex:
            self.sleeps.append(seconds)
        if self.sleep_advances:
            self.advance(seconds)
        if self.yield_s:
            time.sleep(self.yield_s)


class OffsetClock:
    """Real time plus an offset that tests move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
