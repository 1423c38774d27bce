"""Saved plans on disk: ``plan --out`` writes one, ``apply PLANFILE`` and ``show`` read it back."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.errors import PlanError
from reconciler.plan.document import plan_document, plan_from_document
from reconciler.plan.planner import Plan
from reconciler.state.local.fileio import atomic_write


def write_plan(plan: Plan, path: Path) -> None:
    """Save atomically with mode 0600 (a plan holds no secrets, but may hold private names)."""
    data = json.dumps(plan_document(plan), indent=1, sort_keys=True).encode()
    atomic_write(path, data)


def read_plan(path: Path) -> Plan:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise PlanError(f"{path}: cannot read plan ({exc})") from exc
    return plan_from_document(doc, str(path))
