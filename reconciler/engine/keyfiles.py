"""Saved plans against the key-list files they were made from.

A batch's ``keysFile`` is read when the manifests load; a saved plan pins each file's path and
the sha256 of its content. ``apply PLANFILE`` reads the files again (from the same working
directory as ``plan``) and refuses the plan when one changed or is gone, as it does when a
pinned prefix listing changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.errors import PlanError
from reconciler.manifest.keyfile import KeyFileError, digest_of
from reconciler.plan.planner import PinnedKeyFile


def check_key_files(pins: Iterable[PinnedKeyFile]) -> None:
    """Raise :class:`PlanError` when a pinned key file changed or cannot be read."""
    for pin in pins:
        try:
            fresh = digest_of(pin.path)
        except KeyFileError as exc:
            raise PlanError(
                f"saved plan is stale: cannot read the key file of batch {pin.batch} ({exc}); "
                "apply from the directory the plan was made in, or plan again"
            ) from exc
        if fresh != pin.digest:
            raise PlanError(
                f"saved plan is stale: the key file {pin.path} of batch {pin.batch} changed; "
                "plan again"
            )
