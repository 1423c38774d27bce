"""Field-level differences between two snapshot settings: the only deepdiff user.

Settings are compared in their normal form (documented defaults filled in) and reported with
manifest field paths (``spriteSnapshotConfig.cellWidth``) so a reviewer can map every line of
the plan back to their YAML.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from reconciler.model import SnapshotSettings
from reconciler.plan.actions import FieldChange
from reconciler.plan.fingerprint import normal_settings

_MANIFEST_NAMES = {"sprite": "spriteSnapshotConfig", "ci_param": "ciParam"}


def manifest_name(snake: str) -> str:
    """``time_interval`` -> ``timeInterval``; a few names differ from the plain rule."""
    if snake in _MANIFEST_NAMES:
        return _MANIFEST_NAMES[snake]
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _value(item: Any) -> Any:
    """deepdiff's "not present" marker becomes None; nested dicts get manifest key names."""
    if type(item).__name__ == "NotPresent":
        return None
    if isinstance(item, dict):
        return {manifest_name(k): _value(v) for k, v in item.items()}
    return item


def settings_changes(old: SnapshotSettings, new: SnapshotSettings) -> tuple[FieldChange, ...]:
    """Every differing field, old -> new, sorted by path; empty when equivalent."""
    tree = DeepDiff(normal_settings(old), normal_settings(new), view="tree")
    changes = []
    for levels in tree.values():
        for level in levels:
            path = ".".join(manifest_name(str(p)) for p in level.path(output_format="list"))
            changes.append(FieldChange(path, _value(level.t1), _value(level.t2)))
    return tuple(sorted(changes, key=lambda c: c.path))
