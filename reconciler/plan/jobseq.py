"""Job actions that are not all in memory: a plan's ``jobs`` read back from a saved plan file.

A saved plan of a million jobs is read one line at a time (:mod:`reconciler.engine.planfile`),
so its ``Plan.jobs`` is a :class:`JobSequence`: a re-iterable, sized ``Sequence`` whose every
iteration produces the actions afresh and holds none of them. Indexing walks from the start
(O(n)); everything that consumes a plan iterates instead.

Such a plan keeps each job's pin beside its action (the line it came from), not in
``Plan.pins``, which then holds the template pins only: :func:`plan_pins` gives both, whatever
the plan's origin. :class:`Substituted` is the same sequence with some actions replaced (the
submissions a saved plan's rescan found on the service become adoptions) without holding the
others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import TYPE_CHECKING, overload

from reconciler.plan.actions import JobAction
from reconciler.plan.jobactions import kind_counts
from reconciler.plan.pins import RecordPin

if TYPE_CHECKING:
    from reconciler.plan.planner import Plan

Key = tuple[str, str]


class JobSequence(ABC, Sequence[JobAction]):
    """Lazy, re-iterable job actions with their pins (None: the action has no pin)."""

    @abstractmethod
    def pinned(self) -> Iterator[tuple[JobAction, str | None]]:
        """Each action with the digest of the record it acts on, as the plan saw it."""

    @abstractmethod
    def __len__(self) -> int: ...

    @property
    @abstractmethod
    def acting(self) -> int:
        """How many of the actions do something (everything but kept jobs)."""

    def __iter__(self) -> Iterator[JobAction]:
        return (action for action, _ in self.pinned())

    def pins(self) -> Iterator[RecordPin]:
        """The job pins, in order."""
        for action, digest in self.pinned():
            if digest is not None:
                yield RecordPin("job", (action.batch, action.input_object), digest)

    @overload
    def __getitem__(self, index: int) -> JobAction: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[JobAction]: ...

    def __getitem__(self, index: int | slice) -> JobAction | Sequence[JobAction]:
        """By position, walking from the start (the actions are not held)."""
        if isinstance(index, slice):
            wanted = range(len(self))[index]
            found = {i: a for i, a in enumerate(self) if i in wanted}
            return tuple(found[i] for i in wanted)
        position = range(len(self))[index]  # IndexError when out of range
        return next(islice(iter(self), position, None))


class Substituted(JobSequence):
    """``base`` with the actions of some keys replaced (same count, same order, same pins)."""

    def __init__(self, base: JobSequence, replacements: Mapping[Key, JobAction]) -> None:
        self.base = base
        self.replacements = dict(replacements)

    def pinned(self) -> Iterator[tuple[JobAction, str | None]]:
        for action, digest in self.base.pinned():
            yield self.replacements.get((action.batch, action.input_object), action), digest

    def __len__(self) -> int:
        return len(self.base)

    @property
    def acting(self) -> int:
        """A replacement acts as the submission it replaced did (adopting is acting)."""
        return self.base.acting


def acting_count(jobs: Sequence[JobAction]) -> int:
    """The number of job actions that do something, without reading a lazy plan again."""
    if isinstance(jobs, JobSequence):
        return jobs.acting
    return sum(n for kind, n in kind_counts(jobs).items() if kind != "keep_job")


def plan_pins(plan: Plan) -> Iterable[RecordPin]:
    """Every pin of ``plan``: ``Plan.pins``, plus the job pins a lazy plan keeps on its lines."""
    if isinstance(plan.jobs, JobSequence):
        return chain(plan.pins, plan.jobs.pins())
    return plan.pins


def pinned_jobs(plan: Plan) -> Iterator[tuple[JobAction, str | None]]:
    """Each job action of ``plan`` with its pin (what a saved plan's job line carries)."""
    if isinstance(plan.jobs, JobSequence):
        return plan.jobs.pinned()
    pins = {p.key: p.digest for p in plan.pins if p.kind == "job"}
    return ((a, pins.get((a.batch, a.input_object))) for a in plan.jobs)
