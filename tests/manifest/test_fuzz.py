"""Property: random edits of valid manifests never crash the loader or the CLI.

Every outcome is either a DesiredState (exit 0) or a ManifestError whose problems all point at a
real file, line and column (exit 1) - never a traceback.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli.commands import cli
from reconciler.errors import ManifestError
from reconciler.manifest import load
from reconciler.model import DesiredState
from tests.helpers.manifest_files import BASE, EXAMPLES

SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.yaml"))}
SOURCES["base.yaml"] = BASE.read_text(encoding="utf-8")
ALPHABET = st.sampled_from(
    list(":-{}[],&*!|>'\"#%@`?\n\t ") + list("az09_.$~") + ["\u00e9", "\x00"]
)
VALUES: list[Any] = [None, 0, -1, 2.5, 10**12, float("inf"), True, "", "x", "${number}",
                     "{stm}", "/abs", "a/../b", [], {}, ["a.mp4", "a.mp4"], {"count": 1},
                     "t1" + "0" * 32]  # fmt: skip
KEYS = ["count", "colour", "template", "templateId", "snapshot", "prefix", "target", "mq", "<<"]


@st.composite
def text_edits(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SOURCES)))
    text = SOURCES[name]
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "replace"]))
        cut = draw(st.integers(0, 12)) if action != "insert" else 0
        new = "" if action == "delete" else draw(st.text(ALPHABET, min_size=1, max_size=8))
        text = text[:at] + new + text[at + cut :]
    return name, text


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _value(draw: st.DrawFn) -> Any:
    """A fresh copy: VALUES holds mutable [] and {}, which later edits would alter in place
    (shared across examples, even inserted into themselves)."""
    return copy.deepcopy(draw(st.sampled_from(VALUES)))


def _mutate(doc: Any, draw: st.DrawFn) -> Any:
    path = draw(st.sampled_from(_paths(doc)))
    if not path:
        return _value(draw)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["delete", "replace", "insert"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "replace":
        parent[path[-1]] = _value(draw)
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(KEYS))] = _value(draw)
    return doc


@st.composite
def structure_edits(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SOURCES)))
    docs = [d for d in yaml.safe_load_all(SOURCES[name]) if d is not None]
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(docs) - 1))
        docs[index] = _mutate(docs[index], draw)
    return name, yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


def _check(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for other, source in SOURCES.items():
            if other != "base.yaml":
                (root / other).write_text(source, encoding="utf-8")
        target = root / ("edited.yaml" if name == "base.yaml" else name)
        target.write_text(text, encoding="utf-8")
        files = {str(p) for p in root.glob("*.yaml")}
        try:
            outcome: object = load([root])
        except ManifestError as exc:
            outcome = exc
            assert exc.problems
            for problem in exc.problems:
                assert problem.file in files and problem.line >= 1 and problem.column >= 1
                assert str(problem).startswith(f"{problem.file}:{problem.line}:")
        else:
            assert isinstance(outcome, DesiredState)
        result = CliRunner().invoke(cli, ["validate", str(root)])
        assert result.exit_code == (1 if isinstance(outcome, ManifestError) else 0)
        assert result.exception is None or isinstance(result.exception, SystemExit)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(text_edits())
def test_text_edits_end_in_a_state_or_located_errors(edit: tuple[str, str]) -> None:
    _check(*edit)


@FUZZ
@given(structure_edits())
def test_structure_edits_end_in_a_state_or_located_errors(edit: tuple[str, str]) -> None:
    _check(*edit)
