"""Loading: files and directories, multi-document files, hostile YAML finishing fast and located."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.manifest import find_files, load
from reconciler.manifest.yamlload import MAX_FILE_BYTES
from reconciler.plan import expand, naming
from tests.helpers.manifest_files import BASE, TARGET, problems_of

Write = Callable[..., Path]
TEMPLATE = (
    "apiVersion: reconciler/v1\nkind: SnapshotTemplate\nmetadata: {name: %s}\nspec: {count: 1}\n"
)


def test_directories_are_searched_recursively_in_sorted_order(tmp_path: Path, write: Write) -> None:
    write(TARGET, "b/target.yml")
    write(TEMPLATE % "one", "a/z.yaml")
    write(TEMPLATE % "two", "a/sub/y.yaml")
    write("not: yaml manifest", "a/readme.txt")
    write(TEMPLATE % "hidden", ".git/x.yaml")
    files = find_files([tmp_path])
    assert [Path(f).relative_to(tmp_path).as_posix() for f in files] == [
        "a/sub/y.yaml",
        "a/z.yaml",
        "b/target.yml",
    ]
    assert set(load([tmp_path]).templates) == {"one", "two"}


def test_multi_document_files_and_empty_documents(write: Write) -> None:
    text = "---\n# nothing\n---\n" + TARGET + "---\n" + TEMPLATE % "one" + "...\n---\n"
    desired = load([write(text)])
    assert list(desired.targets) == ["media"] and list(desired.templates) == ["one"]


def test_a_path_given_twice_is_read_once(write: Write) -> None:
    path = write(TARGET + "---\n" + TEMPLATE % "one")
    assert list(load([path, path]).templates) == ["one"]


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    problems = problems_of([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert [(p.line, p.message) for p in problems] == [
        (1, "no *.yaml or *.yml files in this directory"),
        (1, "no such file or directory"),
    ]


def test_only_empty_files_is_an_error(write: Write) -> None:
    problems = problems_of([write("# just a comment\n")])
    assert "no manifests found" in problems[0].message


def test_every_problem_of_every_file_in_one_run(write: Write) -> None:
    first = write(TARGET + "---\n" + TEMPLATE.replace("count: 1", "count: 0") % "t", "1.yaml")
    second = write("kind: Target\n---\nkind: [\n", "2.yaml")
    problems = problems_of([first, second])
    assert [(Path(p.file).name, p.line, p.field) for p in problems] == [
        ("1.yaml", 9, "spec.count"),
        ("2.yaml", 1, "apiVersion"),
        ("2.yaml", 1, "metadata"),
        ("2.yaml", 1, "spec"),
        ("2.yaml", 4, ""),
    ]
    assert problems[-1].message.startswith("invalid YAML:")


def test_merge_keys_share_settings(write: Write) -> None:
    text = (
        TARGET
        + """---
apiVersion: reconciler/v1
kind: SnapshotTemplate
metadata: {name: a}
spec:
  count: 3
  snapshotOutMode: OnlySprite
  spriteSnapshotConfig:
    <<: [&size {cellWidth: 160, cellHeight: 90}, {color: Black, padding: 1, cellWidth: 8}]
    columns: 2
    lines: 2
    padding: 3
"""
    )
    sprite = load([write(text)]).templates["a"].snapshot.sprite
    assert sprite is not None
    assert (sprite.cell_width, sprite.cell_height, sprite.color) == (160, 90, "Black")
    assert sprite.padding == 3


def test_bom_is_accepted_and_invalid_utf8_is_located(write: Write, tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TARGET.encode())
    assert list(load([path]).targets) == ["media"]
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"apiVersion: reconciler/v1\nkind: \xff\n")
    (problem,) = problems_of([bad])
    assert (problem.line, problem.column, problem.message) == (2, 7, "not valid UTF-8 text")


def _fast(paths: list[Path]) -> list[tuple[int, int, str]]:
    started = time.monotonic()
    problems = problems_of(paths)
    assert time.monotonic() - started < 5
    return [(p.line, p.column, p.message) for p in problems]


def test_alias_bomb_is_a_located_error_not_a_hang(write: Write) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    (problem,) = _fast([write("\n".join(lines) + "\n")])
    assert problem[0] >= 1 and "aliases expand to more than" in problem[2]


def test_deep_nesting_is_a_located_error(write: Write) -> None:
    (problem,) = _fast([write("spec: " + "[" * 500 + "]" * 500 + "\n")])
    assert problem[:2] == (1, 70) and "nesting deeper than 64 levels" in problem[2]
    # Far deeper: libyaml >= 0.2.6 (PyYAML 6.0.3+ wheels) stops at 1,000 levels in its own
    # scanner before our composer sees the 65th; either way one located line, quickly.
    depth = 50_000
    (problem,) = _fast([write("spec: " + "[" * depth + "]" * depth + "\n", "deeper.yaml")])
    assert problem[0] == 1 and problem[1] in (70, 1006) and "nesting" in problem[2]
    block = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x\n"
    (problem,) = _fast([write(block, "block.yaml")])
    assert "nesting deeper" in problem[2] and problem[0] == 64


def test_huge_scalar_within_the_limit_is_fast_and_located(write: Write) -> None:
    big = "x" * (MAX_FILE_BYTES - 1000)
    text = TARGET + "---\n" + TEMPLATE.replace("{count: 1}", f"{{count: 0, ciParam: {big}}}") % "t"
    assert _fast([write(text)]) == [(9, 15, "must be greater than 0, got 0")]


def test_file_over_the_size_limit_is_refused_before_parsing(write: Write) -> None:
    (problem,) = _fast([write("a: " + "x" * MAX_FILE_BYTES + "\n")])
    assert problem[:2] == (1, 1) and "byte limit" in problem[2]


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object/apply:os.system ['echo hi']\n", "a: !!python/name:os.system\n"],
)
def test_unsafe_tags_are_refused(write: Write, text: str) -> None:
    problems = _fast([write(text)])
    assert any(p[:2] == (1, 4) and "unsupported YAML tag" in p[2] for p in problems)


def test_longest_user_text_fills_the_service_limit_with_the_marker(write: Write) -> None:
    """1,003 characters load, and with the job marker appended the sent UserData is 1,024."""
    batch = write(
        "apiVersion: reconciler/v1\nkind: SnapshotJobBatch\nmetadata: {name: b}\nspec:\n"
        "  template: frames\n  userData: " + "x" * naming.USER_TEXT_LIMIT + "\n"
        "  inputs: {objects: [videos/a.mp4]}\n"
        "  output: {region: ap-chongqing, bucket: out-1250000000,\n"
        '           object: "f/{stem}-${number}.jpg"}\n',
        "batch.yaml",
    )
    desired = load([BASE, batch])
    (job,) = expand.expand_batch(desired.batches["b"], [("videos/a.mp4", None)], "frames v1")
    assert naming.USER_TEXT_LIMIT == 1003
    assert job.request.user_data is not None and len(job.request.user_data) == 1024
    assert expand.has_marker(job.request.user_data, job.request.user_data[-naming.MARKER_LENGTH :])
