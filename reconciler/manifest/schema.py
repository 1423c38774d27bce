"""JSON Schema validation of one document, with jsonschema's errors turned into located problems.

The shipped schemas (schemas/*.json, draft 2020-12) are the single source of truth for field
names, types, ranges and enums; this module only finds them, validates, and rewords each error
the way a person would say it, at the line and column where the offending key or value is.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import pathlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from referencing import Registry, Resource

from reconciler.errors import Problem
from reconciler.manifest.hints import describe, did_you_mean, field_hint, quoted_list, type_phrase
from reconciler.manifest.yamlload import Document, JsonPath, dotted

API_VERSION = "reconciler/v1"
KIND_SCHEMAS = {
    "Target": "target.schema.json",
    "SnapshotTemplate": "snapshot-template.schema.json",
    "SnapshotJobBatch": "snapshot-job-batch.schema.json",
}
SCHEMA_NAMES = (*KIND_SCHEMAS.values(), "common.schema.json", "snapshot-settings.schema.json")
SCHEMA_NAMES += ("manifest.schema.json",)


def schema_path(name: str) -> pathlib.Path:
    """Path of a shipped schema file (``manifest.schema.json``...), wherever the package lives."""
    if name not in SCHEMA_NAMES:
        raise FileNotFoundError(f"no shipped schema named {name!r}")
    return pathlib.Path(str(importlib.resources.files("reconciler") / "schemas" / name))


def _read_schema(name: str) -> dict[str, Any]:
    contents: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return contents


def _registry_of(schemas: Mapping[str, dict[str, Any]]) -> Registry[Any]:
    resources = [(c["$id"], Resource.from_contents(c)) for c in schemas.values()]
    return Registry().with_resources(resources)


@functools.cache
def _registry() -> Registry[Any]:
    return _registry_of({name: _read_schema(name) for name in SCHEMA_NAMES})


@functools.cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """A draft 2020-12 validator for one shipped schema, resolving refs to the others.

    Built once per process and schema (``functools.cache``): building one crawls the registry.
    """
    contents = _registry().contents(_schema_id(name))
    return jsonschema.Draft202012Validator(contents, registry=_registry())


def _schema_id(name: str) -> str:
    return str(_read_schema(name)["$id"])


# A batch may list 100,000 input objects. jsonschema checks each item through a ``$ref`` to
# ``objectKey`` (a registry lookup, a new validator and four keywords per item): about a quarter
# of a no-op plan at that size. So the batch schema is also compiled without ``objects.items``
# (a "lean" validator), and the items are checked here first with the same rules as one
# compiled regex and two length bounds, read from the schema itself. When every item passes,
# the full validator could not have reported anything about them, so the lean validator's
# errors are exactly the full one's; when any item fails, the full validator runs as before,
# so every message, location and field stays the same.
_LEAN_KIND = "SnapshotJobBatch"
_OBJECTS_SCHEMA = ("$defs", "inputs", "properties", "objects")  # where the items schema sits
_OBJECTS_VALUE = ("spec", "inputs", "objects")  # the only place that schema applies
_STRING_KEYWORDS = {"title", "description", "examples", "type", "minLength", "maxLength"}
_STRING_KEYWORDS |= {"pattern", "patternErrorMessage"}


@dataclass(frozen=True)
class _Lean:
    validator: jsonschema.protocols.Validator
    item_ok: Callable[[object], bool]


def _string_rule(schema: Mapping[str, Any]) -> Callable[[object], bool] | None:
    """A predicate equal to validating a plain string schema, or None for any other schema."""
    if schema.get("type") != "string" or not set(schema) <= _STRING_KEYWORDS:
        return None
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    top = math.inf if high is None else int(high)
    search = re.compile(schema["pattern"]).search if "pattern" in schema else None

    def item_ok(item: object) -> bool:
        if not isinstance(item, str) or not low <= len(item) <= top:
            return False
        return search is None or search(item) is not None

    return item_ok


@functools.cache
def _lean() -> _Lean | None:
    """The batch validator without per-item checks, and the rule for those items."""
    name = KIND_SCHEMAS[_LEAN_KIND]
    schemas = {n: _read_schema(n) for n in SCHEMA_NAMES}
    objects = functools.reduce(lambda node, part: node[part], _OBJECTS_SCHEMA, schemas[name])
    items = objects.pop("items", None)
    if not isinstance(items, dict):
        return None
    ref = items.get("$ref", "")
    if set(items) == {"$ref"} and ref.startswith("#/$defs/"):
        items = schemas[name]["$defs"].get(ref.removeprefix("#/$defs/"), {})
    item_ok = _string_rule(items)
    if item_ok is None:
        return None
    registry = _registry_of(schemas)
    lean = jsonschema.Draft202012Validator(schemas[name], registry=registry)
    return _Lean(lean, item_ok)


def _objects_of(value: Mapping[str, Any]) -> Any:
    node: Any = value
    for part in _OBJECTS_VALUE:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _validator_for(kind: str, value: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """The lean batch validator when it gives the same errors as the full one, else the full."""
    lean = _lean() if kind == _LEAN_KIND else None
    if lean is not None:
        objects = _objects_of(value)
        if not isinstance(objects, list) or all(map(lean.item_ok, objects)):
            return lean.validator
    return validator(KIND_SCHEMAS[kind])


def _problem(
    doc: Document, path: JsonPath, message: str, *, key: bool = False, at: JsonPath | None = None
) -> Problem:
    """Located at the value of ``path``, its key (``key``), or the key of ``at``."""
    pos = doc.key_at(at) if at is not None else doc.key_at(path) if key else doc.at(path)
    return Problem(doc.file, pos.line, pos.column, dotted(path), message)


def _custom_message(error: jsonschema.ValidationError) -> str | None:
    """The schema's own wording (``errorMessage``) for combinators and if/then branches."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    in_branch = len(error.schema_path) >= 2 and error.schema_path[-2] in ("then", "else")
    if error.validator in ("oneOf", "anyOf", "not") or in_branch:
        message = schema.get("errorMessage")
        return str(message) if message else None
    return None


def _bounds(error: jsonschema.ValidationError) -> str | None:
    limit, got = error.validator_value, describe(error.instance)
    phrases = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "greater than",
        "exclusiveMaximum": "less than",
    }
    phrase = phrases.get(str(error.validator))
    return f"must be {phrase} {limit}, got {got}" if phrase else None


def _simple_message(error: jsonschema.ValidationError) -> str:
    """Keyword-by-keyword wording for errors located at the value itself."""
    kind = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    bounded = _bounds(error)
    if bounded:
        return bounded
    if kind == "type":
        wanted = " or ".join(type_phrase(t) for t in ([value] if isinstance(value, str) else value))
        return f"must be {wanted}, got {describe(instance)}"
    if kind == "enum":
        hint = did_you_mean(instance, value) if isinstance(instance, str) else ""
        return f"must be one of {quoted_list(value)}, got {describe(instance)}{hint}"
    if kind == "const":
        return f"must be '{value}', got {describe(instance)}"
    if kind == "pattern":
        wording = schema.get("patternErrorMessage") or f"must match {value}"
        return f"{wording}, got {describe(instance)}"
    if kind == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters"
    if kind == "maxLength":
        return f"must be at most {value} characters, got {len(instance)}"
    if kind == "minItems":
        return f"must have at least {value} item(s)"
    return str(error.message)


def _problems_for(doc: Document, error: jsonschema.ValidationError) -> Iterator[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    custom = _custom_message(error)
    wanted: Any = error.validator_value
    if error.validator == "required":
        for name in wanted:
            if isinstance(error.instance, Mapping) and name not in error.instance:
                message = custom or f"missing required field '{name}'"
                yield _problem(doc, (*path, name), message, at=path)
        return
    if error.validator == "not" and isinstance(wanted, Mapping):
        for name in wanted.get("required", ()):
            yield _problem(doc, (*path, name), custom or f"'{name}' is not allowed here", key=True)
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        for name in error.instance:
            if name not in known:
                hint = field_hint(name, known)
                yield _problem(doc, (*path, name), f"unknown field '{name}'{hint}", key=True)
        return
    if custom is not None:  # about the mapping as a whole: point at its key
        yield _problem(doc, path, custom, at=path)
        return
    yield _problem(doc, path, _simple_message(error))


def validate_document(doc: Document) -> tuple[str | None, list[Problem]]:
    """Validate one document against the schema of its kind; returns (kind, problems).

    The kind is None when it is missing or unknown (nothing else can be checked then).
    """
    value = doc.value
    if not isinstance(value, dict):
        message = "a manifest must be a mapping with apiVersion, kind, metadata and spec"
        return None, [_problem(doc, (), f"{message}, got {describe(value)}")]
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in KIND_SCHEMAS:
        return None, _kind_problems(doc, value)
    problems: list[Problem] = []
    for error in _validator_for(kind, value).iter_errors(value):
        problems.extend(_problems_for(doc, error))
    return str(kind), _without_repeats(problems)


def _kind_problems(doc: Document, value: dict[str, Any]) -> list[Problem]:
    kinds = list(KIND_SCHEMAS)
    problems = []
    if "kind" not in value:
        problems.append(
            _problem(doc, ("kind",), f"missing required field 'kind' ({quoted_list(kinds)})")
        )
    else:
        kind = value["kind"]
        hint = did_you_mean(kind, kinds) if isinstance(kind, str) else ""
        message = f"unknown kind {describe(kind)}{hint}; expected {quoted_list(kinds)}"
        problems.append(_problem(doc, ("kind",), message))
    if value.get("apiVersion") != API_VERSION:
        got = describe(value.get("apiVersion"))
        problems.append(_problem(doc, ("apiVersion",), f"must be '{API_VERSION}', got {got}"))
    return problems


def _without_repeats(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    unique = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            unique.append(problem)
    return unique
