"""Crash-safe file primitives: private modes, atomic replacement and directory fsyncs.

Every file the state layer creates is mode 0600 (state files may name buckets and objects a
team does not want world-readable) and every rename is followed by an fsync of the directory,
because on Linux a rename is only durable once the directory entry itself reaches the disk.
"""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
#: Suffix marker of temporary files; anything matching ``<name>.tmp.*`` is a leftover of a crash.
TMP_INFIX = ".tmp."


def fsync_dir(directory: Path) -> None:
    """Make renames, creations and unlinks in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) if missing, durably, private to the owner."""
    if directory.is_dir():
        return
    missing = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for created in reversed(missing):
        fsync_dir(created.parent)


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a short write is legal for regular files)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file
    (:func:`atomic_stream` with one write)."""
    with atomic_stream(path) as out:
        out.write(data)


@contextmanager
def atomic_stream(path: Path, buffer: int = 1 << 20) -> Iterator[BinaryIO]:
    """Replace ``path`` with what is written to the yielded file, in pieces of any size, so
    that a crash leaves either the old or the new file.

    The bytes go to a uniquely named temporary file (mode 0600) in the same directory (same
    filesystem, so the rename is atomic), are fsynced, then renamed over ``path``; the
    directory is fsynced so the rename survives power loss. An exception in the ``with`` body
    removes the temporary file and leaves ``path`` as it was; a crash leaves at worst a
    ``<name>.tmp.<hex>`` file, which readers ignore and :func:`remove_leftovers` deletes under
    the lock.
    """
    tmp = path.with_name(f"{path.name}{TMP_INFIX}{uuid.uuid4().hex}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb", buffering=buffer) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def read_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def remove_leftovers(path: Path) -> list[Path]:
    """Delete temporary files left by crashed writers of ``path`` and its siblings.

    Only call this while holding the state lock: a live writer's temporary file looks the same.
    """
    pattern = glob.escape(str(path)) + "*" + TMP_INFIX + "*"
    removed = []
    for leftover in glob.glob(pattern):
        Path(leftover).unlink(missing_ok=True)
        removed.append(Path(leftover))
    return removed
