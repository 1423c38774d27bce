"""Stable hashes of what determines a job's output, and the settings normal form behind them.

A job fingerprint has four components joined by dots, ``request.template.output.input``, so the
planner can say *why* a job must be re-submitted (settings, template content, output, input
object) instead of only *that* it must. Each component is the first 12 hex digits of a SHA-256
over canonical JSON (sorted keys, no whitespace), so fingerprints never depend on dict order,
Python version or float formatting.

Settings are compared in a normal form where documented service defaults are filled in
(``Mode`` Interval, ``Start`` 0, ...): a service that echoes defaults back must not look like drift.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

from reconciler.model import CallbackSpec, JobOutput, SnapshotSettings

_SNAPSHOT_DEFAULTS: dict[str, Any] = {
    "mode": "Interval",
    "start": 0.0,
    "is_check_count": False,
    "is_check_black": False,
    "snapshot_out_mode": "OnlySnapshot",
}
_SPRITE_DEFAULTS: dict[str, Any] = {"padding": 0, "margin": 0, "scale_method": "DirectScale"}

COMPONENTS = ("request", "template", "output", "input")


#: ``json.dumps(sort_keys=True, separators=(",", ":"), default=str)`` without building a new
#: encoder per call (three digests per job add up at 100,000 jobs).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    """First 12 hex digits of SHA-256 over canonical JSON of ``value``."""
    text = _CANONICAL.encode(value)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _plain(value: Any) -> Any:
    """Dataclasses to dicts without ``None`` members; floats that are whole become ints."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is not None:
                out[f.name] = _plain(item)
        return out
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _filled(plain: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``plain`` without empty strings (an empty leaf is "not set"), then defaults filled in."""
    out = {name: value for name, value in plain.items() if value != ""}
    for name, default in defaults.items():
        out.setdefault(name, _plain(default))
    return out


def normal_settings(settings: SnapshotSettings) -> dict[str, Any]:
    """Settings as a plain dict in the service's normal form, for comparison and hashing.

    Empty text is the same as absent, whole floats are ints (``640.0`` == 640, ``0.0`` == 0)
    and the documented defaults (ci-api.md 2.3/2.4) are filled in, so an echo that only spells
    out a default or an empty value compares (and hashes) equal to the manifest it came from.
    Valid manifests never hold empty strings, so their hashes are unchanged by this.
    """
    plain = _filled(_plain(settings), _SNAPSHOT_DEFAULTS)
    sprite = plain.get("sprite")
    if sprite is not None:
        plain["sprite"] = _filled(sprite, _SPRITE_DEFAULTS)
    return plain


def settings_fingerprint(settings: SnapshotSettings) -> str:
    """Content hash of snapshot settings: equal for settings the service treats as equal."""
    return digest(normal_settings(settings))


def job_fingerprint(
    *,
    request_part: dict[str, Any],
    template_content: str,
    output: JobOutput,
    input_identity: dict[str, Any],
) -> str:
    """Compose the four-part fingerprint (see module docstring)."""
    return compose(digest(request_part), template_content, output, input_identity)


def compose(
    request_digest: str, template_content: str, output: JobOutput, input_identity: dict[str, Any]
) -> str:
    """:func:`job_fingerprint` with the request part already digested (it is the same for
    every job of a batch, so expansion digests it once per batch, not once per job)."""
    parts = (request_digest, template_content, digest(_plain(output)), digest(input_identity))
    return ".".join(parts)


class OutputDigest:
    """``digest(_plain(JobOutput(region, bucket, obj, sprite)))`` for one batch's output, built
    as text: the same canonical JSON (sorted keys, ASCII escapes, ``None`` members left out)
    without a dataclass, a dict and an encoder call per job. ``tests/plan/test_fast_digests.py``
    holds it equal to the generic form on arbitrary text."""

    __slots__ = ("_head", "_region")

    def __init__(self, region: str, bucket: str) -> None:
        self._head = '{"bucket":' + _quote(bucket)
        self._region = ',"region":' + _quote(region)

    def __call__(self, obj: str | None, sprite: str | None) -> str:
        text = "".join((
            self._head,
            "" if obj is None else ',"object":' + _quote(obj),
            self._region,
            "" if sprite is None else ',"sprite_object":' + _quote(sprite),
            "}",
        ))  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def input_digest(key: str, etag: str | None) -> str:
    """``digest({"key": key, "etag": etag})`` as text (see :class:`OutputDigest`)."""
    tag = "null" if etag is None else _quote(etag)
    text = '{"etag":' + tag + ',"key":' + _quote(key) + "}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def request_part(
    *,
    snapshot: SnapshotSettings | None,
    user_data: str | None,
    job_level: int | None,
    queue_id: str | None,
    callback: CallbackSpec | None,
) -> dict[str, Any]:
    """The request fields other than template, output and input that shape the job."""
    return {
        "snapshot": normal_settings(snapshot) if snapshot else None,
        "user_data": user_data,
        "job_level": job_level or 0,
        "queue_id": queue_id,
        "callback": _plain(callback) if callback else None,
    }


def changed_components(old: str, new: str) -> list[str]:
    """Which components differ between two fingerprints (all of them if the shapes differ)."""
    a, b = old.split("."), new.split(".")
    if len(a) != len(COMPONENTS) or len(b) != len(COMPONENTS):
        return list(COMPONENTS)
    return [name for name, x, y in zip(COMPONENTS, a, b, strict=True) if x != y]
