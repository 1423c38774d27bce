"""Field-level differences between two snapshot settings: the only deepdiff user.

Settings are compared in their normal form (documented defaults filled in) and reported with
manifest field paths (``spriteSnapshotConfig.cellWidth``) so a reviewer can map every line of
the plan back to their YAML.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from reconciler.model import SnapshotSettings
from reconciler.model.fields import MANIFEST_NAMES
from reconciler.plan.actions import FieldChange
from reconciler.plan.fingerprint import normal_settings


def manifest_name(attr: str) -> str:
    """``time_interval`` -> ``timeInterval``, from the field table (model.fields); a path part
    that is no field (a list index) is kept as it is."""
    return MANIFEST_NAMES.get(attr, attr)


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
