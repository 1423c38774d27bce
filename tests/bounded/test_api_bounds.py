"""The Python API's bounded apply: the same budget as the CLI, in process."""

from __future__ import annotations

from collections import Counter

from reconciler import Reconciler
from tests.helpers.emulators import World


def test_apply_with_a_limit_continues_until_done(world: World) -> None:
    s = world.settings
    rc = Reconciler(state_path=s.state_path, env=s.env, transport=s.transport)
    first = rc.apply(world.manifests, limit=1)
    assert first.ok and first.more_to_do
    assert first.result is not None
    assert first.result.done.get("submit_job") == 1 and first.result.left == 3
    assert first.result.done["create_template"] == 2  # templates are never bounded
    assert len(world.jobs_on_service()) == 1
    second = rc.apply(world.manifests, limit=2)
    assert second.more_to_do and len(world.jobs_on_service()) == 3
    last = rc.apply(world.manifests, limit=2)
    assert last.ok and not last.more_to_do
    per_key = Counter(j.input_object for j in world.jobs_on_service())
    assert len(per_key) == 4 and set(per_key.values()) == {1}
    assert rc.plan(world.manifests).changes == 0
