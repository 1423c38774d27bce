"""The state store: read without a lock, or open for writing under the lock.

A writer holds the whole state (the records it loaded packed, its changes on top). Each put
or drop becomes one journal line, fsynced (group-committed across threads) before the call
returns, so ``kill -9`` at any instant loses nothing that was reported as recorded.
:meth:`LocalStateWriter.compact` (at the end of a run, when a writer finds a journal left by a
crashed one, and for ``state push``) writes the records that changed as one new segment in
``<state>.d/`` and then the state file, a small v2 header naming the segments (atomically,
keeping the previous header as ``.backup``; see
:mod:`.segfiles` and :mod:`reconciler.state.segments`).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import StateError
from reconciler.model.records import StateSnapshot
from reconciler.model.times import iso, utc_now
from reconciler.state.document import Document, new_document
from reconciler.state.layout import (
    Compaction,
    Loaded,
    full_compaction,
    load_state,
    verify_segments,
)
from reconciler.state.local.fileio import atomic_write, fsync_dir, read_or_none, remove_leftovers
from reconciler.state.local.journal import JournalContent, JournalWriter, read_journal
from reconciler.state.local.lock import LockInfo, StateLock, break_lock, current_holder
from reconciler.state.local.segfiles import (
    collect_garbage,
    header_names,
    link_backup,
    write_compaction,
)
from reconciler.state.packfile import pack_name, with_packs
from reconciler.state.segments import Header, SegmentMissing, render_header
from reconciler.state.view import RecordView, read_snapshot

log = logging.getLogger(__name__)


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class LocalStateStore:
    """The state file at ``path`` with its journal, backup and lock beside it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.segments_dir = self.path.with_name(self.path.name + ".d")

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        """The state file exists (a journal alone is refused by :meth:`read`, not a state)."""
        return self.path.exists()

    def force_unlock(self, lock_id: str) -> str:
        """Clear the lock record of a dead holder (the kernel already freed its ``flock``)."""
        break_lock(self.path, lock_id)
        return f"Lock {lock_id} removed."

    def holder(self) -> str | None:
        info = current_holder(self.path)
        return None if info is None else f"{info.describe()}, lock id {info.lock_id}"

    def read_segment(self, name: str) -> bytes | None:
        return read_or_none(self.segments_dir / name)

    def read_pack(self, segment: str) -> bytes | None:
        """The pack sidecar of ``segment`` (:mod:`reconciler.state.packfile`), if any."""
        return read_or_none(self.segments_dir / pack_name(segment))

    def _load(
        self, *, packed: bool = False, writer: bool = False
    ) -> tuple[Loaded | None, JournalContent]:
        """The state as its file (header and segments) holds it, and the journal beside it;
        None when there is no state file. ``packed``: the jobs packed (:mod:`..packed`; a
        reader's snapshot and a writer's base alike); ``writer``: see ``verify_packed`` of
        :func:`~reconciler.state.layout.load_state`."""
        data = read_or_none(self.path)
        loaded = None
        if data is not None:
            loaded = load_state(
                data, self.path, self.read_segment, packed=packed, read_pack=self.read_pack,
                verify_packed=writer,
            )  # fmt: skip
        journal = read_journal(self.journal_path, None if loaded is None else loaded.doc.lineage)
        return loaded, journal

    def read(self) -> StateSnapshot:
        """The current state without taking the lock (for plan and status).

        A writer compacting meanwhile replaces the header, empties the journal and deletes
        segments two versions old; reading the header, its segments, then the journal, then
        checking the header did not change gives a consistent view (a segment found missing
        means the header changed: read again).
        """
        for attempt in range(10):
            before = _identity(self.path)
            try:
                loaded, journal = self._load(packed=True)
            except SegmentMissing:
                if attempt == 9:
                    raise
                continue
            if _identity(self.path) == before:
                break
        return read_snapshot(loaded, journal.entries)

    def verify(self) -> int:
        """See ``StateStore.verify``; a segment found missing because a writer replaced the
        header meanwhile is looked for again under the new header."""
        for _ in range(10):
            data = read_or_none(self.path)
            if data is None:
                return 0
            try:
                return verify_segments(data, self.path, self.read_segment)
            except SegmentMissing:
                if read_or_none(self.path) == data:
                    raise
        raise StateError(f"state {self.path} keeps changing while being checked; try again")

    def open(self, *, command: str = "", wait_seconds: float = 0.0) -> LocalStateWriter:
        """Lock the state for writing; raises ``LockError`` naming the holder.

        ``command`` is recorded in the lock record shown to others: pass a command name such
        as ``"apply"``, never a command line that might carry a secret.
        """
        lock = StateLock(self.path)
        dead = lock.acquire(command, wait_seconds)
        writer: LocalStateWriter | None = None
        try:
            remove_leftovers(self.path)
            last_write = _identity(self.journal_path)
            loaded, journal = self._load(packed=True, writer=True)
            if loaded is None:
                doc = new_document()
                header = Header(0, doc.lineage, utc_now(), ())
                atomic_write(self.path, render_header(header))
                loaded = Loaded(doc, header)
            writer = LocalStateWriter(self, lock, loaded, journal)
            writer.collect_garbage()
            if journal.entries or journal.torn_bytes:
                writer.compact(force=True)
        except BaseException:
            if writer is not None:
                writer.abandon()
            lock.release()
            raise
        if dead is not None:
            writer.warnings += (_dead_holder_message(dead, journal, last_write),)
            log.warning("%s", writer.warnings[-1])
        return writer


def _dead_holder_message(
    dead: LockInfo, journal: JournalContent, last_write: tuple[int, int, int] | None
) -> str:
    when = ""
    if last_write is not None:
        stamp = datetime.fromtimestamp(last_write[2] / 1e9, UTC).replace(microsecond=0)
        when = f", last journal write at {iso(stamp)}"
    if journal.entries:
        recovered = f"its journal was recovered ({len(journal.entries)} entries)"
    else:
        recovered = "it left no journal entries to recover"
    return (
        f"previous holder pid {dead.pid} on {dead.host} ({dead.owner}, "
        f"{dead.command or 'no command'}, since {dead.created}{when}) died holding the state "
        f"lock (lock id {dead.lock_id}); {recovered}"
    )


class LocalStateWriter(RecordView):
    """Exclusive, thread-safe write access to the local state; use as a context manager."""

    def __init__(
        self,
        store: LocalStateStore,
        lock: StateLock,
        loaded: Loaded,
        journal: JournalContent,
    ) -> None:
        self._store = store
        self._lock = lock
        self._journal = JournalWriter(store.journal_path)
        super().__init__(str(store.path), loaded, self._journal.commit)
        self._replay(journal.entries)
        self._commit.entries = len(journal.entries)

    @property
    def lock_id(self) -> str:
        """The id of this lock, as ``reconciler force-unlock`` would need it."""
        return self._lock.info.lock_id if self._lock.info else ""

    @property
    def fsyncs(self) -> int:
        """Journal fsyncs done by this writer (for benchmarks and tests of group commit)."""
        return self._journal.fsyncs

    def compact(self, *, force: bool = False) -> None:
        """Write the changed records as a new version, then empty the journal.

        The serial moves only when the content changed; the previous header is kept as
        ``.backup`` (with its segments). A crash between the header rename and the truncation
        is harmless: replaying full-record entries onto a state that already holds them
        changes nothing.
        """
        with self._commit.quiesced():
            if self._commit.entries == 0 and not force:
                return
            comp = self._next_compaction()
            if comp is not None:
                self._compacted(self._write_version(comp))
            self._journal.truncate()
        if comp is not None:
            self.collect_garbage()

    def _write_version(self, comp: Compaction) -> Header:
        """Segment first, then the backup link, then the header: each durable before the next."""
        info = write_compaction(self._store.segments_dir, comp)
        header = comp.header(info)
        link_backup(self._store.path, self._store.backup_path)
        atomic_write(self._store.path, render_header(header))
        return header

    def collect_garbage(self) -> int:
        """Delete segments neither the header nor the backup names (and crash leftovers)."""
        keep = {s.name for s in self._header.segments} if self._header else set()
        keep |= header_names(self._store.backup_path)
        return collect_garbage(self._store.segments_dir, with_packs(keep))

    def _read_segment(self, name: str) -> bytes | None:
        return self._store.read_segment(name)

    def replace_all(self, doc: Document) -> None:
        """Write ``doc`` as the state at its own serial, keeping the old header as backup."""
        with self._commit.quiesced():
            self._refuse_older(doc)
            header = self._write_version(
                full_compaction(doc.serial, doc.lineage, doc.templates, doc.jobs)
            )
            self._reset(doc)
            self._compacted(header)
            self._journal.truncate()
        self.collect_garbage()

    def _finish(self) -> None:
        """Compact, then remove the emptied journal (its entries are in the file now)."""
        self.compact()
        self._journal.close()
        self._store.journal_path.unlink(missing_ok=True)
        fsync_dir(self._store.path.parent)

    def abandon(self) -> None:
        """Release everything without compacting (the journal keeps what was written)."""
        self._closed = True
        self._journal.close()
        self._lock.release()
