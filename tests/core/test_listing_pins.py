"""A saved plan pins each prefix listing by object count and sha256, not object by object:
``apply PLANFILE`` lists the prefix again and refuses the plan when an object under it was
added, changed (a new ETag) or removed, and applies it when nothing there moved."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.emulator.server import RunningServer
from reconciler.plan.observed import listing_line
from tests.core.clikit import client, job_count, run, write_batches
from tests.helpers.planlines import header

pytestmark = pytest.mark.emulator(job_seconds=0.5, seed=11)

KEYS = [f"in/alpha-{i:04d}.mp4" for i in range(4)]


def put(server: RunningServer, key: str, data: bytes = b"video") -> None:
    with client(server) as c:
        c.put_object(key, data)


def remove(server: RunningServer, key: str) -> None:
    with client(server) as c:
        c.delete_object(key)


@pytest.fixture
def planned(tmp_path: Path, server: RunningServer) -> tuple[Path, Path]:
    """A batch over the prefix in/ (four objects), planned and saved; (state, plan file)."""
    for key in KEYS:
        put(server, key)
    manifests = write_batches(tmp_path / "m", {"alpha": 2})
    text = (manifests / "load.yaml").read_text()
    listed = text.replace(
        "    objects:\n      - in/alpha-0000.mp4\n      - in/alpha-0001.mp4\n", "    prefix: in/\n"
    )
    assert listed != text
    (manifests / "load.yaml").write_text(listed)
    state, planfile = tmp_path / "state.json", tmp_path / "plan.json"
    made = run(server, state, "plan", str(manifests), "--out", str(planfile))
    assert made.exit_code == 0, made.output
    return state, planfile


def test_the_pin_is_a_count_and_the_digest_of_the_listing(
    server: RunningServer, planned: tuple[Path, Path]
) -> None:
    _, planfile = planned
    doc = header(planfile.read_text())
    with client(server) as c:
        etags = {o.key: o.etag for o in c.list_objects(prefix="in/").objects}
    lines = "".join(listing_line(key, etags[key]) for key in sorted(KEYS)).encode()
    assert doc["listings"] == [
        {"batch": "alpha", "target": "load", "prefix": "in/", "count": 4,
         "sha256": hashlib.sha256(lines).hexdigest()}
    ]  # fmt: skip
    assert "objects" not in planfile.read_text()  # no per-object copy in the plan


CHANGES: dict[str, Callable[[RunningServer], None]] = {
    "added": lambda s: put(s, "in/alpha-0009.mp4"),
    "changed": lambda s: put(s, KEYS[2], b"another video"),  # same key, new ETag
    "removed": lambda s: remove(s, KEYS[3]),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_moved_object_under_the_prefix_makes_the_plan_stale(
    server: RunningServer, planned: tuple[Path, Path], change: str
) -> None:
    state, planfile = planned
    CHANGES[change](server)
    refused = run(server, state, "apply", str(planfile))
    assert refused.exit_code == 1, refused.output
    lines = refused.output.strip().splitlines()
    assert lines == ["Error: saved plan is stale: the objects under 'in/' changed; plan again"]
    assert job_count(server) == 0


def test_a_plan_whose_listing_did_not_move_applies(
    server: RunningServer, planned: tuple[Path, Path]
) -> None:
    state, planfile = planned
    put(server, "elsewhere/new.mp4")  # outside the prefix: not part of the pin
    put(server, KEYS[0])  # written again with the same content: the same ETag
    applied = run(server, state, "apply", str(planfile))
    assert applied.exit_code == 0, applied.output
    assert job_count(server) == len(KEYS)
