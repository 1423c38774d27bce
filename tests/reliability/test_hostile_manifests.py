"""Hostile manifests: random YAML bytes and random structures never crash the loader or the CLI.

``tests/manifest/test_fuzz.py`` mutates the valid examples (a few hundred cases); this suite adds
1,000+ cases per run of text built from YAML's sharp edges (tags, anchors, directives, merge
keys, tabs, BOMs, NUL and non-UTF-8 bytes) and of arbitrary values dropped into every field, and
bounds alias bombs, deep nesting and huge scalars in time and memory.
"""

from __future__ import annotations

import re
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli.commands import cli
from reconciler.errors import ManifestError
from reconciler.manifest import load
from reconciler.model import DesiredState

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): ")
TOKENS = [
    b"apiVersion: reconciler/v1\n", b"kind: Target\n", b"kind: SnapshotTemplate\n",
    b"kind: SnapshotJobBatch\n", b"metadata: {name: x}\n", b"spec:\n", b"  region: ap-chongqing\n",
    b"  bucket: media-1250000000\n", b"  objects: [a.mp4]\n", b"  template: t\n", b"  count: 3\n",
    b"- ", b"&a ", b"*a ", b"*zz ", b"<<: *a\n", b"!!python/object/apply:os.system ['true'] ",
    b"!!binary aGk= ", b"!custom ", b"!!set ", b"!!omap ", b"? ", b"---\n", b"...\n",
    b"%YAML 1.1\n",
    b"%TAG !e! tag:example.com,2000:\n", b"{", b"}", b"[", b"]", b", ", b": ", b"'", b'"', b"\t",
    b"\n", b"  ", b"|\n", b">-\n", b"# c\n", b"\xef\xbb\xbf", b"\x00", b"\xff\xfe", b"\xc3",
    b"1e999", b".nan", b"0x1F", b"~", b"yes", b"2026-01-01", b"\\u0000", b"${number}", b"{stem}",
]  # fmt: skip


def fast(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


def check_loaded(root: Path) -> object:
    """Load ``root``: a DesiredState, or a ManifestError located at a real file, line, column."""
    files = {str(p) for p in root.rglob("*") if p.is_file()} | {str(root)}  # root: "no manifests"
    try:
        outcome: object = load([root])
    except ManifestError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file in files, (problem, files)
            assert problem.line >= 1 and problem.column >= 1, problem
            assert LOCATED.match(str(problem)), str(problem)
        return exc
    assert isinstance(outcome, DesiredState)
    return outcome


def check_cli(root: Path, outcome: object) -> None:
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    if isinstance(outcome, ManifestError):
        assert result.exit_code == 1, result.output
        assert LOCATED.match(result.output.splitlines()[0]), result.output
    else:
        assert result.exit_code == 0, result.output


soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40).map(b"".join)


@fast(600)
@given(soup)
def test_yaml_token_soup_loads_or_is_located(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_bytes(data)
        check_loaded(Path(tmp))


@fast(60)
@given(soup)
def test_yaml_token_soup_through_the_cli(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_bytes(data)
        check_cli(Path(tmp), check_loaded(Path(tmp)))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["", "/abs/x", "../x", "a" * 2000, "${number}", "t1"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
BASES: list[dict[str, Any]] = [
    {"apiVersion": "reconciler/v1", "kind": "Target", "metadata": {"name": "media"},
     "spec": {"region": "ap-chongqing", "bucket": "media-1250000000"}},
    {"apiVersion": "reconciler/v1", "kind": "SnapshotTemplate", "metadata": {"name": "t"},
     "spec": {"mode": "Interval", "count": 3, "width": 320,
              "spriteSnapshotConfig": {"columns": 2, "lines": 2, "cellWidth": 10,
                                       "cellHeight": 10}}},
    {"apiVersion": "reconciler/v1", "kind": "SnapshotJobBatch", "metadata": {"name": "b"},
     "spec": {"template": "t", "inputs": {"objects": ["a.mp4"], "include": ["*.mp4"]},
              "output": {"region": "ap-chongqing", "bucket": "out-1250000000",
                         "object": "f/{stem}/${number}.jpg"},
              "callback": {"url": "https://h.example/x", "format": "JSON"}}},
]  # fmt: skip


def _slots(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _slots(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _slots(value, (*path, index))
    return found


@st.composite
def hostile_documents(draw: st.DrawFn) -> list[Any]:
    docs: list[Any] = yaml.safe_load(yaml.safe_dump(BASES))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        doc = draw(st.sampled_from(docs))
        path = draw(st.sampled_from(_slots(doc)[1:]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(values)
    return docs


@fast(400)
@given(hostile_documents())
def test_any_value_in_any_field_loads_or_is_located(docs: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)
        (Path(tmp) / "m.yaml").write_text(text, encoding="utf-8")
        outcome = check_loaded(Path(tmp))
    assert outcome is not None


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nspec: *a{levels - 1}\n"


BOUNDED = {
    "alias bomb (10^12 nodes)": _bomb(12),
    "deep flow nesting": "spec: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep block nesting": "".join("  " * i + f"k{i}:\n" for i in range(3000)),
    "huge scalar": "kind: Target\nmetadata: {name: '" + "n" * 3_900_000 + "'}\n",
    "many documents": "---\n{}\n" * 20_000,
    "over the size cap": "# " + "x" * 5_000_000 + "\n",
    "long key": "? " + "k" * 1_000_000 + "\n: v\n",
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_bombs_are_refused_within_bounds(tmp_path: Path, case: str) -> None:
    (tmp_path / "m.yaml").write_text(BOUNDED[case], encoding="utf-8")
    tracemalloc.start()
    started = time.monotonic()
    try:
        outcome = check_loaded(tmp_path)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(outcome, ManifestError), case
    assert elapsed < 10, f"{case}: {elapsed:.1f}s"
    assert peak < 256 * 2**20, f"{case}: peak {peak / 2**20:.0f} MiB"
    check_cli(tmp_path, outcome)
