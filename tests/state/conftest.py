"""Shared builders for the state tests: records with readable defaults and a store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.state import LocalStateStore


@pytest.fixture
def store(tmp_path: Path) -> LocalStateStore:
    return LocalStateStore(tmp_path / ".reconciler" / "state.json")
