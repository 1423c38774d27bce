"""Golden planner cases: (desired, recorded, observed, options) -> actions with reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.plan.actions import Action
from reconciler.plan.planner import build_plan
from tests.core.plan_cases import CASES, load_case

CASE_FILES = sorted(CASES.glob("*.json"))


def _name(action: Action) -> str:
    name = getattr(action, "name", None)
    return name if name is not None else f"{action.batch}/{action.input_object}"  # type: ignore[union-attr]


def _template_row(action: Action) -> list[Any]:
    row: list[Any] = [action.kind, _name(action), action.reason]
    changes = getattr(action, "changes", None)
    if changes is not None:
        row.append([[c.path, c.old, c.new] for c in changes])
    return row


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in CASE_FILES])
def test_plan_case(path: Path) -> None:
    case = load_case(path)
    plan = build_plan(
        case["desired"], case["templates"], case["jobs"], case["observed"], case["state"],
        case["options"],
    )  # fmt: skip
    expect = case["expect"]
    assert [_template_row(a) for a in plan.templates] == expect["templates"]
    assert [[a.kind, _name(a), a.reason] for a in plan.jobs] == expect["jobs"]
    if "refreshed" in expect:
        got = [[f"{s.batch}/{s.input_object}", s.state] for s in plan.refreshed]
        assert sorted(got) == sorted(expect["refreshed"])


def test_there_are_enough_cases() -> None:
    assert len(CASE_FILES) >= 12
