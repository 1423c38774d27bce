"""Output collisions: two jobs writing the same object would overwrite each other's frames.

The check must see every job of the plan, and at a million jobs a dict of every output slot
(about 150 bytes each, two per job) would cost more than the rest of the plan. So the first pass
keeps only each slot's 64-bit hash, 8 bytes in one of 256 flat arrays, and finds repeated
hashes array by array. Only when a hash repeats (a real collision, or two slots whose hashes
collide) does a second pass over the same jobs name the slots and their owners exactly, so the
error reads as before and a hash collision alone never refuses a plan.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Final

from reconciler.errors import PlanError

#: (bucket, object key): what two jobs must not share.
Slot = tuple[str, str]
Owner = tuple[str, str]  # (batch, input object)

_PARTS: Final = 256
_SHOWN: Final = 3


class SlotHashes:
    """The hashes of every output slot seen, 8 bytes each; :meth:`repeated` finds the ones seen
    twice. Hashes are ``hash()`` of the slot, so they mean nothing outside this process."""

    def __init__(self) -> None:
        self._parts = [array("q") for _ in range(_PARTS)]

    def add(self, slot: Slot) -> None:
        value = hash(slot)
        self._parts[value % _PARTS].append(value)

    def repeated(self) -> set[int]:
        out: set[int] = set()
        for part in self._parts:
            distinct = set(part)
            if len(distinct) == len(part):
                continue
            seen: set[int] = set()
            for value in part:
                if value in seen:
                    out.add(value)
                seen.add(value)
        return out


def clashes(suspects: set[int], jobs: Iterable[tuple[Owner, set[Slot]]]) -> list[str]:
    """Every real clash among ``jobs`` on a slot whose hash is in ``suspects``, in job order."""
    owners: dict[Slot, Owner] = {}
    out: list[str] = []
    for owner, slots in jobs:
        for slot in slots:
            if hash(slot) not in suspects:
                continue
            first = owners.setdefault(slot, owner)
            if first != owner:
                out.append(
                    f"{slot[1]!r} written by {first[0]}/{first[1]} and {owner[0]}/{owner[1]}"
                )
    return out


def refuse(found: list[str]) -> None:
    """Raise the plan's one-line collision error (no-op when nothing clashed)."""
    if not found:
        return
    more = f" (and {len(found) - _SHOWN} more)" if len(found) > _SHOWN else ""
    raise PlanError("output collision: " + "; ".join(found[:_SHOWN]) + more)
