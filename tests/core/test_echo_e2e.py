"""Drift that is not drift, end to end (issue 14): the real emulator behind a rewriting proxy.

After an apply of the examples, every template reply is rewritten the way a real service may
echo it: defaults spelled out, empty leaves for what is not set, numbers formatted its own
way, unknown elements at every level. The next plan must still be empty; a real change made
on the service must still show as drift.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from reconciler.engine.workflow import make_plan
from reconciler.plan.planner import PlanOptions
from reconciler.remote.inprocess import wsgi_transport
from tests.helpers.emulators import World, apply_all
from tests.helpers.middleware import proxy

SNAPSHOT_DEFAULTS = {
    "Mode": "Interval",
    "Start": "0.000",
    "IsCheckCount": "false",
    "IsCheckBlack": "False",
    "SnapshotOutMode": "OnlySnapshot",
}
SPRITE_DEFAULTS = {"Padding": "0", "Margin": "0.0", "ScaleMethod": "DirectScale"}
EMPTY_LEAVES = ("Height", "CIParam", "BlackLevel", "PixelBlackThreshold", "TimeInterval")
NUMBERS = ("Width", "Height", "Count", "CellWidth", "CellHeight", "Columns", "Lines")


def _fill(node: etree._Element, values: dict[str, str]) -> None:
    for name, text in values.items():
        if node.find(name) is None:
            etree.SubElement(node, name).text = text


def restate(body: bytes, width: str | None = None) -> bytes:
    """A template reply echoed with defaults, empty leaves, reformatted numbers, extras."""
    root = etree.fromstring(body)
    etree.SubElement(root, "FutureField").text = "x"
    for snapshot in root.iter("Snapshot"):
        _fill(snapshot, SNAPSHOT_DEFAULTS)
        _fill(snapshot, dict.fromkeys(EMPTY_LEAVES, ""))
        etree.SubElement(snapshot, "FrameType").text = "Whatever"
        sprite = snapshot.find("SpriteSnapshotConfig")
        if sprite is None:  # an all-empty sprite config where none is set
            sprite = etree.SubElement(snapshot, "SpriteSnapshotConfig")
            for name in ("Color", "Columns", "Lines", "CellWidth"):
                etree.SubElement(sprite, name)
        else:
            _fill(sprite, SPRITE_DEFAULTS)
        for leaf in snapshot.iter(*NUMBERS):
            if leaf.text:
                leaf.text = f" {int(leaf.text)}.0 "
        if width is not None and snapshot.findtext("Width", "").strip() == "640.0":
            snapshot.find("Width").text = width  # type: ignore[union-attr]
    return bytes(etree.tostring(root))


def test_an_echo_restating_defaults_plans_as_unchanged(world: World) -> None:
    apply_all(world)
    seen: list[bytes] = []

    def echo(body: bytes) -> bytes:
        seen.append(restate(body))
        return seen[-1]

    echoing = replace(world.settings, transport=wsgi_transport(proxy(world.app, echo)))
    _, plan = make_plan([world.manifests], echoing, PlanOptions())
    assert seen and b"<Width> 640.0 </Width>" in seen[0] and b"<CIParam></CIParam>" in seen[0]
    assert plan.changes == 0, [(a.kind, getattr(a, "reason", "")) for a in plan.templates]
    assert {a.reason for a in plan.templates} == {"up to date"}
    assert plan.warnings == ()


def test_a_real_change_behind_the_same_echo_is_still_drift(world: World) -> None:
    apply_all(world)
    changed = replace(
        world.settings,
        transport=wsgi_transport(proxy(world.app, lambda b: restate(b, width="320.000"))),
    )
    _, plan = make_plan([world.manifests], changed, PlanOptions())
    updates = [a for a in plan.templates if a.kind == "update_template"]
    assert [(a.name, [(c.path, c.old, c.new) for c in a.changes]) for a in updates] == [
        ("frames-640", [("width", 320, 640)])
    ]


def test_one_unreadable_template_spoils_only_itself(world: World) -> None:
    apply_all(world)

    def no_count(body: bytes) -> bytes:  # frames-640 comes back as the docs' sample does
        return body.replace(b"<Count>12</Count>", b"<Count></Count>")

    odd = replace(world.settings, transport=wsgi_transport(proxy(world.app, no_count)))
    _, plan = make_plan([world.manifests], odd, PlanOptions())
    reasons = {a.name: a.reason for a in plan.templates}  # type: ignore[attr-defined]
    assert reasons == {
        "frames-640": "left as it is: its settings on the service could not be read",
        "storyboard-320": "up to date",
    }
    assert plan.changes == 0
    (warning,) = plan.warnings
    assert "(frames-640): <Snapshot> has no usable <Count>" in warning
