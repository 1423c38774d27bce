"""The one table of snapshot and sprite fields: manifest key, XML element, model attribute, kind.

Manifest building (manifest.build), request bodies (remote.codec.build), reply parsing
(remote.codec.snapshot) and plan diff paths (plan.diff) all walk these rows, so a new template
field is the schema, one row here, the model attribute, and the emulator's own rule (the
emulator keeps its own table on purpose: it is the independent side of the protocol); plus,
only when the service documents a default for it, that default in plan.fingerprint (so an
echoed default is not drift).
tests/test_field_table.py fails, naming the field, when the schema, the model, the codec and the
emulator disagree. Row order is the documented wire order of ``<Snapshot>`` (ci-api.md 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["int", "float", "bool", "str"]


@dataclass(frozen=True)
class Field:
    """One leaf of ``<Snapshot>`` or ``<SpriteSnapshotConfig>``.

    ``required`` fields are read with ``raw[manifest]`` from schema-valid manifests (the
    schema guarantees them); on the wire they are parsed liberally like the others.
    """

    attr: str
    manifest: str
    wire: str
    kind: Kind
    required: bool = False


SNAPSHOT_FIELDS: tuple[Field, ...] = (
    Field("mode", "mode", "Mode", "str"),
    Field("start", "start", "Start", "float"),
    Field("time_interval", "timeInterval", "TimeInterval", "float"),
    Field("count", "count", "Count", "int", required=True),
    Field("width", "width", "Width", "int"),
    Field("height", "height", "Height", "int"),
    Field("ci_param", "ciParam", "CIParam", "str"),
    Field("is_check_count", "isCheckCount", "IsCheckCount", "bool"),
    Field("is_check_black", "isCheckBlack", "IsCheckBlack", "bool"),
    Field("black_level", "blackLevel", "BlackLevel", "int"),
    Field("pixel_black_threshold", "pixelBlackThreshold", "PixelBlackThreshold", "int"),
    Field("snapshot_out_mode", "snapshotOutMode", "SnapshotOutMode", "str"),
)

# The nested container: SnapshotSettings.sprite <-> spriteSnapshotConfig <-> SpriteSnapshotConfig
SPRITE = Field("sprite", "spriteSnapshotConfig", "SpriteSnapshotConfig", "str")

SPRITE_FIELDS: tuple[Field, ...] = (
    Field("cell_width", "cellWidth", "CellWidth", "int"),
    Field("cell_height", "cellHeight", "CellHeight", "int"),
    Field("padding", "padding", "Padding", "int"),
    Field("margin", "margin", "Margin", "int"),
    Field("color", "color", "Color", "str", required=True),
    Field("columns", "columns", "Columns", "int", required=True),
    Field("lines", "lines", "Lines", "int", required=True),
    Field("scale_method", "scaleMethod", "ScaleMethod", "str"),
)

MANIFEST_NAMES: dict[str, str] = {
    f.attr: f.manifest for f in (*SNAPSHOT_FIELDS, SPRITE, *SPRITE_FIELDS)
}
