"""JobState answers finished/failed for its members and for any text the service may send."""

from __future__ import annotations

import pytest

from reconciler.model import UNKNOWN_STATE, JobState
from reconciler.model.records import INTENT_STATE


def test_members_know_whether_they_are_finished_or_failed() -> None:
    assert {s.value for s in JobState if s.finished} == {"Success", "Failed", "Cancel"}
    assert {s.value for s in JobState if s.failed} == {"Failed", "Cancel"}
    assert INTENT_STATE == JobState.PENDING == "Pending"


@pytest.mark.parametrize("state", ["Queued", "", UNKNOWN_STATE, "Pending", "Pause", "排队中"])
def test_any_other_text_is_unfinished_and_not_failed(state: str) -> None:
    assert not JobState.is_finished(state)
    assert not JobState.is_failed(state)


@pytest.mark.parametrize(("state", "finished", "failed"), [
    ("Success", True, False), ("Failed", True, True), ("Cancel", True, True),
    ("Running", False, False), ("Submitted", False, False),
])  # fmt: skip
def test_text_of_a_documented_state_answers_like_its_member(
    state: str, finished: bool, failed: bool
) -> None:
    assert (JobState.is_finished(state), JobState.is_failed(state)) == (finished, failed)
    assert (JobState(state).finished, JobState(state).failed) == (finished, failed)
