"""The ``<Snapshot>`` container (templates and inline job operations), read liberally.

Empty leaves mean "not set" (the CI docs' own samples carry ``<Height></Height>`` and
``<Count></Count>``), numbers are read numerically however they are spelled, and a
``<SpriteSnapshotConfig>`` whose children are all empty is no sprite configuration at all.
What still cannot be understood (no usable Count, a width of ``wide``) raises BadReplyError
for the caller to pin on the one item it belongs to.
"""

from __future__ import annotations

from reconciler.errors import BadReplyError
from reconciler.model import SnapshotSettings, SpriteConfig
from reconciler.remote.codec.xmlsafe import (
    Element,
    bad,
    blank,
    boolean,
    child,
    integer,
    number,
    string,
    text,
)


def snapshot_settings(node: Element, op: str) -> SnapshotSettings:
    """``<Snapshot>`` -> settings; BadReplyError when Count is missing or a value is unreadable."""
    count = integer(node, "Count", op)
    if count is None:
        raise bad(op, "<Snapshot> has no usable <Count>")
    sprite_node = child(node, "SpriteSnapshotConfig")
    return SnapshotSettings(
        count=count,
        mode=text(node, "Mode"),
        start=number(node, "Start", op),
        time_interval=number(node, "TimeInterval", op),
        width=integer(node, "Width", op),
        height=integer(node, "Height", op),
        ci_param=text(node, "CIParam"),
        is_check_count=boolean(node, "IsCheckCount", op),
        is_check_black=boolean(node, "IsCheckBlack", op),
        black_level=integer(node, "BlackLevel", op),
        pixel_black_threshold=integer(node, "PixelBlackThreshold", op),
        snapshot_out_mode=text(node, "SnapshotOutMode"),
        sprite=None if sprite_node is None else _sprite(sprite_node, op),
    )


def _sprite(node: Element, op: str) -> SpriteConfig | None:
    if blank(node):  # <SpriteSnapshotConfig/> or all-empty children: not set
        return None
    return SpriteConfig(
        color=string(node, "Color"),
        columns=integer(node, "Columns", op) or 0,
        lines=integer(node, "Lines", op) or 0,
        cell_width=integer(node, "CellWidth", op),
        cell_height=integer(node, "CellHeight", op),
        padding=integer(node, "Padding", op),
        margin=integer(node, "Margin", op),
        scale_method=text(node, "ScaleMethod"),
    )


def optional_snapshot(node: Element | None) -> tuple[SnapshotSettings | None, str]:
    """``(settings, problem)``: None and "" for an absent or blank ``<Snapshot>``; None and the
    reason when it is there but unreadable."""
    if node is None or blank(node):
        return None, ""
    try:
        return snapshot_settings(node, ""), ""
    except BadReplyError as exc:
        return None, reason(exc)


def reason(exc: BadReplyError) -> str:
    """The "what" of a BadReplyError raised with an empty operation."""
    return str(exc).removeprefix("bad reply: ")
