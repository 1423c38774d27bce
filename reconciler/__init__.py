"""reconciler: Tencent Cloud CI snapshot templates and snapshot jobs as code.

The Python API lives in :mod:`reconciler.api` and is re-exported here::

    from reconciler import Reconciler

The names are imported lazily, so that ``import reconciler.model`` (or the emulator) does not
pull in the whole client stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.api import ApplyOutcome, BatchStatus, Reconciler, StatusReport
    from reconciler.engine.apply import ApplyResult, Failure
    from reconciler.errors import ReconcilerError
    from reconciler.model import DesiredState
    from reconciler.model.records import JobRecord
    from reconciler.plan.planner import Plan, PlanOptions

__version__ = "0.1.0"

_LAZY = {
    "ApplyOutcome": "reconciler.api",
    "ApplyResult": "reconciler.engine.apply",
    "BatchStatus": "reconciler.api",
    "DesiredState": "reconciler.model",
    "Failure": "reconciler.engine.apply",
    "JobRecord": "reconciler.model.records",
    "Plan": "reconciler.plan.planner",
    "PlanOptions": "reconciler.plan.planner",
    "Reconciler": "reconciler.api",
    "ReconcilerError": "reconciler.errors",
    "StatusReport": "reconciler.api",
}

__all__ = [
    "ApplyOutcome",
    "ApplyResult",
    "BatchStatus",
    "DesiredState",
    "Failure",
    "JobRecord",
    "Plan",
    "PlanOptions",
    "Reconciler",
    "ReconcilerError",
    "StatusReport",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'reconciler' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
