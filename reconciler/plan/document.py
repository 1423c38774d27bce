"""A plan as a versioned JSON document: what ``plan --json`` prints and ``plan --out`` saves.

Pure conversion only (dicts in, dicts out); reading and writing the files is
:mod:`reconciler.engine.planfile`.

The same document is read back by ``apply PLANFILE``, so it carries everything needed to execute
without the manifests: full template settings and fully rendered job requests. Conversion is
generic over the frozen dataclasses (driven by their type hints) so adding a field to an action
cannot silently drop it from saved plans.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, Union

from reconciler.errors import PlanError
from reconciler.model import StateBackendSpec, TargetSpec
from reconciler.plan.actions import ACTION_TYPES, JobStatus
from reconciler.plan.planner import (
    FORMAT_VERSION,
    PinnedKeyFile,
    PinnedListing,
    Plan,
    PlanOptions,
    StateRef,
)


def to_data(value: Any) -> Any:
    """Dataclasses -> dicts (actions get ``type``), tuples -> lists; ``None`` members dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        kind = getattr(type(value), "kind", None)
        if kind is not None:
            out["type"] = kind
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is not None:
                out[f.name] = to_data(item)
        return out
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_data(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from :func:`to_data` output; raises ValueError/TypeError."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        if len(options) > 1 and isinstance(data, dict) and "type" in data:
            return from_data(ACTION_TYPES[data["type"]], data)
        return from_data(options[0], data)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_data(args[0], v) for v in data)
        return tuple(from_data(a, v) for a, v in zip(args, data, strict=True))
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)  # type: ignore[arg-type]
        kwargs = {
            f.name: from_data(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.name in data and f.init
        }
        return tp(**kwargs)  # type: ignore[operator]
    if tp is float and isinstance(data, int):
        return float(data)
    if tp is Any or isinstance(data, tp):
        return data
    raise TypeError(f"expected {getattr(tp, '__name__', tp)}, got {type(data).__name__}")


def plan_document(plan: Plan) -> dict[str, Any]:
    """The versioned JSON document of a plan."""
    doc = to_data(plan)
    doc["summary"] = summary_counts(plan)
    return dict(doc)


def summary_counts(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in (*plan.templates, *plan.jobs):
        counts[action.kind] = counts.get(action.kind, 0) + 1
    return dict(sorted(counts.items()))


def _template_action(data: Any) -> Any:
    return from_data(ACTION_TYPES[data["type"]], data)


def plan_from_document(doc: Any, source: str) -> Plan:
    """Parse a saved plan; any mismatch is a PlanError naming the file."""
    if not isinstance(doc, dict) or doc.get("format_version") != FORMAT_VERSION:
        found = doc.get("format_version") if isinstance(doc, dict) else None
        raise PlanError(f"{source}: not a reconciler plan of format {FORMAT_VERSION} (got {found})")
    try:
        return Plan(
            options=from_data(PlanOptions, doc["options"]),
            state=from_data(StateRef, doc["state"]),
            targets=from_data(tuple[TargetSpec, ...], doc["targets"]),
            templates=tuple(_template_action(a) for a in doc["templates"]),
            jobs=tuple(_template_action(a) for a in doc["jobs"]),
            listings=from_data(tuple[PinnedListing, ...], doc.get("listings", [])),
            refreshed=from_data(tuple[JobStatus, ...], doc.get("refreshed", [])),
            created_at=str(doc.get("created_at", "")),
            warnings=tuple(doc.get("warnings", [])),
            state_backend=from_data(StateBackendSpec | None, doc.get("state_backend")),
            key_files=from_data(tuple[PinnedKeyFile, ...], doc.get("key_files", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"{source}: damaged plan file ({type(exc).__name__}: {exc})") from exc
