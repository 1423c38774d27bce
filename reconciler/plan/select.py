"""``--batch NAME`` (repeatable): narrow the manifests and the recorded state to some batches.

Like Terraform's ``-target``: only the named batches and the templates they use are planned;
everything else is neither changed nor forgotten, because it is out of view on both sides.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import replace

from reconciler.errors import ConfigError
from reconciler.model import DesiredState
from reconciler.model.records import StateSnapshot


def select_batches(desired: DesiredState, names: Collection[str]) -> DesiredState:
    """``desired`` with only the named batches and the templates they name (all when empty);
    an unknown name is one error line, with the closest known name when there is one."""
    if not names:
        return desired
    for name in sorted(names):
        if name not in desired.batches:
            close = difflib.get_close_matches(name, list(desired.batches), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(desired.batches)) or "none"
            raise ConfigError(f"--batch {name!r}: no such batch{hint}; batches: {known}")
    batches = {n: b for n, b in desired.batches.items() if n in names}
    used = {b.template for b in batches.values() if b.template is not None}
    templates = {n: t for n, t in desired.templates.items() if n in used}
    return replace(desired, batches=batches, templates=templates)


def narrow_snapshot(snapshot: StateSnapshot, desired: DesiredState) -> StateSnapshot:
    """The records in view of a narrowed ``desired``: its batches' jobs and its templates."""
    templates = {(t.target, t.name) for t in desired.templates.values()}
    return replace(
        snapshot,
        templates={k: r for k, r in snapshot.templates.items() if k in templates},
        jobs={k: r for k, r in snapshot.jobs.items() if r.batch in desired.batches},
    )
