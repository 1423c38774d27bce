"""``--batch NAME`` (repeatable): narrow the manifests and the recorded state to some batches.

Like Terraform's ``-target``: only the named batches and the templates they use are planned;
everything else is neither changed nor forgotten, because it is out of view on both sides.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import cast

from reconciler.errors import ConfigError
from reconciler.model import DesiredState
from reconciler.model.records import JobRecord, StateSnapshot


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
        jobs=_only(snapshot.jobs, desired.batches),
    )


def _only(
    jobs: Mapping[tuple[str, str], JobRecord], batches: Collection[str]
) -> Mapping[tuple[str, str], JobRecord]:
    """The records of ``batches``: the state's packed records give a view of theirs (``only``,
    no record built); any other mapping is filtered into a dict."""
    only = getattr(jobs, "only", None)
    if only is not None:
        return cast(Mapping[tuple[str, str], JobRecord], only(batches))
    return {k: r for k, r in jobs.items() if r.batch in batches}
