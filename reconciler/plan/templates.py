"""Decide what happens to each template: pure, from (desired, recorded, observed).

The service's ``name`` filter is a prefix match, so adoption compares names exactly here.
A recorded template is followed by its ID (renames on the service do not lose it); a template
deleted out of band is re-created; one removed from the manifests is deleted only with --prune.

A remote template whose settings could not be read (``snapshot`` None, see RemoteTemplate) is
never adopted or compared: a same-name template we cannot read is left alone (creating
another would clash on the name), and a recorded one is updated only when the manifest
itself changed. The codec's problem reaches the plan's warnings through ``Observed.problems``.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import PlanError
from reconciler.model import RemoteTemplate, TemplateSpec
from reconciler.model.records import TemplateRecord
from reconciler.plan.actions import (
    AdoptTemplate,
    CreateTemplate,
    DeleteTemplate,
    ForgetTemplate,
    KeepTemplate,
    RecreateTemplate,
    TemplateAction,
    UpdateTemplate,
)
from reconciler.plan.diff import settings_changes
from reconciler.plan.fingerprint import settings_fingerprint

TemplateKey = tuple[str, str]


def _by_name(remote: tuple[RemoteTemplate, ...], name: str) -> RemoteTemplate | None:
    matches = [t for t in remote if t.name == name]
    if len(matches) > 1:
        ids = ", ".join(sorted(t.template_id for t in matches))
        raise PlanError(f"template {name}: several templates on the service have this name ({ids})")
    return matches[0] if matches else None


def plan_desired_template(
    spec: TemplateSpec, record: TemplateRecord | None, remote: tuple[RemoteTemplate, ...]
) -> TemplateAction:
    """One manifest template against its record and the target's remote templates."""
    fp = settings_fingerprint(spec.snapshot)
    by_id = {t.template_id: t for t in remote}
    current = by_id.get(record.template_id) if record else None
    if current is None:
        named = _by_name(remote, spec.name)
        if named is not None and named.snapshot is None:
            return KeepTemplate(
                spec.target, spec.name, named.template_id,
                "not adopted: its settings on the service could not be read",
            )  # fmt: skip
        if named is not None and named.snapshot is not None:
            changes = settings_changes(named.snapshot, spec.snapshot)
            return AdoptTemplate(
                spec.target, spec.name, named.template_id, spec.snapshot, fp, changes
            )
        if record is not None:
            return RecreateTemplate(spec.target, spec.name, record.template_id, spec.snapshot, fp)
        return CreateTemplate(spec.target, spec.name, spec.snapshot, fp)
    if current.snapshot is None:
        return _unreadable(spec, record, current.template_id, fp)
    changes = settings_changes(current.snapshot, spec.snapshot)
    if current.name != spec.name:
        reason, code = f"renamed on the service to {current.name!r}", "renamed_on_service"
    elif not changes:
        return KeepTemplate(spec.target, spec.name, current.template_id, "up to date", "up_to_date")
    else:
        assert record is not None
        drift = record.fingerprint == fp
        reason = "changed on the service (drift)" if drift else "manifest changed"
        code = "drift" if drift else "manifest_changed"
    return UpdateTemplate(
        spec.target, spec.name, current.template_id, spec.snapshot, fp, changes, reason, code
    )


def _unreadable(
    spec: TemplateSpec, record: TemplateRecord | None, template_id: str, fp: str
) -> TemplateAction:
    """A recorded template whose service settings we cannot read: only the manifest decides."""
    if record is not None and record.fingerprint != fp:
        reason = "manifest changed (its settings on the service could not be read)"
        return UpdateTemplate(spec.target, spec.name, template_id, spec.snapshot, fp, (), reason)
    return KeepTemplate(
        spec.target, spec.name, template_id,
        "left as it is: its settings on the service could not be read",
    )  # fmt: skip


def plan_removed_template(
    record: TemplateRecord, remote: tuple[RemoteTemplate, ...] | None, prune: bool
) -> TemplateAction:
    """A recorded template no longer in the manifests."""
    if remote is None:
        return KeepTemplate(
            record.target,
            record.name,
            record.template_id,
            "target not in the manifests",
            "target_not_in_manifests",
        )
    if record.template_id not in {t.template_id for t in remote}:
        return ForgetTemplate(
            record.target, record.name, record.template_id, "removed from the manifests and gone"
        )
    if prune:
        return DeleteTemplate(record.target, record.name, record.template_id)
    return KeepTemplate(
        record.target,
        record.name,
        record.template_id,
        "removed from the manifests; left alone (use --prune to delete)",
        "removed_left_alone",
    )


def plan_templates(
    desired: Mapping[str, TemplateSpec],
    recorded: Mapping[TemplateKey, TemplateRecord],
    observed: Mapping[str, tuple[RemoteTemplate, ...]],
    *,
    prune: bool,
) -> list[TemplateAction]:
    """All template actions, manifest templates first (sorted), then removed ones."""
    actions: list[TemplateAction] = []
    wanted = set()
    for name in sorted(desired):
        spec = desired[name]
        wanted.add((spec.target, spec.name))
        record = recorded.get((spec.target, spec.name))
        actions.append(plan_desired_template(spec, record, observed.get(spec.target, ())))
    for key in sorted(set(recorded) - wanted):
        record = recorded[key]
        actions.append(plan_removed_template(record, observed.get(record.target), prune))
    return actions
