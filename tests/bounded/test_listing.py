"""The compact prefix listing and the inputs the planner takes from it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reconciler.engine.spool import read_pairs, sort_file
from reconciler.model import BatchSpec, InputSelector, ObjectInfo, OutputSpec
from reconciler.plan.expand import batch_inputs
from reconciler.plan.observed import Listing, escape, listing_line, listing_pair, unescape


def batch(inputs: InputSelector) -> BatchSpec:
    return BatchSpec("b", "t", inputs, OutputSpec("ap-chongqing", "out-1250000000", "f/{path}"))


def test_listing_is_sorted_unique_with_count_and_digest() -> None:
    objects = [ObjectInfo("v/b.mp4", "e2", 10, "x"), ObjectInfo("v/a.mp4", "e1", 20, "y")]
    listing = Listing.of([*objects, ObjectInfo("v/a.mp4", "e9", 1, "z")])
    assert list(listing.pairs()) == [("v/a.mp4", "e1"), ("v/b.mp4", "e2")] and len(listing) == 2
    assert list(listing.pairs()) == list(listing.pairs())  # every call is a fresh pass
    assert listing.digest == hashlib.sha256(b"v/a.mp4\te1\nv/b.mp4\te2\n").hexdigest()
    assert Listing.of(reversed(objects)).digest == listing.digest
    assert Listing.of(objects[:1]).digest != listing.digest


def test_keys_with_tabs_and_newlines_round_trip_through_a_line() -> None:
    for key in ("a\tb", "line\nbreak", "back\\slash\\t", "cr\r", "plain/ü.mp4"):
        line = listing_line(key, '"etag\t"')
        assert line.count("\t") == 1 and line.endswith("\n") and line.count("\n") == 1
        assert listing_pair(line) == (key, '"etag\t"')
        assert unescape(escape(key)) == key


def test_inputs_from_objects_key_file_and_listing() -> None:
    listing = Listing.of_pairs(
        [("v/c.mp4", "ec"), ("v/a.mp4", "ea"), ("v/b.mov", "eb"), ("v/dir/", "ed")]
    )
    selector = InputSelector(objects=("v/b.mov", "x.mp4"), prefix="v/", include=("*.mp4",))
    assert list(batch_inputs(batch(selector), listing)) == [
        ("v/a.mp4", "ea"),
        ("v/b.mov", "eb"),  # explicit: never filtered, its ETag taken from the listing
        ("v/c.mp4", "ec"),
        ("x.mp4", None),  # explicit and not listed: ETag unknown
    ]
    keyed = InputSelector(file_keys=("k/a.mp4", "k/drafts/b.mp4"), exclude=("k/drafts/*",))
    assert list(batch_inputs(batch(keyed), Listing())) == [("k/a.mp4", None)]


def test_given_keys_merge_with_the_streamed_listing_in_key_order() -> None:
    listed = [(f"v/{i:03d}.mp4", f"e{i}") for i in range(0, 20, 2)]
    given = ("a.mp4", "v/003.mp4", "v/004.mp4", "v/019.mp4", "z.mp4")
    selector = InputSelector(objects=given, prefix="v/")
    got = list(batch_inputs(batch(selector), Listing.of_pairs(listed)))
    want = sorted({**dict.fromkeys(given), **dict(listed)}.items())
    assert got == want and [k for k, _ in got] == sorted(k for k, _ in got)
    assert ("v/004.mp4", "e4") in got and ("v/003.mp4", None) in got


def test_a_spool_sorted_on_disk_matches_the_listing_held_in_memory(tmp_path: Path) -> None:
    pairs = [(f"k/{i % 7}\t{i}\n\\x", f'"e{i}"') for i in range(23)]
    pairs += [pairs[3], ("k/ü", "eu"), ("k/", "ed")]  # a key listed twice; non-ASCII; a marker
    spooled = tmp_path / "listing.txt"
    spooled.write_text("".join(listing_line(k, e) for k, e in reversed(pairs)), encoding="utf-8")
    count, digest = sort_file(spooled, tmp_path, run=4)  # 7 runs merged
    held = Listing.of_pairs(pairs)
    assert list(read_pairs(spooled)) == list(held.pairs())
    assert (count, digest) == (len(held), held.digest) == (25, held.digest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["listing.txt"]  # runs removed
