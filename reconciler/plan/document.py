"""A plan as versioned JSON Lines: what ``plan --json`` prints and ``plan --out`` saves.

Pure conversion only (dicts in, dicts out), one line's object at a time: a header line, one
line per job action, an end line (docs/plan-format.md). Writing, reading and checking the file
is :mod:`reconciler.engine.planfile`.

The same lines are read back by ``apply PLANFILE``, so they carry everything needed to execute
without the manifests: full template settings and fully rendered job requests. Conversion is
generic over the frozen dataclasses (driven by their type hints) so adding a field to an action
cannot silently drop it from saved plans.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Union, get_args

from reconciler.errors import PlanError
from reconciler.model import TargetSpec, location_from_data
from reconciler.plan.actions import ACTION_TYPES, JobAction, JobStatus
from reconciler.plan.cost import CostPreview
from reconciler.plan.groups import group_jobs
from reconciler.plan.jobactions import JobActions
from reconciler.plan.pins import RecordPin
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
    if isinstance(value, tuple | list | JobActions):
        return [to_data(v) for v in value]
    return value


JOB_ACTIONS = get_args(JobAction)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_data(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from :func:`to_data` output; raises ValueError/TypeError.

    The type hints are read once per type into a converter (:func:`_converter`): a saved plan
    of a million jobs is parsed again on every pass over its jobs."""
    return _converter(tp)(data)


Convert = Callable[[Any], Any]


@cache
def _converter(tp: Any) -> Convert:
    """The function that rebuilds values of type ``tp`` (driven by its type hints)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return _union([a for a in typing.get_args(tp) if a is not type(None)])
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            return lambda data: tuple(item(v) for v in data)
        items = [_converter(a) for a in args]
        return lambda data: tuple(c(v) for c, v in zip(items, data, strict=True))
    if dataclasses.is_dataclass(tp):
        return _record(tp)
    if tp is Any:
        return lambda data: data
    return lambda data: _scalar(tp, data)


def _union(options: list[Any]) -> Convert:
    """None stays None; a dict with ``type`` is the action of that kind; else the first option."""
    first = _converter(options[0])
    several = len(options) > 1

    def convert(data: Any) -> Any:
        if data is None:
            return None
        if several and isinstance(data, dict) and "type" in data:
            kind: Any = ACTION_TYPES[data["type"]]
            return _converter(kind)(data)
        return first(data)

    return convert


def _record(tp: Any) -> Convert:
    hints = _hints(tp)
    fields = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(tp) if f.init]

    def convert(data: Any) -> Any:
        return tp(**{name: c(data[name]) for name, c in fields if name in data})

    return convert


def _scalar(tp: Any, data: Any) -> Any:
    if tp is float and isinstance(data, int):
        return float(data)
    if isinstance(data, tp):
        return data
    raise TypeError(f"expected {getattr(tp, '__name__', tp)}, got {type(data).__name__}")


#: ``line`` of each kind of line of a saved plan, in file order.
HEADER, JOB, END = "header", "job", "end"


def header_document(plan: Plan) -> dict[str, Any]:
    """The first line of a plan (shape: ``schemas/plan.schema.json``): everything but the jobs.

    Beside the fields read back by ``apply PLANFILE`` it carries derived views for machines:
    ``summary`` (count per action kind), ``groups`` (the job groups every rendering shows),
    ``cost.totals`` and ``job_count``. ``pins`` holds the template pins only: each job's pin is
    on its own line. Generic over the Plan's fields (one pass over the jobs for the views)."""
    doc: dict[str, Any] = {"line": HEADER}
    for f in dataclasses.fields(plan):
        value = getattr(plan, f.name)
        if f.name not in ("jobs", "pins") and value is not None:
            doc[f.name] = to_data(value)
    doc["pins"] = [to_data(p) for p in plan.pins if p.kind != "job"]
    doc["job_count"] = len(plan.jobs)
    doc["summary"] = summary_counts(plan)
    doc["groups"] = [
        {
            "kind": g.kind,
            "reason_code": g.reason_code,
            "params": dict(g.params),
            "label": g.label,
            "count": g.count,
            "batches": dict(sorted(g.batches().items())),
        }
        for g in group_jobs(plan.jobs)
    ]
    cost = plan.cost
    doc["cost"]["totals"] = {
        "jobs": cost.jobs,
        "frames_at_most": cost.frames,
        "sprites_at_most": cost.sprites,
        "jobs_depending_on_video_length": cost.unbounded_jobs,
        "money_at_most": cost.money(),
    }
    return doc


def job_document(action: JobAction, pin: str | None) -> dict[str, Any]:
    """One job line: the action, and the digest of the record it acts on (absent: no pin)."""
    doc: dict[str, Any] = {"line": JOB, "action": to_data(action)}
    if pin is not None:
        doc["pin"] = pin
    return doc


def job_from_document(doc: Any) -> tuple[JobAction, str | None]:
    """A job line read back; raises KeyError/TypeError/ValueError when it is not one."""
    if not isinstance(doc, dict) or doc.get("line") != JOB:
        raise ValueError("not a job line")
    data = doc["action"]
    action = from_data(ACTION_TYPES[data["type"]], data)
    if not isinstance(action, JOB_ACTIONS):
        raise ValueError(f"{data['type']} is not a job action")
    pin = doc.get("pin")
    if pin is not None and not isinstance(pin, str):
        raise TypeError("pin is not a string")
    return action, pin


def summary_counts(plan: Plan) -> dict[str, int]:
    return dict(sorted(plan.kind_counts().items()))


def _template_action(data: Any) -> Any:
    return from_data(ACTION_TYPES[data["type"]], data)


def _location(data: Any) -> Any:
    """The state a saved plan recorded (None: a plan saved before plans recorded it)."""
    return None if data is None else location_from_data(data)


def check_format(found: Any, source: str) -> None:
    """Refuse a plan of another format in one line (an older one: make it again)."""
    if isinstance(found, int) and not isinstance(found, bool) and 0 < found < FORMAT_VERSION:
        raise PlanError(
            f"{source}: plan format {found} was made by an older reconciler; make the plan "
            "again with this one (reconciler plan ... --out FILE)"
        )
    if found != FORMAT_VERSION:
        raise PlanError(f"{source}: not a reconciler plan of format {FORMAT_VERSION} (got {found})")


def plan_from_header(doc: Any, jobs: Sequence[JobAction], source: str) -> Plan:
    """The plan of a saved header line with ``jobs`` (read from the job lines by the caller);
    any mismatch is a PlanError naming the file."""
    found = doc.get("format_version") if isinstance(doc, dict) else None
    check_format(found, source)
    if not isinstance(doc, dict) or doc.get("line") != HEADER:
        raise PlanError(f"{source}: damaged plan file (the first line is not its header)")
    try:
        return Plan(
            options=from_data(PlanOptions, doc["options"]),
            state=from_data(StateRef, doc["state"]),
            targets=from_data(tuple[TargetSpec, ...], doc["targets"]),
            templates=tuple(_template_action(a) for a in doc["templates"]),
            jobs=jobs,
            listings=from_data(tuple[PinnedListing, ...], doc.get("listings", [])),
            refreshed=from_data(tuple[JobStatus, ...], doc.get("refreshed", [])),
            created_at=str(doc.get("created_at", "")),
            warnings=tuple(doc.get("warnings", [])),
            state_backend=_location(doc.get("state_backend")),
            cost=from_data(CostPreview, doc.get("cost", {})),
            pins=from_data(tuple[RecordPin, ...], doc["pins"]),
            state_location=str(doc.get("state_location", "")),
            state_exists=bool(doc.get("state_exists", True)),
            lookup_since=str(doc.get("lookup_since", "")),
            lookup_requests=int(doc.get("lookup_requests", 0)),
            lookup_jobs=int(doc.get("lookup_jobs", 0)),
            notes=tuple(str(n) for n in doc.get("notes", [])),
            key_files=from_data(tuple[PinnedKeyFile, ...], doc.get("key_files", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"{source}: damaged plan file ({type(exc).__name__}: {exc})") from exc
