"""The README's manifest reference is generated from the schemas and must be fresh; the schemas
carry what editors show (titles, descriptions) and their examples are valid values."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.docs import BEGIN, END, reference, splice
from reconciler.manifest.schema import _registry

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


def test_readme_reference_is_fresh() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reconciler.docs", "--check", str(ROOT / "README.md")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr + "\nrun: python -m reconciler.docs"


def test_check_fails_on_a_stale_copy_and_the_command_repairs_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold text\n{END}\noutro\n")
    check = [sys.executable, "-m", "reconciler.docs", "--check", str(readme)]
    assert subprocess.run(check, capture_output=True, check=False).returncode == 1
    subprocess.run([sys.executable, "-m", "reconciler.docs", str(readme)], check=True)
    assert subprocess.run(check, capture_output=True, check=False).returncode == 0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{END}\noutro\n")


def test_reference_lists_every_field_of_every_kind() -> None:
    text = reference()
    for field in ("spec.bucket", "spec.spriteSnapshotConfig.scaleMethod", "spec.inputs.prefix",
                  "spec.callback.mq.name", "spec.userData", "spec.timeInterval"):  # fmt: skip
        assert f"| `{field}` |" in text, field
    assert "needs one of template, templateId and snapshot" in text
    assert "&lt;name>-&lt;appid>" in text  # no raw HTML in table cells


def test_splice_refuses_a_file_without_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        splice("no markers here", "x")


def _nodes(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from _nodes(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nodes(value, f"{pointer}/{i}")


def _schema_nodes() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in sorted(SCHEMAS.glob("*.json")):
        doc = json.loads(path.read_text())
        for pointer, node in _nodes(doc):
            yield doc["$id"], pointer, node


def test_every_example_and_default_is_valid_for_its_field() -> None:
    registry = _registry()
    checked = 0
    for schema_id, pointer, node in _schema_nodes():
        values = list(node.get("examples", []))
        if "default" in node:
            values.append(node["default"])
        if not values or "/properties/" not in pointer and "/$defs/" not in pointer:
            continue
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"{schema_id}#{pointer}"}, registry=registry
        )
        for value in values:
            errors = [e.message for e in validator.iter_errors(value)]
            assert not errors, f"{schema_id}#{pointer}: {value!r}: {errors}"
            checked += 1
    assert checked > 30


def test_fields_carry_descriptions_for_hover() -> None:
    missing = []
    for schema_id, pointer, node in _schema_nodes():
        parent = pointer.rsplit("/", 1)[0]
        in_rule = "/if/" in pointer or "/then/" in pointer or "/else/" in pointer
        if parent.endswith("/properties") and not in_rule and not {"$ref", "const"} & set(node):
            if "description" not in node:
                missing.append(f"{schema_id}#{pointer}")
    assert missing == []
