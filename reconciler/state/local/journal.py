"""The write-ahead journal: one checksummed JSON line per put or drop, fsynced in groups.

Why a journal: apply records an intent before every job submission and a result after it.
Rewriting the whole state file for each would make the cost per job grow with the state size;
appending one line and fsyncing it keeps it constant. Concurrent writers share fsyncs (group
commit, :mod:`.groupcommit`): whoever finds no flush in progress becomes the leader, writes every
line queued so far in one ``write`` and fsyncs once, while the others wait on a condition
variable; the lines that arrive during that fsync are flushed together by the next leader.

The line format is :mod:`reconciler.state.entries`. Invalid lines at the end of the file are the
torn tail of a crash and are ignored; an invalid line followed by a valid one is damage and is
refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reconciler.errors import StateError
from reconciler.state.entries import Entry, decode_body, decode_entry
from reconciler.state.groupcommit import GroupCommit
from reconciler.state.local.fileio import FILE_MODE, fsync_dir, write_all

#: Longest time a group-commit leader waits for the writers of the previous group to rejoin.
COMMIT_DELAY: Final = 0.0005


@dataclass(frozen=True)
class JournalContent:
    """What a journal file holds: its valid entries, and whether a torn tail was dropped."""

    entries: list[Entry]
    torn_bytes: int  # bytes of the ignored tail (0 when the file ended cleanly)
    valid_bytes: int  # length of the prefix made of valid lines


def read_journal(path: Path, lineage: str | None) -> JournalContent:
    """Parse ``path`` (missing = empty). Raises ``StateError`` on damage before the tail.

    ``lineage`` None means there is no state file: a journal with entries is then refused,
    since replaying it onto an empty state would silently forget everything else.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return JournalContent([], 0, 0)
    bodies: list[tuple[int, bytes]] = []  # (line number, payload)
    first_bad: int | None = None
    valid_end = offset = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        end = offset + len(line) + 1
        body = decode_body(line) if end <= len(data) else None  # no newline: torn
        if body is None:
            first_bad = number if first_bad is None and line else first_bad
        elif first_bad is not None:
            raise StateError(
                f"journal {path}: line {first_bad} is damaged but later lines are intact; "
                "it was left untouched. Restore it from a copy or remove it to lose its entries"
            )
        else:
            bodies.append((number, body))
            valid_end = end
        offset = end
    if lineage is None and bodies:
        state = path.with_name(path.name.removesuffix(".journal"))
        raise StateError(
            f"state file {state} is missing but its journal {path} holds {len(bodies)} entries; "
            f"nothing was changed. Restore {state} (e.g. from {state}.backup) and retry"
        )
    entries = [decode_entry(body, lineage or "", f"journal {path} line {n}") for n, body in bodies]
    return JournalContent(entries, len(data) - valid_end, valid_end)


class JournalWriter:
    """Appends entries durably through :attr:`commit`; concurrent appends share one fsync."""

    def __init__(self, path: Path, *, commit_delay: float = COMMIT_DELAY) -> None:
        existed = path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        if not existed:
            fsync_dir(path.parent)
        self.path = path
        self.commit = GroupCommit(
            self._flush,
            name=f"journal {path}",
            closed_message=f"journal {path} is closed; open the state again to write",
            catch=(OSError,),
            commit_delay=commit_delay,
        )
        self.fsyncs = 0

    def _flush(self, lines: list[bytes]) -> None:
        """One ``write`` of the whole group, then one fdatasync."""
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            write_all(self._fd, b"".join(lines))
        except OSError:
            # Cut a partial write off so later entries never follow a torn line.
            os.ftruncate(self._fd, start)
            raise
        _datasync(self._fd)
        self.fsyncs += 1

    def truncate(self) -> None:
        """Empty the journal (call while quiesced, after the state file holds its entries)."""
        os.ftruncate(self._fd, 0)
        _datasync(self._fd)
        self.commit.entries = 0

    def close(self) -> None:
        """Close the file once no flush is in flight; later appends raise ``StateError``."""
        self.commit.seal()
        with self.commit.quiesced():
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _datasync(fd: int) -> None:
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)
