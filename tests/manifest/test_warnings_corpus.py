"""Table-driven corpus: every file in data/warnings/ asks for something the service accepts but
ignores (a setting that only applies with another, a value outside a reference range).

Each file starts with ``# expect: LINE:COL FIELD | full message`` lines, one per warning, loaded
with data/base.yaml like the invalid corpus. The load must succeed with exactly those warnings,
each printed as ``file:line:col: warning: field: message``; with ``strict`` the same lines are
the errors of a ManifestError, and nothing else is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest import load
from tests.helpers.manifest_files import BASE, DATA, expectations

CASES = sorted((DATA / "warnings").glob("*.yaml"))


def test_corpus_covers_every_warning_rule() -> None:
    assert len(CASES) >= 14


def test_base_has_no_warnings() -> None:
    assert load([BASE]).warnings == ()


def test_settings_that_apply_give_no_warning(tmp_path: Path) -> None:
    """The documented use of black-frame detection is silent: the rules are not over-eager."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "apiVersion: reconciler/v1\nkind: SnapshotTemplate\nmetadata: {name: t}\n"
        "spec: {count: 1, start: 0, isCheckBlack: true, blackLevel: 30, pixelBlackThreshold: 0,"
        " snapshotOutMode: OnlySprite, spriteSnapshotConfig: {color: Black, columns: 1, lines: 1,"
        " cellWidth: 8, cellHeight: 8, scaleMethod: MaxWHScale}}\n"
    )
    assert load([BASE, path]).warnings == ()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_warning_case(case: Path) -> None:
    expected = expectations(case)
    assert expected, f"{case.name} has no '# expect:' line"
    lines = [f"{case}:{line}:{col}: warning: {field}: {message}"
             for line, col, field, message in expected]  # fmt: skip
    desired = load([BASE, case])
    assert [str(w) for w in desired.warnings] == lines
    with pytest.raises(ManifestError) as info:
        load([BASE, case], strict=True)
    assert [str(p) for p in info.value.problems] == [x.replace(" warning:", "") for x in lines]
