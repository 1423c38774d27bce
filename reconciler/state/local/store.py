"""The state store: read without a lock, or open for writing under the lock.

A writer keeps the whole state in memory. Each put or drop becomes one journal line, fsynced
(group-committed across threads) before the call returns, so ``kill -9`` at any instant loses
nothing that was reported as recorded. The state file itself is only rewritten by
:meth:`LocalStateWriter.compact` (atomically, keeping the previous file as ``.backup``), at the end
of a run and when a writer finds a journal left by a crashed one, and by ``state push``.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import StateError
from reconciler.model.records import StateSnapshot
from reconciler.state.document import Document, new_document, parse_document, render_document
from reconciler.state.local.fileio import atomic_write, fsync_dir, read_or_none, remove_leftovers
from reconciler.state.local.journal import JournalContent, JournalWriter, read_journal
from reconciler.state.local.lock import LockInfo, StateLock, break_lock, current_holder
from reconciler.state.view import RecordView, replay, snapshot_of

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

    def _load(self) -> tuple[Document, bytes | None, JournalContent]:
        data = read_or_none(self.path)
        doc = new_document() if data is None else parse_document(data, self.path)
        journal = read_journal(self.journal_path, None if data is None else doc.lineage)
        replay(doc, journal.entries)
        return doc, data, journal

    def read(self) -> StateSnapshot:
        """The current state without taking the lock (for plan and status).

        A writer compacting meanwhile replaces the file and then empties the journal; reading
        the file, then the journal, then checking the file did not change gives a consistent view.
        """
        for _ in range(10):
            before = _identity(self.path)
            doc, _, journal = self._load()
            if _identity(self.path) == before:
                break
        return snapshot_of(doc, len(journal.entries))

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
            doc, data, journal = self._load()
            if data is None:
                data = render_document(doc.serial, doc.lineage, {}, {})
                atomic_write(self.path, data)
            writer = LocalStateWriter(self, lock, doc, data, journal)
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
        when = f", last journal write at {stamp.isoformat().replace('+00:00', 'Z')}"
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
        doc: Document,
        file_bytes: bytes,
        journal: JournalContent,
    ) -> None:
        self._store = store
        self._lock = lock
        self._journal = JournalWriter(store.journal_path)
        super().__init__(str(store.path), doc, file_bytes, self._journal.commit)
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
        """Fold the journal into the state file atomically, then empty the journal.

        The serial moves only when the content changed; the previous file is kept as
        ``.backup``. A crash between the rename and the truncation is harmless: replaying
        full-record entries onto a state that already holds them changes nothing.
        """
        with self._commit.quiesced():
            if self._commit.entries == 0 and not force:
                return
            body = self._next_version()
            if body is not None:
                atomic_write(self._store.backup_path, self._file_bytes)
                atomic_write(self._store.path, body)
                self._serial += 1
                self._file_bytes = body
            self._journal.truncate()

    def replace_all(self, doc: Document) -> None:
        """Write ``doc`` as the state file at its own serial, keeping the old one as backup."""
        with self._commit.quiesced():
            if doc.serial <= self._serial:
                raise StateError(
                    f"state {self._store.path}: cannot replace serial {self._serial} with "
                    f"serial {doc.serial}; nothing was changed"
                )
            body = render_document(doc.serial, doc.lineage, doc.templates, doc.jobs)
            atomic_write(self._store.backup_path, self._file_bytes)
            atomic_write(self._store.path, body)
            self._lineage, self._serial, self._file_bytes = doc.lineage, doc.serial, body
            self._templates, self._jobs = dict(doc.templates), dict(doc.jobs)
            self._journal.truncate()

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
