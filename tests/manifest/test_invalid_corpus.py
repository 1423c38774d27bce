"""Table-driven corpus: every file in data/invalid/ is one mistake a user can make.

Each file starts with ``# expect: LINE:COL FIELD | message fragment`` lines (FIELD ``-`` for none),
one per problem; the loader must report exactly those, in that file, and nothing else. Files
marked ``# standalone`` are loaded alone; the others together with data/base.yaml (one Target
and the templates ``frames``, ``sprites`` and ``onlysprite``), which is valid by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest import load
from tests.helpers.manifest_files import BASE, DATA, expectations, problems_of

CASES = sorted((DATA / "invalid").glob("*.yaml"))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60


def test_base_is_valid() -> None:
    desired = load([BASE])
    assert set(desired.templates) == {"frames", "sprites", "onlysprite"}


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_manifest(case: Path) -> None:
    expected = expectations(case)
    assert expected, f"{case.name} has no '# expect:' line"
    standalone = "# standalone" in case.read_text(encoding="utf-8")
    problems = problems_of([case] if standalone else [BASE, case])
    got = [(p.file, p.line, p.column, p.field) for p in problems]
    assert got == [(str(case), line, col, field) for line, col, field, _ in expected]
    for problem, (_, _, _, fragment) in zip(problems, expected, strict=True):
        assert fragment in problem.message
        assert str(problem).startswith(f"{case}:{problem.line}:{problem.column}:")
