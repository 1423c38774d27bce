"""Output collisions found from 8-byte slot hashes, named exactly in a second pass."""

from __future__ import annotations

import pytest

from reconciler.errors import PlanError
from reconciler.model import BatchSpec, DesiredState, InputSelector, OutputSpec
from reconciler.plan.collisions import SlotHashes, clashes
from reconciler.plan.expand import expand, iter_expand
from reconciler.plan.observed import Listing

OUT = ("ap-chongqing", "out-1250000000")


def batch(name: str, pattern: str) -> BatchSpec:
    return BatchSpec(name, "t", InputSelector(prefix="v/"), OutputSpec(*OUT, pattern))


def plan_inputs(*batches: BatchSpec) -> DesiredState:
    return DesiredState(batches={b.name: b for b in batches})


LISTING = Listing.of_pairs([("v/a.mp4", "e1"), ("v/a.mov", "e2"), ("v/b.mp4", "e3")])


def test_no_collision_when_every_output_differs() -> None:
    desired = plan_inputs(batch("one", "f/{path}"), batch("two", "g/{path}"))
    listings = {"one": LISTING, "two": LISTING}
    jobs = expand(desired, listings, {"one": "inline", "two": "inline"})
    assert [j.key for j in jobs][:2] == [("one", "v/a.mov"), ("one", "v/a.mp4")]
    assert len(jobs) == 6


def test_inputs_sharing_a_stem_collide_and_are_named() -> None:
    desired = plan_inputs(batch("one", "f/{stem}.jpg"))
    with pytest.raises(PlanError, match=r"'f/a.jpg' written by one/v/a.mov and one/v/a.mp4"):
        expand(desired, {"one": LISTING}, {"one": "inline"})


def test_batches_writing_the_same_keys_collide_with_a_count_past_three() -> None:
    desired = plan_inputs(batch("one", "f/{name}"), batch("two", "f/{name}"))
    four = Listing.of_pairs([*LISTING.pairs(), ("v/c.mp4", "e4")])
    jobs = iter_expand(desired, {"one": four, "two": four}, {"one": "i", "two": "i"})
    with pytest.raises(PlanError) as caught:
        for _ in jobs:  # the check runs once the last job is out
            pass
    message = str(caught.value)
    assert message.count("written by one/") == 3 and message.endswith("(and 1 more)")
    assert "'f/a.mp4' written by one/v/a.mp4 and two/v/a.mp4" in message


def test_a_hash_seen_twice_without_a_real_clash_refuses_nothing() -> None:
    """A suspect hash (here: forced) only refuses when two owners really share the slot."""
    slot = (OUT[1], "f/a.jpg")
    jobs = [(("one", "v/a.mp4"), {slot}), (("one", "v/b.mp4"), {(OUT[1], "f/b.jpg")})]
    assert clashes({hash(slot)}, jobs) == []
    again = [*jobs, (("two", "v/a.mp4"), {slot})]
    assert clashes({hash(slot)}, again) == ["'f/a.jpg' written by one/v/a.mp4 and two/v/a.mp4"]


def test_slot_hashes_find_repeats_only() -> None:
    hashes = SlotHashes()
    for key in ("a", "b", "c", "a"):
        hashes.add(("bucket", key))
    assert hashes.repeated() == {hash(("bucket", "a"))}
