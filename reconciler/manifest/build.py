"""Schema-valid documents to the frozen desired-state dataclasses of :mod:`reconciler.model`.

Runs only on documents that passed their schema, so shapes and types are known to be right here;
the lowerCamelCase manifest names become the model's snake_case fields in exactly one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.model import (
    BatchSpec,
    Budget,
    CallbackSpec,
    CosState,
    InputSelector,
    KeyFileRef,
    LocalState,
    MqConfig,
    OutputSpec,
    Pricing,
    SnapshotSettings,
    Source,
    SpriteConfig,
    StateLocation,
    TargetSpec,
    TemplateSpec,
)
from reconciler.model.fields import SNAPSHOT_FIELDS, SPRITE, SPRITE_FIELDS, Field

if TYPE_CHECKING:
    from reconciler.manifest.keyfile import KeyList

SPRITE_MODES = frozenset({"OnlySprite", "SnapshotAndSprite"})
DEFAULT_STATE_PATH = ".reconciler/state.json"
DEFAULT_MQ_MODE = "Queue"


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _values(raw: dict[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    """Model attribute -> value for each row of ``fields`` (model.fields), converted by kind."""
    values: dict[str, Any] = {}
    for f in fields:
        value = raw[f.manifest] if f.required else raw.get(f.manifest)
        if f.kind == "int":
            value = _int(value)
        elif f.kind == "float":
            value = _float(value)
        values[f.attr] = value
    return values


def sprite_config(raw: dict[str, Any]) -> SpriteConfig:
    return SpriteConfig(**_values(raw, SPRITE_FIELDS))


def snapshot_settings(raw: dict[str, Any]) -> SnapshotSettings:
    """A template spec or an inline ``snapshot`` mapping (``target`` is ignored)."""
    sprite = raw.get(SPRITE.manifest)
    return SnapshotSettings(
        **_values(raw, SNAPSHOT_FIELDS),
        sprite=sprite_config(sprite) if sprite is not None else None,
    )


def pricing(raw: dict[str, Any] | None) -> Pricing | None:
    if raw is None:
        return None
    return Pricing(float(raw["perThousandFrames"]), raw["currency"])


def budget(raw: dict[str, Any] | None) -> Budget | None:
    if raw is None:
        return None
    return Budget(_int(raw.get("maxJobs")), _int(raw.get("maxFrames")))


def target_spec(doc: dict[str, Any], source: Source) -> TargetSpec:
    spec = doc["spec"]
    return TargetSpec(
        name=doc["metadata"]["name"],
        region=spec["region"],
        bucket=spec["bucket"],
        endpoint=spec.get("endpoint"),
        source=source,
        pricing=pricing(spec.get("pricing")),
        budget=budget(spec.get("budget")),
    )


def state_spec(raw: dict[str, Any]) -> StateLocation:
    """A Target's ``spec.state`` (schema-valid): a local file, or a COS key."""
    if raw["backend"] == "local":
        return LocalState(raw.get("path", DEFAULT_STATE_PATH))
    return CosState(raw["bucket"], raw["region"], raw["key"], raw.get("endpoint"))


def template_spec(doc: dict[str, Any], target: str, source: Source) -> TemplateSpec:
    return TemplateSpec(
        name=doc["metadata"]["name"],
        target=target,
        snapshot=snapshot_settings(doc["spec"]),
        source=source,
    )


def _callback(raw: dict[str, Any] | None) -> CallbackSpec | None:
    if raw is None:
        return None
    mq = raw.get("mq")
    mq_config = None
    if mq is not None:
        mode = mq.get("mode", DEFAULT_MQ_MODE)
        mq_config = MqConfig(mq_region=mq["region"], mq_name=mq["name"], mq_mode=mode)
    return CallbackSpec(
        url=raw.get("url"), format=raw.get("format"), type=raw.get("type"), mq=mq_config
    )


def batch_spec(
    doc: dict[str, Any], target: str, source: Source, keys: KeyList | None = None
) -> BatchSpec:
    """``keys``: the batch's ``keysFile``, already read (None: no key file, or it was bad)."""
    spec = doc["spec"]
    inputs, output = spec["inputs"], spec["output"]
    inline = spec.get("snapshot")
    return BatchSpec(
        name=doc["metadata"]["name"],
        target=target,
        inputs=InputSelector(
            objects=tuple(inputs.get("objects", ())),
            prefix=inputs.get("prefix"),
            include=tuple(inputs.get("include", ())),
            exclude=tuple(inputs.get("exclude", ())),
            keys_file=None if keys is None else KeyFileRef(keys.path, keys.digest, len(keys.keys)),
            file_keys=() if keys is None else keys.keys,
        ),
        output=OutputSpec(
            region=output["region"],
            bucket=output["bucket"],
            object=output.get("object"),
            sprite_object=output.get("spriteObject"),
        ),
        template=spec.get("template"),
        template_id=spec.get("templateId"),
        snapshot=snapshot_settings(inline) if inline is not None else None,
        job_level=_int(spec.get("jobLevel")),
        user_data=spec.get("userData"),
        queue_id=spec.get("queueId"),
        callback=_callback(spec.get("callback")),
        source=source,
        pricing=pricing(spec.get("pricing")),
        budget=budget(spec.get("budget")),
    )
