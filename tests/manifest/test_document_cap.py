"""A file of very many documents is refused quickly with a located problem; the CLI caps output."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.commands import cli
from reconciler.cli.common import MAX_SHOWN_PROBLEMS
from reconciler.errors import ManifestError
from reconciler.manifest import load
from reconciler.manifest.yamlload import MAX_DOCUMENTS


def test_too_many_documents_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text("---\n" * (MAX_DOCUMENTS + 5))
    with pytest.raises(ManifestError) as caught:
        load([path])
    messages = [str(p) for p in caught.value.problems]
    assert any(f"more than {MAX_DOCUMENTS} documents" in m for m in messages), messages[:3]


def test_cli_prints_a_bounded_number_of_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("---\n".join(["a: 1\n"] * 500))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == MAX_SHOWN_PROBLEMS + 2
    assert lines[-2].startswith("... and ") and "problem(s) in manifests" in lines[-1]
