"""Per-input naming: placeholders, ${number}, input selection and rendered outputs."""

from __future__ import annotations

import pytest

from reconciler.model import InputSelector, OutputSpec
from reconciler.plan import naming


def test_render_fills_every_placeholder() -> None:
    pattern = "x/{path}|{dir}|{name}|{stem}|{ext}-${number}.jpg"
    rendered = naming.render_output(pattern, "videos/2026/a.mp4")
    assert rendered == "x/videos/2026/a.mp4|videos/2026|a.mp4|a|mp4-${number}.jpg"


def test_render_example_from_the_design() -> None:
    pattern = "frames/{stem}/snapshot-${number}.jpg"
    assert naming.render_output(pattern, "videos/2026/a.mp4") == "frames/a/snapshot-${number}.jpg"


@pytest.mark.parametrize(
    ("key", "stem", "ext"),
    [
        ("a.tar.gz", "a.tar", "gz"),
        ("noext", "noext", ""),
        (".hidden", ".hidden", ""),
        ("d/a.", "a", ""),
    ],
)
def test_stem_and_ext_edge_cases(key: str, stem: str, ext: str) -> None:
    assert naming.render_output("{stem}|{ext}", key) == f"{stem}|{ext}"


def test_empty_dir_swallows_its_slash() -> None:
    assert naming.render_output("frames/{dir}/{stem}.jpg", "a.mp4") == "frames/a.jpg"
    assert naming.render_output("frames/{dir}/{stem}.jpg", "v/a.mp4") == "frames/v/a.jpg"


def test_service_placeholders_are_left_alone() -> None:
    assert naming.render_output("${Number}/{name}${x}", "k.mp4") == "${Number}/k.mp4${x}"
    assert naming.placeholders("${number}{stem}") == ["stem"]


def test_unknown_placeholders() -> None:
    assert naming.unknown_placeholders("{stem}/{stm}/{}/${number}") == ["stm", ""]
    assert naming.render_output("{stm}", "a.mp4") == "{stm}"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("a-${number}.jpg", True), ("a-${Number}.jpg", True), ("a-${NUMBER}", True),
     ("a-{number}.jpg", False), ("a-$number.jpg", False), ("a.jpg", False)],
)  # fmt: skip
def test_has_number_placeholder(pattern: str, expected: bool) -> None:
    assert naming.has_number_placeholder(pattern) is expected


def test_select_inputs_filters_relative_to_the_prefix() -> None:
    keys = [
        "videos/2026/a.mp4",
        "videos/2026/drafts/x.mp4",
        "videos/2026/b.MOV",
        "videos/2026/notes.txt",
        "videos/2026/sub/",
        "videos/2025/old.mp4",
        "videos/2026/sub/c.mov",
    ]
    selector = InputSelector(
        objects=("extra/z.mp4", "extra/z.mp4"),
        prefix="videos/2026/",
        include=("*.mp4", "*.mov"),
        exclude=("drafts/*",),
    )
    assert naming.select_inputs(keys, selector) == [
        "extra/z.mp4",
        "videos/2026/a.mp4",
        "videos/2026/sub/c.mov",
    ]


def test_select_inputs_without_prefix_ignores_listing() -> None:
    selector = InputSelector(objects=("b.mp4", "a.mp4"))
    assert naming.select_inputs(["c.mp4"], selector) == ["a.mp4", "b.mp4"]


def test_select_inputs_without_include_takes_everything_not_excluded() -> None:
    selector = InputSelector(prefix="", exclude=("*.txt",))
    assert naming.select_inputs(["a.mp4", "b.txt", "c/"], selector) == ["a.mp4"]


def test_output_keys_and_locations() -> None:
    output = OutputSpec("ap-chongqing", "out-1", "f/{stem}-${number}.jpg", "s/{stem}.jpg")
    assert naming.output_keys(output, "v/a.mp4") == ("f/a-${number}.jpg", "s/a.jpg")
    assert naming.output_keys(OutputSpec("r", "b", None, "s/{name}"), "a.mp4") == (None, "s/a.mp4")
    assert naming.output_locations(output, "v/a.mp4") == [
        ("ap-chongqing", "out-1", "f/a-${number}.jpg"),
        ("ap-chongqing", "out-1", "s/a.jpg"),
    ]


def test_is_per_input() -> None:
    assert naming.is_per_input("x/{stem}.jpg")
    assert not naming.is_per_input("x/${number}.jpg")
    assert not naming.is_per_input("x/{stm}.jpg")
