"""Key-list files: a batch's input keys, one per line, in a file beside its manifest.

A million keys do not belong in YAML (and a manifest file is capped at 4 MiB), so a batch may
say ``inputs: {keysFile: keys/batch-a.txt}``. The rules:

* The path is relative to the manifest file and must stay inside that file's directory (a
  manifest cannot make reconciler read, and print lines of, files elsewhere).
* UTF-8, one object key per line (``\\n`` or ``\\r\\n``), taken verbatim: spaces are part of the
  key. Empty lines are skipped, and so are lines starting with ``#`` (comments; a key that starts
  with ``#`` goes in ``objects`` instead).
* A name ending in ``.gz`` is read as gzip. The file is streamed line by line; its decompressed
  size is capped at :data:`MAX_KEY_FILE_BYTES` (not the manifests' 4 MiB), which also stops a
  gzip bomb.
* Each key must be one the service accepts (the rules of ``objects``), not end in ``/`` and not
  repeat. A problem names the key file and its line; at most :data:`MAX_SHOWN` are listed.

The sha256 of the decompressed content is the file's digest, pinned in saved plans.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from reconciler.manifest.checks import MAX_KEY_BYTES, key_problem
from reconciler.manifest.hints import shorten

MAX_KEY_FILE_BYTES = 1024**3  # decompressed: 10 million keys of 100 bytes
MAX_SHOWN = 10
REPEAT = "repeats an earlier line"
MAX_LINE_BYTES = 4096  # far above a key's 850 bytes; a longer line is refused, not held


class KeyFileError(Exception):
    """The key file cannot be used at all (missing, unreadable, not gzip, too big)."""


@dataclass
class KeyList:
    """What a key file holds: its keys in file order, its digest and the problems found."""

    path: str
    digest: str = ""
    keys: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)


def locate(manifest_file: str, relative: str) -> str:
    """The key file's path (as the manifest's path is: relative to the working directory when
    that one is); raises :class:`KeyFileError` when it leaves the manifest's directory."""
    base = os.path.dirname(manifest_file)
    path = os.path.normpath(os.path.join(base, relative))
    inside = os.path.realpath(base or ".")
    where = os.path.realpath(path)
    if os.path.isabs(relative) or os.path.commonpath([inside, where]) != inside:
        raise KeyFileError(
            f"{relative!r} must be a path inside the manifest's directory ({base or '.'})"
        )
    return path


def _open(path: str) -> BinaryIO:
    if path.endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return open(path, "rb")


@contextmanager
def _reading(path: str) -> Iterator[BinaryIO]:
    """The file opened for reading, every way it can fail turned into :class:`KeyFileError`."""
    try:
        with _open(path) as handle:
            yield handle
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise KeyFileError(f"{path}: is a directory, not a key file") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise KeyFileError(f"{path}: not a readable gzip file ({exc})") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _capped(path: str, size: int) -> int:
    if size > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{path}: more than {MAX_KEY_FILE_BYTES:,} bytes")
    return size


def raw_lines(path: str) -> Iterator[bytes]:
    """The content in pieces of at most :data:`MAX_LINE_BYTES`, each a whole line (ending
    included) unless the line is longer: then the pieces that follow complete it. Streamed and
    bounded (a line without end never sits in memory); raises :class:`KeyFileError`."""
    size = 0
    with _reading(path) as handle:
        while piece := handle.readline(MAX_LINE_BYTES):
            size = _capped(path, size + len(piece))
            yield piece


def numbered_lines(path: str, digest: Any = None) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line without its ending), or None for a line longer than
    :data:`MAX_LINE_BYTES`; every byte read goes into ``digest`` (a hashlib object) if given."""
    number, inside_long = 0, False
    for piece in raw_lines(path):
        if digest is not None:
            digest.update(piece)
        ended = piece.endswith(b"\n")
        if inside_long:
            inside_long = not ended
            continue
        number += 1
        if not ended and len(piece) == MAX_LINE_BYTES:
            inside_long = True
            yield number, None
            continue
        yield number, piece.rstrip(b"\n").removesuffix(b"\r")


def digest_of(path: str) -> str:
    """sha256 of the decompressed content (what a saved plan pins)."""
    h = hashlib.sha256()
    for piece in raw_lines(path):
        h.update(piece)
    return h.hexdigest()


#: Anything that makes a line more than a plain, valid, new key: an empty line, a comment, a
#: leading or trailing ``/``, a ``.`` or ``..`` segment, a control character (``\r`` too).
_NOT_PLAIN = re.compile(r"(?m)^(?:$|#|/)|/$|(?:^|/)\.\.?(?=/|$)|[\x00-\x09\x0b-\x1f\x7f]")
_TOO_LONG = re.compile(rb"[^\n]{%d}" % (MAX_KEY_BYTES + 1))
_CHUNK = 1 << 20


def _plain_keys(path: str) -> KeyList | None:
    """The file's keys when every line is a plain, valid key seen once (the usual file), checked
    a megabyte at a time by a few regular expressions in C instead of line by line; None as
    soon as any line needs the careful reading of :func:`read_keys`, which names it."""
    h = hashlib.sha256()
    keys: list[str] = []
    seen: set[str] = set()
    tail = b""
    for piece in _chunks(path):
        h.update(piece)
        block = tail + piece
        cut = block.rfind(b"\n") + 1
        block, tail = block[:cut], block[cut:]
        if block and not _plain_block(block, keys, seen):
            return None
    if tail and not _plain_block(tail + b"\n", keys, seen):
        return None
    return KeyList(path, h.hexdigest(), tuple(keys))


def _plain_block(block: bytes, keys: list[str], seen: set[str]) -> bool:
    """Add the whole lines of ``block`` (ending in a newline) to ``keys`` if all are plain."""
    if _TOO_LONG.search(block):
        return False
    try:
        text = block[:-1].decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _NOT_PLAIN.search(text):
        return False
    lines = text.split("\n")
    before = len(seen)
    seen.update(lines)
    if len(seen) - before != len(lines):
        return False
    keys.extend(lines)
    return True


def _chunks(path: str) -> Iterator[bytes]:
    """The decompressed content in pieces of :data:`_CHUNK`, under the size cap."""
    size = 0
    with _reading(path) as handle:
        while piece := handle.read(_CHUNK):
            size = _capped(path, size + len(piece))
            yield piece


def read_keys(path: str) -> KeyList:
    """The keys of the file at ``path`` (see the module docstring); raises
    :class:`KeyFileError` when it cannot be read at all. A file of plain keys is read in bulk
    (:func:`_plain_keys`); any other is read line by line, naming each problem."""
    plain = _plain_keys(path)
    return plain if plain is not None else careful_keys(path)


def careful_keys(path: str) -> KeyList:
    """:func:`read_keys` line by line: every problem named with its line."""
    result = KeyList(path)
    h = hashlib.sha256()
    keys: list[str] = []
    seen: set[str] = set()
    repeated: dict[int, str] = {}  # line number -> key, for the repeats shown
    bad = 0
    for number, text in numbered_lines(path, h):
        if text is None:
            bad += 1
            if len(result.problems) < MAX_SHOWN:
                result.problems.append(f"{path}:{number}: longer than {MAX_LINE_BYTES:,} bytes")
            continue
        if not text or text.startswith(b"#"):
            continue
        problem, key = _check(text)
        if problem is None and key in seen:
            repeated[number] = key
            problem = REPEAT
        if problem is not None:
            bad += 1
            if len(result.problems) < MAX_SHOWN:
                result.problems.append(f"{path}:{number}: {problem}")
            continue
        seen.add(key)
        keys.append(key)
    if repeated:
        _name_first_lines(path, result, repeated)
    if bad > MAX_SHOWN:
        result.problems.append(f"{path}: ... and {bad - MAX_SHOWN:,} more bad lines")
    result.digest = h.hexdigest()
    result.keys = tuple(keys)
    return result


def _check(text: bytes) -> tuple[str | None, str]:
    try:
        key = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (byte {exc.start + 1})", ""
    problem = key_problem(key)
    if problem is None and key.endswith("/"):
        problem = "ends with '/': that is a folder marker, not a video"
    return problem, key


def _name_first_lines(path: str, result: KeyList, repeated: dict[int, str]) -> None:
    """Say which earlier line each reported repeat repeats (a second pass, only when needed)."""
    wanted = {
        key for number, key in repeated.items() if f"{path}:{number}: {REPEAT}" in result.problems
    }
    first: dict[str, int] = {}
    for number, text in numbered_lines(path):
        key = (text or b"").decode("utf-8", "replace")
        if key in wanted and key not in first:
            first[key] = number
            if len(first) == len(wanted):
                break
    for number, key in repeated.items():
        old = f"{path}:{number}: {REPEAT}"
        if old in result.problems:
            new = f"{path}:{number}: '{shorten(key)}' repeats line {first.get(key, '?')}"
            result.problems[result.problems.index(old)] = new
