"""``reconciler doctor`` against the emulator, in good and broken set-ups.

Broken set-ups are real: a wrong key is refused by the emulator's signature check, a held lock
is held by this test process. What the emulator does not do (answer NoSuchBucket, send a
skewed Date, refuse CI for a bucket) is done by a WSGI middleware in front of it.
"""

from __future__ import annotations

import shutil
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli.commands import cli
from reconciler.engine.doctor import Check, Report, run_doctor
from reconciler.engine.workflow import Settings
from reconciler.model import CosState
from reconciler.remote.inprocess import wsgi_transport
from reconciler.state.local.store import LocalStateStore as StateStore
from reconciler.state.packfile import PACK_MIN_JOBS
from tests.helpers.emulators import World
from tests.helpers.identity import ENV
from tests.helpers.manifests import EXAMPLES
from tests.helpers.middleware import Middleware, Reply, error
from tests.helpers.state_records import packable


def _doctor(world: World, app: Any, env: dict[str, str] | None = None, **kw: Any) -> Report:
    settings = Settings(
        state_path=world.settings.state_path, env=ENV if env is None else env,
        endpoint="http://ci.invalid", transport=wsgi_transport(app),
    )  # fmt: skip
    return run_doctor([world.manifests], settings, **kw)


def _checks(report: Report) -> dict[str, Check]:
    return {c.name: c for c in report.checks}


def test_a_good_set_up_passes_every_check(world: World) -> None:
    report = _doctor(world, world.app)
    assert report.failed == []
    checks = _checks(report)
    assert {c.status for c in report.checks} == {"ok"}, report.checks
    assert set(checks) == {
        "credentials", "endpoint", "clock", "credentials accepted", "bucket", "ci", "templates",
        "state", "state lock",
    }  # fmt: skip
    assert "http://ci.invalid" in checks["endpoint"].detail
    assert "1 queue(s)" in checks["ci"].detail


def test_missing_credentials(world: World) -> None:
    report = _doctor(world, world.app, env={})
    check = _checks(report)["credentials"]
    assert check.status == "fail" and "TENCENTCLOUD_SECRET_ID" in check.fix
    assert "bucket" not in _checks(report), "nothing is sent without credentials"


def test_wrong_key_is_refused_and_named(world: World) -> None:
    wrong = {**ENV, "TENCENTCLOUD_SECRET_KEY": "notTheRightKey000000000000000000"}
    report = _doctor(world, world.app, env=wrong)
    check = _checks(report)["credentials accepted"]
    assert check.status == "fail" and "SignatureDoesNotMatch" in check.detail
    assert "TENCENTCLOUD_SECRET_KEY" in check.fix
    assert _checks(report)["ci"].status == "skip"
    assert wrong["TENCENTCLOUD_SECRET_KEY"] not in repr(report), "secrets are never shown"


def _date_shifted(seconds: float) -> Any:
    def rewrite(_environ: dict[str, Any], reply: Reply) -> Reply:
        status, headers, body = reply
        kept = [(k, v) for k, v in headers if k.lower() != "date"]
        return status, [*kept, ("Date", formatdate(time.time() + seconds, usegmt=True))], body

    return rewrite


@pytest.mark.parametrize(
    ("service_offset", "status"),
    [(-1200, "fail"), (-120, "fail"), (45, "warn"), (-10, "ok"), (1200, "fail"), (600, "warn")],
)
def test_clock_skew_against_the_service_date(
    world: World, service_offset: float, status: str
) -> None:
    """service_offset < 0: the service is behind, i.e. this machine's clock runs ahead."""
    mw = Middleware(world.app)
    mw.add("", _date_shifted(service_offset))
    check = _checks(_doctor(world, mw))["clock"]
    assert check.status == status, check
    if status != "ok":
        assert "NTP" in check.fix or "synchronise" in check.fix


def test_a_skewed_local_clock_is_caught_too(world: World) -> None:
    check = _checks(_doctor(world, world.app, now=lambda: time.time() + 300))["clock"]
    seconds = int(check.detail.split("clock is ")[1].split(" s ahead")[0])
    assert check.status == "fail" and 299 <= seconds <= 301, check.detail  # Date has 1 s steps


def test_missing_bucket(world: World) -> None:
    mw = Middleware(world.app)

    def no_bucket(environ: dict[str, Any]) -> Reply | None:
        if environ.get("HTTP_HOST", "").startswith("media-1250000000."):
            body = (
                b"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist."
                b"</Message><RequestId>mw-2</RequestId></Error>"
            )
            return "404 Not Found", [("Content-Type", "application/xml")], body
        return None

    mw.before.append(no_bucket)
    report = _doctor(world, mw)
    check = _checks(report)["bucket"]
    assert check.status == "fail" and "NoSuchBucket" in check.detail
    assert "spec.bucket" in check.fix
    assert _checks(report)["credentials accepted"].status == "ok"


def test_ci_not_enabled(world: World) -> None:
    mw = Middleware(world.app)
    mw.add("GET /queue", error("400 Bad Request", "MediaBucketUnBinded", "bucket not bound"))
    check = _checks(_doctor(world, mw))["ci"]
    assert check.status == "fail" and "MediaBucketUnBinded" in check.detail
    assert "enable" in check.fix


def test_lock_held_by_a_running_apply(world: World) -> None:
    store = StateStore(world.settings.state_path)
    with store.open(command="apply") as writer:
        check = _checks(_doctor(world, world.app))["state lock"]
        assert check.status == "fail" and writer.lock_id in check.detail
        assert "force-unlock" in check.fix
    assert _checks(_doctor(world, world.app))["state lock"].status == "ok"


def test_unreadable_state(world: World) -> None:
    world.settings.state_path.write_text("{not json")
    check = _checks(_doctor(world, world.app))["state"]
    assert check.status == "fail" and str(world.settings.state_path) in check.detail


def test_a_damaged_segment_behind_a_pack(world: World) -> None:
    """A read takes the pack and would not notice; doctor checks the segment a writer reads."""
    store = StateStore(world.settings.state_path)
    with store.open() as w:
        w.put_jobs([packable(i) for i in range(PACK_MIN_JOBS)])
    assert "1 segment(s) intact" in _checks(_doctor(world, world.app))["state"].detail
    [segment] = store.segments_dir.glob("*.jsonl.gz")
    segment.write_bytes(segment.read_bytes()[:-10])
    assert len(store.read().jobs) == PACK_MIN_JOBS
    check = _checks(_doctor(world, world.app))["state"]
    assert check.status == "fail" and segment.name in check.detail


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("target.yaml", "templates.yaml", "batches.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    for var in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_cli_checklist_and_exit_codes(examples: Path) -> None:
    ok = CliRunner().invoke(cli, ["--no-color", "doctor", str(examples)])
    assert ok.exit_code == 0, ok.output
    assert "[ok] credentials: embedded emulator only" in ok.output
    assert "all checks passed" in ok.output and "\x1b[" not in ok.output
    with StateStore(examples / ".reconciler" / "state.json").open(command="apply"):
        held = CliRunner().invoke(cli, ["--no-color", "doctor", str(examples)])
    assert held.exit_code == 1
    assert "[FAIL] state lock: held by" in held.output
    assert "  fix: wait for that run to finish" in held.output
    assert "1 check(s) failed" in held.output


def test_cli_marks_in_colour(examples: Path) -> None:
    result = CliRunner().invoke(cli, ["doctor", str(examples)], color=True)
    assert result.exit_code == 0 and "✓" in result.output and "\x1b[32m" in result.output


def test_state_on_cos_reachable_and_its_lease(world: World) -> None:
    spec = CosState("tfstate-1250000000", "ap-chongqing", "teams/media/state.json")
    settings = Settings(
        env=ENV, endpoint="http://ci.invalid", transport=wsgi_transport(world.app),
        state_backend=spec,
    )  # fmt: skip
    checks = _checks(run_doctor([world.manifests], settings))
    assert checks["state"].status == "ok" and "cos://tfstate-1250000000/" in checks["state"].detail
    assert checks["state lock"].status == "ok"
    with settings.state() as store, store.open(command="apply") as writer:
        held = _checks(run_doctor([world.manifests], settings))["state lock"]
        assert held.status == "fail" and writer.lock_id in held.detail
    assert _checks(run_doctor([world.manifests], settings))["state lock"].status == "ok"
