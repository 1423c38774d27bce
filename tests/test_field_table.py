"""One test ties the snapshot field lists together: the schema, the field table (model.fields),
the model dataclasses, the codec (request bodies and reply parsing) and the emulator's rules.

A new template field that misses one of them fails here, naming the field and the place.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

from lxml import etree

from reconciler.emulator.snapshot import SNAPSHOT_RULES, SPRITE, SPRITE_RULES
from reconciler.model import SnapshotSettings, SpriteConfig
from reconciler.model.fields import MANIFEST_NAMES, SNAPSHOT_FIELDS, SPRITE_FIELDS, Field
from reconciler.model.fields import SPRITE as SPRITE_ROW
from reconciler.remote.codec.build import template_body
from reconciler.remote.codec.snapshot import snapshot_settings

SCHEMA_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}
EMULATOR_KINDS = {"int": {"int"}, "float": {"float"}, "bool": {"bool"}, "str": {"enum", "text"}}
SAMPLE = {"int": 8, "float": 2.5, "bool": True, "str": "Interval"}


def schema() -> dict[str, Any]:
    text = resources.files("reconciler") / "schemas" / "snapshot-settings.schema.json"
    loaded: dict[str, Any] = json.loads(text.read_text())
    return loaded


def resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref", "")
    return resolve(defs[ref.rsplit("/", 1)[1]], defs) if ref else node


def same(what: str, table: set[str], other: set[str], where: str) -> None:
    assert not table - other, f"{what} {sorted(table - other)} in model.fields but not in {where}"
    assert not other - table, f"{what} {sorted(other - table)} in {where} but not in model.fields"


def check_level(
    fields: tuple[Field, ...],
    props: dict[str, Any],
    required: set[str],
    defs: dict[str, Any],
    model: type,
    rules: dict[str, Any],
    level: str,
) -> None:
    same(f"{level} field", {f.manifest for f in fields}, set(props), "the schema's properties")
    model_attrs = {f.name for f in dataclasses.fields(model)} - {SPRITE_ROW.attr}
    same(f"{level} attribute", {f.attr for f in fields}, model_attrs, model.__name__)
    same(f"{level} element", {f.wire for f in fields}, set(rules), "the emulator's rules")
    for f in fields:
        spec = resolve(props[f.manifest], defs)
        assert spec.get("title") == f.wire, f"{f.manifest}: schema title is not {f.wire}"
        assert spec.get("type") == SCHEMA_TYPES[f.kind], f"{f.manifest}: schema type differs"
        assert f.required == (f.manifest in required), f"{f.manifest}: required differs"
        assert rules[f.wire].kind in EMULATOR_KINDS[f.kind], f"{f.wire}: emulator kind differs"


def test_schema_model_and_emulator_list_the_same_fields() -> None:
    doc = schema()
    defs = doc["$defs"]
    props = {k: v for k, v in doc["properties"].items() if k != SPRITE_ROW.manifest}
    check_level(SNAPSHOT_FIELDS, props, set(doc["required"]), defs, SnapshotSettings,
                SNAPSHOT_RULES, "snapshot")  # fmt: skip
    sprite = resolve(doc["properties"][SPRITE_ROW.manifest], defs)
    check_level(SPRITE_FIELDS, sprite["properties"], set(sprite["required"]), defs, SpriteConfig,
                SPRITE_RULES, "sprite")  # fmt: skip
    assert SPRITE == SPRITE_ROW.wire and "sprite" in {
        f.name for f in dataclasses.fields(SnapshotSettings)
    }


def full_settings() -> SnapshotSettings:
    """Every field set (a value of its kind), so a field the codec skips shows up."""
    sprite = SpriteConfig(**{f.attr: SAMPLE[f.kind] for f in SPRITE_FIELDS})
    return SnapshotSettings(**{f.attr: SAMPLE[f.kind] for f in SNAPSHOT_FIELDS}, sprite=sprite)


def test_the_codec_writes_and_reads_every_field() -> None:
    settings = full_settings()
    root = etree.fromstring(template_body("t", settings), etree.XMLParser(resolve_entities=False))
    node = root.find("Snapshot")
    assert node is not None
    written = [child.tag for child in node]
    for f in SNAPSHOT_FIELDS:
        assert f.wire in written, f"codec build does not write <{f.wire}>"
    sprite = node.find(SPRITE_ROW.wire)
    assert sprite is not None
    for f in SPRITE_FIELDS:
        assert sprite.find(f.wire) is not None, f"codec build does not write <{f.wire}>"
    back = snapshot_settings(node, "test")
    for f in SNAPSHOT_FIELDS:
        assert getattr(back, f.attr) == getattr(settings, f.attr), f"codec parse loses {f.wire}"
    for f in SPRITE_FIELDS:
        assert back.sprite is not None
        assert getattr(back.sprite, f.attr) == getattr(settings.sprite, f.attr), (
            f"codec parse loses {f.wire}"
        )


def test_manifest_build_and_diff_paths_use_the_table() -> None:
    from reconciler.manifest.build import snapshot_settings as from_manifest
    from reconciler.plan.diff import settings_changes

    settings = full_settings()
    raw: dict[str, Any] = {f.manifest: getattr(settings, f.attr) for f in SNAPSHOT_FIELDS}
    assert settings.sprite is not None
    raw[SPRITE_ROW.manifest] = {f.manifest: getattr(settings.sprite, f.attr) for f in SPRITE_FIELDS}
    assert from_manifest(raw) == settings
    for f in (*SNAPSHOT_FIELDS, *SPRITE_FIELDS):
        assert MANIFEST_NAMES[f.attr] == f.manifest
    changed = dataclasses.replace(settings, time_interval=9.0)
    assert [c.path for c in settings_changes(settings, changed)] == ["timeInterval"]
    wider = dataclasses.replace(settings.sprite, cell_width=99)
    changed = dataclasses.replace(settings, sprite=wider)
    paths = [c.path for c in settings_changes(settings, changed)]
    assert paths == ["spriteSnapshotConfig.cellWidth"]
