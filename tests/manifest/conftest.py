"""Shared paths and helpers for the manifest tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ManifestError, Problem
from reconciler.manifest import load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"
BASE = DATA / "base.yaml"

TARGET = """\
apiVersion: reconciler/v1
kind: Target
metadata: {name: media}
spec: {region: ap-chongqing, bucket: media-1250000000}
"""


def problems_of(paths: list[Path]) -> list[Problem]:
    """The problems :func:`load` reports (failing the test if it loads cleanly)."""
    with pytest.raises(ManifestError) as info:
        load(paths)
    return info.value.problems


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a manifest file under tmp_path and return its path."""

    def writer(text: str, name: str = "m.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return writer
