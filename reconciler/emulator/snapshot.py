"""Validation of Snapshot settings (ci-api.md §2.3, §2.4) into a canonical, ordered dict.

Settings are kept as the wire strings the client sent (the docs only ever echo what was sent,
§2.5), in the documented field order, with empty elements dropped ("not set", §1.2). Unknown
elements are refused: the real service's behaviour is unknown, and a typo caught here is a
client bug caught early.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .exceptions import InvalidArgument
from .xmlio import Elem

Settings = dict[str, "str | dict[str, str]"]


@dataclass(frozen=True)
class Rule:
    kind: str  # int | float | enum | bool | text
    low: float = 0.0
    high: float = 0.0
    low_open: bool = False
    values: tuple[str, ...] = ()


SNAPSHOT_RULES: dict[str, Rule] = {
    "Mode": Rule("enum", values=("Interval", "Average", "KeyFrame")),
    "Start": Rule("float", 0, math.inf),
    "TimeInterval": Rule("float", 0, 3600, low_open=True),
    "Count": Rule("int", 0, 10000, low_open=True),
    "Width": Rule("int", 128, 4096),
    "Height": Rule("int", 128, 4096),
    "CIParam": Rule("text"),
    "IsCheckCount": Rule("bool"),
    "IsCheckBlack": Rule("bool"),
    "BlackLevel": Rule("int", 0, 100),
    "PixelBlackThreshold": Rule("int", 0, 255),
    "SnapshotOutMode": Rule("enum", values=("OnlySnapshot", "OnlySprite", "SnapshotAndSprite")),
}
SPRITE_RULES: dict[str, Rule] = {
    "CellWidth": Rule("int", 8, 4096),
    "CellHeight": Rule("int", 8, 4096),
    "Padding": Rule("int", 0, 1024),
    "Margin": Rule("int", 0, 1024),
    "Color": Rule("text"),
    "Columns": Rule("int", 1, 10000),
    "Lines": Rule("int", 1, 10000),
    "ScaleMethod": Rule("enum", values=("DirectScale", "MaxWHScaleAndPad", "MaxWHScale")),
}
SPRITE = "SpriteSnapshotConfig"
_NUMBER = re.compile(r"\$\{number\}", re.IGNORECASE)


def check_value(path: str, raw: str, rule: Rule) -> str:
    """Return the stripped value or raise InvalidArgument naming the field and the rule."""
    value = raw.strip()
    if rule.kind == "enum" and value not in rule.values:
        raise InvalidArgument(f"{path} must be one of {', '.join(rule.values)}; got {value!r}")
    if rule.kind == "bool" and value not in ("true", "false"):
        raise InvalidArgument(f"{path} must be true or false; got {value!r}")
    if rule.kind in ("int", "float"):
        _check_number(path, value, rule)
    return value


def _check_number(path: str, value: str, rule: Rule) -> None:
    try:
        number = int(value) if rule.kind == "int" else float(value)
    except ValueError:
        raise InvalidArgument(f"{path} must be an {rule.kind}; got {value!r}") from None
    if rule.kind == "float" and not math.isfinite(number):
        raise InvalidArgument(f"{path} must be a finite number; got {value!r}")
    low_ok = number > rule.low if rule.low_open else number >= rule.low
    if not low_ok or number > rule.high:
        bracket = "(" if rule.low_open else "["
        high = "" if rule.high == math.inf else f"{rule.high:g}"
        raise InvalidArgument(f"{path} must be in {bracket}{rule.low:g}, {high}]; got {value}")


def _fields(node: Elem, rules: dict[str, Rule], path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for child in node.children:
        if child.name not in rules:
            raise InvalidArgument(f"{path}.{child.name} is not a known field")
        if child.name in out:
            raise InvalidArgument(f"{path}.{child.name} is given more than once")
        if child.text is not None:
            out[child.name] = check_value(f"{path}.{child.name}", child.text, rules[child.name])
    return {name: out[name] for name in rules if name in out}


def parse_snapshot(node: Elem, path: str = "Snapshot") -> Settings:
    """Validate a ``<Snapshot>`` container; Count is required, the sprite block is checked."""
    sprite = node.child(SPRITE)
    plain = Elem(node.name, None, [c for c in node.children if c.name != SPRITE])
    settings: Settings = dict(_fields(plain, SNAPSHOT_RULES, path))
    if "Count" not in settings:
        raise InvalidArgument(f"{path}.Count is required")
    if sprite is not None and sprite.children:
        cfg = _fields(sprite, SPRITE_RULES, f"{path}.{SPRITE}")
        for name in ("Color", "Columns", "Lines"):
            if name not in cfg:
                raise InvalidArgument(f"{path}.{SPRITE}.{name} is required")
        settings[SPRITE] = cfg
    if settings.get("SnapshotOutMode", "OnlySnapshot") != "OnlySnapshot" and SPRITE not in settings:
        raise InvalidArgument(f"{path}.{SPRITE} is required when SnapshotOutMode includes sprites")
    return {name: settings[name] for name in [*SNAPSHOT_RULES, SPRITE] if name in settings}


def out_mode(settings: Settings) -> str:
    mode = settings.get("SnapshotOutMode", "OnlySnapshot")
    return mode if isinstance(mode, str) else "OnlySnapshot"


def frame_count(settings: Settings) -> int:
    """Frames a job produces: Count (the emulator has no real video, so no duration limit)."""
    count = settings["Count"]
    return int(count) if isinstance(count, str) else 1


def sprite_count(settings: Settings) -> int:
    """Sprite sheets: Columns x Lines captures per sheet, overflow into a new sheet."""
    cfg = settings.get(SPRITE)
    if not isinstance(cfg, dict):
        return 0
    per_sheet = int(cfg["Columns"]) * int(cfg["Lines"])
    return -(-frame_count(settings) // per_sheet)


def has_number(key: str) -> bool:
    return _NUMBER.search(key) is not None


def object_prefix(key: str) -> str:
    """Text before the first ``${number}`` (the MediaResult ObjectPrefix); "" without one."""
    match = _NUMBER.search(key)
    return "" if match is None else key[: match.start()]


def numbered(key: str, n: int) -> str:
    return _NUMBER.sub(str(n), key)
