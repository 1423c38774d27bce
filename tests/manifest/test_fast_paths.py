"""The load-time shortcuts give exactly the answers of the slow paths they stand in for.

Each shortcut (the lean batch validator, the compiled key checks, the precompiled output
patterns) is compared with the straightforward computation on generated inputs, including the
edge cases of each rule (empty, leading '/', 850 vs 851 characters, non-strings).
"""

from __future__ import annotations

import copy
import gc
import posixpath
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import ManifestError
from reconciler.manifest import checks, load, schema
from reconciler.model import OutputSpec
from reconciler.plan import naming
from tests.helpers.manifest_files import TARGET

BATCH: dict[str, Any] = {
    "apiVersion": "reconciler/v1",
    "kind": "SnapshotJobBatch",
    "metadata": {"name": "b"},
    "spec": {
        "template": "t",
        "inputs": {"objects": ["a.mp4"]},
        "output": {"region": "ap-chongqing", "bucket": "o-1250000000", "object": "{stem}.jpg"},
    },
}
ITEMS = st.one_of(
    st.text(max_size=5),
    st.sampled_from(["", "/", "/a", "a/", "\n", "\n/a", "a" * 850, "a" * 851, "é" * 850]),
    st.sampled_from([None, 0, 1.5, True, [], {}, ["a"]]),
)
OBJECTS = st.one_of(st.lists(ITEMS, max_size=6), st.sampled_from([None, "a.mp4", {}, 3]))


def _errors(validator: Any, value: Any) -> list[tuple[Any, ...]]:
    return [
        (e.message, tuple(e.absolute_path), tuple(e.schema_path), e.validator, e.instance)
        for e in validator.iter_errors(value)
    ]


def test_lean_validator_is_built() -> None:
    lean = schema._lean()
    assert lean is not None  # the batch schema's items are a plain string schema
    assert lean.validator is schema._lean().validator  # once per process
    assert schema._validator_for("SnapshotJobBatch", BATCH) is lean.validator


@settings(max_examples=300, deadline=None)
@given(objects=OBJECTS, spec_extra=st.sampled_from([{}, {"colour": 1}, {"inputs": 7}]))
def test_batch_errors_equal_the_full_validator(objects: Any, spec_extra: dict[str, Any]) -> None:
    value = copy.deepcopy(BATCH)
    if objects is None:
        del value["spec"]["inputs"]["objects"]
    else:
        value["spec"]["inputs"]["objects"] = objects
    value["spec"].update(spec_extra)
    full = schema.validator("snapshot-job-batch.schema.json")
    chosen = schema._validator_for("SnapshotJobBatch", value)
    assert _errors(chosen, value) == _errors(full, value)


@settings(max_examples=300, deadline=None)
@given(item=ITEMS)
def test_item_rule_equals_object_key_schema(item: Any) -> None:
    lean = schema._lean()
    assert lean is not None
    value = copy.deepcopy(BATCH)
    value["spec"]["inputs"]["objects"] = [item]
    full = schema.validator("snapshot-job-batch.schema.json")
    assert lean.item_ok(item) is full.is_valid(value)


def _render_by_regex(pattern: str, key: str) -> str:
    """The original one-regex-substitution-per-call rendering, kept as the reference."""
    parts = naming.key_parts(key)
    if not parts["dir"]:
        pattern = pattern.replace("{dir}/", "{dir}")
    return naming._OURS.sub(lambda m: parts.get(m.group(1), m.group(0)), pattern)


PATTERN_PIECES = st.sampled_from(
    ["{path}", "{dir}", "{dir}/", "{name}", "{stem}", "{ext}", "${number}", "${dir}/", "{stm}",
     "{}", "{", "}", "{{stem}}", "$", "/", "a", ".jpg", "{0}", "{path.x}", "{ext!r}", "%s"]
)  # fmt: skip
KEYS = st.text(alphabet=st.sampled_from(list("ab./{}$_") + ["é"]), max_size=12)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(PATTERN_PIECES, max_size=8), key=KEYS)
def test_rendering_equals_the_regex_substitution(pieces: list[str], key: str) -> None:
    pattern = "".join(pieces)
    expected = _render_by_regex(pattern, key)
    assert naming.render_output(pattern, key) == expected
    both = naming.output_keys(OutputSpec("r", "b", pattern, pattern + "-s"), key)
    assert both == (expected, _render_by_regex(pattern + "-s", key))


@settings(max_examples=1000, deadline=None)
@given(key=st.text(alphabet=st.sampled_from(list("ab./") + ["é"]), max_size=10))
def test_key_parts_equal_posixpath(key: str) -> None:
    directory, name = posixpath.split(key)
    stem, ext = posixpath.splitext(name)
    expected = {"path": key, "dir": directory, "name": name, "stem": stem, "ext": ext.lstrip(".")}
    assert naming.key_parts(key) == expected


def _key_problem_by_loops(key: str, what: str = "object key") -> str | None:
    """The original per-segment and per-character checks, kept as the reference."""
    if not key:
        return f"{what} must not be empty"
    if key.startswith("/"):
        return f"{what} must not start with '/'"
    if any(part in (".", "..") for part in key.split("/")):
        return f"{what} must not contain '.' or '..' path segments"
    if any(ord(char) < 32 or ord(char) == 127 for char in key):
        return f"{what} must not contain control characters"
    size = len(key.encode("utf-8"))
    if size > checks.MAX_KEY_BYTES:
        return f"{what} is {size} bytes long; the limit is {checks.MAX_KEY_BYTES} bytes (UTF-8)"
    return None


KEY_PIECES = st.sampled_from(
    ["/", ".", "..", "...", "a", "é", "\n", "\t", "\x7f", "\x00", " ", "~", "a" * 300, "é" * 300]
)


@settings(max_examples=1000, deadline=None)
@given(pieces=st.lists(KEY_PIECES, max_size=8))
def test_key_problem_equals_the_loops(pieces: list[str]) -> None:
    key = "".join(pieces)
    assert checks.key_problem(key) == _key_problem_by_loops(key)
    assert checks.key_problem(key, what="prefix") == _key_problem_by_loops(key, what="prefix")


def test_load_gives_the_collector_back(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(TARGET, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Nope\n", encoding="utf-8")
    assert gc.isenabled()
    load([good])
    assert gc.isenabled()
    with pytest.raises(ManifestError):
        load([bad])
    assert gc.isenabled()
    gc.disable()
    try:
        load([good])
        assert not gc.isenabled()  # off stays off: load never turns it on
    finally:
        gc.enable()
