"""The compact prefix listing and the inputs the planner takes from it."""

from __future__ import annotations

from reconciler.model import BatchSpec, InputSelector, ObjectInfo, OutputSpec
from reconciler.plan.expand import batch_inputs
from reconciler.plan.observed import Listing


def batch(inputs: InputSelector) -> BatchSpec:
    return BatchSpec("b", "t", inputs, OutputSpec("ap-chongqing", "out-1250000000", "f/{path}"))


def test_listing_keeps_keys_and_etags_in_order() -> None:
    objects = [ObjectInfo("v/b.mp4", "e2", 10, "x"), ObjectInfo("v/a.mp4", "e1", 20, "y")]
    listing = Listing.of(objects)
    assert listing.keys == ("v/b.mp4", "v/a.mp4") and listing.etags == ("e2", "e1")
    assert list(listing.pairs()) == [("v/b.mp4", "e2"), ("v/a.mp4", "e1")] and len(listing) == 2


def test_inputs_from_objects_key_file_and_listing() -> None:
    listing = Listing(("v/a.mp4", "v/b.mov", "v/c.mp4", "v/dir/"), ("ea", "eb", "ec", "ed"))
    selector = InputSelector(objects=("v/b.mov", "x.mp4"), prefix="v/", include=("*.mp4",))
    assert batch_inputs(batch(selector), listing) == [
        ("v/a.mp4", "ea"),
        ("v/b.mov", "eb"),  # explicit: never filtered, its ETag taken from the listing
        ("v/c.mp4", "ec"),
        ("x.mp4", None),  # explicit and not listed: ETag unknown
    ]
    keyed = InputSelector(file_keys=("k/a.mp4", "k/drafts/b.mp4"), exclude=("k/drafts/*",))
    assert batch_inputs(batch(keyed), Listing()) == [("k/a.mp4", None)]
