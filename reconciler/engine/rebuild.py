"""``reconciler state rebuild``: reconstruct a lost state from the service.

The service is the source of truth for what exists: templates are found by their exact
manifest name, jobs by the marker every submission carries (within the look-up window). The
rebuild plans the manifests against an empty state with the look-up forced on, then records
what the plan would adopt; keys not found stay unrecorded (the next apply submits them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from reconciler import manifest
from reconciler.engine.lookup import plan_looking
from reconciler.engine.workflow import Settings, open_connections, state_ref
from reconciler.errors import StateError
from reconciler.model.records import TemplateRecord
from reconciler.model.times import iso
from reconciler.plan.actions import (
    AdoptJob,
    AdoptTemplate,
    CreateTemplate,
    RecreateTemplate,
    SubmitJob,
)
from reconciler.plan.adopt import adopted_record
from reconciler.plan.jobactions import acting
from reconciler.plan.planner import PlanOptions


@dataclass(frozen=True)
class RebuildReport:
    """What the rebuild found and recorded, for the one-screen summary."""

    location: str
    templates_found: tuple[str, ...]
    templates_missing: tuple[str, ...]
    jobs_found: dict[str, int]
    jobs_missing: tuple[str, ...]
    since: str
    requests: int

    def lines(self) -> list[str]:
        out = [
            f"Rebuilt {self.location} from the service (jobs created since {self.since}, "
            f"{self.requests} list request(s)).",
            f"Templates found by name: {len(self.templates_found)}; not found: "
            f"{len(self.templates_missing)} {', '.join(self.templates_missing)}".rstrip(),
        ]
        for batch, n in sorted(self.jobs_found.items()):
            out.append(f"  batch {batch}: {n} job(s) found by marker")
        out.append(f"Job keys not found: {len(self.jobs_missing)}")
        out += [f"  {key}" for key in self.jobs_missing[:20]]
        if len(self.jobs_missing) > 20:
            out.append(f"  ... and {len(self.jobs_missing) - 20} more")
        return out


def rebuild_state(paths: Sequence[str | Path], settings: Settings, *, force: bool) -> RebuildReport:
    """Write the state found on the service for every key of the manifests (under the lock).

    Refuses a state that already records anything unless ``force`` (then it is replaced).
    """
    desired = manifest.load(paths)
    settings = settings.with_state(desired.state)
    with open_connections(desired, settings) as conns, settings.state() as store:
        with store.open(command="state rebuild", wait_seconds=30.0) as writer:
            now = writer.snapshot
            if (now.jobs or now.templates) and not force:
                raise StateError(
                    f"state {store.location} is not empty ({len(now.templates)} template(s), "
                    f"{len(now.jobs)} job(s)); nothing was changed (use --force to rebuild it)"
                )
            empty = replace(now, templates={}, jobs={})
            plan = plan_looking(
                desired, empty, conns.clients, PlanOptions(), state_ref(empty),
                window=settings.lookup_window,
            )  # fmt: skip
            stamp = iso(datetime.now(UTC))
            for target, name in sorted(now.templates):
                writer.drop_template(target, name)
            for batch, input_object in sorted(now.jobs):
                writer.drop_job(batch, input_object)
            found_tpl = [a for a in plan.templates if isinstance(a, AdoptTemplate)]
            for a in found_tpl:
                writer.put_template(
                    TemplateRecord(a.target, a.name, a.template_id, a.fingerprint, stamp)
                )
            adopted = [a for a in acting(plan.jobs) if isinstance(a, AdoptJob)]
            writer.put_jobs(adopted_record(a, None, stamp) for a in adopted)
            return RebuildReport(
                location=store.location,
                templates_found=tuple(f"{a.target}/{a.name}" for a in found_tpl),
                templates_missing=tuple(
                    f"{a.target}/{a.name}"
                    for a in plan.templates
                    if isinstance(a, CreateTemplate | RecreateTemplate)
                ),
                jobs_found=dict(Counter(a.batch for a in adopted)),
                jobs_missing=tuple(
                    f"{a.batch}/{a.input_object}"
                    for a in acting(plan.jobs)
                    if isinstance(a, SubmitJob)
                ),
                since=plan.lookup_since or iso(datetime.now(UTC)),
                requests=plan.lookup_requests,
            )
