"""The clock the COS lease reads, injectable so tests can move time instead of sleeping.

The lease needs two clocks: wall time (``time``), because expiry is compared across hosts, and
a monotonic one, because this process's own deadlines must not jump with NTP corrections.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Wall time, monotonic time and sleeping, as the lease uses them."""

    def time(self) -> float: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clocks of this host."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
