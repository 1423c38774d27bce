"""``state pull`` and ``state push`` over any :class:`StateStore`, with Terraform's rules.

Push keeps the pushed file's lineage and serial, so a state pulled, edited and pushed back is
the same state one version on, and a copy pushed twice is recognised. It refuses, unless
forced, whatever could silently drop records the destination knows (each record is a job that
was paid for, and a forgotten one is submitted again):

- another lineage: the file is a different state;
- an older serial: the destination moved on since the file was pulled;
- the same serial with other records: two states diverged from one version.

An empty destination (no records, e.g. one that does not exist yet) accepts any file. A forced
push whose serial is not above the destination's is written at the destination's serial + 1,
so readers and saved plans still see that the state changed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconciler.errors import StateError
from reconciler.model.records import StateSnapshot
from reconciler.state.document import Document, render_document
from reconciler.state.layout import load_state
from reconciler.state.local.fileio import read_or_none
from reconciler.state.protocols import StateStore

#: How long push waits for a running command to release the lock.
PUSH_WAIT_SECONDS = 30.0


def pull(store: StateStore) -> bytes:
    """The state (journal included) as one self-contained version 2 document (a header's fields
    and every record, no segments); ``StateError`` when the state does not exist (an empty
    state would look like a successful copy of nothing)."""
    if not store.exists():
        raise StateError(
            f"state {store.location} does not exist; nothing was pulled (check --state)"
        )
    snap = store.read()
    return render_document(snap.serial, snap.lineage, snap.templates, snap.jobs, snap.written_at)


def read_copy(source: Path) -> Document:
    """A document ``state push`` accepts: what ``state pull`` wrote, a version 1 file, or a
    local v2 state file (a header: its segments are read from ``<source>.d/`` beside it)."""
    segments = source.with_name(source.name + ".d")
    return load_state(source.read_bytes(), source, lambda n: read_or_none(segments / n)).doc


def refusal(doc: Document, source: Path, now: StateSnapshot, location: str) -> str | None:
    """Why pushing ``doc`` over ``now`` could lose records, or None when it cannot."""
    if not now.templates and not now.jobs:
        return None
    if doc.lineage != now.lineage:
        return (
            f"{source} has lineage {doc.lineage} but {location} has {now.lineage}: they are "
            "different states"
        )
    if doc.serial < now.serial:
        return (
            f"{location} is at serial {now.serial}, newer than {source} (serial {doc.serial}); "
            "pull it first"
        )
    if doc.serial == now.serial and not _same_records(doc, now):
        return f"{source} and {location} are both at serial {doc.serial} but hold different records"
    return None


def _same_records(doc: Document, now: StateSnapshot) -> bool:
    return dict(now.templates) == doc.templates and dict(now.jobs) == doc.jobs


def push(store: StateStore, source: Path, *, force: bool = False) -> str:
    """Make the state file ``source`` the state of ``store`` under its lock; returns a line
    saying what happened. ``StateError`` (nothing changed) when refused."""
    doc = read_copy(source)
    with store.open(command="state push", wait_seconds=PUSH_WAIT_SECONDS) as writer:
        now = writer.snapshot
        problem = refusal(doc, source, now, store.location)
        if problem is not None and not force:
            raise StateError(
                f"state push refused: {problem}; nothing was changed (--force pushes anyway)"
            )
        if doc.lineage == now.lineage and doc.serial == now.serial and _same_records(doc, now):
            return f"{store.location} already holds {source} (serial {doc.serial}); nothing to do."
        serial = doc.serial if doc.serial > now.serial else now.serial + 1
        writer.replace_all(replace(doc, serial=serial))
    renumbered = "" if serial == doc.serial else f" (renumbered from {doc.serial})"
    return (
        f"Pushed {source} to {store.location}: lineage {doc.lineage}, serial {serial}{renumbered}."
    )
