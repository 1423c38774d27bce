"""The acceptance run, one body for the real service and for the served emulator.

It drives the CLI as a user would (``python -m reconciler ...`` child processes) in a scratch
prefix unique to the run, with a 4 KB test video (data/clip.mp4, see data/make_clip.py):

1. validate, plan, apply and wait;
2. a plan with nothing to do;
3. a template update, which re-submits its job;
4. prune (template deleted on the service, jobs forgotten);
5. clean up: templates named after the run and every object under the prefix, always.

Only :class:`Site` differs between the two runs: how the CLI reaches the service and a client
for uploads, checks and the clean-up.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.remote.client import CIClient

CLIP = Path(__file__).with_name("data") / "clip.mp4"
WAIT_SECONDS = 900


@dataclass
class Site:
    """Where the run happens. ``endpoint`` None is the real service."""

    bucket: str
    region: str
    client: CIClient
    env: Mapping[str, str]
    endpoint: str | None = None


def run_id() -> str:
    """Unique per run, usable as a template name prefix and in object keys."""
    return f"rcl-live-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


class Acceptance:
    def __init__(self, site: Site, workdir: Path) -> None:
        self.site = site
        self.id = run_id()
        self.prefix = f"reconciler-live/{self.id}/"
        self.template = f"{self.id}-frames"
        self.dir = workdir / "manifests"
        self.state = workdir / "state.json"
        self.dir.mkdir(parents=True)

    # -- plumbing ----------------------------------------------------------------------------

    def cli(self, *args: str, expect: int = 0) -> str:
        argv = [sys.executable, "-m", "reconciler", "--no-color", "--state", str(self.state)]
        if self.site.endpoint:
            argv += ["--endpoint", self.site.endpoint]
        done = subprocess.run(
            [*argv, *args], env=dict(self.site.env), capture_output=True, text=True,
            timeout=WAIT_SECONDS + 120,
        )  # fmt: skip
        assert done.returncode == expect, (
            f"reconciler {' '.join(args)} exited {done.returncode}, expected {expect}\n"
            f"{done.stdout}\n{done.stderr}"
        )
        return done.stdout

    def plan_counts(self, *extra: str) -> dict[str, int]:
        doc = json.loads(self.cli("plan", str(self.dir), "--json", *extra).splitlines()[0])
        return {k: v for k, v in doc["summary"].items() if k != "keep_job"}

    def status(self) -> dict[str, object]:
        doc = json.loads(self.cli("status", str(self.dir), "--json", "--jobs"))
        assert isinstance(doc, dict)
        return doc

    def write(self, count: int) -> None:
        s = self.site
        (self.dir / "target.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: Target\nmetadata: {name: live}\n"
            f"spec: {{region: {s.region}, bucket: {s.bucket}}}\n"
        )
        (self.dir / "template.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: SnapshotTemplate\n"
            f"metadata: {{name: {self.template}}}\n"
            f"spec: {{mode: Interval, start: 0, timeInterval: 1, count: {count}}}\n"
        )
        (self.dir / "batch.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: SnapshotJobBatch\nmetadata: {name: live}\n"
            f"spec:\n  template: {self.template}\n"
            f"  inputs: {{prefix: {self.prefix}input/}}\n"
            f"  output: {{region: {s.region}, bucket: {s.bucket}, "
            f'object: "{self.prefix}out/{{stem}}-${{number}}.jpg"}}\n'
        )

    def remote_templates(self) -> list[str]:
        page = self.site.client.list_templates(name_prefix=self.id, page_size=100)
        return [t.template_id for t in page.templates if t.name.startswith(self.id)]

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.steps()
        finally:
            self.clean_up()

    def steps(self) -> None:
        self.site.client.put_object(self.prefix + "input/clip.mp4", CLIP.read_bytes(), "video/mp4")
        self.write(count=3)
        # 1. validate, plan, apply and wait
        assert "1 template" in self.cli("validate", str(self.dir))
        assert self.plan_counts() == {"create_template": 1, "submit_job": 1}
        self.cli("apply", str(self.dir), "--auto-approve", "--wait", "--timeout", str(WAIT_SECONDS))
        first = self.succeeded()
        outputs = self.site.client.list_objects(prefix=self.prefix + "out/").objects
        assert outputs, "the job wrote no snapshot"
        # 2. nothing to do
        self.cli("plan", str(self.dir), "--detailed-exitcode")
        # 3. a template update re-submits its job
        self.write(count=2)
        assert self.plan_counts() == {"update_template": 1, "submit_job": 1}
        self.cli("apply", str(self.dir), "--auto-approve", "--wait", "--timeout", str(WAIT_SECONDS))
        assert self.succeeded() != first, "the job was re-submitted"
        self.cli("plan", str(self.dir), "--detailed-exitcode")
        # 4. prune: the template leaves the manifests and the service; the job is forgotten
        (self.dir / "template.yaml").unlink()
        (self.dir / "batch.yaml").unlink()
        assert self.plan_counts("--prune") == {"delete_template": 1, "forget_job": 1}
        self.cli("apply", str(self.dir), "--prune", "--auto-approve")
        assert self.remote_templates() == []
        self.cli("plan", str(self.dir), "--detailed-exitcode", "--prune")

    def succeeded(self) -> str:
        """The one job's ID, after checking the service says it succeeded."""
        doc = self.status()
        batches = doc["batches"]
        assert isinstance(batches, dict)
        jobs = [j for b in batches.values() for j in b["jobs"]]
        assert len(jobs) == 1 and jobs[0]["state"] == "Success", doc
        return str(jobs[0]["job_id"])

    # -- 5. clean up -------------------------------------------------------------------------

    def clean_up(self) -> None:
        """Delete what the run made, even after a failure; report what could not be deleted."""
        left: list[str] = []
        client = self.site.client
        for template_id in self.remote_templates():
            try:
                client.delete_template(template_id)
            except Exception as exc:  # noqa: BLE001 - clean up as much as possible
                left.append(f"template {template_id}: {exc}")
        marker = ""
        while True:
            page = client.list_objects(prefix=self.prefix, marker=marker)
            for obj in page.objects:
                try:
                    client.delete_object(obj.key)
                except Exception as exc:  # noqa: BLE001
                    left.append(f"object {obj.key}: {exc}")
            if not page.is_truncated or not page.objects:
                break
            marker = page.next_marker or page.objects[-1].key
        assert not left, "clean-up left: " + "; ".join(left)
        assert self.remote_templates() == []
        assert client.list_objects(prefix=self.prefix).objects == ()
