"""The COS journal: append-only chunk objects, group-committed, fenced against stale writers.

Keys: ``<key>.journal/<lineage>/<serial>/<seq>``: the entries written on top of state version
``<serial>``. Each chunk is created with forbid-overwrite and holds a header line (kind, writer,
nonce) and the same checksummed lines as the local journal. Chunk kinds:

- ``entries``: puts and drops, one chunk per group commit (concurrent writers share one PUT);
- ``seal``: written by every writer right after taking the lease, at the next free sequence
  number. A previous holder that is still running (its lease expired or was force-unlocked)
  writes its next chunk at exactly that number, finds it taken by someone else and stops; so
  every chunk it managed to write is below the seal and is read and replayed by the new holder;
- ``commit``: written just before compaction, the same fencing check for the state version.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import StateError
from reconciler.state.cos.objects import ObjectStore, create_exactly, list_keys
from reconciler.state.entries import Entry, decode_body, decode_entry
from reconciler.state.groupcommit import GroupCommit

ENTRIES, SEAL, COMMIT = "entries", "seal", "commit"


def journal_dir(key: str, lineage: str, serial: int) -> str:
    return f"{key}.journal/{lineage}/{serial:012d}/"


def chunk_body(kind: str, writer: str, lines: list[bytes]) -> bytes:
    header = json.dumps({"kind": kind, "writer": writer, "nonce": uuid.uuid4().hex})
    return header.encode() + b"\n" + b"".join(lines)


@dataclass
class Chunk:
    key: str
    seq: int
    kind: str
    writer: str
    entries: list[Entry] = field(default_factory=list)


def parse_chunk(key: str, data: bytes, lineage: str) -> Chunk:
    """A chunk object; any damage is refused (objects are written whole, never torn)."""
    head, _, rest = data.partition(b"\n")
    try:
        header: Any = json.loads(head)
        kind, writer = str(header["kind"]), str(header["writer"])
        seq = int(key.rsplit("/", 1)[1])
    except (ValueError, TypeError, KeyError):
        raise StateError(f"journal object {key} is damaged (bad header); left untouched") from None
    entries: list[Entry] = []
    for number, line in enumerate(rest.split(b"\n")[:-1], start=2):
        body = decode_body(line)
        if body is None:
            raise StateError(f"journal object {key} line {number} is damaged; left untouched")
        entries.append(decode_entry(body, lineage, f"journal object {key} line {number}"))
    return Chunk(key, seq, kind, writer, entries)


def read_chunks(store: ObjectStore, directory: str, lineage: str) -> list[Chunk]:
    """Every chunk under ``directory`` in sequence order (deleted-meanwhile ones skipped)."""
    chunks = []
    for key in list_keys(store, directory):
        found = store.read_object(key)
        if found is not None:
            chunks.append(parse_chunk(key, found[0], lineage))
    return sorted(chunks, key=lambda c: c.seq)


class ChunkWriter:
    """Chunks of one writer: entries go through :attr:`commit` (group commit: whoever finds no
    PUT in flight leads and uploads everything queued so far as one chunk; the others wait).
    ``check`` runs before every PUT (the lease)."""

    def __init__(self, store: ObjectStore, writer_id: str, check: Callable[[], None]) -> None:
        self.store, self.writer_id, self.check = store, writer_id, check
        self.directory = ""
        self.next_seq = 1
        self.written: list[tuple[str, str]] = []  # (key, kind) of our chunks since compaction
        self.commit = GroupCommit(
            self._flush,
            name="the state journal",
            closed_message="the state is closed; open it again to write",
            catch=(Exception,),  # remembered and re-raised for every waiter
        )

    def put_chunk(self, kind: str, lines: list[bytes]) -> str:
        """Create the next chunk; raise ``StateError`` if another writer holds that number."""
        self.check()
        key = f"{self.directory}{self.next_seq:08d}"
        if not create_exactly(self.store, key, chunk_body(kind, self.writer_id, lines)):
            raise StateError(
                f"journal object {key} was written by another runner: this run lost the state "
                "lease and stops writing; rerun the command"
            )
        self.next_seq += 1
        self.written.append((key, kind))
        return key

    def _flush(self, lines: list[bytes]) -> None:
        self.put_chunk(ENTRIES, lines)
