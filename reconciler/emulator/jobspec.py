"""Validation of a ``POST /jobs`` body (ci-api.md §3.1) into a plain submission record.

Shape rules live here; rules that need stored state (does the template exist? which queue?)
live in the backend, which then calls :func:`check_outputs` with the effective settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import snapshot
from .exceptions import InvalidArgument
from .snapshot import Settings
from .xmlio import Elem

_TOP = {
    "Tag",
    "Input",
    "Operation",
    "QueueId",
    "QueueType",
    "CallBack",
    "CallBackFormat",
    "CallBackType",
    "CallBackMqConfig",
}
_OPERATION = {"TemplateId", "Snapshot", "Output", "UserData", "JobLevel"}
_OUTPUT = ("Region", "Bucket", "Object", "SpriteObject")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]*-[0-9]+$")
_REGION = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")
_MQ_REGIONS = ("sh", "bj", "gz", "cd", "hk")


@dataclass
class Submission:
    """A validated job request; ``settings`` is None when a TemplateId is to be resolved."""

    input_object: str
    output: dict[str, str]
    template_id: str | None
    settings: Settings | None
    user_data: str | None = None
    job_level: str | None = None
    queue_id: str | None = None
    callback: dict[str, str | dict[str, str]] = field(default_factory=dict)


def _unknown(node: Elem, allowed: set[str], path: str) -> None:
    for child in node.children:
        if child.name not in allowed:
            raise InvalidArgument(f"{path}.{child.name} is not a known field")


def parse_submission(body: Elem) -> Submission:
    _unknown(body, _TOP, "Request")
    tag = body.value("Tag")
    if tag != "Snapshot":
        raise InvalidArgument(f"Tag must be Snapshot (the only job type emulated); got {tag!r}")
    inp = body.child("Input")
    obj = inp.value("Object") if inp is not None else None
    if not obj:
        raise InvalidArgument("Input.Object is required")
    operations = body.all("Operation")
    if len(operations) != 1:
        raise InvalidArgument("exactly one Operation is required")
    op = operations[0]
    _unknown(op, _OPERATION, "Operation")
    template_id = op.value("TemplateId")
    snap = op.child("Snapshot")
    if template_id is None and (snap is None or not snap.children):
        raise InvalidArgument("Operation needs a TemplateId or an inline Snapshot")
    # TemplateId wins over inline settings (ci-api.md §3.1): inline ones are then not validated.
    settings = None
    if not template_id and snap is not None:
        settings = snapshot.parse_snapshot(snap, "Operation.Snapshot")
    return Submission(
        input_object=obj.lstrip("/"),
        output=_output(op.child("Output")),
        template_id=template_id,
        settings=settings,
        user_data=_user_data(op.value("UserData")),
        job_level=_job_level(op.value("JobLevel")),
        queue_id=body.value("QueueId"),
        callback=_callback(body),
    )


def _output(node: Elem | None) -> dict[str, str]:
    if node is None:
        raise InvalidArgument("Operation.Output is required")
    _unknown(node, set(_OUTPUT), "Operation.Output")
    out = {name: value for name in _OUTPUT if (value := node.value(name)) is not None}
    for name in ("Region", "Bucket"):
        if name not in out:
            raise InvalidArgument(f"Operation.Output.{name} is required")
    if not _BUCKET.match(out["Bucket"]):
        raise InvalidArgument(
            f"Operation.Output.Bucket must be <name>-<appid>; got {out['Bucket']!r}"
        )
    if not _REGION.match(out["Region"]):
        raise InvalidArgument(f"Operation.Output.Region is not a region: {out['Region']!r}")
    return out


def _user_data(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > 1024:
        raise InvalidArgument(f"Operation.UserData is longer than 1024 characters ({len(value)})")
    if any(not 0x20 <= ord(ch) <= 0x7E for ch in value):
        raise InvalidArgument("Operation.UserData must be printable ASCII")
    return value


def _job_level(value: str | None) -> str | None:
    if value is not None and value.strip() not in ("0", "1", "2"):
        raise InvalidArgument(f"Operation.JobLevel must be 0, 1 or 2; got {value!r}")
    return None if value is None else value.strip()


def _callback(body: Elem) -> dict[str, str | dict[str, str]]:
    out: dict[str, str | dict[str, str]] = {}
    url = body.value("CallBack")
    if url is not None:
        if url != "no" and not re.match(r"^https?://[^\s/]+", url):
            raise InvalidArgument(f"CallBack must be an http(s) URL or 'no'; got {url!r}")
        out["CallBack"] = url
    fmt = body.value("CallBackFormat")
    if fmt is not None:
        out["CallBackFormat"] = snapshot.check_value("CallBackFormat", fmt, _enum("XML", "JSON"))
    kind = body.value("CallBackType")
    if kind is not None:
        out["CallBackType"] = snapshot.check_value("CallBackType", kind, _enum("Url", "TDMQ"))
    mq = body.child("CallBackMqConfig")
    if kind == "TDMQ" or (mq is not None and mq.children):
        out["CallBackMqConfig"] = _mq(mq)
    return out


def _enum(*values: str) -> snapshot.Rule:
    return snapshot.Rule("enum", values=values)


def _mq(node: Elem | None) -> dict[str, str]:
    if node is None:
        raise InvalidArgument("CallBackMqConfig is required when CallBackType is TDMQ")
    _unknown(node, {"MqRegion", "MqMode", "MqName"}, "CallBackMqConfig")
    out: dict[str, str] = {}
    for name, rule in (
        ("MqRegion", _enum(*_MQ_REGIONS)),
        ("MqMode", _enum("Queue", "Topic")),
        ("MqName", snapshot.Rule("text")),
    ):
        value = node.value(name)
        if value is None:
            raise InvalidArgument(f"CallBackMqConfig.{name} is required")
        out[name] = snapshot.check_value(f"CallBackMqConfig.{name}", value, rule)
    return out


def check_outputs(settings: Settings, output: dict[str, str]) -> None:
    """Output keys against the effective settings: presence, ${number}, sprite .jpg."""
    mode = snapshot.out_mode(settings)
    if mode != "OnlySprite":
        key = output.get("Object")
        if not key:
            raise InvalidArgument(f"Operation.Output.Object is required with {mode}")
        if snapshot.frame_count(settings) > 1 and not snapshot.has_number(key):
            raise InvalidArgument(
                "Operation.Output.Object must contain ${number} when several frames are produced"
            )
    if mode != "OnlySnapshot":
        key = output.get("SpriteObject")
        if not key:
            raise InvalidArgument(f"Operation.Output.SpriteObject is required with {mode}")
        if not key.lower().endswith(".jpg"):
            raise InvalidArgument("Operation.Output.SpriteObject must end in .jpg (jpg only)")
        if snapshot.sprite_count(settings) > 1 and not snapshot.has_number(key):
            raise InvalidArgument(
                "Operation.Output.SpriteObject must contain ${number} when several sprites "
                "are produced"
            )
