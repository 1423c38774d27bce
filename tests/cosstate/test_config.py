"""The state configured in the manifests (``spec.state`` of a Target), and who wins.

Order: ``--state``/``RECONCILER_STATE`` (or an explicit ``Settings.state_path``), else the
manifests' ``state:``, else ``.reconciler/state.json``; a saved plan records the state it was
made against so ``apply PLANFILE`` uses the same one. Everything runs against the emulator over
HTTP (in-process WSGI or ``endpoint: embedded``); nothing of ours is mocked.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from reconciler.engine.planfile import read_plan, write_plan
from reconciler.engine.workflow import (
    DEFAULT_STATE,
    Settings,
    apply_manifests,
    apply_plan,
    make_plan,
)
from reconciler.errors import LockError
from reconciler.manifest import load
from reconciler.model import CosState, LocalState
from reconciler.plan.planner import PlanOptions
from reconciler.state.local.store import LocalStateStore
from reconciler.state.registry import parse_location
from tests.helpers.cosstate import REGION, STATE_BUCKET
from tests.helpers.emulators import World
from tests.helpers.manifests import EXAMPLES
from tests.helpers.planlines import header

STATE_KEY = "reconciler/media.json"
COS_STATE = CosState(STATE_BUCKET, REGION, STATE_KEY)
OPTIONS = PlanOptions()


def declare_state(manifests: Path, state: str) -> None:
    """Add ``state: <flow mapping>`` to the Target's spec (the last lines of target.yaml)."""
    target = manifests / "target.yaml"
    target.write_text(target.read_text() + f"  state: {state}\n")


def cos_state_line(endpoint: str | None = None) -> str:
    extra = f", endpoint: {endpoint}" if endpoint else ""
    return f"{{backend: cos, bucket: {STATE_BUCKET}, region: {REGION}, key: {STATE_KEY}{extra}}}"


def state_objects(world: World) -> list[str]:
    return [o.key for o in world.client(STATE_BUCKET).list_objects(prefix=STATE_KEY).objects]


@pytest.fixture
def unset(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The world's settings with no state given (as the CLI without --state), run in tmp_path
    so that a wrongly chosen default file would appear there."""
    monkeypatch.chdir(tmp_path)
    declare_state(world.manifests, cos_state_line())
    return replace(world.settings, state_path=None)


def test_the_state_section_loads(tmp_path: Path) -> None:
    target = tmp_path / "target.yaml"
    target.write_text((EXAMPLES / "target.yaml").read_text())
    assert load([target]).state is None
    declare_state(tmp_path, cos_state_line("http://127.0.0.1:9000"))
    assert load([target]).state == replace(COS_STATE, endpoint="http://127.0.0.1:9000")
    target.write_text((EXAMPLES / "target.yaml").read_text() + "  state: {backend: local}\n")
    assert load([target]).state == LocalState(".reconciler/state.json")


def test_targets_that_agree_share_one_state(tmp_path: Path) -> None:
    """Targets declaring the same state (or none at all) make one state for the run."""
    head = "apiVersion: reconciler/v1\nkind: Target\n"
    docs = [
        f"{head}metadata: {{name: t{i}}}\nspec: {{region: {REGION}, bucket: b{i}-1250000000"
        + (f", state: {cos_state_line()}}}\n" if i < 2 else "}\n")
        for i in range(3)
    ]
    path = tmp_path / "targets.yaml"
    path.write_text("---\n".join(docs))
    desired = load([path])
    assert len(desired.targets) == 3 and desired.state == COS_STATE


def test_plan_apply_plan_with_the_state_only_in_the_manifests(
    world: World, unset: Settings, tmp_path: Path
) -> None:
    _, first = make_plan([world.manifests], unset, OPTIONS)
    assert first.changes == 6 and first.state_backend == COS_STATE
    plan, result = apply_manifests([world.manifests], unset, OPTIONS, approve=lambda p: True)
    assert result is not None and not result.failures
    assert plan.state_backend == COS_STATE
    _, again = make_plan([world.manifests], unset, OPTIONS)
    assert again.changes == 0
    keys = state_objects(world)
    assert any(k.startswith(f"{STATE_KEY}.states/") for k in keys), keys
    assert not (tmp_path / DEFAULT_STATE).exists() and not world.settings.local_state.exists()
    assert not list(tmp_path.glob("**/state.json*"))


def test_the_command_line_state_wins_over_the_manifests(
    world: World, unset: Settings, tmp_path: Path
) -> None:
    given = replace(unset, state_path=tmp_path / "given.json")
    plan, result = apply_manifests([world.manifests], given, OPTIONS, approve=lambda p: True)
    assert result is not None and len(LocalStateStore(given.local_state).read().jobs) == 4
    assert plan.state_backend == LocalState(str(tmp_path / "given.json"))
    assert state_objects(world) == []


def test_apply_planfile_uses_the_plans_state_unless_given(
    world: World, unset: Settings, tmp_path: Path
) -> None:
    _, plan = make_plan([world.manifests], unset, OPTIONS)
    write_plan(plan, tmp_path / "plan.json")
    assert header((tmp_path / "plan.json").read_text())["state_backend"]["key"] == STATE_KEY
    saved = read_plan(tmp_path / "plan.json")
    assert saved.state_backend == COS_STATE
    bare = replace(world.settings, state_path=None, env=unset.env)
    assert not apply_plan(saved, bare).failures
    assert any(".states/" in k for k in state_objects(world))
    assert not (tmp_path / DEFAULT_STATE).exists()
    # Same plan with a state given: that one is used (here a fresh file, so not stale).
    given = replace(bare, state_path=tmp_path / "given.json")
    with pytest.raises(Exception, match="stale"):
        moved = (replace(saved.pins[0], digest="x"), *saved.pins[1:])
        apply_plan(replace(saved, pins=moved), given)
    assert not apply_plan(saved, given).failures
    assert len(LocalStateStore(tmp_path / "given.json").read().jobs) == 4


def test_settings_choose_in_order() -> None:
    local = LocalState("x/state.json")
    none = Settings()
    assert none.with_state(None).local_state == DEFAULT_STATE
    assert none.with_state(local).local_state == Path("x/state.json")
    assert none.with_state(COS_STATE).state_backend == COS_STATE
    assert none.chosen_state(None) == LocalState(str(DEFAULT_STATE))
    assert none.chosen_state(COS_STATE) == COS_STATE
    given = Settings(state_path=Path("given.json"))
    assert given.with_state(COS_STATE) is given
    assert given.chosen_state(COS_STATE) == LocalState("given.json")
    # --endpoint reaches a declared COS state like it reaches the targets; it is not recorded.
    served = Settings(endpoint="http://127.0.0.1:9000")
    embedded = replace(COS_STATE, endpoint="embedded")
    assert served.with_state(embedded).state_backend == replace(COS_STATE, endpoint=served.endpoint)
    assert served.chosen_state(embedded) == embedded


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", **(env or {})})


def test_embedded_cos_state_at_the_cli_without_an_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``endpoint: embedded`` on both the target and the state: no credentials, no local state
    file, and the state objects are in the embedded emulator's bucket."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID", raising=False)
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY", raising=False)
    monkeypatch.delenv("RECONCILER_STATE", raising=False)
    manifests = tmp_path / "m"
    manifests.mkdir()
    for name in ("target.yaml", "templates.yaml", "batches.yaml"):
        (manifests / name).write_text((EXAMPLES / name).read_text())
    declare_state(manifests, cos_state_line("embedded"))
    planned = run_cli("plan", str(manifests), "--out", "plan.json")
    assert planned.exit_code == 0, planned.output
    applied = run_cli("apply", "plan.json")
    assert applied.exit_code == 0 and "Apply complete" in applied.output, applied.output
    again = run_cli("plan", str(manifests), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    assert not (tmp_path / DEFAULT_STATE).exists()
    emulated = (tmp_path / ".reconciler" / "emulator" / "emulator.sqlite3").read_bytes()
    assert f"{STATE_KEY}.states/".encode() in emulated
    # RECONCILER_STATE (like --state) wins: a fresh local file, so everything is to do again.
    other = run_cli("plan", str(manifests), "--detailed-exitcode", env={"RECONCILER_STATE": "o"})
    assert other.exit_code == 2, other.output


def test_a_lock_message_names_the_state_as_state_takes_it(world: World, unset: Settings) -> None:
    """A run stopped by the lease is told the exact ``--state`` that reaches the holder."""
    declared = load([world.manifests]).state
    assert declared is not None
    with unset.with_state(declared).state() as store, store.open(command="apply"):
        with pytest.raises(LockError) as stopped:
            apply_manifests([world.manifests], unset, OPTIONS, approve=lambda p: True)
    hint = str(stopped.value).split("run: reconciler --state '", 1)[1].split("'", 1)[0]
    assert parse_location(hint) == declared


def test_the_documented_example_loads(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "state-backends.md").read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "target.yaml").write_text(example)
    state = load([tmp_path / "target.yaml"]).state
    assert state == CosState(STATE_BUCKET, REGION, "teams/media/state.json")
