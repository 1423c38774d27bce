"""Request bodies: model objects -> ``<Request>`` XML bytes.

Every leaf travels as text (ci-api.md 1.2), so numbers and booleans are rendered the way the
service and the official SDKs write them: ``0`` not ``0.0``, ``2.5``, ``true``/``false``.
``None`` means "not set" and produces no element at all, so the service's default applies.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from reconciler.model import JobRequest, MqConfig, SnapshotSettings, SpriteConfig
from reconciler.model.fields import SNAPSHOT_FIELDS, SPRITE, SPRITE_FIELDS

Scalar = str | int | float | bool | None


def wire_text(value: str | int | float | bool) -> str:
    """The API's text for a scalar: ``True`` -> ``true``, ``0.0`` -> ``0``, ``2.5`` -> ``2.5``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return value


def _leaf(parent: etree._Element, name: str, value: Scalar) -> None:
    if value is not None:
        etree.SubElement(parent, name).text = wire_text(value)


def _snapshot(parent: etree._Element, settings: SnapshotSettings) -> None:
    node = etree.SubElement(parent, "Snapshot")
    for f in SNAPSHOT_FIELDS:
        _leaf(node, f.wire, getattr(settings, f.attr))
    if settings.sprite is not None:
        _sprite(node, settings.sprite)


def _sprite(parent: etree._Element, sprite: SpriteConfig) -> None:
    node = etree.SubElement(parent, SPRITE.wire)
    for f in SPRITE_FIELDS:
        _leaf(node, f.wire, getattr(sprite, f.attr))


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def template_body(name: str, snapshot: SnapshotSettings) -> bytes:
    """``POST /template`` and ``PUT /template/<id>`` body (ci-api.md 2.1)."""
    root = etree.Element("Request")
    _leaf(root, "Tag", "Snapshot")
    _leaf(root, "Name", name)
    _snapshot(root, snapshot)
    return _serialise(root)


def job_body(request: JobRequest) -> bytes:
    """``POST /jobs`` body for one Snapshot job (ci-api.md 3.1), in the documented order."""
    root = etree.Element("Request")
    _leaf(root, "Tag", "Snapshot")
    _leaf(etree.SubElement(root, "Input"), "Object", request.input_object)
    operation = etree.SubElement(root, "Operation")
    _leaf(operation, "TemplateId", request.template_id)
    if request.snapshot is not None:
        _snapshot(operation, request.snapshot)
    output = etree.SubElement(operation, "Output")
    _leaf(output, "Region", request.output.region)
    _leaf(output, "Bucket", request.output.bucket)
    _leaf(output, "Object", request.output.object)
    _leaf(output, "SpriteObject", request.output.sprite_object)
    _leaf(operation, "UserData", request.user_data)
    _leaf(operation, "JobLevel", request.job_level)
    _leaf(root, "QueueId", request.queue_id)
    _leaf(root, "CallBack", request.callback)
    _leaf(root, "CallBackFormat", request.callback_format)
    _leaf(root, "CallBackType", request.callback_type)
    if request.mq_config is not None:
        _mq(root, request.mq_config)
    return _serialise(root)


def _mq(parent: etree._Element, mq: MqConfig) -> None:
    node = etree.SubElement(parent, "CallBackMqConfig")
    _leaf(node, "MqRegion", mq.mq_region)
    _leaf(node, "MqMode", mq.mq_mode)
    _leaf(node, "MqName", mq.mq_name)
