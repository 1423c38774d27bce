"""Token bucket timing with a fake clock, the retry backoff curve, and credentials hygiene."""

from __future__ import annotations

import threading

import pytest

from reconciler.errors import ConfigError
from reconciler.remote.credentials import Credentials
from reconciler.remote.ratelimit import RateLimiter
from reconciler.remote.retry import RetryPolicy
from tests.helpers.clocks import ManualClock


def test_burst_then_steady_rate():
    clock = ManualClock(100.0, sleep_advances=False)
    limiter = RateLimiter(10, burst=5, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(25)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5:] == pytest.approx([0.1 * n for n in range(1, 21)])
    # the 25th call is due 2 s after the first: (25 - 5 burst) / 10 per second
    assert max(waits) == pytest.approx(2.0)


def test_tokens_refill_with_time_up_to_burst():
    clock = ManualClock(100.0, sleep_advances=False)
    limiter = RateLimiter(10, burst=2, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(2)] == [0, 0]
    clock.now += 0.1  # one token back
    assert limiter.acquire() == 0
    assert limiter.acquire() == pytest.approx(0.1)
    clock.now += 60  # long idle: never more than the burst
    assert [limiter.acquire() for _ in range(2)] == [0, 0]
    assert limiter.acquire() > 0


def test_default_is_ten_per_second():
    clock = ManualClock(100.0, sleep_advances=False)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(20)]
    assert sum(1 for w in waits if w == 0) == 10
    assert waits[-1] == pytest.approx(1.0)


def test_threads_get_distinct_slots():
    clock = ManualClock(100.0, sleep_advances=False)
    limiter = RateLimiter(10, burst=1, clock=clock, sleep=clock.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = limiter.acquire()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([0.1 * n for n in range(40)])


def test_invalid_limiter_settings():
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(1, burst=0)


def test_backoff_is_full_jitter_capped():
    top = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=lambda: 1.0)
    assert [top.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    bottom = RetryPolicy(jitter=lambda: 0.0)
    assert bottom.delay(3) == 0.0
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_credentials_from_env_and_hidden_secrets():
    env = {
        "TENCENTCLOUD_SECRET_ID": "AKIDx",
        "TENCENTCLOUD_SECRET_KEY": "sekrit",
        "TENCENTCLOUD_SECURITY_TOKEN": "tok3n",
    }
    creds = Credentials.from_env(env)
    assert (creds.secret_id, creds.secret_key, creds.token) == ("AKIDx", "sekrit", "tok3n")
    assert "sekrit" not in repr(creds) and "tok3n" not in repr(creds)
    assert Credentials.from_env({k: v for k, v in env.items() if "TOKEN" not in k}).token is None
    with pytest.raises(ConfigError, match="TENCENTCLOUD_SECRET_KEY"):
        Credentials.from_env({"TENCENTCLOUD_SECRET_ID": "AKIDx"})
    with pytest.raises(ConfigError, match="TENCENTCLOUD_SECRET_ID"):
        Credentials.from_env({})
