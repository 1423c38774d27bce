"""Look before submitting: turn a planned submission into an adoption when the service has it.

Every job carries its marker (``rcn:`` + 16 hex of batch, input object and fingerprint) in
UserData, so a job the state does not know (lost, moved, restored or older state) can be
recognised in a listing of the service's jobs. Pure: the listing arrives as a
:class:`~reconciler.plan.observed.Lookup`; the engine does the I/O.

The rule, for a planned :class:`SubmitJob` of key K with fingerprint F (marker M):

1. candidates are listed jobs of K's target whose UserData ends with M and whose input object
   is K's, minus the jobs the record already knows: its current job and the jobs it superseded
   (``previous_job_ids``: after A -> B -> A the first A job is one of them);
2. the newest candidate is adopted only if no listed job created after it (any marker) writes
   one of K's output objects: otherwise its frames were overwritten (A -> B -> A with a lost
   state) and A must run again;
3. when the record's current job is not in the listing, a candidate created before that
   job's intent is older than it and is not adopted either.

"Newer" is the service's order (the listing is newest first), not the second-precision
CreationTime, so two jobs created in the same second are still ordered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.model import JobDetail
from reconciler.model.records import JobRecord
from reconciler.model.states import JobState
from reconciler.model.times import parse_iso
from reconciler.plan.actions import AdoptJob, JobAction, SubmitJob
from reconciler.plan.expand import marker_for
from reconciler.plan.jobactions import JobActions
from reconciler.plan.jobseq import JobSequence, Substituted
from reconciler.plan.naming import MARKER_LENGTH, MARKER_PREFIX
from reconciler.plan.observed import Lookup

Slot = tuple[str, str, str]  # (target, bucket, object key)
_HEX = re.compile(r"[0-9a-f]+")


def marker_of(user_data: str | None) -> str | None:
    """The ``rcn:`` marker a job's UserData ends with (as ``with_marker`` appends it), or None."""
    if not user_data or len(user_data) < MARKER_LENGTH:
        return None
    tail = user_data[-MARKER_LENGTH:]
    if not tail.startswith(MARKER_PREFIX) or not _HEX.fullmatch(tail[len(MARKER_PREFIX) :]):
        return None
    if len(user_data) > MARKER_LENGTH and user_data[-MARKER_LENGTH - 1] != " ":
        return None
    return tail


def _slots(target: str, job: JobDetail) -> list[Slot]:
    out = job.output
    if out is None:
        return []
    return [(target, out.bucket, k) for k in (out.object, out.sprite_object) if k]


@dataclass
class JobIndex:
    """The listing indexed by marker and by output slot; rank 0 is the newest job."""

    by_marker: dict[tuple[str, str], list[tuple[int, JobDetail]]] = field(default_factory=dict)
    newest_on_slot: dict[Slot, int] = field(default_factory=dict)
    rank_of: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, lookup: Lookup) -> JobIndex:
        index = cls()
        for target, jobs in lookup.jobs.items():
            for rank, job in enumerate(jobs):
                index.rank_of.setdefault(job.job_id, rank)
                marker = marker_of(job.user_data)
                if marker is not None:
                    index.by_marker.setdefault((target, marker), []).append((rank, job))
                for slot in _slots(target, job):
                    index.newest_on_slot.setdefault(slot, rank)
        return index

    def adoptable(self, action: SubmitJob, record: JobRecord | None) -> JobDetail | None:
        """The listed job ``action`` should adopt instead of submitting, or None (module doc)."""
        marker = marker_for(action.batch, action.input_object, action.fingerprint)
        known = set(record.previous_job_ids) if record else set()
        if record and record.job_id:
            known.add(record.job_id)
        found = [
            (rank, job)
            for rank, job in self.by_marker.get((action.target, marker), ())
            if job.job_id not in known and job.input_object == action.input_object
        ]
        if not found:
            return None
        rank, job = min(found, key=lambda pair: pair[0])
        out = action.request.output
        for key in (k for k in (out.object, out.sprite_object) if k):
            if self.newest_on_slot.get((action.target, out.bucket, key), rank) < rank:
                return None  # a newer job wrote this output after the candidate
        if record and record.job_id and record.job_id not in self.rank_of:
            if _before(job.creation_time, record.intent_time):
                return None
        return job


def _before(service_time: str, record_time: str) -> bool:
    """Whether the service's CreationTime is earlier than a record's time (False if unknown)."""
    try:
        return parse_iso(service_time) < parse_iso(record_time)
    except ValueError:
        return False


def adopt_jobs(
    actions: Iterable[JobAction], lookup: Lookup, records: Mapping[tuple[str, str], JobRecord]
) -> Sequence[JobAction]:
    """``actions`` with every submission the service already holds replaced by an adoption.

    A lazy sequence (a saved plan's) stays lazy: one pass decides the adoptions, which are at
    most the jobs listed, and a :class:`Substituted` view puts them in place of their
    submissions whenever it is read. The decisions are taken once, against ``records`` as they
    are now, so applying (which moves the records) cannot change them afterwards."""
    index = JobIndex.build(lookup)

    def decide(action: JobAction) -> JobAction:
        if isinstance(action, SubmitJob):
            record = records.get((action.batch, action.input_object))
            job = index.adoptable(action, record)
            if job is not None:
                return adopted(action, job, record)
        return action

    if isinstance(actions, JobActions):
        return actions.mapped(decide)  # compact up-to-date jobs are never submitted
    if not isinstance(actions, JobSequence):
        return tuple(decide(a) for a in actions)
    found: dict[tuple[str, str], JobAction] = {}
    for action in actions:
        if (new := decide(action)) is not action:
            found[(new.batch, new.input_object)] = new
    return Substituted(actions, found) if found else actions


def adopted(action: SubmitJob, job: JobDetail, record: JobRecord | None) -> AdoptJob:
    previous = record.job_id if record and record.job_id != job.job_id else None
    return AdoptJob(
        action.batch, action.input_object, action.target, action.fingerprint, job.job_id,
        job.state, job.creation_time, job.code, job.message, previous,
    )  # fmt: skip


def needs_lookup(actions: Iterable[JobAction]) -> set[str]:
    """Targets with a planned submission: only those are scanned before submitting."""
    return {a.target for a in actions if isinstance(a, SubmitJob)}


def adopted_record(action: AdoptJob, previous: JobRecord | None, now: str) -> JobRecord:
    """The record an adoption writes: the found job as this key's submission; the record it
    replaces, if any, becomes history like a superseded submission."""
    history = previous.previous_job_ids if previous else ()
    if previous and previous.job_id and previous.job_id != action.job_id:
        history = (*history, previous.job_id)
    finished = JobState.is_finished(action.state)  # the service's Code means little before that
    return JobRecord(
        batch=action.batch, input_object=action.input_object, target=action.target,
        fingerprint=action.fingerprint,
        marker=marker_for(action.batch, action.input_object, action.fingerprint),
        state=action.state, intent_time=now, job_id=action.job_id, submitted_at=now,
        finished_at=now if finished else None, code=action.code if finished else "",
        message=action.message if finished else "", previous_job_ids=history,
    )  # fmt: skip
