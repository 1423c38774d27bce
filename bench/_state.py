"""Build a large recorded state quickly, through the real code paths where it matters.

Templates: a real ``apply`` of a manifest holding only the target and the templates, so they
exist on the emulator and the state records their IDs and fingerprints exactly as apply does.
Jobs: expanded with the planner's own ``expand`` (same fingerprints and markers a real apply
would record) and written with ``LocalStateWriter.put_jobs`` -- submitting 100,000 jobs through the
emulator only to record them as finished would measure the emulator, not the state.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bench._common import ENV, emulator, write_manifests
from reconciler import manifest
from reconciler.engine.workflow import Settings, apply_manifests
from reconciler.model.records import JobRecord
from reconciler.plan.expand import expand, marker_for
from reconciler.plan.observed import Observed
from reconciler.plan.planner import PlanOptions, template_contents
from reconciler.state.local.store import LocalStateStore

STAMP = "2026-01-01T00:00:00Z"


def build(
    workdir: Path,
    url: str,
    jobs: int,
    templates: int = 20,
    state: str = "Success",
    key_files: bool = False,
) -> Path:
    """Manifests in ``workdir/m`` and a state ``workdir/state.json`` with ``jobs`` jobs recorded
    in ``state`` (``Success``: finished history; ``Running``: real job IDs are needed, use
    :func:`reconciler.engine.workflow.apply_manifests` instead)."""
    manifests = write_manifests(
        workdir / "m",
        jobs,
        templates=templates,
        per_batch=max(1, -(-jobs // templates)),
        key_files=key_files,
    )
    settings = Settings(state_path=workdir / "state.json", endpoint=url, env=ENV)
    only_templates = workdir / "templates-only"
    only_templates.mkdir(exist_ok=True)
    shutil.copy(manifests / "00-target.yaml", only_templates / "00-target.yaml")
    apply_manifests([only_templates], settings, PlanOptions(), approve=lambda p: True)
    desired = manifest.load([manifests])
    wanted = expand(desired, {}, template_contents(desired, Observed()))
    records = [
        JobRecord(
            batch=j.batch,
            input_object=j.input_object,
            target=j.target,
            fingerprint=j.fingerprint,
            marker=marker_for(j.batch, j.input_object, j.fingerprint),
            state=state,
            intent_time=STAMP,
            job_id=f"s{i:031x}",
            submitted_at=STAMP,
            finished_at=STAMP if state == "Success" else None,
            outputs=(f"{j.batch}/x/f-0.jpg",) if state == "Success" else (),
        )  # fmt: skip
        for i, j in enumerate(wanted)
    ]
    with LocalStateStore(workdir / "state.json").open(command="bench") as writer:
        for start in range(0, len(records), 5000):
            writer.put_jobs(records[start : start + 5000])
    return manifests


def submit_for_real(data: Path, manifests: Path, state: Path, *, job_seconds: float) -> int:
    """Submit every job of ``manifests`` with a real apply to an emulator persisting to
    ``data`` (so it can be restarted on them at another latency), recording them in ``state``;
    returns how many were submitted. Jobs shorter than 2 s are waited for and recorded
    finished (an intact state); longer ones are left running."""
    with emulator(latency_ms=0, qps=0, job_seconds=job_seconds, data=str(data)) as emu:  # type: ignore[arg-type]
        settings = Settings(state_path=state, endpoint=emu.url, env=ENV, submit_qps=1e6)
        _, result = apply_manifests([manifests], settings, PlanOptions(), approve=lambda p: True)
        assert result is not None
        if job_seconds < 2:
            time.sleep(2)
            apply_manifests([manifests], settings, PlanOptions(), approve=lambda p: True)
        return result.done.get("submit_job", 0)
