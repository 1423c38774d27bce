"""What the state remembers: template IDs and, per job key, the submission and its result.

Records are frozen dataclasses of plain strings so the reconcile core can compare them with ``==``
and the state file stays a readable, diffable JSON document. ``from_dict`` is strict on purpose:
a record with a missing field, an unknown field or a value of the wrong type means the file was
edited by hand, damaged, or written by another program, and silently "repairing" it would let
the next compaction overwrite data we did not understand. A job's ``state`` is the exception:
it is the service's word, and a state we have never seen must not make the file unreadable.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from typing import Any, ClassVar, Final

from reconciler.model.states import JobState
from reconciler.model.times import parse_iso

#: Our own marker for an intent: recorded before ``POST /jobs``, no reply (so no job_id) yet.
#: Records hold any state the service reports (``Queued``, ``Unknown`` ...) verbatim, as text:
#: :class:`JobState` says which are finished, and treats the ones it does not know as unfinished.
INTENT_STATE: Final = JobState.PENDING.value


class RecordError(ValueError):
    """A record dict does not have the shape of a record; the loader adds the file name."""


# Field kinds: how each field is checked when a record is read back.
_STR, _OPT_STR, _TIME, _OPT_TIME, _STRS = "str", "optstr", "time", "opttime", "strs"


#: Fields whose values repeat across records (few batches, targets, states, whole seconds):
#: one shared string each instead of one copy per record (about 40 MB at 100,000 jobs).
_REPEATED: Final = frozenset({"batch", "target", "state", "code", "message", "name"})


@lru_cache(maxsize=65_536)
def _time(name: str, value: str) -> str:
    """``value`` once checked as an ISO-8601 time; cached, since many records share a second."""
    try:
        parse_iso(value)
    except ValueError:
        raise RecordError(f"field {name!r} is not an ISO-8601 time: {value!r}") from None
    return value


def _check(kind: str, name: str, value: Any) -> Any:
    """Return ``value`` in its record type (lists become tuples) or raise ``RecordError``."""
    if kind in (_OPT_STR, _OPT_TIME) and value is None:
        return None
    if kind == _STRS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RecordError(f"field {name!r} must be a list of strings")
        return tuple(value)
    if not isinstance(value, str):
        raise RecordError(f"field {name!r} must be a string, not {type(value).__name__}")
    if kind in (_TIME, _OPT_TIME):
        return _time(name, value)
    return sys.intern(value) if name in _REPEATED else value


def _parse(raw: Any, kinds: Mapping[str, str], required: frozenset[str]) -> dict[str, Any]:
    """Check a JSON object against ``kinds`` and return constructor keyword arguments."""
    if not isinstance(raw, dict):
        raise RecordError(f"a record must be a JSON object, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(kinds))
    if unknown:
        raise RecordError(f"unknown field {unknown[0]!r}")
    missing = sorted(required - set(raw))
    if missing:
        raise RecordError(f"missing field {missing[0]!r}")
    return {name: _check(kinds[name], name, value) for name, value in raw.items()}


def _nonempty(name: str, value: str) -> None:
    if not value:
        raise RecordError(f"field {name!r} must not be empty")


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """A template this tool manages on one target: its service ID and what was last applied."""

    target: str
    name: str
    template_id: str
    fingerprint: str  # hash of the settings last applied
    updated_at: str  # ISO-8601 UTC

    _KINDS: ClassVar[Mapping[str, str]] = {
        "target": _STR,
        "name": _STR,
        "template_id": _STR,
        "fingerprint": _STR,
        "updated_at": _TIME,
    }

    @property
    def key(self) -> tuple[str, str]:
        """(target, name): templates are unique per target by exact name."""
        return (self.target, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._KINDS}

    @classmethod
    def from_dict(cls, raw: Any) -> TemplateRecord:
        """Build a record from its JSON form; raises ``RecordError`` on any deviation."""
        rec = cls(**_parse(raw, cls._KINDS, frozenset(cls._KINDS)))
        _nonempty("target", rec.target)
        _nonempty("name", rec.name)
        return rec


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job key's latest submission: enough to find the job again and to show its result."""

    batch: str
    input_object: str
    target: str
    fingerprint: str
    marker: str  # deterministic token put into the request so the job can be found again
    state: str  # INTENT_STATE with no job_id = intent, no reply yet; else the service's state
    intent_time: str  # ISO-8601 UTC when the intent was recorded
    job_id: str | None = None
    submitted_at: str | None = None
    finished_at: str | None = None
    code: str = ""
    message: str = ""
    outputs: tuple[str, ...] = field(default=())  # frame object keys
    sprites: tuple[str, ...] = field(default=())  # sprite object keys
    previous_job_ids: tuple[str, ...] = field(default=())  # superseded submissions, oldest first

    _KINDS: ClassVar[Mapping[str, str]] = {
        "batch": _STR,
        "input_object": _STR,
        "target": _STR,
        "fingerprint": _STR,
        "marker": _STR,
        "state": _STR,
        "intent_time": _TIME,
        "job_id": _OPT_STR,
        "submitted_at": _OPT_TIME,
        "finished_at": _OPT_TIME,
        "code": _STR,
        "message": _STR,
        "outputs": _STRS,
        "sprites": _STRS,
        "previous_job_ids": _STRS,
    }
    _REQUIRED: ClassVar[frozenset[str]] = frozenset(
        {"batch", "input_object", "target", "fingerprint", "marker", "state", "intent_time"}
    )

    @property
    def key(self) -> tuple[str, str]:
        """(batch, input object key): the unit of exactly-once."""
        return (self.batch, self.input_object)

    @property
    def finished(self) -> bool:
        """True when the service will never change this job again (no refresh needed)."""
        return JobState.is_finished(self.state)

    @property
    def is_intent(self) -> bool:
        """An intent whose reply never came. A job the *service* reports as ``Pending`` has a
        job_id, so it is never mistaken for one (and is simply unfinished)."""
        return self.state == INTENT_STATE and self.job_id is None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, kind in self._KINDS.items():
            value = getattr(self, name)
            out[name] = list(value) if kind == _STRS else value
        return out

    @classmethod
    def from_dict(cls, raw: Any) -> JobRecord:
        """Build a record from its JSON form; raises ``RecordError`` on any deviation."""
        rec = cls(**_parse(raw, cls._KINDS, cls._REQUIRED))
        _nonempty("batch", rec.batch)
        _nonempty("input_object", rec.input_object)
        return rec

    @classmethod
    def from_full_dict(cls, raw: Any) -> JobRecord:
        """``from_dict`` for the shape every writer renders (all fields present): the same
        checks unrolled, about three times faster at a million records. Any other shape, or
        any check failing, goes through ``from_dict``, which gives the precise error."""
        if type(raw) is not dict or raw.keys() != _JOB_FIELDS:
            return cls.from_dict(raw)
        strs = _GET_STRS(raw)
        opts = _GET_OPTS(raw)
        lists = _GET_LISTS(raw)
        if not (
            all(map(isinstance, strs, repeat(str)))
            and all(map(isinstance, opts, repeat((str, type(None)))))
            and all(map(isinstance, lists, repeat(list)))
            and all(all(map(isinstance, v, repeat(str))) for v in lists if v)
            and strs[0]
            and strs[1]
        ):
            return cls.from_dict(raw)
        batch, input_object, target, fingerprint, marker, state, intent, code, message = strs
        job_id, submitted, finished = opts
        outputs, sprites, previous = lists
        return cls(
            sys.intern(batch), input_object, sys.intern(target), fingerprint, marker,
            sys.intern(state), _time("intent_time", intent), job_id,
            None if submitted is None else _time("submitted_at", submitted),
            None if finished is None else _time("finished_at", finished),
            sys.intern(code), sys.intern(message),
            tuple(outputs) if outputs else (), tuple(sprites) if sprites else (),
            tuple(previous) if previous else (),
        )  # fmt: skip


_JOB_FIELDS: Final = frozenset(JobRecord._KINDS)
_GET_STRS: Final = itemgetter(
    "batch", "input_object", "target", "fingerprint", "marker", "state", "intent_time", "code",
    "message",
)  # fmt: skip
_GET_OPTS: Final = itemgetter("job_id", "submitted_at", "finished_at")
_GET_LISTS: Final = itemgetter("outputs", "sprites", "previous_job_ids")


@dataclass(frozen=True)
class StateSnapshot:
    """An immutable view of the state: the file plus any journal entries replayed on top.

    ``serial`` is the serial of the file on disk; it moves only when a compaction changes the
    content. A snapshot with ``serial == 0`` describes a state that has never recorded anything,
    so its ``lineage`` is not meaningful for staleness checks of saved plans.
    """

    version: int
    serial: int
    lineage: str
    templates: Mapping[tuple[str, str], TemplateRecord]  # (target, name)
    jobs: Mapping[tuple[str, str], JobRecord]  # (batch, input_object)
    pending_journal: int  # journal entries not yet compacted into the file
    written_at: str = ""  # UTC ISO time the state was last written ("" for version 1 files)
