"""Manifests: YAML files in, a validated :class:`~reconciler.model.DesiredState` out.

Nothing outside this package sees YAML or jsonschema. :func:`load` reports every problem of every
file in one :class:`~reconciler.errors.ManifestError`, each located as ``file:line:col: field:``.
Warnings (what the service accepts but ignores) do not stop a load: they come back on
``DesiredState.warnings``, located the same way, unless ``strict`` makes them errors.

    yamlload   files -> documents with a position for every key and value (safe, bounded)
    schema     one document against the JSON Schema of its kind -> reworded, located problems
    checks     single-document rules beyond the schema (outputs, keys; ignored settings warn)
    resolve    cross-document rules (names, targets, template references, collisions) -> model
    build      schema-valid mappings -> frozen model dataclasses
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace

from reconciler.errors import ManifestError, Problem
from reconciler.manifest.resolve import Entry, assemble
from reconciler.manifest.schema import schema_path, validate_document
from reconciler.manifest.yamlload import load_file
from reconciler.model import DesiredState, InputSelector
from reconciler.plan import naming

__all__ = ["find_files", "load", "schema_path", "summarize"]

SUFFIXES = (".yaml", ".yml")


def find_files(
    paths: Sequence[str | os.PathLike[str]], problems: list[Problem] | None = None
) -> list[str]:
    """Manifest files: given files as they are, directories searched recursively for *.yaml and
    *.yml (hidden entries skipped), in sorted order so that every run reads them the same way."""
    found: list[str] = []
    problems = [] if problems is None else problems
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            inside = _walk(path)
            if not inside:
                problems.append(
                    Problem(path, 1, 1, "", "no *.yaml or *.yml files in this directory")
                )
            found.extend(inside)
        elif os.path.exists(path):
            found.append(path)
        else:
            problems.append(Problem(path, 1, 1, "", "no such file or directory"))
    return list(dict.fromkeys(found))


def _walk(top: str) -> list[str]:
    files = []
    for root, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.endswith(SUFFIXES) and not name.startswith("."):
                files.append(os.path.join(root, name))
    return sorted(files, key=lambda f: os.path.relpath(f, top).split(os.sep))


def _not_covered(problems: list[Problem], covered: list[Problem]) -> list[Problem]:
    """Drop schema problems about a field whose YAML already had a problem (no double reports)."""
    fields = {p.field for p in covered}

    def under(field: str) -> bool:
        return any(field == f or field.startswith((f + ".", f + "[")) for f in fields if f)

    return [p for p in problems if not under(p.field)]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector for the duration of a load.

    Loading keeps several container objects per input key alive until it returns (YAML nodes
    and their marks, positions, paths, collision entries): 100,000 keys make over half a
    million. Each time that heap grows by a quarter the collector walks all of it, and finds
    nothing to free (reference counting frees the loader's temporaries as usual): about 30% of
    a 100,000-key load. It resumes, if it was on, as soon as the load returns or raises.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(paths: Sequence[str | os.PathLike[str]], *, strict: bool = False) -> DesiredState:
    """Read, validate and cross-check every manifest under ``paths``.

    Raises :class:`ManifestError` carrying all errors found (and the warnings beside them),
    sorted by file and position. Warnings of a clean load are on the result's ``warnings``;
    with ``strict`` they are errors.
    """
    with _collector_paused():
        return _load(paths, strict)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.field, p.message))


def _load(paths: Sequence[str | os.PathLike[str]], strict: bool) -> DesiredState:
    problems: list[Problem] = []
    entries: list[Entry] = []
    documents = 0
    for file in find_files(paths, problems):
        docs, file_problems = load_file(file)
        problems.extend(file_problems)
        for doc in docs:
            documents += 1
            kind, schema_problems = validate_document(doc)
            problems.extend(doc.problems)
            problems.extend(_not_covered(schema_problems, doc.problems))
            if kind is not None:
                valid = not schema_problems and not doc.problems
                entries.append(Entry(doc, kind, valid))
    if documents == 0 and not problems:
        where = os.fspath(paths[0]) if paths else "."
        problems.append(Problem(where, 1, 1, "", "no manifests found (all files are empty)"))
    desired, cross = assemble(entries)
    problems.extend(cross)
    warnings = _sorted([p for p in problems if p.is_warning])
    errors = [p for p in problems if not p.is_warning]
    if strict:
        errors, warnings = errors + [w.as_error() for w in warnings], []
    if errors:
        raise ManifestError(_sorted(errors), tuple(warnings))
    return replace(desired, warnings=tuple(warnings))


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _known_inputs(inputs: InputSelector) -> int:
    """Inputs known without listing: explicit objects and key-file keys (through the globs)."""
    if inputs.file_keys:
        return len(naming.select_inputs((), inputs))
    return len(set(inputs.objects))


def summarize(desired: DesiredState) -> str:
    """One line: what the manifests define, with the jobs known before prefix expansion, and
    how many warnings were shown."""
    jobs = sum(_known_inputs(b.inputs) for b in desired.batches.values())
    prefixed = sum(1 for b in desired.batches.values() if b.inputs.prefix is not None)
    text = ", ".join(
        [
            _count(len(desired.targets), "target"),
            _count(len(desired.templates), "template"),
            _count(len(desired.batches), "batch").replace("batchs", "batches"),
            _count(jobs, "job"),
        ]
    )
    if prefixed:
        text += f" (+{_count(prefixed, 'prefix batch').replace('batchs', 'batches')}"
        text += " expanded at plan time)"
    if desired.warnings:
        text += f"; {_count(len(desired.warnings), 'warning')}"
    return f"ok: {text}"
