"""The acceptance run against your account (``make live-test``) and, with the same body,
against the served emulator (``make test``), so the live suite cannot rot unnoticed.

The live run is opt in: it is skipped, saying what is missing, unless TENCENTCLOUD_SECRET_ID,
TENCENTCLOUD_SECRET_KEY, RECONCILER_LIVE_BUCKET and RECONCILER_LIVE_REGION are set. It works in
a scratch prefix (reconciler-live/<run id>/) and deletes what it made. README: "Run against
your account".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from tests.helpers.identity import ENV, SECRET_ID, SECRET_KEY
from tests.helpers.processes import ServedEmulator, cli_env
from tests.live.acceptance import CLIP, Acceptance, Site

LIVE_VARS = (
    "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "RECONCILER_LIVE_BUCKET",
    "RECONCILER_LIVE_REGION",
)  # fmt: skip


def _missing() -> list[str]:
    return [name for name in LIVE_VARS if not os.environ.get(name)]


@pytest.mark.live
@pytest.mark.skipif(
    bool(_missing()),
    reason="live acceptance run needs " + ", ".join(_missing()) + " (see README, "
    '"Run against your account")',
)
def test_live_acceptance(tmp_path: Path) -> None:
    env = os.environ
    bucket, region = env["RECONCILER_LIVE_BUCKET"], env["RECONCILER_LIVE_REGION"]
    with CIClient(bucket, region, Credentials.from_env(env)) as client:
        site = Site(bucket, region, client, {**env, "NO_COLOR": "1"})
        Acceptance(site, tmp_path).run()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedEmulator]:
    emulator = ServedEmulator(tmp_path / "emulator-data", **{"job-seconds": 1})
    yield emulator
    emulator.stop()


@pytest.mark.served
def test_acceptance_against_the_served_emulator(tmp_path: Path, served: ServedEmulator) -> None:
    bucket, region = "live-1250000000", "ap-chongqing"
    creds = Credentials(SECRET_ID, SECRET_KEY)
    with CIClient(bucket, region, creds, endpoint=served.url) as client:
        site = Site(bucket, region, client, cli_env(), endpoint=served.url)
        run = Acceptance(site, tmp_path / "run")
        run.run()
        assert run.remote_templates() == []
    assert ENV["TENCENTCLOUD_SECRET_ID"] == SECRET_ID


def test_the_clip_is_a_small_mp4() -> None:
    data = CLIP.read_bytes()
    assert 1000 < len(data) < 16_000 and data[4:8] == b"ftyp"
