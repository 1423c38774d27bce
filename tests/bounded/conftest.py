"""The in-process emulator world of the core tests, for the API tests here."""

from tests.core.conftest import world  # noqa: F401
