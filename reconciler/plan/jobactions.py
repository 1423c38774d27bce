"""A plan's job actions, with the jobs that are simply up to date kept compact.

A no-op plan of a million jobs is a million "no change, up to date" actions. Held as objects
they cost about 180 bytes each (the action and its job ID string), as much as the rest of the
plan. :class:`JobActions` keeps such a job as a reference to its input key string (which the
manifests or the listing already hold) plus 4 bytes naming its batch, and builds its
:class:`KeepJob` only when someone iterates: the job ID comes from the records the plan was
made against, which determined that the job is up to date in the first place.

Everything else is stored as the action object, in order. Code that only needs counts, the
acting actions or samples uses the helpers below, which never build the compact ones in bulk:
:func:`acting`, :func:`kind_counts`, :func:`batch_kind_counts`.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Final, overload

from reconciler.model.records import JobRecord
from reconciler.model.states import JobState
from reconciler.plan.actions import ActionKind, JobAction, KeepJob

Key = tuple[str, str]
UP_TO_DATE: Final = "up_to_date"
_KEEP: Final = "keep_job"


def up_to_date(batch: str, input_object: str, job_id: str | None) -> KeepJob:
    """The action of a job whose record is this very job, finished with Success (the planner's
    and, built on demand, :class:`JobActions`'s compact ones)."""
    return KeepJob(batch, input_object, job_id, JobState.SUCCESS.value, "up to date", UP_TO_DATE)


class JobActions(Sequence[JobAction]):
    """Job actions in plan order; ``records`` resolves the compact ones' job IDs."""

    __slots__ = (
        "_entries",
        "_batch_of",
        "_batches",
        "_index",
        "_records",
        "_kept",
        "_last",
        "_counted",
    )

    def __init__(
        self, records: Mapping[Key, JobRecord] | None = None, actions: Iterable[JobAction] = ()
    ) -> None:
        self._entries: list[JobAction | str] = []
        self._batch_of = array("I")
        self._batches: list[str] = []
        self._index: dict[str, int] = {}
        self._records: Mapping[Key, JobRecord] = records if records is not None else {}
        self._kept = 0  # compact entries, counted per batch only when asked (kept_per_batch)
        self._last: tuple[str | None, int] = (None, -1)
        self._counted: Counter[str] | None = None  # kept_per_batch, until the next change
        self.extend(actions)

    def _batch(self, name: str) -> int:
        if name == self._last[0]:  # actions come batch by batch
            return self._last[1]
        found = self._index.get(name)
        if found is None:
            found = self._index[name] = len(self._batches)
            self._batches.append(name)
        self._last = (name, found)
        return found

    def append(self, action: JobAction) -> None:
        self._counted = None
        self._entries.append(action)
        self._batch_of.append(self._batch(action.batch))

    def extend(self, actions: Iterable[JobAction]) -> None:
        for action in actions:
            self.append(action)

    def keep_current(self, batch: str, input_object: str) -> None:
        """A job whose record (in ``records``) is this very job, finished with Success."""
        self._counted = None
        self._entries.append(input_object)
        self._batch_of.append(self._batch(batch))
        self._kept += 1

    def _build(self, index: int) -> JobAction:
        entry = self._entries[index]
        if not isinstance(entry, str):
            return entry
        batch = self._batches[self._batch_of[index]]
        record = self._records.get((batch, entry))
        job_id = record.job_id if record is not None else None
        return up_to_date(batch, entry, job_id)

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> JobAction: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[JobAction]: ...
    def __getitem__(self, index: int | slice) -> JobAction | Sequence[JobAction]:
        if isinstance(index, slice):
            return [self._build(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("job action index out of range")
        return self._build(index)

    def __iter__(self) -> Iterator[JobAction]:
        return (self._build(i) for i in range(len(self._entries)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JobActions({len(self)} actions, {self.kept_count} kept compact)"

    @property
    def kept_count(self) -> int:
        return self._kept

    def stored(self) -> Iterator[JobAction]:
        """The actions held as objects, in order (everything but the compact up-to-date jobs)."""
        return (e for e in self._entries if not isinstance(e, str))

    def kept_per_batch(self) -> Counter[str]:
        """Compact up-to-date jobs per batch."""
        if self._counted is None:
            batches = self._batches
            per_index = Counter(
                self._batch_of[i] for i, e in enumerate(self._entries) if isinstance(e, str)
            )
            self._counted = Counter({batches[i]: n for i, n in per_index.items()})
        return Counter(self._counted)

    def kept_firsts(self, n: int) -> dict[str, list[JobAction]]:
        """The first ``n`` compact jobs of each batch, in plan (key) order."""
        out: dict[str, list[JobAction]] = {}
        wanted = {b: min(n, c) for b, c in self.kept_per_batch().items()}
        missing = sum(wanted.values())
        for i, entry in enumerate(self._entries):
            if missing <= 0:
                break
            if isinstance(entry, str):
                batch = self._batches[self._batch_of[i]]
                got = out.setdefault(batch, [])
                if len(got) < wanted[batch]:
                    got.append(self._build(i))
                    missing -= 1
        return out

    def mapped(self, change: Callable[[JobAction], JobAction]) -> JobActions:
        """A copy with every stored action passed through ``change`` (compact ones as they are:
        an up-to-date job is never submitted, so never adopted or re-planned)."""
        out = JobActions(self._records)
        out._batches, out._index = list(self._batches), dict(self._index)
        out._batch_of = array("I", self._batch_of)
        out._kept = self._kept
        out._entries = [e if isinstance(e, str) else change(e) for e in self._entries]
        return out


def acting(jobs: Iterable[JobAction]) -> Iterator[JobAction]:
    """Every action but "no change" ones (what apply, pins and warnings look at)."""
    source = jobs.stored() if isinstance(jobs, JobActions) else jobs
    return (a for a in source if a.kind != _KEEP)


def kind_counts(jobs: Iterable[JobAction]) -> Counter[ActionKind]:
    """Actions per kind."""
    if isinstance(jobs, JobActions):
        counts: Counter[ActionKind] = Counter(a.kind for a in jobs.stored())
        if jobs.kept_count:
            counts["keep_job"] += jobs.kept_count
        return counts
    return Counter(a.kind for a in jobs)


def batch_kind_counts(jobs: Iterable[JobAction]) -> Counter[tuple[str, ActionKind]]:
    """Actions per (batch, kind)."""
    if isinstance(jobs, JobActions):
        counts: Counter[tuple[str, ActionKind]] = Counter((a.batch, a.kind) for a in jobs.stored())
        for batch, n in jobs.kept_per_batch().items():
            counts[(batch, "keep_job")] += n
        return counts
    return Counter((a.batch, a.kind) for a in jobs)
