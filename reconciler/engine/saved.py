"""Checks on a saved plan made before ``apply PLANFILE`` shows or does anything.

:func:`reconciler.engine.workflow.apply_plan` checks freshness again under the state lock (a run
may slip in between); this read-only check comes first so a stale plan is refused before the
plan is printed, instead of after a reviewer has read it again.
"""

from __future__ import annotations

from reconciler.engine.workflow import Settings, check_fresh, open_connections
from reconciler.model import DesiredState
from reconciler.plan.planner import Plan


def check_saved_plan(plan: Plan, settings: Settings) -> None:
    """Raise PlanError when ``plan`` is stale (no lock taken, nothing written)."""
    targets = DesiredState(targets={t.name: t for t in plan.targets})
    settings = settings.with_state(plan.state_backend)
    with settings.state() as store:
        snapshot = store.read()
    with open_connections(targets, settings) as conns:
        check_fresh(plan, snapshot, conns.clients)
