"""Saved plans and ``plan --json`` output are JSON Lines (docs/plan-format.md): read them, and
write an edited plan back sealed as the writer seals it (so a test can change what a plan says
without the seal refusing it first)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def lines_of(text: str) -> list[dict[str, Any]]:
    """Every line's object (header, job lines, end line); each line must parse on its own."""
    return [json.loads(line) for line in text.splitlines()]


def header(text: str) -> dict[str, Any]:
    """The header line of a plan's text (``plan --json`` output or a saved file's)."""
    first = lines_of(text)[0]
    assert first["line"] == "header", first
    return first


def jobs(text: str) -> list[dict[str, Any]]:
    """The job actions of a plan's text, in order."""
    return [doc["action"] for doc in lines_of(text) if doc["line"] == "job"]


def job_lines(text: str) -> list[dict[str, Any]]:
    return [doc for doc in lines_of(text) if doc["line"] == "job"]


def encode(doc: dict[str, Any]) -> bytes:
    return (
        json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    ).encode()


def write_sealed(path: Path, head: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """A plan file of ``head`` and job ``lines``, with a matching end line."""
    body = encode({**head, "job_count": len(lines)}) + b"".join(encode(doc) for doc in lines)
    end = {"line": "end", "jobs": len(lines), "sha256": hashlib.sha256(body).hexdigest()}
    path.write_bytes(body + encode(end))
