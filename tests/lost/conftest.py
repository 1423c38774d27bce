"""Shared pieces of the lost-state suite: a served emulator, CLI runs, counts on the service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import RunningServer, start_background
from reconciler.plan.adopt import marker_of
from reconciler.state.local.store import LocalStateStore as StateStore
from tests.core.conftest import (
    ENV,
    SECRET_ID,
    SECRET_KEY,
    world,  # noqa: F401  (the fixture, by name)
)
from tests.core.test_exactly_once import jobs_on_service


@pytest.fixture
def server() -> Iterator[RunningServer]:
    running = start_background(
        EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=0.5, seed=3)
    )
    yield running
    running.stop()


def run(server: RunningServer, state: Path | str, *args: str) -> Result:
    """One in-process CLI run against the served emulator (HTTP over loopback)."""
    argv = ["--endpoint", server.url, "--state", str(state), "--submit-qps", "300", *args]
    return CliRunner().invoke(cli, argv, env={**ENV, "NO_COLOR": "1"})


def apply(server: RunningServer, state: Path | str, manifests: Path) -> Result:
    result = run(server, state, "apply", str(manifests), "--auto-approve")
    assert result.exit_code == 0, result.output
    return result


def per_submission(url: str) -> Counter[tuple[str, str | None]]:
    """Jobs on the service per (input object, marker): one marker per (key, fingerprint)."""
    return Counter((j.input_object, marker_of(j.user_data)) for j in jobs_on_service(url))


def assert_one_per_key(url: str, n: int, state: Path | None = None) -> None:
    """Exactly one job per (key, fingerprint), ``n`` of them; ``state`` (local) records them."""
    counts = per_submission(url)
    assert len(counts) == n and set(counts.values()) == {1}, counts.most_common(3)
    if state is not None:
        recorded = {r.input_object: r.job_id for r in StateStore(state).read().jobs.values()}
        assert recorded == {j.input_object: j.job_id for j in jobs_on_service(url)}
