"""Paths of the manifest corpus and a loader that returns problems instead of raising."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.errors import ManifestError, Problem
from reconciler.manifest import load

ROOT = Path(__file__).resolve().parents[2]


EXAMPLES = ROOT / "examples"


DATA = ROOT / "tests" / "manifest" / "data"


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


REQUEST2_WARNINGS = [
    (9, 5, "spec.snapshot.blackLevel", "is ignored without isCheckBlack: true"),
    (14, 5, "spec.snapshot.pixelBlackThreshold", "is ignored without isCheckBlack: true"),
]


EXPECT = re.compile(r"^# expect: (\d+):(\d+) (\S+) \| (.+)$")


def expectations(path: Path) -> list[tuple[int, int, str, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = EXPECT.match(line)
        if match:
            field = "" if match[3] == "-" else match[3]
            found.append((int(match[1]), int(match[2]), field, match[4]))
    return found
