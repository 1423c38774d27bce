"""Manifests for tests: the shipped examples and a generated load batch of ``n`` jobs."""

from __future__ import annotations

import shutil
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUCKET = "load-1250000000"  # the bucket of write_manifests' target


def copy_examples(directory: Path) -> Path:
    """The example target, templates and batches, copied into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("target.yaml", "templates.yaml", "batches.yaml"):
        shutil.copy(EXAMPLES / name, directory / name)
    return directory


def write_manifests(directory: Path, n: int) -> Path:
    """A target, a template and one batch of ``n`` jobs."""
    directory.mkdir(parents=True, exist_ok=True)
    objects = "\n".join(f"      - in/video-{i:04d}.mp4" for i in range(n))
    (directory / "load.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Target
metadata: {{name: load}}
spec: {{region: ap-chongqing, bucket: {BUCKET}}}
---
apiVersion: reconciler/v1
kind: SnapshotTemplate
metadata: {{name: load-tpl}}
spec: {{mode: Interval, timeInterval: 1, count: 3, width: 320}}
---
apiVersion: reconciler/v1
kind: SnapshotJobBatch
metadata: {{name: load}}
spec:
  template: load-tpl
  inputs:
    objects:
{objects}
  output: {{region: ap-chongqing, bucket: out-1250000000, object: "out/{{stem}}/f-${{number}}.jpg"}}
"""
    )
    return directory
