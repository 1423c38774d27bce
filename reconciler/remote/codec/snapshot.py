"""The ``<Snapshot>`` container (templates and inline job operations), read liberally.

Empty leaves mean "not set" (the CI docs' own samples carry ``<Height></Height>`` and
``<Count></Count>``), numbers are read numerically however they are spelled, and a
``<SpriteSnapshotConfig>`` whose children are all empty is no sprite configuration at all.
What still cannot be understood (no usable Count, a width of ``wide``) raises BadReplyError
for the caller to pin on the one item it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from reconciler.errors import BadReplyError
from reconciler.model import SnapshotSettings, SpriteConfig
from reconciler.model.fields import SNAPSHOT_FIELDS, SPRITE, SPRITE_FIELDS, Field
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


def _read(node: Element, f: Field, op: str) -> Any:
    """One leaf by its row of the field table, liberally (empty = not set)."""
    if f.kind == "int":
        return integer(node, f.wire, op)
    if f.kind == "float":
        return number(node, f.wire, op)
    if f.kind == "bool":
        return boolean(node, f.wire, op)
    return string(node, f.wire) if f.required else text(node, f.wire)


def snapshot_settings(node: Element, op: str) -> SnapshotSettings:
    """``<Snapshot>`` -> settings; BadReplyError when Count is missing or a value is unreadable."""
    if integer(node, "Count", op) is None:
        raise bad(op, "<Snapshot> has no usable <Count>")
    sprite_node = child(node, SPRITE.wire)
    return SnapshotSettings(
        **{f.attr: _read(node, f, op) for f in SNAPSHOT_FIELDS},
        sprite=None if sprite_node is None else _sprite(sprite_node, op),
    )


def _sprite(node: Element, op: str) -> SpriteConfig | None:
    if blank(node):  # <SpriteSnapshotConfig/> or all-empty children: not set
        return None
    values = {f.attr: _read(node, f, op) for f in SPRITE_FIELDS}
    for f in SPRITE_FIELDS:
        if f.required and f.kind == "int":
            values[f.attr] = values[f.attr] or 0  # a sprite without a grid size: 0, not None
    return SpriteConfig(**values)


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


class _Entry(Protocol):
    @property
    def problem(self) -> str: ...


E = TypeVar("E", bound=_Entry)


def readable_entries(
    nodes: Iterable[Element], read: Callable[[Element], E], op: str
) -> tuple[tuple[E, ...], list[str]]:
    """Every entry ``read`` can make sense of, and one problem line per entry it could not (left
    out) or could only partly read (kept, with its ``problem``): one odd entry of a list reply
    spoils only itself, never the call."""
    entries: list[E] = []
    problems: list[str] = []
    for node in nodes:
        try:
            entry = read(node)
        except BadReplyError as exc:
            problems.append(f"{op}: {reason(exc)}")
            continue
        entries.append(entry)
        if entry.problem:
            problems.append(f"{op}: {entry.problem}")
    return tuple(entries), problems
