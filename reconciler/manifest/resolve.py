"""Cross-document rules and assembly of the :class:`DesiredState`.

Names are unique per kind; every template and batch resolves its target (named, or the only
one); batch template references resolve to a template of the same target; and no two jobs of
any batches write the same outputs (explicit input lists now; prefixes are expanded, and checked
the same way through :mod:`reconciler.plan.naming`, at plan time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest import build, checks, keyfile
from reconciler.manifest.checks import SPEC, Report
from reconciler.manifest.hints import did_you_mean, quoted_list, shorten
from reconciler.manifest.yamlload import Document, JsonPath
from reconciler.model import (
    BatchSpec,
    CosState,
    DesiredState,
    Source,
    StateLocation,
    TargetSpec,
    TemplateSpec,
)
from reconciler.plan import naming

_TEMPLATE_ID = re.compile(r"^t[0-9A-Za-z]+$")


@dataclass
class Entry:
    """One document with a known kind; ``valid`` when it passed loading and its schema."""

    doc: Document
    kind: str
    valid: bool

    @property
    def raw(self) -> dict[str, Any]:
        value: dict[str, Any] = self.doc.value
        return value

    @property
    def name(self) -> str | None:
        metadata = self.raw.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return name if isinstance(name, str) else None

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.raw.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def source(self) -> Source:
        return Source(self.doc.file, self.doc.start.line)

    def where(self) -> str:
        pos = self.doc.key_at(("metadata", "name"))
        return f"{self.doc.file}:{pos.line}"


def _unique(entries: list[Entry], problems: list[Problem]) -> dict[str, dict[str, Entry]]:
    """First entry per (kind, name); later ones are reported as duplicates."""
    by_kind: dict[str, dict[str, Entry]] = {kind: {} for kind in ("Target", "SnapshotTemplate")}
    by_kind["SnapshotJobBatch"] = {}
    for entry in entries:
        name = entry.name
        if name is None:
            continue
        first = by_kind[entry.kind].get(name)
        if first is None:
            by_kind[entry.kind][name] = entry
            continue
        report = Report(entry.doc)
        message = f"duplicate {entry.kind} name '{name}' (first defined at {first.where()})"
        report.add(("metadata", "name"), message)
        problems.extend(report.problems)
        entry.valid = False
    return by_kind


def _target_of(entry: Entry, targets: dict[str, Entry], report: Report) -> str | None:
    ref = entry.spec.get("target")
    if isinstance(ref, str):
        if ref in targets:
            return ref
        report.add(("spec", "target"), f"unknown target '{ref}'{did_you_mean(ref, targets)}")
        return None
    if len(targets) == 1:
        return next(iter(targets))
    if not targets:
        report.add(
            ("spec", "target"), "no Target is defined; add a document of kind Target", at=SPEC
        )
    else:
        message = f"is required when there are several Targets ({quoted_list(sorted(targets))})"
        report.add(("spec", "target"), message, at=SPEC)
    return None


def _state_difference(spec: StateLocation, first: StateLocation) -> str:
    if isinstance(spec, CosState) and isinstance(first, CosState):
        if replace(spec, endpoint=None) == replace(first, endpoint=None):
            return f"endpoint {spec.endpoint or 'default'} vs {first.endpoint or 'default'}"
    return f"{shorten(spec.url)} vs {shorten(first.url)}"


def _key_list(entry: Entry, report: Report) -> keyfile.KeyList | None:
    """The batch's ``inputs.keysFile``, read; its problems located at that field."""
    relative = entry.spec["inputs"].get("keysFile")
    if relative is None:
        return None
    field: JsonPath = (*checks.INPUTS, "keysFile")
    try:
        keys = keyfile.read_keys(keyfile.locate(entry.doc.file, relative))
    except keyfile.KeyFileError as exc:
        report.add(field, str(exc))
        return None
    for problem in keys.problems:
        report.add(field, problem)
    return keys


class _Assembler:
    """Builds the desired state, collecting every problem on the way."""

    def __init__(self, entries: list[Entry]) -> None:
        self.problems: list[Problem] = []
        self.names = _unique(entries, self.problems)
        self.entries = entries
        self.targets: dict[str, TargetSpec] = {}
        self.templates: dict[str, TemplateSpec] = {}
        self.batches: dict[str, BatchSpec] = {}
        self.collision_ready: list[BatchSpec] = []
        self.state: tuple[StateLocation, Entry] | None = None

    def run(self) -> DesiredState:
        for entry in self.entries:
            if entry.kind == "Target" and entry.valid:
                self.targets[entry.raw["metadata"]["name"]] = build.target_spec(
                    entry.raw, entry.source
                )
                if "state" in entry.spec:
                    self.target_state(entry)
        for entry in self.entries:
            if entry.kind == "SnapshotTemplate":
                self.template(entry)
        for entry in self.entries:
            if entry.kind == "SnapshotJobBatch":
                self.batch(entry)
        self.collisions()
        state = None if self.state is None else self.state[0]
        return DesiredState(
            targets=self.targets, templates=self.templates, batches=self.batches, state=state
        )

    def target_state(self, entry: Entry) -> None:
        """One state per run: the first Target's ``state:`` and every other one must agree."""
        report = Report(entry.doc)
        checks.check_state(report, entry.spec["state"])
        if not report.errors:
            spec = build.state_spec(entry.spec["state"])
            if self.state is None:
                self.state = (spec, entry)
            elif spec != self.state[0]:
                first = self.state[1]
                message = (
                    f"differs from the state of Target '{first.name}' ({first.where()}): "
                    f"one run has one state ({_state_difference(spec, self.state[0])})"
                )
                report.add(checks.STATE, message)
        self.problems.extend(report.problems)

    def template(self, entry: Entry) -> None:
        report = Report(entry.doc)
        target = _target_of(entry, self.names["Target"], report)
        if entry.valid:
            checks.check_settings(report, entry.spec, SPEC)
            if target is not None:
                spec = build.template_spec(entry.raw, target, entry.source)
                self.templates[spec.name] = spec
        self.problems.extend(report.problems)

    def batch(self, entry: Entry) -> None:
        report = Report(entry.doc)
        target = _target_of(entry, self.names["Target"], report)
        if not entry.valid:
            if isinstance(entry.spec.get("template"), str):
                self.template_settings(entry.spec["template"], target, report)
            self.problems.extend(report.problems)
            return
        spec = entry.spec
        known, settings = self.settings_of(entry, target, report)
        checks.check_inputs(report, spec["inputs"])
        checks.check_user_data(report, spec)
        checks.check_callback(report, spec.get("callback"))
        many = checks.may_have_many_inputs(spec["inputs"])
        usable = True
        if known:
            usable = checks.check_output(report, spec["output"], settings, many)
        keys = _key_list(entry, report)
        if target is not None:
            batch = build.batch_spec(entry.raw, target, entry.source, keys)
            self.batches[batch.name] = batch
            if usable and not report.errors:
                self.collision_ready.append(batch)
        self.problems.extend(report.problems)

    def settings_of(
        self, entry: Entry, target: str | None, report: Report
    ) -> tuple[bool, dict[str, Any] | None]:
        """(known, settings): settings None with known True means a remote templateId.

        A template (by name or ID) wins over inline settings, as on the service (ci-api.md 3.1).
        """
        spec = entry.spec
        if "snapshot" in spec:
            checks.check_settings(report, spec["snapshot"], (*SPEC, "snapshot"))
            checks.check_overridden(report, spec)
        if "templateId" in spec:
            return True, None
        if "template" in spec:
            return self.template_settings(spec["template"], target, report)
        return True, spec["snapshot"]

    def template_settings(
        self, ref: str, target: str | None, report: Report
    ) -> tuple[bool, dict[str, Any] | None]:
        """Resolve ``spec.template``; (False, None) when it cannot be used."""
        template = self.names["SnapshotTemplate"].get(ref)
        if template is None:
            hint = did_you_mean(ref, self.names["SnapshotTemplate"])
            if not hint and _TEMPLATE_ID.match(ref):
                hint = " (a template ID goes in templateId)"
            report.add((*SPEC, "template"), f"unknown template '{shorten(ref)}'{hint}")
            return False, None
        other = self.templates.get(ref)
        if target is not None and other is not None and other.target != target:
            message = f"template '{ref}' belongs to target '{other.target}', not '{target}'"
            report.add((*SPEC, "template"), message)
        return template.valid, template.spec if template.valid else None

    def collisions(self) -> None:
        """No two jobs (of any batches) may write the same output keys."""
        seen: dict[tuple[str, str, str], tuple[BatchSpec, str]] = {}
        for batch in self.collision_ready:
            entry_doc = self.doc_of(batch)
            for index, key in enumerate(batch.inputs.objects):
                for location in dict.fromkeys(naming.output_locations(batch.output, key)):
                    first = seen.setdefault(location, (batch, key))
                    if first != (batch, key):
                        self.collision(entry_doc, index, location, first)
                        break

    def collision(
        self,
        doc: Document,
        index: int,
        location: tuple[str, str, str],
        first: tuple[BatchSpec, str],
    ) -> None:
        other, other_key = first
        where = (
            f"batch '{other.name}'"
            if other.source is None
            else (f"batch '{other.name}' ({other.source.file}:{other.source.line})")
        )
        path: JsonPath = ("spec", "inputs", "objects", index)
        message = (
            f"writes '{shorten(location[2])}' in {location[1]}, "
            f"as does the job for '{shorten(other_key)}' of {where}"
        )
        report = Report(doc)
        report.add(path, message)
        self.problems.extend(report.problems)

    def doc_of(self, batch: BatchSpec) -> Document:
        for entry in self.entries:
            if entry.kind == "SnapshotJobBatch" and entry.name == batch.name and entry.valid:
                return entry.doc
        raise LookupError(batch.name)


def assemble(entries: list[Entry]) -> tuple[DesiredState, list[Problem]]:
    """The desired state of all documents and every cross-document problem."""
    assembler = _Assembler(entries)
    desired = assembler.run()
    return desired, assembler.problems
