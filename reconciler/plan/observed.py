"""What the service reported, keyed for the planner: plain data, filled by the engine.

It lives in the plan package (not beside the code that fetches it) so that the planner's
import closure stays pure: ``engine.observe`` fills it, ``plan.planner`` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.model import JobDetail, ObjectInfo, RemoteTemplate


@dataclass(frozen=True)
class Observed:
    """What the service reported, keyed for the planner."""

    templates: Mapping[str, tuple[RemoteTemplate, ...]] = field(default_factory=dict)
    external_templates: Mapping[str, RemoteTemplate] = field(default_factory=dict)
    jobs: Mapping[str, JobDetail] = field(default_factory=dict)
    missing_job_ids: frozenset[str] = frozenset()
    listings: Mapping[str, tuple[ObjectInfo, ...]] = field(default_factory=dict)
    # Reply entries the codec could not (fully) read, one line each naming the item.
    problems: tuple[str, ...] = ()
