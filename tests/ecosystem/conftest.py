"""Reuse the core tests' World: an in-process emulator, the examples and a state in tmp_path."""

from tests.core.conftest import world  # noqa: F401  (the fixture, by name)
