"""Batches that take their keys from a key-list file (``inputs.keysFile``), plain or gzip."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import ManifestError
from reconciler.manifest import keyfile, load, summarize
from reconciler.manifest.yamlload import MAX_FILE_BYTES
from reconciler.plan.naming import select_inputs

MANIFEST = """apiVersion: reconciler/v1
kind: Target
metadata: {{name: media}}
spec: {{region: ap-chongqing, bucket: media-1250000000}}
---
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {{name: bulk}}
spec:
  snapshot: {{count: 1}}
  inputs:
    keysFile: {keys}{extra}
  output: {{region: ap-chongqing, bucket: out-1250000000, object: "f/{{path}}.jpg"}}
"""
KEYS_LINE = 12  # where ``keysFile:`` sits in MANIFEST


def write(tmp_path: Path, keys: str | bytes, name: str = "keys/a.txt", extra: str = "") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = keys.encode() if isinstance(keys, str) else keys
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    manifest = tmp_path / "batch.yaml"
    manifest.write_text(MANIFEST.format(keys=name, extra=extra))
    return manifest


def problems(manifest: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load([manifest])
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("name", ["keys/a.txt", "keys/a.txt.gz"])
def test_keys_are_read_plain_or_gzip(tmp_path: Path, name: str) -> None:
    text = "# curated list\nv/a.mp4\r\n\nv/b c.mp4\n#v/skipped.mp4\nv/d.mp4"
    desired = load([write(tmp_path, text, name)])
    inputs = desired.batches["bulk"].inputs
    assert inputs.file_keys == ("v/a.mp4", "v/b c.mp4", "v/d.mp4")
    assert inputs.keys_file is not None and inputs.keys_file.count == 3
    assert inputs.keys_file.path == str(tmp_path / name)
    assert inputs.keys_file.digest == keyfile.digest_of(str(tmp_path / name))
    assert "3 jobs" in summarize(desired)


def test_digest_is_of_the_content_not_the_compression(tmp_path: Path) -> None:
    text = "v/a.mp4\nv/b.mp4\n"
    plain = load([write(tmp_path / "p", text)]).batches["bulk"].inputs.keys_file
    packed = load([write(tmp_path / "g", text, "keys/a.txt.gz")]).batches["bulk"].inputs.keys_file
    assert plain is not None and packed is not None and plain.digest == packed.digest
    other = load([write(tmp_path / "o", text + "v/c.mp4\n")]).batches["bulk"].inputs.keys_file
    assert other is not None and other.digest != plain.digest


def test_include_and_exclude_filter_the_whole_key(tmp_path: Path) -> None:
    extra = '\n    include: ["*.mp4"]\n    exclude: ["drafts/*"]'
    text = "v/a.mp4\nv/a.mov\ndrafts/b.mp4\nw/c.mp4\n"
    desired = load([write(tmp_path, text, extra=extra)])
    inputs = desired.batches["bulk"].inputs
    assert select_inputs((), inputs) == ["v/a.mp4", "w/c.mp4"]
    assert "2 jobs" in summarize(desired)


def test_a_key_file_is_not_held_to_the_manifest_size_cap(tmp_path: Path) -> None:
    keys = "".join(
        f"videos/2026/some-long-directory-name/clip-{i:07d}.mp4\n" for i in range(90_000)
    )
    assert len(keys) > MAX_FILE_BYTES
    inputs = load([write(tmp_path, keys)]).batches["bulk"].inputs
    assert len(inputs.file_keys) == 90_000


def test_bad_keys_name_the_key_file_and_line(tmp_path: Path) -> None:
    text = "v/a.mp4\n/abs.mp4\nv/../up.mp4\nv/dir/\nv/a.mp4\nok.mp4\n"
    manifest = write(tmp_path, text)
    found = problems(manifest)
    where = f"{manifest}:{KEYS_LINE}:5: spec.inputs.keysFile: {tmp_path / 'keys/a.txt'}"
    assert found == [
        f"{where}:2: object key must not start with '/'",
        f"{where}:3: object key must not contain '.' or '..' path segments",
        f"{where}:4: ends with '/': that is a folder marker, not a video",
        f"{where}:5: 'v/a.mp4' repeats line 1",
    ]


def test_many_bad_lines_are_cut_short(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "".join(f"/bad-{i}\n" for i in range(500))))
    assert len(found) == keyfile.MAX_SHOWN + 1
    assert (
        sum(p.endswith(f"... and {500 - keyfile.MAX_SHOWN:,} more bad lines") for p in found) == 1
    )


def test_not_utf8_is_a_located_problem(tmp_path: Path) -> None:
    (found,) = problems(write(tmp_path, b"ok.mp4\nbad-\xff.mp4\n"))
    assert found.endswith("keys/a.txt:2: not UTF-8 (byte 5)")


@pytest.mark.parametrize(
    ("name", "setup", "message"),
    [
        ("keys/missing.txt", None, "keys/missing.txt: no such file"),
        ("keys", "dir", "keys: is a directory, not a key file"),
        ("keys/a.txt.gz", "notgzip", "keys/a.txt.gz: not a readable gzip file"),
        ("../outside.txt", None, "'../outside.txt' must be a path inside the manifest's directory"),
    ],
)
def test_unusable_key_files_are_one_line_at_the_field(
    tmp_path: Path, name: str, setup: str | None, message: str
) -> None:
    manifest = tmp_path / "m" / "batch.yaml"
    manifest.parent.mkdir()
    manifest.write_text(MANIFEST.format(keys=name, extra=""))
    if setup == "dir":
        (tmp_path / "m" / name).mkdir()
    if setup == "notgzip":
        (tmp_path / "m" / "keys").mkdir()
        (tmp_path / "m" / name).write_text("plain text, not gzip\n")
    (found,) = problems(manifest)
    assert found.startswith(f"{manifest}:{KEYS_LINE}:5: spec.inputs.keysFile: ")
    assert message in found


def test_absolute_paths_are_refused_by_the_schema(tmp_path: Path) -> None:
    manifest = tmp_path / "batch.yaml"
    manifest.write_text(MANIFEST.format(keys="/etc/passwd", extra=""))
    (found,) = problems(manifest)
    assert "spec.inputs.keysFile" in found and "relative path" in found


def test_keys_file_with_prefix_is_refused(tmp_path: Path) -> None:
    (found,) = problems(write(tmp_path, "v/a.mp4\n", extra="\n    prefix: v/"))
    assert "spec.inputs.keysFile: cannot be combined with prefix" in found


def test_filters_need_a_listing_or_a_key_file(tmp_path: Path) -> None:
    manifest = tmp_path / "batch.yaml"
    text = MANIFEST.format(keys="x", extra="").replace(
        "keysFile: x", 'objects: [a.mp4]\n    include: ["*"]'
    )
    manifest.write_text(text)
    (found,) = load([manifest]).warnings  # ignored, not refused: a warning
    assert "is ignored without prefix or keysFile" in str(found)


def test_every_repeat_names_the_first_line(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "a.mp4\nb.mp4\na.mp4\na.mp4\n"))
    assert [p.rsplit(": ", 1)[1] for p in found] == ["'a.mp4' repeats line 1"] * 2
    assert [p.rsplit(":", 2)[-2] for p in found] == ["3", "4"]


def test_an_endless_line_is_refused_without_holding_it(tmp_path: Path) -> None:
    text = "ok.mp4\n" + "x" * (3 * keyfile.MAX_LINE_BYTES) + "\nnext.mp4\n" + "y" * 5000
    found = problems(write(tmp_path, text, "keys/a.txt.gz"))
    assert [p.rsplit(": ", 1)[1] for p in found] == [
        f"longer than {keyfile.MAX_LINE_BYTES:,} bytes"
    ] * 2
    assert [p.rsplit(":", 2)[-2] for p in found] == ["2", "4"]


def test_a_gzip_bomb_stops_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyfile, "MAX_KEY_FILE_BYTES", 100_000)
    (found,) = problems(write(tmp_path, "v.mp4\n" * 50_000, "keys/a.txt.gz"))
    assert found.endswith("keys/a.txt.gz: more than 100,000 bytes")


LINE = st.lists(
    st.sampled_from(["a", "b/", "/", ".", "..", "#", " ", "é", "\r", "\t", "v.mp4", "x" * 300]),
    max_size=4,
).map("".join)  # fmt: skip


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(LINE, max_size=12), end=st.sampled_from(["", "\n"]), packed=st.booleans())
def test_bulk_reading_gives_what_line_by_line_reading_gives(
    tmp_path: Path, lines: list[str], end: str, packed: bool
) -> None:
    """The bulk path (plain files) may only ever give the careful path's answer."""
    data = ("\n".join(lines) + end).encode()
    path = tmp_path / ("k.txt.gz" if packed else "k.txt")
    path.write_bytes(gzip.compress(data) if packed else data)
    fast, careful = keyfile.read_keys(str(path)), keyfile.careful_keys(str(path))
    assert (fast.keys, fast.digest, fast.problems) == (
        careful.keys, careful.digest, careful.problems
    )  # fmt: skip


def test_a_plain_file_of_many_keys_is_read_in_bulk_across_chunks(tmp_path: Path) -> None:
    keys = [f"videos/{i:07d}/clip.mp4" for i in range(120_000)]  # > 1 MiB: several chunks
    path = tmp_path / "k.txt"
    path.write_text("\n".join(keys) + "\n")
    assert keyfile._plain_keys(str(path)) is not None
    assert keyfile.read_keys(str(path)).keys == tuple(keys)
    path.write_text("\n".join(keys) + f"\n{keys[5]}\n")  # a repeat: the careful path names it
    assert keyfile._plain_keys(str(path)) is None
    assert keyfile.read_keys(str(path)).problems[0].endswith("repeats line 6")
