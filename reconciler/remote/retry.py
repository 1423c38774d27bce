"""How often and how patiently safe calls are repeated.

Exponential backoff with *full jitter* (a uniform pick in ``[0, min(cap, base * 2**n)]``)
spreads retries from many workers instead of having them hit a recovering service in step.
Sleep and randomness are injectable so tests run instantly and deterministically.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` is the total number of tries (1 = never retry)."""

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (0 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * float(2**retry_number))
        return self.jitter() * ceiling

    def pause(self, retry_number: int) -> None:
        self.sleep(self.delay(retry_number))
