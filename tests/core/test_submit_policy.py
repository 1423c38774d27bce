"""SubmitPolicy is the remote layer's RetryPolicy: same backoff, injectable sleep and jitter."""

from __future__ import annotations

from reconciler.engine.submit import SubmitPolicy
from reconciler.remote.retry import RetryPolicy


def test_submit_backoff_is_full_jitter_with_the_injected_draw() -> None:
    slept: list[float] = []
    policy = SubmitPolicy(sleep=slept.append, jitter=lambda: 0.5)
    assert isinstance(policy, RetryPolicy)
    for retry in range(6):
        policy.pause(retry)
    # 0.5 x min(8, 0.5 x 2**n): the ceiling doubles from the base delay up to the cap.
    assert slept == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert (policy.attempts, policy.lookup_delay) == (6, 1.0)
