"""Every sample reply the CI and COS documentation prints for a call we make parses (issue 14).

The samples in data/doc-samples/ are kept exactly as the docs print them, slips included; the
index beside them names each one's source page. A sample may hold an item we cannot use (the
DescribeMediaTemplates sample has no Count): that is an item-level problem, never an exception.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.remote import codec

SAMPLES = Path(__file__).parent / "data" / "doc-samples"
INDEX = json.loads((SAMPLES / "index.json").read_text("utf-8"))["samples"]
PARSERS: dict[str, Callable[[bytes, str], Any]] = {
    "template_reply": codec.template_reply,
    "template_page": codec.template_page,
    "delete_reply": codec.delete_reply,
    "submit_reply": codec.submit_reply,
    "describe_reply": codec.describe_reply,
    "job_page": codec.job_page,
    "queue_list": codec.queue_list,
    "object_page": codec.object_page,
    "error_fields": codec.error_fields,
}


def _plain(value: Any) -> Any:
    """Dataclasses and tuples -> JSON-shaped data, to compare with the index's expectations."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value))


def _at(value: Any, path: str) -> Any:
    """``a.0.b`` into nested dicts/lists; the empty path is the value itself."""
    for part in path.split(".") if path else ():
        value = value[int(part)] if isinstance(value, list | tuple) else value[part]
    return value


def test_every_sample_file_is_indexed_with_its_source() -> None:
    indexed = {entry["file"] for entry in INDEX}
    on_disk = {p.name for p in SAMPLES.glob("*.xml")}
    assert indexed == on_disk
    assert all(entry["source"].startswith("https://") for entry in INDEX)
    assert all(entry["parser"] in (*PARSERS, "none") for entry in INDEX)


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_documentation_sample_parses(entry: dict[str, Any]) -> None:
    body = (SAMPLES / entry["file"]).read_bytes()
    if entry["parser"] == "none":
        assert body.strip() == b""  # the call has no response body; nothing to parse
        return
    parsed = _plain(PARSERS[entry["parser"]](body, "doc-sample"))
    for path, expected in entry["expect"].items():
        got = _at(parsed, path)
        if path.startswith("problems.") and isinstance(expected, str):
            assert expected in got, (path, got)
        else:
            assert got == expected, (path, got)
