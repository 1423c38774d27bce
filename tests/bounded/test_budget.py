"""The budget of a bounded apply, on a clock the test moves: counts, the cut-off, the rate."""

from __future__ import annotations

import pytest

from reconciler.engine.bounds import (
    MAX_MARGIN,
    Budget,
    format_duration,
    margin_for,
    parse_duration,
)
from reconciler.errors import ConfigError
from tests.helpers.clocks import ManualClock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("45m", 2700), ("5h30m", 19800), ("1h2m3s", 3723), ("120", 120), ("1.5h", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "h", "m30", "-5", "0", "0s", "5h30", "1d"])
def test_bad_durations_are_one_clear_error(text: str) -> None:
    with pytest.raises(ConfigError, match="duration"):
        parse_duration(text)


def test_durations_are_echoed_as_written() -> None:
    assert format_duration(19800) == "5h30m"
    assert format_duration(90) == "1m30s"
    assert format_duration(45) == "45s"
    assert format_duration(2.5) == "2.5s"


def test_margin_is_a_tenth_capped_at_five_minutes() -> None:
    assert margin_for(90) == 9
    assert margin_for(19800) == MAX_MARGIN
    assert margin_for(3000) == 300


def test_limit_counts_started_submissions() -> None:
    budget = Budget(limit=3)
    assert [budget.take() for _ in range(5)] == [True, True, True, False, False]
    assert budget.taken == 3 and budget.stopped_by == "--limit" and not budget.open()


def test_unbounded_budget_never_refuses() -> None:
    budget = Budget()
    assert not budget.bounded
    assert all(budget.take() for _ in range(1000))


def test_time_limit_stops_at_the_cutoff_before_the_limit() -> None:
    clock = ManualClock(1000.0)
    budget = Budget(time_limit=100, clock=clock)
    assert budget.cutoff == clock.now + 90  # 10% margin
    clock.now += 89.9
    assert budget.take()
    clock.now += 0.2
    assert not budget.open() and not budget.take()
    assert budget.stopped_by == "--time-limit"


def test_time_limit_counts_from_the_given_start() -> None:
    clock = ManualClock(1000.0)
    budget = Budget(time_limit=100, clock=clock, started=clock.now - 95)
    assert not budget.take()


def test_a_submission_queued_past_the_cutoff_is_not_started() -> None:
    """At 2 per second, 10 s before the cut-off leaves room for 20 submissions, not 21."""
    clock = ManualClock(1000.0)
    budget = Budget(time_limit=100, qps=2, clock=clock, started=clock.now - 80)
    started = 0
    while budget.take():
        started += 1
    assert started == 21  # the first leaves now, then every 0.5 s up to the cut-off itself
    assert budget.stopped_by == "--time-limit"
