"""The shipped examples load into the expected desired state; the schemas stand on their own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from referencing import Registry, Resource

from reconciler.cli.commands import cli
from reconciler.manifest import load, schema_path, summarize
from reconciler.model import MqConfig
from reconciler.plan import naming
from tests.helpers.manifest_files import EXAMPLES, ROOT

SCHEMA_DIR = ROOT / "schemas"
SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.schema.json"))
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_examples_load() -> None:
    desired = load([EXAMPLES])
    target = desired.targets["media"]
    assert (target.region, target.bucket, target.endpoint) == (
        "ap-chongqing",
        "media-1250000000",
        "embedded",
    )
    frames = desired.templates["frames-640"].snapshot
    assert frames.count == 12 and frames.time_interval == 2.5 and frames.is_check_black is True
    sprite = desired.templates["storyboard-320"].snapshot
    assert sprite.sprite is not None and (sprite.sprite.columns, sprite.sprite.lines) == (6, 4)
    launch = desired.batches["launch-trailers"]
    assert launch.template == "storyboard-320" and launch.target == "media"
    assert launch.inputs.objects == ("videos/launch/teaser.mp4", "videos/launch/trailer.mp4")
    assert launch.output.bucket == "thumbs-1250000000" and launch.job_level == 1
    archive = desired.batches["archive-2026"]
    assert archive.inputs.prefix == "videos/2026/" and archive.inputs.exclude == ("drafts/*",)
    assert archive.source is not None and archive.source.file.endswith("batches.yaml")


def test_summary_counts_jobs_known_before_expansion() -> None:
    line = summarize(load([EXAMPLES]))
    assert (
        line
        == "ok: 1 target, 2 templates, 2 batches, 2 jobs (+1 prefix batch expanded at plan time)"
    )


def test_demo_objects_cover_every_example_job_and_show_filtering() -> None:
    """Every explicit input is uploaded; the prefix batch keeps some listed keys and drops some."""
    desired = load([EXAMPLES])
    keys, skipped = [], []
    for raw in (EXAMPLES / "demo-objects.txt").read_text(encoding="utf-8").splitlines():
        key, _, comment = raw.partition(" #")
        if key.strip() and not raw.startswith("#"):
            keys.append(key.strip())
            if comment:
                skipped.append(key.strip())
    for batch in desired.batches.values():
        assert set(batch.inputs.objects) <= set(keys)
    archive = desired.batches["archive-2026"].inputs
    chosen = naming.select_inputs(keys, archive)
    assert chosen and not set(chosen) & set(skipped)
    assert set(skipped) <= {k for k in keys if k.startswith(archive.prefix or "")}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_examples_carry_the_editor_schema_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/manifest.schema.json"
    assert (path.parent / "../schemas/manifest.schema.json").resolve().is_file()


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.name for p in SCHEMA_FILES])
def test_schemas_are_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + path.name)


def _no_open_objects(node: object, where: str = "") -> list[str]:
    """Paths of object schemas with properties that do not forbid unknown fields."""
    found = []
    if isinstance(node, dict):
        if "properties" in node and node.get("additionalProperties") is not False:
            if where.split("/")[-1] not in ("if",) and "/if" not in where:
                found.append(where)
        for key, value in node.items():
            found += _no_open_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _no_open_objects(value, f"{where}/{index}")
    return found


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.name for p in SCHEMA_FILES])
def test_every_schema_object_forbids_unknown_fields(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    if path.name == "manifest.schema.json":  # dispatches to the kind schemas, which are closed
        return
    assert _no_open_objects(schema) == []


def _stock_validator() -> jsonschema.Draft202012Validator:
    """Built from the files alone: no code of ours involved."""
    registry: Registry[object] = Registry()
    for path in SCHEMA_FILES:
        contents = json.loads(path.read_text(encoding="utf-8"))
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents))
    root = json.loads((SCHEMA_DIR / "manifest.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(root, registry=registry)


def test_examples_validate_with_stock_jsonschema() -> None:
    validator = _stock_validator()
    documents = 0
    for path in EXAMPLE_FILES:
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            validator.validate(document)
            documents += 1
    assert documents == 5


def test_stock_jsonschema_rejects_what_the_loader_rejects() -> None:
    validator = _stock_validator()
    bad = {
        "apiVersion": "reconciler/v1",
        "kind": "SnapshotTemplate",
        "metadata": {"name": "t"},
        "spec": {"count": 5, "colour": "x"},
    }
    assert not validator.is_valid(bad)
    assert not validator.is_valid({**bad, "kind": "Nope", "spec": {"count": 1}})


def test_schema_path_finds_shipped_files() -> None:
    assert schema_path("manifest.schema.json").is_file()
    with pytest.raises(FileNotFoundError):
        schema_path("../pyproject.toml")


def test_callback_mq_maps_to_model(write) -> None:  # type: ignore[no-untyped-def]
    text = (
        (EXAMPLES / "target.yaml").read_text()
        + """
---
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {name: b}
spec:
  snapshot: {count: 1}
  inputs: {objects: [a.mp4]}
  output: {region: ap-chongqing, bucket: out-1250000000, object: "f/{stem}.jpg"}
  queueId: p2242ab62c7c94486915508540933a2c6
  callback: {type: TDMQ, format: JSON, mq: {region: gz, name: jobs}}
"""
    )
    batch = load([write(text)]).batches["b"]
    assert batch.callback is not None
    assert batch.callback.mq == MqConfig(mq_region="gz", mq_name="jobs", mq_mode="Queue")
    assert batch.snapshot is not None and batch.snapshot.count == 1
    assert batch.queue_id == "p2242ab62c7c94486915508540933a2c6"


def test_cli_validate_ok_and_errors(write) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(EXAMPLES)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("ok: 1 target, 2 templates")
    bad = write("apiVersion: reconciler/v1\nkind: Target\nmetadata: {name: x}\nspec: {region: 1}\n")
    failed = runner.invoke(cli, ["validate", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:4:16: spec.region: must be a string, got 1" in failed.output
    assert f"{bad}:4:1: spec.bucket: missing required field 'bucket'" in failed.output
    assert "Traceback" not in failed.output


def test_cli_validate_in_a_subprocess(write) -> None:  # type: ignore[no-untyped-def]
    bad = write("kind: Target\n")
    cmd = [sys.executable, "-m", "reconciler", "validate", str(EXAMPLES), str(bad)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert f"{bad}:1:1: apiVersion: missing required field 'apiVersion'" in proc.stderr
    assert "Traceback" not in proc.stderr
    good = subprocess.run(cmd[:-1], capture_output=True, text=True, check=False)
    assert good.returncode == 0 and good.stdout.startswith("ok:")
