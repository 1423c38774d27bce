"""A writer's job records: the records it loaded (read-only) with its own changes on top.

Why: at a million jobs a dict of :class:`JobRecord` objects costs about 1 GB, while the same
records packed (:mod:`.packed`) cost about a quarter of that. A writer
(:class:`~reconciler.state.view.RecordView`) changes few of the records it loads, so it keeps
them as loaded (a :class:`~reconciler.state.packed.PackedJobs`, or a dict for a whole document
or after ``replace_all``) and its puts and drops in a small dict on top; :class:`Overlaid`
reads the two as one mapping, without copying either.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping
from operator import itemgetter
from typing import Any, Final, overload

from reconciler.model.records import JobRecord
from reconciler.state.layers import merged
from reconciler.state.packed import PackedJobs

_Key = tuple[str, str]
_Pair = tuple[_Key, JobRecord]
_MISSING: Final = object()
_first: Final = itemgetter(0)


class Overlaid(Mapping[_Key, JobRecord]):
    """``changes`` (a None value: dropped) over ``base``; iteration is in key order.

    A view: neither mapping is copied, so it shows later changes made to them (the writer's
    snapshot gives it a copy of its changes, and never changes its base).
    """

    def __init__(self, base: Mapping[_Key, JobRecord], changes: dict[_Key, JobRecord | None]):
        self.base = base
        self.changes = changes

    @overload
    def get(self, key: _Key, /) -> JobRecord | None: ...
    @overload
    def get(self, key: _Key, default: JobRecord | Any, /) -> JobRecord | Any: ...
    def get(self, key: _Key, default: Any = None, /) -> Any:
        found = self.changes.get(key, _MISSING)
        if found is _MISSING:
            return self.base.get(key, default)
        return default if found is None else found

    def __getitem__(self, key: _Key) -> JobRecord:
        rec = self.get(key)
        if rec is None:
            raise KeyError(key)
        return rec

    def __contains__(self, key: object) -> bool:
        found = self.changes.get(key, _MISSING)  # type: ignore[call-overload]
        if found is _MISSING:
            return key in self.base
        return found is not None

    def __len__(self) -> int:
        """O(changes): each change adds a record, removes one, or replaces one."""
        base = self.base
        return len(base) + sum(
            (rec is not None) - (key in base) for key, rec in self.changes.items()
        )

    def __iter__(self) -> Iterator[_Key]:
        return map(_first, self._merged(self._base_keys()))

    def items(self) -> ItemsView[_Key, JobRecord]:
        return _Items(self)

    def pairs(self) -> Iterator[_Pair]:
        """(key, record) in key order (a full compaction streams the segment from this)."""
        base = self.base
        if isinstance(base, PackedJobs):
            return self._merged(base.pairs())
        return self._merged((key, base[key]) for key in sorted(base))

    def _base_keys(self) -> Iterator[tuple[_Key, Any]]:
        keys = self.base if isinstance(self.base, PackedJobs) else sorted(self.base)
        return ((key, None) for key in keys)

    def _merged(self, base: Iterator[tuple[_Key, Any]]) -> Iterator[Any]:
        """``base`` items (key order) without the changed keys, merged with the changes'
        records (key order)."""
        changes = self.changes
        if not changes:
            return base
        kept = (item for item in base if item[0] not in changes)
        added = ((k, rec) for k in sorted(changes) if (rec := changes[k]) is not None)
        return merged([kept, added])


class _Items(ItemsView[_Key, JobRecord]):
    """``items()`` that streams (the ABC's would look every key up again)."""

    _mapping: Overlaid

    def __iter__(self) -> Iterator[_Pair]:
        return self._mapping.pairs()
